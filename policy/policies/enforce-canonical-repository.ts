import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG, FLOATING_TAGS, parseImageReference, parseTag } from "../../catalog";
import { stackImageUses } from "../lib/stack";

export const enforceCanonicalRepository: StackValidationPolicy = {
  name: "enforce-canonical-repository",
  description: "Every image comes from its component's canonical registry and repository in the catalog, with a tag that fits the component's tag scheme.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const use of stackImageUses(args.resources)) {
      const ref = parseImageReference(use.reference);
      const source = `${ref.registry}/${ref.repository}`;
      if (use.component === undefined) {
        reportViolation(
          `Image ${use.reference} (${use.resource.name}.${use.property}) is not from a catalog repository: ${source} belongs to no component.`,
          use.resource.urn,
        );
        continue;
      }
      const entry = CATALOG[use.component];
      const canonical = `${entry.registry}/${entry.repository}`;
      if (source !== canonical) {
        reportViolation(
          `Image ${use.reference} (${use.resource.name}.${use.property}) runs ${entry.title} from ${source}, but the catalog's canonical repository for ${use.component} is ${canonical}.`,
          use.resource.urn,
        );
        continue;
      }
      // A missing or floating tag is disallow-floating-image-tags' finding; here only real tags are judged.
      if (ref.tag !== undefined && ref.tag !== "" && !FLOATING_TAGS.includes(ref.tag.toLowerCase())) {
        const parsed = parseTag(ref.tag, entry.tagScheme);
        if (!parsed.ok) {
          reportViolation(`Image ${use.reference} (${use.resource.name}.${use.property}): ${parsed.reason}.`, use.resource.urn);
        }
      }
    }
  },
};
