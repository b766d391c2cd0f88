import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DIGEST_PATTERN, LABEL, parseImageReference } from "../../catalog";
import { requireType } from "../lib/applies";
import { imageUsesOf, labelsOf, TYPES, plainProps } from "../lib/resources";

const EXPECTED = "sha256: followed by 64 lower-case hex digits";

export const requireImageDigest: ResourceValidationPolicy = {
  name: "require-image-digest",
  description: "Every image reference is pinned by its content digest, @sha256: followed by 64 lower-case hex digits.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.remoteImage, TYPES.image, TYPES.container]);
    const props = plainProps(args.props);
    for (const use of imageUsesOf(args.type, props)) {
      const digest = parseImageReference(use.reference).digest;
      if (digest === undefined) {
        reportViolation(`Image ${use.reference} (${use.property}) has no digest: append @sha256:<64 lower-case hex digits> (the multi-arch index digest).`);
      } else if (!DIGEST_PATTERN.test(digest)) {
        reportViolation(`Image ${use.reference} (${use.property}) has digest "${digest}", which is not ${EXPECTED}.`);
      }
    }
    if (args.type === TYPES.container) {
      const labels = labelsOf(props);
      const digest = labels[LABEL.digest];
      if (labels[LABEL.component] !== undefined && digest === undefined) {
        reportViolation(`Label ${LABEL.digest} is missing: every myoci container records the digest it runs.`);
      } else if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
        reportViolation(`Label ${LABEL.digest}="${digest}" is not ${EXPECTED}.`);
      }
    }
  },
};
