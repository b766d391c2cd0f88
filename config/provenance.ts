/**
 * The provenance record (`provenance.yaml`): where every pinned tag + digest pair came from. The one definition of
 * the format, read by the policy pack (require-digest-provenance) and written only through `recordProvenance`,
 * which `myoci pin` (a digest it resolved from the registry), `myoci promote` and `myoci rollout` call.
 *
 * Origins: `registry` — a tool asked the registry (HEAD of the manifest: registry, time, media type when the
 * resolver reports it); `reference-file` — copied from a reference list of published digests (the adoption seed from
 * ../shared/reference/image-digests.tsv), no registry was asked. `promote` records copy a pin from another stack:
 * they say how it moved, not where it came from, so they never count as an origin on their own.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { CATALOG, COMPONENT_IDS, DIGEST_PATTERN, type ComponentId } from "../catalog";
import { writeFileAtomic } from "./atomic-write";
import { ConfigError, issuesFromZod } from "./schema";
import { parseYamlDocument } from "./yaml-file";

export const PROVENANCE_FILE = "provenance.yaml";

export const PROVENANCE_TOOLS = ["pin", "promote", "rollout", "seed"] as const;
export const PROVENANCE_ORIGINS = ["registry", "reference-file", "stack"] as const;

const recordSchema = z.strictObject({
  component: z.enum(COMPONENT_IDS, { error: "expected a known component" }),
  tag: z.string().min(1),
  digest: z.string().regex(DIGEST_PATTERN, { error: "expected sha256: followed by 64 lower-case hex digits" }),
  /** How the digest was obtained. */
  origin: z.enum(PROVENANCE_ORIGINS, { error: `expected one of ${PROVENANCE_ORIGINS.join(", ")}` }),
  tool: z.enum(PROVENANCE_TOOLS, { error: `expected one of ${PROVENANCE_TOOLS.join(", ")}` }),
  /** The registry asked (origin registry), e.g. docker.io. */
  registry: z.string().min(1).optional(),
  repository: z.string().min(1),
  /** Manifest media type the registry answered, when the resolver reports it. */
  mediaType: z.string().min(1).optional(),
  /** ISO 8601 UTC time of the resolution (or of the seed). */
  resolvedAt: z.iso.datetime({ error: "expected an ISO 8601 UTC time such as 2026-11-25T00:00:00Z" }),
  /** The reference file (origin reference-file) or the source stack (origin stack). */
  source: z.string().min(1).optional(),
  note: z.string().optional(),
});
const fileSchema = z.strictObject({ records: z.array(recordSchema) });

export type ProvenanceRecord = z.infer<typeof recordSchema>;

export function provenancePath(projectDir: string): string {
  return path.join(projectDir, PROVENANCE_FILE);
}

/** Reads and validates the record; a missing file holds no records. */
export function readProvenance(file: string): ProvenanceRecord[] {
  if (!existsSync(file)) {
    return [];
  }
  const document = parseYamlDocument(readFileSync(file, "utf8"), file);
  const raw = document.toJS() as unknown;
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, path.basename(file), raw));
  }
  return parsed.data.records;
}

/** Whether the record says a tool (or the reference seed) obtained this digest for this component and tag. */
export function originOf(records: readonly ProvenanceRecord[], component: ComponentId, tag: string, digest: string): ProvenanceRecord | undefined {
  return records.find((r) => r.component === component && r.tag === tag && r.digest === digest && r.origin !== "stack");
}

const HEADER = `# Provenance of every pinned tag + digest (config/provenance.ts defines the format).
# Written by myoci pin, promote and rollout; read by the policy pack (require-digest-provenance).
# origin registry: a tool resolved the digest from the registry; reference-file: copied from a list of published
# digests (no registry asked); stack: promoted from another stack (not an origin by itself).
`;

/** Appends records (skipping exact repeats of component, tag, digest, origin and tool), atomically, keeping comments. */
export function recordProvenance(file: string, records: readonly ProvenanceRecord[]): void {
  records.forEach((record, i) => {
    const parsed = recordSchema.safeParse(record);
    if (!parsed.success) {
      throw new ConfigError(issuesFromZod(parsed.error, path.basename(file), record, `records[new ${i}].`));
    }
  });
  const existing = readProvenance(file); // refuse to append to an invalid record
  const same = (a: ProvenanceRecord, b: ProvenanceRecord) =>
    a.component === b.component && a.tag === b.tag && a.digest === b.digest && a.origin === b.origin && a.tool === b.tool;
  const fresh = records.filter((r, i) => !existing.some((e) => same(e, r)) && records.findIndex((o) => same(o, r)) === i);
  if (fresh.length === 0) {
    return;
  }
  const document = existsSync(file) ? parseDocument(readFileSync(file, "utf8")) : parseDocument(`${HEADER}records: []\n`);
  const list = document.get("records");
  const nodes = fresh.map((r) => document.createNode(JSON.parse(JSON.stringify(r)) as unknown));
  if (isSeq(list)) {
    list.flow = false;
    list.items.push(...nodes);
  } else {
    document.set("records", document.createNode(fresh.map((r) => JSON.parse(JSON.stringify(r)) as unknown)));
  }
  writeFileAtomic(file, document.toString({ lineWidth: 0 }));
}

/** The record of a digest a tool resolved from the registry just now (`myoci pin`, `myoci rollout`). */
export function registryResolution(
  component: ComponentId,
  pin: { tag: string; digest: string },
  tool: "pin" | "rollout",
  mediaType?: string,
): ProvenanceRecord {
  const entry = CATALOG[component];
  return {
    component,
    ...pin,
    origin: "registry",
    tool,
    registry: entry.registry,
    repository: `${entry.registry}/${entry.repository}`,
    ...(mediaType !== undefined ? { mediaType } : {}),
    resolvedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/** The record of pins `myoci promote` copied from another stack (how they moved; their origin is recorded already). */
export function promotion(component: ComponentId, pin: { tag: string; digest: string }, fromStack: string): ProvenanceRecord {
  const entry = CATALOG[component];
  return {
    component,
    ...pin,
    origin: "stack",
    tool: "promote",
    repository: `${entry.registry}/${entry.repository}`,
    resolvedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    source: fromStack,
  };
}
