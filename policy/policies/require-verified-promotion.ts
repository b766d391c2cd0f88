import * as path from "node:path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG } from "../../catalog";
import { DEFAULT_RECORD_FILE } from "../../config/promotion-record";
import { promotionRecordAt } from "../lib/records";
import { recordOf, TYPES } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";
import { pinnedImages, propsOf, type StackResource } from "../lib/stack";

const configSchema = policySchema({
  properties: {
    recordFile: {
      type: "string",
      description: "Promotion record, relative to the directory above the policy pack (the repository root).",
      default: DEFAULT_RECORD_FILE,
    },
    verifiedOn: {
      type: "string",
      description: "Stack whose verified digests may be promoted (its StackReference outputs and record entries).",
      default: "staging",
    },
    targetStack: { type: "string", description: "Stack the gate protects; its own adoption baseline in the record is accepted.", default: "prod" },
  },
});

/** `tag@digest` per component from the verifying stack's StackReference outputs (`images.<component>`). */
function referencedPins(resources: readonly StackResource[], verifiedOn: string): Map<string, Set<string>> {
  const digests = new Map<string, Set<string>>();
  for (const r of resources) {
    const props = propsOf(r);
    const name = props["name"];
    if (r.type !== TYPES.stackReference || typeof name !== "string" || (name !== verifiedOn && !name.endsWith(`/${verifiedOn}`))) {
      continue;
    }
    for (const [component, image] of Object.entries(recordOf(recordOf(props["outputs"])["images"]))) {
      const { tag, digest } = recordOf(image);
      if (typeof digest === "string" && typeof tag === "string") {
        digests.set(component, (digests.get(component) ?? new Set()).add(`${tag}@${digest}`));
      }
    }
  }
  return digests;
}

export const requireVerifiedPromotion: StackValidationPolicy = {
  name: "require-verified-promotion",
  description:
    "Every image (component, tag and digest) of the protected stack was run and verified healthy on the verifying stack, or belongs to the protected stack's adoption baseline.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const settings = settingsOf(args, configSchema);
    const file = settings.recordFile;
    const record = promotionRecordAt(file);
    const resources = args.resources as readonly StackResource[];
    const fromReference = referencedPins(resources, settings.verifiedOn);
    const counts = (kind: string, stack: string) => (e: (typeof record.entries)[number]) => e.kind === kind && e.stack === stack;
    const trusted = record.entries.filter((e) => counts("verified", settings.verifiedOn)(e) || counts("adopted", settings.targetStack)(e));
    for (const pin of pinnedImages(resources)) {
      if (fromReference.get(pin.component)?.has(`${pin.tag}@${pin.digest}`)) {
        continue;
      }
      if (trusted.some((e) => e.images[pin.component]?.digest === pin.digest && e.images[pin.component]?.tag === pin.tag)) {
        continue;
      }
      const otherTag = trusted.find((e) => e.images[pin.component]?.digest === pin.digest);
      const why = otherTag
        ? `${path.basename(file)} has this digest for ${pin.component} ${otherTag.images[pin.component]!.tag}, not ${pin.tag}`
        : `not in ${settings.verifiedOn}'s stack outputs nor in ${path.basename(file)} (verified on ${settings.verifiedOn} or adopted by ${settings.targetStack})`;
      reportViolation(
        `${CATALOG[pin.component].title} ${pin.tag} @ ${pin.digest} was never run and verified on ${settings.verifiedOn}: ${why}. Roll it out on ${settings.verifiedOn} first, then promote it.`,
        pin.resource.urn,
      );
    }
  },
};
