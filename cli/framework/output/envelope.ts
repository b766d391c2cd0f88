/**
 * The one JSON envelope every reporting `myoci` command prints with `--json`: schemaVersion, command,
 * generatedAt, exitCode, errors[], then the command's own data (its keys unchanged). Errors are inside it, on stdout.
 */
import { z } from "zod";
import { ConfigError } from "../../../config/schema";

export const ENVELOPE_SCHEMA_VERSION = 1;

export const envelopeErrorSchema = z.strictObject({
  message: z.string().min(1),
  /** For bad input: the file, key and value at fault (never a secret's value). */
  file: z.string().optional(),
  key: z.string().optional(),
  value: z.string().optional(),
});
export type EnvelopeError = z.infer<typeof envelopeErrorSchema>;

export const envelopeSchema = z.looseObject({
  schemaVersion: z.literal(ENVELOPE_SCHEMA_VERSION),
  command: z.string().regex(/^[a-z]+$/),
  generatedAt: z.iso.datetime(),
  exitCode: z.number().int().min(0).max(255),
  errors: z.array(envelopeErrorSchema),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const HEAD = ["schemaVersion", "command", "generatedAt", "exitCode", "errors"] as const;

/** The envelope as an object: head keys first; data keys that repeat a head key are replaced by the envelope's. */
export function makeEnvelope(command: string, generatedAt: Date, exitCode: number, errors: readonly EnvelopeError[], data: object = {}): Envelope {
  const rest = Object.fromEntries(Object.entries(data).filter(([key]) => !(HEAD as readonly string[]).includes(key)));
  return envelopeSchema.parse({
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    command,
    generatedAt: generatedAt.toISOString(),
    exitCode,
    errors: [...errors],
    ...rest,
  });
}

export function formatEnvelope(envelope: Envelope): string {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/** An error as envelope entries: one per ConfigError issue (file, key, value), else its message. */
export function errorsOf(error: unknown): EnvelopeError[] {
  if (error instanceof ConfigError) {
    return error.issues.map((issue) => ({
      message: `${issue.file}: ${issue.key} = ${issue.value}: ${issue.expected}`,
      file: issue.file,
      key: issue.key,
      value: issue.value,
    }));
  }
  return [{ message: error instanceof Error ? error.message : String(error) }];
}
