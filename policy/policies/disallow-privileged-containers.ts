import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { componentOf, displayName, TYPES, plainProps } from "../lib/resources";
import { settingsOf } from "../lib/settings";
import { allowedProperty } from "../lib/exceptions";

interface Settings {
  allowed: { component: string; reason: string }[];
}

const configSchema = {
  properties: {
    allowed: allowedProperty("Components that may run privileged (none by default), each with the reason.", {}),
  },
} as const;

export const disallowPrivilegedContainers: ResourceValidationPolicy = {
  name: "disallow-privileged-containers",
  description: "No container runs privileged, unless its component is allowlisted in policy config with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema as never,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    if (props["privileged"] !== true) {
      return;
    }
    const { allowed } = settingsOf<Settings>(args, configSchema as never);
    const component = componentOf(props);
    if (!allowed.some((a) => a.component === component)) {
      reportViolation(`${displayName(props, args.name)} runs privileged (full access to the host): drop privileged and add only the capabilities it needs.`);
    }
  }),
};
