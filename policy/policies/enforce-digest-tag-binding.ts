import * as path from "node:path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { CATALOG } from "../../catalog";
import { DEFAULT_RECORD_FILE } from "../../config/promotion-record";
import { PROVENANCE_FILE } from "../../config/provenance";
import { COMPONENT_PROPERTY } from "../lib/exceptions";
import { committedStackPins, promotionRecordAt, provenanceAt } from "../lib/records";
import { recordOf, TYPES } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";
import { pinnedImages, propsOf, stackNameOf, type PinnedImage, type StackResource } from "../lib/stack";

const configSchema = policySchema({
  properties: {
    recordFile: { type: "string", description: "Promotion record, relative to the repository root.", default: DEFAULT_RECORD_FILE },
    provenanceFile: { type: "string", description: "Provenance record, relative to the repository root.", default: PROVENANCE_FILE },
    stackFiles: {
      type: "string",
      description: "Folder (relative to the repository root) whose Pulumi.<stack>.yaml files hold the other stacks' pins.",
      default: ".",
    },
    aliases: {
      type: "array",
      description: "Tags of one component that name the same image (one digest, several tags), each set with the reason.",
      items: {
        type: "object",
        properties: {
          component: COMPONENT_PROPERTY,
          tags: { type: "array", items: { type: "string" }, minItems: 2 },
          reason: { type: "string", minLength: 1 },
        },
        required: ["component", "tags", "reason"],
      },
      default: [],
    },
  },
});

interface Binding {
  readonly component: string;
  readonly tag: string;
  readonly where: string;
}

export const enforceDigestTagBinding: StackValidationPolicy = {
  name: "enforce-digest-tag-binding",
  description:
    "A digest is pinned for one component and one tag only: not for two components, and not for a tag other than the one the project knows it by (other stacks' pins, the promotion record, the provenance record, stack references).",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateStack: (args, reportViolation) => {
    const settings = settingsOf(args, configSchema);
    const resources = args.resources as readonly StackResource[];
    const stack = stackNameOf(resources);
    const known = new Map<string, Binding[]>();
    const know = (digest: string, binding: Binding) => known.set(digest, [...(known.get(digest) ?? []), binding]);
    for (const [name, pins] of committedStackPins(settings.stackFiles)) {
      if (name === stack) continue;
      for (const [component, pin] of Object.entries(pins))
        know(pin.digest, { component, tag: pin.tag, where: path.join(settings.stackFiles, `Pulumi.${name}.yaml`) });
    }
    for (const entry of promotionRecordAt(settings.recordFile).entries) {
      for (const [component, pin] of Object.entries(entry.images)) {
        know(pin.digest, { component, tag: pin.tag, where: `${settings.recordFile} (${entry.kind} ${entry.stack} ${entry.recordedAt})` });
      }
    }
    for (const record of provenanceAt(settings.provenanceFile)) {
      know(record.digest, { component: record.component, tag: record.tag, where: `${settings.provenanceFile} (${record.tool} ${record.resolvedAt})` });
    }
    for (const r of resources.filter((x) => x.type === TYPES.stackReference)) {
      for (const [component, image] of Object.entries(recordOf(recordOf(propsOf(r)["outputs"])["images"]))) {
        const { tag, digest } = recordOf(image);
        if (typeof tag === "string" && typeof digest === "string") know(digest, { component, tag, where: `stack reference ${String(propsOf(r)["name"])}` });
      }
    }
    const aliased = (component: string, a: string, b: string) =>
      settings.aliases.some((x) => x.component === component && x.tags.includes(a) && x.tags.includes(b));
    const pins = pinnedImages(resources);
    const byDigest = new Map<string, PinnedImage[]>();
    for (const pin of pins) byDigest.set(pin.digest, [...(byDigest.get(pin.digest) ?? []), pin]);
    const reported = new Set<string>();
    for (const pin of pins) {
      const title = `${CATALOG[pin.component].title} ${pin.tag} @ ${pin.digest}`;
      const others = byDigest.get(pin.digest)!.filter((p) => p.component !== pin.component);
      if (others.length > 0 && !reported.has(pin.digest)) {
        reported.add(pin.digest);
        reportViolation(
          `${pin.digest} is pinned for ${[pin, ...others].map((p) => `${p.component} ${p.tag}`).join(" and ")}: one digest is one image, so at least one of these pins is wrong.`,
          pin.resource.urn,
        );
      }
      const conflicts = (known.get(pin.digest) ?? []).filter(
        (b) => b.component !== pin.component || (b.tag !== pin.tag && !aliased(pin.component, b.tag, pin.tag)),
      );
      const first = conflicts[0];
      if (first !== undefined) {
        reportViolation(
          `${title}: the project knows this digest as ${first.component} ${first.tag} (${first.where}${conflicts.length > 1 ? ` and ${conflicts.length - 1} more` : ""}), not as ${pin.component} ${pin.tag}. A digest of another tag runs another version than the stack says.`,
          pin.resource.urn,
        );
      }
    }
  },
};
