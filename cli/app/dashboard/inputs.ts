/**
 * Optional inputs of the dashboard, read from the JSON envelopes the other commands print: `myoci check --json`,
 * `myoci drift --json` (one file per stack), `myoci vulns --json` and `myoci rollout|rollback --json`. Only the
 * fields the page shows are validated; problems name the file, the key and the value.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { COMPONENT_IDS } from "../../../catalog";
import { ConfigError, issuesFromZod } from "../../../config/schema";

const component = z.enum(COMPONENT_IDS, { error: "expected a catalog component id" });
const violation = z.looseObject({ rule: z.string(), message: z.string() });
const candidate = z.looseObject({
  tag: z.string(),
  changelog: z.string(),
  breaks: z.array(violation).optional(),
  /** Fixes an open finding (a later `check` marks it). */
  security: z.boolean().optional(),
});

const checkSchema = z.looseObject({
  schemaVersion: z.literal(1, { error: "expected a `myoci check --json` report (schemaVersion 1)" }),
  checkedAt: z.string(),
  stacks: z.array(
    z.looseObject({
      stack: z.string(),
      error: z.string().optional(),
      components: z.array(
        z.looseObject({
          component,
          declared: z.looseObject({ tag: z.string(), digest: z.string() }),
          status: z.enum(["up-to-date", "digest", "patch", "minor", "major", "error"]),
          digestChanged: z.boolean().optional(),
          changelog: z.string().optional(),
          newest: z.looseObject({ patch: candidate.optional(), minor: candidate.optional(), major: candidate.optional() }),
          error: z.string().optional(),
        }),
      ),
    }),
  ),
});
export type CheckInput = z.infer<typeof checkSchema>;

const container = z.looseObject({
  name: z.string(),
  tag: z.string().optional(),
  digests: z.array(z.string()),
  state: z.string(),
  health: z.string().optional(),
});
const driftSchema = z.looseObject({
  stack: z.string(),
  components: z.array(
    z.looseObject({
      component,
      status: z.enum(["in-sync", "missing", "digest", "tag", "unhealthy"]),
      containers: z.array(container),
      problems: z.array(z.string()),
    }),
  ),
});
export type DriftInput = z.infer<typeof driftSchema>;

const findingSchema = z.looseObject({
  stack: z.string(),
  component,
  id: z.string(),
  severity: z.enum(["critical", "high", "medium", "low", "unrated"]),
  deadline: z.string().nullable(),
  state: z.enum(["open", "overdue", "accepted"]),
  url: z.string().optional(),
  fixedIn: z.string().optional(),
});
const vulnsSchema = z.looseObject({ checkedAt: z.string(), findings: z.array(findingSchema) });
export type VulnsInput = z.infer<typeof vulnsSchema>;

const pinSchema = z.looseObject({ tag: z.string(), digest: z.string() });
const rolloutSchema = z.looseObject({
  command: z.enum(["rollout", "rollback"], { error: "expected a `myoci rollout --json` or `myoci rollback --json` report" }),
  endedAt: z.string(),
  exitCode: z.number(),
  summary: z.string(),
  stacks: z.array(z.looseObject({ stack: z.string(), outcome: z.string(), to: z.partialRecord(component, pinSchema) })),
  nextSteps: z.array(z.string()).optional(),
});
export type RolloutInput = z.infer<typeof rolloutSchema>;

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  const name = path.basename(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      {
        file: name,
        key: "(root)",
        value: code !== undefined ? "(unreadable)" : "(invalid JSON)",
        expected: `a JSON report (${code ?? (error as Error).message})`,
      },
    ]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, name, raw));
  }
  return parsed.data;
}

export const readCheckJson = (file: string): CheckInput => readJson(file, checkSchema);
/** A drift file holds one stack's report (`myoci drift --json`) or an array of them. */
export function readDriftJson(file: string): DriftInput[] {
  const read = readJson(file, z.union([driftSchema, z.array(driftSchema)]));
  return Array.isArray(read) ? read : [read];
}
export const readVulnsJson = (file: string): VulnsInput => readJson(file, vulnsSchema);
export const readRolloutJson = (file: string): RolloutInput => readJson(file, rolloutSchema);
