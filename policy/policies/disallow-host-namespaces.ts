import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY, NETDATA_DOCS } from "../lib/exceptions";
import { displayName, scalarText, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

const NAMESPACES = ["networkMode", "pidMode", "ipcMode", "usernsMode"] as const;
type Namespace = (typeof NAMESPACES)[number];

interface NamespaceException {
  component: string;
  namespace: Namespace;
  reason: string;
}

export const NAMESPACE_EXCEPTIONS: readonly NamespaceException[] = [
  {
    component: "netdata",
    namespace: "pidMode",
    reason: `cgroups.plugin maps container network interfaces through the host PID namespace (${NETDATA_DOCS}, "Privileges": host PID mode).`,
  },
];

const configSchema = policySchema({
  properties: {
    allowed: allowedProperty("Host namespaces a component may join, each with the reason.", { namespace: { type: "string", enum: [...NAMESPACES] } }, [
      "namespace",
    ]),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const disallowHostNamespaces: ResourceValidationPolicy = {
  name: "disallow-host-namespaces",
  description:
    'No container joins a host namespace (networkMode, pidMode, ipcMode or usernsMode "host") unless allowlisted with a reason (by default Netdata\'s host PID mode).',
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const allowed = exceptionsOf(NAMESPACE_EXCEPTIONS, settings);
    for (const namespace of NAMESPACES) {
      const mode = scalarText(props[namespace]).trim().toLowerCase();
      if (mode === "host" && !allowed.some((a) => a.component === component && a.namespace === namespace)) {
        reportViolation(
          `${displayName(props, args.name)} sets ${namespace} "host": it shares the host's ${namespace.replace("Mode", "")} namespace. Remove it, or allowlist it for ${component ?? "this container"} with a reason.`,
        );
      }
    }
  }),
};
