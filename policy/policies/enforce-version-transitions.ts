import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG, checkTransition, classifyChange, LABEL, parseTag, TRANSITION_RULES, type ComponentId, type ImagePin, type VersionSet } from "../../catalog";
import { DEFAULT_RECORD_FILE } from "../../config/promotion-record";
import { COMPONENT_PROPERTY } from "../lib/exceptions";
import { promotionRecordAt } from "../lib/records";
import { labelsOf, TYPES } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";
import { pinnedImages, propsOf, stackNameOf, type StackResource } from "../lib/stack";

const configSchema = policySchema({
  properties: {
    recordFile: {
      type: "string",
      description: "Promotion record whose latest entries for this stack are its previous deployment (relative to the repository root).",
      default: DEFAULT_RECORD_FILE,
    },
    acknowledgedDowngrades: {
      type: "array",
      description: "Downgrades made on purpose: component, previous tag, new tag and why.",
      items: {
        type: "object",
        properties: {
          component: COMPONENT_PROPERTY,
          from: { type: "string", minLength: 1 },
          to: { type: "string", minLength: 1 },
          reason: { type: "string", minLength: 1 },
        },
        required: ["component", "from", "to", "reason"],
      },
      default: [],
    },
  },
});

/** Per component, the pin of the stack's latest recorded deployment (promotion record, later entries win). */
function previousPins(file: string, stack: string): Partial<Record<ComponentId, ImagePin & { recordedAt: string }>> {
  const previous: Partial<Record<ComponentId, ImagePin & { recordedAt: string }>> = {};
  const entries = [...promotionRecordAt(file).entries].filter((e) => e.stack === stack).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  for (const entry of entries) {
    for (const [component, pin] of Object.entries(entry.images) as [ComponentId, ImagePin][]) {
      previous[component] = { ...pin, recordedAt: entry.recordedAt };
    }
  }
  return previous;
}

export const enforceVersionTransitions: StackValidationPolicy = {
  name: "enforce-version-transitions",
  description: `Every pin moves from the stack's previous deployment (its latest promotion-record entries) only as the catalog allows: no downgrade without an acknowledgement, and the transition rules (${TRANSITION_RULES.map((r) => r.id).join(", ")}).`,
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const settings = settingsOf(args, configSchema);
    const resources = args.resources as readonly StackResource[];
    const stack = stackNameOf(resources);
    if (stack === undefined) {
      return;
    }
    const previous = previousPins(settings.recordFile, stack);
    const from: VersionSet = {};
    const to: VersionSet = {};
    for (const pin of pinnedImages(resources)) {
      const before = previous[pin.component];
      const scheme = CATALOG[pin.component].tagScheme;
      const next = parseTag(pin.tag, scheme);
      const last = before === undefined ? undefined : parseTag(before.tag, scheme);
      if (!next.ok || last === undefined || !last.ok) {
        continue; // no history for it, or a tag outside the scheme (enforce-canonical-repository)
      }
      from[pin.component] = last.tag;
      to[pin.component] = next.tag;
      const acknowledged = settings.acknowledgedDowngrades.some((a) => a.component === pin.component && a.from === before!.tag && a.to === pin.tag);
      if (classifyChange(last.tag, next.tag) === "downgrade" && !acknowledged) {
        reportViolation(
          `${CATALOG[pin.component].title} ${before!.tag} → ${pin.tag} is a downgrade from stack ${stack}'s previous deployment (${settings.recordFile}, ${before!.recordedAt}): acknowledge it in policy config (acknowledgedDowngrades, with a reason) if it is intended.`,
          pin.resource.urn,
        );
      }
    }
    // A PostgreSQL major change is allowed when the container declares the matching migration.
    const postgres = resources.find((r) => r.type === TYPES.container && labelsOf(propsOf(r))[LABEL.component] === "postgres");
    const declared = postgres === undefined ? undefined : labelsOf(propsOf(postgres))[LABEL.postgresMigration];
    const migration = from.postgres && to.postgres ? `${from.postgres.numbers[0]}->${to.postgres.numbers[0]}` : undefined;
    for (const violation of checkTransition(from, to, { postgresMigration: declared !== undefined && declared === migration })) {
      reportViolation(`${violation.message} (stack ${stack}, from its previous deployment in ${settings.recordFile}; rule ${violation.rule})`);
    }
  },
};
