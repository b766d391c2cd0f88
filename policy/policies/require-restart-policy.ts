import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { displayName, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    allowed: { type: "array", items: { type: "string" }, description: "Accepted Docker restart policies.", default: ["unless-stopped", "always"] },
  },
});

export const requireRestartPolicy: ResourceValidationPolicy = {
  name: "require-restart-policy",
  description: "Every container has a restart policy that brings it back after a crash or a host reboot.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const { allowed } = settingsOf(args, configSchema);
    const restart: unknown = props["restart"];
    if (typeof restart !== "string" || !allowed.includes(restart)) {
      reportViolation(`${displayName(props, args.name)} has restart policy ${JSON.stringify(restart ?? "no")}: expected one of ${allowed.join(", ")}.`);
    }
  }),
};
