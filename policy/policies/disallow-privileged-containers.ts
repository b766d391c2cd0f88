import type { ResourceValidationPolicy } from "@pulumi/policy";
import { requireType } from "../lib/applies";
import { componentOf, displayName, TYPES } from "../lib/resources";
import { settingsOf } from "../lib/settings";

interface Settings {
  allowed: { component: string; reason: string }[];
}

const configSchema = {
  properties: {
    allowed: {
      type: "array",
      description: "Components that may run privileged, each with the reason.",
      items: { type: "object", properties: { component: { type: "string" }, reason: { type: "string", minLength: 1 } }, required: ["component", "reason"] },
      default: [],
    },
  },
} as const;

export const disallowPrivilegedContainers: ResourceValidationPolicy = {
  name: "disallow-privileged-containers",
  description: "No container runs privileged, unless its component is allowlisted in policy config with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema as never,
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    if (args.props["privileged"] !== true) {
      return;
    }
    const { allowed } = settingsOf<Settings>(args, configSchema as never);
    const component = componentOf(args.props);
    if (!allowed.some((a) => a.component === component)) {
      reportViolation(
        `${displayName(args.props, args.name)} runs privileged (full access to the host): drop privileged and add only the capabilities it needs.`,
      );
    }
  },
};
