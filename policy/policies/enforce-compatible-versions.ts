import type { StackValidationPolicy } from "@pulumi/policy";
import { checkCompatibility, COMPATIBILITY_RULES, toVersionSet, type ComponentId } from "../../catalog";
import { containerPins } from "../lib/stack";
import { policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    exceptions: {
      type: "array",
      description: `Catalog compatibility rules to skip, each with the reason (rules: ${COMPATIBILITY_RULES.map((r) => r.id).join(", ")}).`,
      items: {
        type: "object",
        properties: { rule: { type: "string", enum: COMPATIBILITY_RULES.map((r) => r.id) }, reason: { type: "string", minLength: 1 } },
        required: ["rule", "reason"],
      },
      default: [],
    },
  },
});

export const enforceCompatibleVersions: StackValidationPolicy = {
  name: "enforce-compatible-versions",
  description:
    "The versions a stack pins satisfy the catalog's compatibility rules (Loki and Promtail, NetBird servers, Zitadel and PostgreSQL, Grafana and Loki).",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const { exceptions } = settingsOf(args, configSchema);
    const skipped = new Set(exceptions.map((e) => e.rule));
    const tags: Partial<Record<ComponentId, string>> = {};
    for (const pin of containerPins(args.resources)) {
      if (pin.tag === undefined) {
        continue;
      }
      const seen = tags[pin.component];
      if (seen !== undefined && seen !== pin.tag) {
        reportViolation(`${pin.component} runs two versions in one stack (${seen} and ${pin.tag}): one component, one pin.`, pin.resource.urn);
        continue;
      }
      tags[pin.component] = pin.tag;
    }
    // Tags that do not fit their scheme are enforce-canonical-repository's finding; the rest are checked here.
    const { versions } = toVersionSet(tags);
    for (const violation of checkCompatibility(versions)) {
      if (!skipped.has(violation.rule)) {
        reportViolation(`${violation.message} (rule ${violation.rule})`);
      }
    }
  },
};
