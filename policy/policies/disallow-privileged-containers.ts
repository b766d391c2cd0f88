import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { componentOf, displayName, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";
import { allowedProperty } from "../lib/exceptions";

const configSchema = policySchema({
  properties: {
    allowed: allowedProperty("Components that may run privileged (none by default), each with the reason.", {}, []),
  },
});

export const disallowPrivilegedContainers: ResourceValidationPolicy = {
  name: "disallow-privileged-containers",
  description: "No container runs privileged, unless its component is allowlisted in policy config with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    if (props["privileged"] !== true) {
      return;
    }
    const { allowed } = settingsOf(args, configSchema);
    const component = componentOf(props);
    if (!allowed.some((a) => a.component === component)) {
      reportViolation(`${displayName(props, args.name)} runs privileged (full access to the host): drop privileged and add only the capabilities it needs.`);
    }
  }),
};
