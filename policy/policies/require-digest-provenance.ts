import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG } from "../../catalog";
import { originOf, PROVENANCE_FILE } from "../../config/provenance";
import { provenanceAt } from "../lib/records";
import { policySchema, settingsOf } from "../lib/settings";
import { pinnedImages } from "../lib/stack";

const configSchema = policySchema({
  properties: {
    provenanceFile: {
      type: "string",
      description: "Provenance record written by myoci pin/promote/rollout (config/provenance.ts), relative to the repository root.",
      default: PROVENANCE_FILE,
    },
  },
});

export const requireDigestProvenance: StackValidationPolicy = {
  name: "require-digest-provenance",
  description:
    "Every pinned tag + digest pair has a provenance record of where it came from (a registry resolution by myoci pin, promote or rollout, or the reference-file seed), so a hand-typed digest no tool ever resolved is refused.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const { provenanceFile } = settingsOf(args, configSchema);
    const records = provenanceAt(provenanceFile);
    const seen = new Set<string>();
    for (const pin of pinnedImages(args.resources)) {
      const key = `${pin.component} ${pin.tag} ${pin.digest}`;
      if (seen.has(key) || originOf(records, pin.component, pin.tag, pin.digest) !== undefined) {
        continue;
      }
      seen.add(key);
      const sameDigest = records.find((r) => r.digest === pin.digest);
      const hint = sameDigest ? ` (${provenanceFile} records this digest for ${sameDigest.component} ${sameDigest.tag})` : "";
      reportViolation(
        `${CATALOG[pin.component].title} ${pin.tag} @ ${pin.digest} has no provenance in ${provenanceFile}${hint}: no tool resolved this pair. Pin it with npx myoci pin ${pin.component} ${pin.tag} (which resolves the digest from the registry and records it).`,
        pin.resource.urn,
      );
    }
  },
};
