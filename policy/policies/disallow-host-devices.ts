import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY } from "../lib/exceptions";
import { normaliseHostPath } from "../lib/mounts";
import { arrayOf, displayName, scalarText, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    allowed: allowedProperty("Host devices a component may use, each with the reason.", { hostPath: { type: "string", minLength: 1 } }, ["hostPath"]),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const disallowHostDevices: ResourceValidationPolicy = {
  name: "disallow-host-devices",
  description: "No container is given a host device (devices, e.g. /dev/mem or /dev/sda) unless allowlisted for its component with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const allowed = exceptionsOf([], settings)
      .filter((a) => a.component === component)
      .map((a) => normaliseHostPath(a.hostPath));
    for (const device of arrayOf(props["devices"])) {
      const hostPath = normaliseHostPath(scalarText(device["hostPath"]));
      if (!allowed.includes(hostPath)) {
        reportViolation(
          `${displayName(props, args.name)} is given the host device ${hostPath}${device["containerPath"] ? ` (as ${scalarText(device["containerPath"])})` : ""}: raw device access bypasses the container's isolation. Remove it, or allowlist it with a reason.`,
        );
      }
    }
  }),
};
