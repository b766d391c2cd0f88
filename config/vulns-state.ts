/**
 * `vulns-state.json` (committed, repository root): when the project first saw each finding, and the OSV snapshot
 * (`npx myoci vulns --refresh`) that the policy pack reads so `pulumi preview` stays offline and deterministic.
 * Deadlines count from the first sighting, so a finding keeps its deadline across runs, machines and CI. Keys are
 * `<component>:<advisory id>`: the same advisory on staging and prod is one finding of the project, seen once.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { COMPONENT_IDS, type KnownVulnerability } from "../catalog";
import { writeFileAtomic } from "./atomic-write";
import { ConfigError, issuesFromZod } from "./schema";

export const DEFAULT_STATE_FILE = "vulns-state.json";

const iso = z.iso.datetime({ error: "expected an ISO 8601 UTC time" });
const eventSchema = z.strictObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

const knownSchema = z.strictObject({
  id: z.string().min(1),
  aliases: z.array(z.string()),
  component: z.enum(COMPONENT_IDS),
  ecosystem: z.enum(["Go", "PyPI"]),
  package: z.string().min(1),
  packageVersion: z.string().optional(),
  severity: z.enum(["critical", "high", "medium", "low", "unrated"]),
  score: z.number().min(0).max(10).optional(),
  summary: z.string(),
  url: z.string(),
  // OSV's own files (golang/vulndb) carry 0001-01-01T00:00:00Z: any RFC 3339 time.
  modified: z.record(z.string(), z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, { error: "expected an RFC 3339 UTC time" })),
  ranges: z.array(z.array(eventSchema)),
});

const snapshotSchema = z.strictObject({
  refreshedAt: iso,
  source: z.string().min(1),
  vulnerabilities: z.array(knownSchema),
});

const stateSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "expected schemaVersion 1" }),
  firstSeen: z.record(z.string().regex(/^[A-Za-z]\w*:\S+$/, { error: "expected a key <component>:<advisory id>" }), iso),
  osv: snapshotSchema.optional(),
});

/** What `vulns --refresh` trusted: the OSV vulnerabilities affecting the pins, with the records' `modified`. */
export interface OsvSnapshot {
  readonly refreshedAt: string;
  /** The OSV API asked (e.g. https://api.osv.dev). */
  readonly source: string;
  readonly vulnerabilities: readonly KnownVulnerability[];
}

export interface VulnState {
  /** finding key → ISO time first seen. */
  readonly firstSeen: Readonly<Record<string, string>>;
  readonly osv?: OsvSnapshot;
}

export function parseVulnState(text: string, file: string): VulnState {
  const name = path.basename(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      { file: name, key: "(root)", value: "(invalid JSON)", expected: `JSON { schemaVersion: 1, firstSeen: {...} } (${(error as Error).message})` },
    ]);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, name, raw));
  }
  return { firstSeen: parsed.data.firstSeen, ...(parsed.data.osv ? { osv: parsed.data.osv } : {}) };
}

export function readVulnState(file: string): VulnState {
  return existsSync(file) ? parseVulnState(readFileSync(file, "utf8"), file) : { firstSeen: {} };
}

/** Sorted keys, one per line: small diffs in review. */
export function formatVulnState(state: VulnState): string {
  const firstSeen = Object.fromEntries(Object.entries(state.firstSeen).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ schemaVersion: 1, firstSeen, ...(state.osv ? { osv: state.osv } : {}) }, null, 2)}\n`;
}

export function writeVulnState(file: string, state: VulnState): void {
  writeFileAtomic(file, formatVulnState(state));
}

/** Days since the snapshot was refreshed (undefined: never refreshed). */
export function snapshotAgeDays(state: VulnState, now: Date): number | undefined {
  return state.osv ? (now.getTime() - Date.parse(state.osv.refreshedAt)) / 86_400_000 : undefined;
}
