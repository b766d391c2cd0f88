import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG, formatImageReference, LABEL } from "../../catalog";
import { imageUsesOf, isUnknown, labelsOf, scalarText, TYPES } from "../lib/resources";
import { containerPins, propsOf, type StackResource } from "../lib/stack";

/**
 * What a container runs is its `image` input, not its labels: the RemoteImage (or local build) next to it can be
 * pinned while `image` names something else. Accepted: the pinned reference itself, or the pinned RemoteImage's
 * id / a build on the pinned base (by value; in a preview, where the id is unknown, by the property's dependency).
 */
export const requirePinnedContainerImage: StackValidationPolicy = {
  name: "require-pinned-container-image",
  description:
    "Every container's image input is its component's pinned reference (registry/repository:tag@digest), the id of the stack's RemoteImage of that reference, or a build on that pinned base.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const resources = args.resources as readonly StackResource[];
    // Images that are the pin of a reference: RemoteImage name → its id values, Image BASE_IMAGE → its names.
    const byReference = new Map<string, { urns: Set<string>; values: Set<string> }>();
    for (const r of resources) {
      if (r.type !== TYPES.remoteImage && r.type !== TYPES.image) {
        continue;
      }
      const props = propsOf(r);
      for (const use of imageUsesOf(r.type, props)) {
        const entry = byReference.get(use.reference) ?? { urns: new Set<string>(), values: new Set<string>() };
        entry.urns.add(r.urn);
        const values = r.type === TYPES.remoteImage ? [props["name"], props["imageId"], props["repoDigest"]] : [props["imageName"], props["repoDigest"]];
        for (const v of values) if (typeof v === "string" && v !== "" && !isUnknown(v)) entry.values.add(v);
        byReference.set(use.reference, entry);
      }
    }
    for (const pin of containerPins(resources)) {
      const props = propsOf(pin.resource);
      const image = props["image"];
      const labels = labelsOf(props);
      const entry = CATALOG[pin.component];
      if (pin.digest === undefined) {
        continue; // require-image-digest reports the missing label
      }
      // A build's container carries the build's version label; its base pin is what the Image resource names.
      const pinned = [...byReference.keys()].filter((reference) => {
        const tagged = pin.tag !== undefined && reference === formatImageReference(entry.registry, entry.repository, { tag: pin.tag, digest: pin.digest! });
        return tagged || (reference.startsWith(`${entry.registry}/${entry.repository}:`) && reference.endsWith(`@${pin.digest}`));
      });
      const expected = pin.tag !== undefined ? formatImageReference(entry.registry, entry.repository, { tag: pin.tag, digest: pin.digest }) : undefined;
      const dependencies = (pin.resource.propertyDependencies?.["image"] ?? []).map((d) => d.urn);
      const accepted = isUnknown(image)
        ? dependencies.length > 0 && dependencies.every((urn) => pinned.some((ref) => byReference.get(ref)!.urns.has(urn)))
        : typeof image === "string" && (image === expected || pinned.some((ref) => byReference.get(ref)!.values.has(image)));
      if (!accepted) {
        const shown = isUnknown(image)
          ? `an unknown value from ${dependencies.length > 0 ? dependencies.join(", ") : "no pinned image"}`
          : JSON.stringify(scalarText(image));
        reportViolation(
          `${scalarText(props["name"]) || pin.resource.name} runs image ${shown}, not the pinned ${CATALOG[pin.component].title} ${labels[LABEL.version] ?? ""} @ ${pin.digest}: set image to the pinned RemoteImage's imageId (or the pinned reference).`,
          pin.resource.urn,
        );
      }
    }
  },
};
