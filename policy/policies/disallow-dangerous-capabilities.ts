import type { ResourceValidationPolicy } from "@pulumi/policy";
import { requireType } from "../lib/applies";
import { componentOf, displayName, recordOf, TYPES } from "../lib/resources";
import { settingsOf } from "../lib/settings";

interface Settings {
  dangerous: string[];
  allowed: { component: string; capabilities: string[]; reason: string }[];
}

const configSchema = {
  properties: {
    dangerous: {
      type: "array",
      items: { type: "string" },
      description: "Capabilities that amount to host access (names without the CAP_ prefix).",
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
      ],
    },
    allowed: {
      type: "array",
      description: "Per component, the dangerous capabilities it may add and why.",
      items: {
        type: "object",
        properties: { component: { type: "string" }, capabilities: { type: "array", items: { type: "string" } }, reason: { type: "string", minLength: 1 } },
        required: ["component", "capabilities", "reason"],
      },
      default: [
        {
          component: "netdata",
          capabilities: ["SYS_PTRACE", "SYS_ADMIN"],
          reason: "Netdata reads other processes' metrics (SYS_PTRACE) and cgroup/namespace details (SYS_ADMIN); learn.netdata.cloud Docker install docs.",
        },
      ],
    },
  },
} as const;

const normalise = (capability: string): string => capability.toUpperCase().replace(/^CAP_/, "");

export const disallowDangerousCapabilities: ResourceValidationPolicy = {
  name: "disallow-dangerous-capabilities",
  description:
    "No container adds a dangerous Linux capability (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, …) unless policy config allowlists it for that component with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema as never,
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const { dangerous, allowed } = settingsOf<Settings>(args, configSchema as never);
    const adds = recordOf(args.props["capabilities"])["adds"];
    if (!Array.isArray(adds)) {
      return;
    }
    const component = componentOf(args.props);
    const dangerousSet = new Set(dangerous.map(normalise));
    const permitted = new Set(allowed.filter((a) => a.component === component).flatMap((a) => a.capabilities.map(normalise)));
    const refused = adds.map((c) => normalise(String(c))).filter((c) => dangerousSet.has(c) && !permitted.has(c));
    if (refused.length > 0) {
      reportViolation(
        `${displayName(args.props, args.name)} adds dangerous capabilit${refused.length === 1 ? "y" : "ies"} ${refused.join(", ")}, not allowlisted for ${component ?? "an unlabelled container"}.`,
      );
    }
  },
};
