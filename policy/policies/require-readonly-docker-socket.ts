import type { ResourceValidationPolicy } from "@pulumi/policy";
import { requireType } from "../lib/applies";
import { arrayOf, displayName, TYPES } from "../lib/resources";
import { settingsOf } from "../lib/settings";

interface Settings {
  socketPaths: string[];
}

const configSchema = {
  properties: {
    socketPaths: {
      type: "array",
      items: { type: "string" },
      description: "Host paths of the Docker (or Podman) API socket.",
      default: ["/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock"],
    },
  },
} as const;

export const requireReadonlyDockerSocket: ResourceValidationPolicy = {
  name: "require-readonly-docker-socket",
  description: "A container that mounts the Docker socket mounts it read-only, never read-write.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const { socketPaths } = settingsOf<Settings>(args, configSchema);
    for (const mount of arrayOf(args.props["volumes"])) {
      const hostPath = mount["hostPath"];
      if (typeof hostPath === "string" && socketPaths.includes(hostPath) && mount["readOnly"] !== true) {
        reportViolation(
          `${displayName(args.props, args.name)} mounts the Docker socket ${hostPath} read-write at ${String(mount["containerPath"])}: mount it with readOnly = true.`,
        );
      }
    }
  },
};
