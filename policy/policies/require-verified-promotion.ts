import * as path from "node:path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG } from "../../catalog";
import { gateStatus, readPromotionRecord, DEFAULT_RECORD_FILE } from "../../config/promotion-record";
import { recordOf, TYPES } from "../lib/resources";
import { PACK_PARENT, settingsOf } from "../lib/settings";
import { containerPins } from "../lib/stack";

interface Settings {
  recordFile: string;
  verifiedOn: string;
  targetStack: string;
}

const configSchema = {
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
} as const;

/** Digests per component from the verifying stack's StackReference outputs (`images.<component>.digest`). */
function referencedDigests(resources: readonly { type: string; props: Record<string, unknown> }[], verifiedOn: string): Map<string, Set<string>> {
  const digests = new Map<string, Set<string>>();
  for (const r of resources) {
    const name = r.props["name"];
    if (r.type !== TYPES.stackReference || typeof name !== "string" || (name !== verifiedOn && !name.endsWith(`/${verifiedOn}`))) {
      continue;
    }
    for (const [component, image] of Object.entries(recordOf(recordOf(r.props["outputs"])["images"]))) {
      const digest = recordOf(image)["digest"];
      if (typeof digest === "string") {
        digests.set(component, (digests.get(component) ?? new Set()).add(digest));
      }
    }
  }
  return digests;
}

export const requireVerifiedPromotion: StackValidationPolicy = {
  name: "require-verified-promotion",
  description:
    "Every image digest of the protected stack was run and verified healthy on the verifying stack, or belongs to the protected stack's adoption baseline.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const settings = settingsOf<Settings>(args, configSchema);
    const file = path.resolve(PACK_PARENT, settings.recordFile);
    const record = readPromotionRecord(file);
    const fromReference = referencedDigests(args.resources, settings.verifiedOn);
    for (const pin of containerPins(args.resources)) {
      if (pin.digest === undefined) {
        continue; // require-image-digest reports a container without a digest
      }
      if (fromReference.get(pin.component)?.has(pin.digest)) {
        continue;
      }
      const gate = gateStatus(record, pin.component, pin.digest, settings.verifiedOn, settings.targetStack);
      if (gate.status === "unverified") {
        reportViolation(
          `${CATALOG[pin.component].title} ${pin.tag ?? "(no tag)"} @ ${pin.digest} was never run and verified on ${settings.verifiedOn}: not in ${settings.verifiedOn}'s stack outputs nor in ${path.basename(file)} (verified on ${settings.verifiedOn} or adopted by ${settings.targetStack}). Roll it out on ${settings.verifiedOn} first, then promote it.`,
          pin.resource.urn,
        );
      }
    }
  },
};
