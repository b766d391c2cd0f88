import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY, NETDATA_DOCS } from "../lib/exceptions";
import { displayName, recordOf, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

interface CapabilityException {
  readonly component: string;
  readonly capabilities: readonly string[];
  readonly reason: string;
}

export const CAPABILITY_EXCEPTIONS: readonly CapabilityException[] = [
  {
    component: "netdata",
    capabilities: ["SYS_PTRACE"],
    reason: `apps.plugin and local-listeners read other processes' details (${NETDATA_DOCS}, "Privileges": SYS_PTRACE).`,
  },
];

const configSchema = policySchema({
  properties: {
    dangerous: {
      type: "array",
      items: { type: "string" },
      description: "Capabilities that amount to host access (any spelling: SYS_ADMIN, sys_admin, CAP_SYS_ADMIN).",
      default: [
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_PTRACE",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "SYS_TIME",
        "DAC_READ_SEARCH",
        "DAC_OVERRIDE",
        "BPF",
        "PERFMON",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "NET_RAW",
        "SYSLOG",
        "SETFCAP",
      ],
    },
    allowed: allowedProperty("Per component, the dangerous capabilities it may add and why.", { capabilities: { type: "array", items: { type: "string" } } }, [
      "capabilities",
    ]),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

/** Docker's own normalisation (upper case, optional CAP_ prefix), plus surrounding blanks. */
export const normaliseCapability = (capability: string): string => capability.trim().toUpperCase().replace(/^CAP_/, "");

export const disallowDangerousCapabilities: ResourceValidationPolicy = {
  name: "disallow-dangerous-capabilities",
  description:
    "No container adds a dangerous Linux capability (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL, …, in any spelling) unless allowlisted for its component with a reason (by default Netdata's SYS_PTRACE).",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const adds = recordOf(props["capabilities"])["adds"];
    if (!Array.isArray(adds)) {
      return;
    }
    const dangerousSet = new Set(settings.dangerous.map(normaliseCapability));
    const permitted = new Set(
      exceptionsOf(CAPABILITY_EXCEPTIONS, settings)
        .filter((a) => a.component === component)
        .flatMap((a) => a.capabilities.map(normaliseCapability)),
    );
    const refused = [...new Set(adds.map((c) => normaliseCapability(String(c))))].filter((c) => dangerousSet.has(c) && !permitted.has(c));
    if (refused.length > 0) {
      reportViolation(
        `${displayName(props, args.name)} adds dangerous capabilit${refused.length === 1 ? "y" : "ies"} ${refused.join(", ")}, not allowlisted for ${component ?? "an unlabelled container"}.`,
      );
    }
  }),
};
