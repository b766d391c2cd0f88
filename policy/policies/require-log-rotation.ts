import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { displayName, recordOf, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    rotatingDrivers: {
      type: "array",
      items: { type: "string" },
      description: "Log drivers that need max-size and max-file options (other drivers, e.g. journald, rotate elsewhere).",
      default: ["json-file", "local"],
    },
  },
});

export const requireLogRotation: ResourceValidationPolicy = {
  name: "require-log-rotation",
  description: "Every container's logs rotate (a file log driver with max-size and max-file), so logs cannot fill the disk.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const { rotatingDrivers } = settingsOf(args, configSchema);
    const name = displayName(props, args.name);
    const driver: unknown = props["logDriver"];
    if (typeof driver !== "string" || driver === "") {
      reportViolation(`${name} has no log driver set: set logDriver "json-file" with logOpts max-size and max-file.`);
      return;
    }
    if (!rotatingDrivers.includes(driver)) {
      return;
    }
    const opts = recordOf(props["logOpts"]);
    const missing = ["max-size", "max-file"].filter((key) => typeof opts[key] !== "string" || opts[key] === "");
    if (missing.length > 0) {
      reportViolation(`${name} logs with ${driver} without ${missing.join(" and ")}: its logs would grow without bound.`);
    }
  }),
};
