/**
 * Risk acceptances (`risk-acceptances.yaml`, committed): a finding the operator decided to live with until a date.
 *
 *   acceptances:
 *     - id: CVE-2025-64717
 *       reason: "Auto-linking is disabled on every identity provider"
 *       expires: 2026-12-31
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { RiskAcceptance } from "../catalog";
import { ConfigError, issuesFromZod } from "./schema";
import { parseYamlDocument } from "./yaml-file";

export const DEFAULT_ACCEPTANCE_FILE = "risk-acceptances.yaml";

const acceptanceSchema = z.strictObject({
  id: z
    .string({ error: "expected the advisory id (e.g. CVE-2025-64717)" })
    .regex(/^[A-Za-z][\w.:-]*$/, { error: "expected an advisory id such as CVE-2025-64717 or GHSA-xxxx-xxxx-xxxx" }),
  reason: z.string({ error: "expected why the risk is accepted" }).min(10, { error: "expected a reason of at least 10 characters" }),
  expires: z.iso.date({ error: "expected an ISO date (YYYY-MM-DD) when the acceptance lapses" }),
});
const fileSchema = z.strictObject({ acceptances: z.array(acceptanceSchema, { error: "expected a list of { id, reason, expires }" }) });

/** Parses the acceptance file's text; every problem names file, key and value. */
export function parseAcceptances(text: string, file: string): RiskAcceptance[] {
  const name = path.basename(file);
  const document = parseYamlDocument(text, file);

  // Dates stay strings (YAML 1.2 core schema): `expires: 2026-12-31` is validated as text.
  const raw: unknown = document.toJS() ?? { acceptances: [] };
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, name, raw));
  }
  const seen = new Set<string>();
  const duplicates = parsed.data.acceptances.flatMap((a, i) =>
    seen.has(a.id)
      ? [{ file: name, key: `acceptances.${i}.id`, value: JSON.stringify(a.id), expected: "expected each advisory id once" }]
      : (seen.add(a.id), []),
  );
  if (duplicates.length > 0) {
    throw new ConfigError(duplicates);
  }
  return parsed.data.acceptances;
}

/** Reads the acceptance file; a missing file means no acceptances. */
export function readAcceptances(file: string): RiskAcceptance[] {
  return existsSync(file) ? parseAcceptances(readFileSync(file, "utf8"), file) : [];
}
