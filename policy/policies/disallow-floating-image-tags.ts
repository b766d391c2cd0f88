import type { ResourceValidationPolicy } from "@pulumi/policy";
import { FLOATING_TAGS, LABEL, parseImageReference } from "../../catalog";
import { requireType } from "../lib/applies";
import { imageUsesOf, labelsOf, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    floatingTags: {
      type: "array",
      items: { type: "string" },
      description: "Tags that move with every release and are never a pin (compared case-insensitively).",
      default: [...FLOATING_TAGS],
    },
  },
});

export const disallowFloatingImageTags: ResourceValidationPolicy = {
  name: "disallow-floating-image-tags",
  description: "Every image reference names a fixed release tag, never a missing or floating tag such as latest, stable, edge or nightly.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.remoteImage, TYPES.image, TYPES.container]);
    const props = plainProps(args.props);
    const { floatingTags } = settingsOf(args, configSchema);
    const floating = new Set(floatingTags.map((t) => t.toLowerCase()));
    for (const use of imageUsesOf(args.type, props)) {
      const tag = parseImageReference(use.reference).tag;
      if (tag === undefined || tag === "") {
        reportViolation(`Image ${use.reference} (${use.property}) has no tag: pin a release tag and its digest.`);
      } else if (floating.has(tag.toLowerCase())) {
        reportViolation(`Image ${use.reference} (${use.property}) uses the floating tag "${tag}": pin a release tag and its digest.`);
      }
    }
    if (args.type === TYPES.container) {
      const version = labelsOf(props)[LABEL.version];
      if (version !== undefined && floating.has(version.toLowerCase())) {
        reportViolation(`Label ${LABEL.version}="${version}" is a floating tag: pin a release tag and its digest.`);
      }
    }
  },
};
