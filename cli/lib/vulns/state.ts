/**
 * `vulns-state.json` (committed, repository root): when the project first saw each finding. Deadlines count from
 * there, so a finding keeps its deadline across runs, machines and CI. Keys are `<component>:<advisory id>`:
 * the same advisory on staging and prod is one finding of the project, seen once.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../../config/atomic-write";
import { ConfigError, issuesFromZod } from "../../../config/schema";

export const DEFAULT_STATE_FILE = "vulns-state.json";

export interface VulnState {
  /** finding key → ISO time first seen. */
  readonly firstSeen: Readonly<Record<string, string>>;
}

const stateSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "expected schemaVersion 1" }),
  firstSeen: z.record(
    z.string().regex(/^[A-Za-z]\w*:\S+$/, { error: "expected a key <component>:<advisory id>" }),
    z.iso.datetime({ error: "expected an ISO 8601 UTC time" }),
  ),
});

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
  return { firstSeen: parsed.data.firstSeen };
}

export function readVulnState(file: string): VulnState {
  return existsSync(file) ? parseVulnState(readFileSync(file, "utf8"), file) : { firstSeen: {} };
}

/** Sorted keys, one per line: small diffs in review. */
export function formatVulnState(state: VulnState): string {
  const firstSeen = Object.fromEntries(Object.entries(state.firstSeen).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ schemaVersion: 1, firstSeen }, null, 2)}\n`;
}

export function writeVulnState(file: string, state: VulnState): void {
  writeFileAtomic(file, formatVulnState(state));
}
