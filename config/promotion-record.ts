/**
 * The promotion record (`promotions.yaml`): which digests each stack has run and verified healthy.
 * Written by `myoci rollout` / `myoci promote`; read by the policy pack's promotion gate, offline.
 * The first entry is the adoption baseline: what production already ran when myOCI was adopted,
 * marked `adopted` — never a claim that staging verified it.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { COMPONENT_IDS, DIGEST_PATTERN, type ComponentId, type ImagePin } from "../catalog";
import { writeFileAtomic } from "./atomic-write";
import { ConfigError, issuesFromZod } from "./schema";
import { parseYamlDocument } from "./yaml-file";

export type PromotionKind = "adopted" | "verified";

/** How a component of a `verified` entry passed: its HTTP health probe, or (no probe) the container healthcheck `up` waited for. */
export type VerifiedCheck = "http-probe" | "container-healthcheck";
export const VERIFIED_CHECKS = ["http-probe", "container-healthcheck"] as const satisfies readonly VerifiedCheck[];

export interface PromotionEntry {
  readonly kind: PromotionKind;
  readonly stack: string;
  /** ISO 8601 time of the record. */
  readonly recordedAt: string;
  readonly note?: string;
  readonly images: Readonly<Partial<Record<ComponentId, ImagePin>>>;
  /**
   * `verified` entries written since checks were recorded: the check each listed component passed. When present,
   * a component of `images` without a check is not verified by this entry (the gate reads it so).
   */
  readonly checks?: Readonly<Partial<Record<ComponentId, VerifiedCheck>>>;
}

export interface PromotionRecord {
  readonly entries: readonly PromotionEntry[];
}

const pin = z.strictObject({
  tag: z.string().min(1),
  digest: z.string().regex(DIGEST_PATTERN, { error: "expected sha256: followed by 64 lower-case hex digits" }),
});
const entrySchema = z.strictObject({
  kind: z.enum(["adopted", "verified"], { error: 'expected "adopted" or "verified"' }),
  stack: z.string().min(1),
  recordedAt: z.iso.datetime({ error: "expected an ISO 8601 UTC time such as 2026-11-25T00:00:00Z" }),
  note: z.string().optional(),
  images: z.partialRecord(z.enum(COMPONENT_IDS, { error: "expected a known component" }), pin),
  checks: z
    .partialRecord(
      z.enum(COMPONENT_IDS, { error: "expected a known component" }),
      z.enum(VERIFIED_CHECKS, { error: 'expected "http-probe" or "container-healthcheck"' }),
    )
    .optional(),
});
const recordSchema = z.strictObject({ entries: z.array(entrySchema) });

export const DEFAULT_RECORD_FILE = "promotions.yaml";

/** Reads and validates the record; a missing file is an empty record. */
export function readPromotionRecord(file: string): PromotionRecord {
  if (!existsSync(file)) {
    return { entries: [] };
  }
  const name = path.basename(file);
  const document = parseYamlDocument(readFileSync(file, "utf8"), file);

  const parsed = recordSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, name, document.toJS()));
  }
  return parsed.data;
}

export type GateStatus = { status: "verified"; entry: PromotionEntry } | { status: "adopted"; entry: PromotionEntry } | { status: "unverified" };

/**
 * Whether `digest` of `component` may run on `targetStack`: verified by `verifiedOn` (staging), or part of
 * the target's own adoption baseline.
 */
export function gateStatus(record: PromotionRecord, component: ComponentId, digest: string, verifiedOn: string, targetStack: string): GateStatus {
  const verified = record.entries.find((e) => e.kind === "verified" && e.stack === verifiedOn && verifiedImages(e)[component]?.digest === digest);
  if (verified) {
    return { status: "verified", entry: verified };
  }
  const adopted = record.entries.find((e) => e.kind === "adopted" && e.stack === targetStack && e.images[component]?.digest === digest);
  return adopted ? { status: "adopted", entry: adopted } : { status: "unverified" };
}

/** The pins an entry vouches for: all of `images`, or for an entry with `checks` only the checked components. */
export function verifiedImages(entry: PromotionEntry): Readonly<Partial<Record<ComponentId, ImagePin>>> {
  const checks = entry.checks;
  if (checks === undefined) {
    return entry.images;
  }
  return Object.fromEntries(Object.entries(entry.images).filter(([component]) => checks[component as ComponentId] !== undefined));
}

/** Whether `stack` has verified (or adopted) exactly this tag and digest of the component. */
export function isVerifiedOn(record: PromotionRecord, stack: string, component: ComponentId, image: ImagePin): boolean {
  return record.entries.some((e) => {
    const pin = e.kind === "verified" ? verifiedImages(e)[component] : e.images[component];
    return e.stack === stack && pin?.digest === image.digest && pin.tag === image.tag;
  });
}

/** The pins `stack` has verified most recently, per component (for `myoci promote`). */
export function latestVerified(record: PromotionRecord, stack: string): Partial<Record<ComponentId, ImagePin & { recordedAt: string }>> {
  const latest: Partial<Record<ComponentId, ImagePin & { recordedAt: string }>> = {};
  for (const entry of record.entries) {
    if (entry.kind !== "verified" || entry.stack !== stack) {
      continue;
    }
    for (const [component, image] of Object.entries(verifiedImages(entry)) as [ComponentId, ImagePin][]) {
      const current = latest[component];
      if (!current || current.recordedAt <= entry.recordedAt) {
        latest[component] = { ...image, recordedAt: entry.recordedAt };
      }
    }
  }
  return latest;
}

/** Appends an entry, keeping the file's comments; atomic. */
export function appendPromotionEntry(file: string, entry: PromotionEntry): void {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, path.basename(file), entry, "entries[new]."));
  }
  readPromotionRecord(file); // refuse to append to an invalid record
  const document = existsSync(file) ? parseDocument(readFileSync(file, "utf8")) : parseDocument("entries: []\n");
  const entries = document.get("entries");
  const node = document.createNode(JSON.parse(JSON.stringify(entry)) as unknown);
  if (isSeq(entries)) {
    entries.flow = false;
    entries.items.push(node);
  } else {
    document.set("entries", document.createNode([entry]));
  }
  writeFileAtomic(file, document.toString({ lineWidth: 0 }));
}
