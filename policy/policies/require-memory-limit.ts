import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { displayName, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({
  properties: { minimumMb: { type: "integer", minimum: 1, description: "Smallest memory limit (MiB) accepted.", default: 16 } },
});

export const requireMemoryLimit: ResourceValidationPolicy = {
  name: "require-memory-limit",
  description: "Every container has a memory limit, so one service cannot exhaust the host's memory.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const { minimumMb } = settingsOf(args, configSchema);
    const memory: unknown = props["memory"];
    const name = displayName(props, args.name);
    if (typeof memory !== "number" || memory <= 0) {
      reportViolation(`${name} has no memory limit: set memory (MiB; the catalog's memoryMb by default).`);
    } else if (memory < minimumMb) {
      reportViolation(`${name} has a memory limit of ${memory} MiB, below the minimum of ${minimumMb} MiB.`);
    }
  }),
};
