import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY, NETDATA_DOCS, type Exception } from "../lib/exceptions";
import { hostBinds, isSameOrParent, normaliseHostPath } from "../lib/mounts";
import { displayName, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

/** Who may see the Docker API at all (read-only), and why. */
export const SOCKET_EXCEPTIONS: readonly Exception[] = [
  { component: "netdata", reason: `cgroups.plugin and go.d.plugin resolve and monitor containers through the socket (${NETDATA_DOCS}, "Mounts").` },
  { component: "promtail", reason: "docker_sd_configs discovers the containers whose logs it ships (Promtail scrape config docs)." },
  { component: "alloy", reason: "discovery.docker and loki.source.docker read container logs through the Docker API (Grafana Alloy component docs)." },
];

const configSchema = policySchema({
  properties: {
    socketPaths: {
      type: "array",
      items: { type: "string" },
      description: "Host paths of the Docker (or Podman) API socket.",
      default: ["/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock"],
    },
    allowed: allowedProperty("Components that may bind the socket (read-only), each with the reason.", {}, []),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const requireReadonlyDockerSocket: ResourceValidationPolicy = {
  name: "require-readonly-docker-socket",
  description:
    "Only allowlisted components (by default Netdata and the log shipper) bind the Docker socket, in any mount form (volumes, mounts of type bind, or any parent directory such as /var/run or /), and only read-only.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const sockets = settings.socketPaths.map(normaliseHostPath);
    const allowed = exceptionsOf(SOCKET_EXCEPTIONS, settings).some((e) => e.component === component);
    const name = displayName(props, args.name);
    for (const bind of hostBinds(props)) {
      const socket = sockets.find((s) => isSameOrParent(bind.hostPath, s));
      if (socket === undefined) {
        continue;
      }
      const through = bind.hostPath === socket ? `the Docker socket ${socket}` : `${bind.hostPath} (which contains the Docker socket ${socket})`;
      if (!allowed) {
        reportViolation(
          `${name} binds ${through} (${bind.property} → ${bind.containerPath}): the Docker API is root on the host; only allowlisted components may see it, with a reason.`,
        );
      } else if (!bind.readOnly) {
        reportViolation(`${name} mounts ${through} read-write (${bind.property} → ${bind.containerPath}): mount it with readOnly = true.`);
      }
    }
  }),
};
