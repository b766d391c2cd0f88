/**
 * What has been sent (`.myoci/notified.json`): message key → fingerprint. A message is sent when its key is new or
 * its fingerprint changed (an update), so a weekly run does not repeat last week's notices. Written after every
 * successful send: a failure half-way keeps the record of what did go out.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../../config/atomic-write";
import { ConfigError, issuesFromZod } from "../../../config/schema";

export const DEFAULT_SENT_FILE = path.join(".myoci", "notified.json");

export interface SentEntry {
  readonly fingerprint: string;
  readonly sentAt: string;
}

export type SentState = Record<string, SentEntry>;

const schema = z.strictObject({
  schemaVersion: z.literal(1, { error: "expected schemaVersion 1" }),
  sent: z.record(z.string(), z.strictObject({ fingerprint: z.string(), sentAt: z.iso.datetime({ error: "expected an ISO 8601 UTC time" }) })),
});

export function readSentState(file: string): SentState {
  if (!existsSync(file)) return {};
  const name = path.basename(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError([
      { file: name, key: "(root)", value: "(invalid JSON)", expected: `JSON { schemaVersion: 1, sent: {...} } (${(error as Error).message})` },
    ]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, name, raw));
  }
  return { ...parsed.data.sent };
}

export function writeSentState(file: string, state: SentState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const sent = Object.fromEntries(Object.entries(state).sort(([a], [b]) => a.localeCompare(b)));
  writeFileAtomic(file, `${JSON.stringify({ schemaVersion: 1, sent }, null, 2)}\n`);
}
