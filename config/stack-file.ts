/** Reads `Pulumi.<stack>.yaml` without the Pulumi CLI, for the CLI and the offline policy run. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar } from "yaml";
import { ConfigError, parseStackConfig, placeholderSecret, PROJECT, SECRET_KEYS, type RawStackConfig, type SecretKey, type StackConfig } from "./schema";
import { parseYamlDocument } from "./yaml-file";

export function stackFilePath(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** Raw config of a stack file: `secure:` values are secrets whose value cannot be read here. */
export function readRawStackFile(file: string): RawStackConfig {
  const name = path.basename(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([
      { file: name, key: "(file)", value: "(unreadable)", expected: `a readable stack file (${(error as NodeJS.ErrnoException).code ?? String(error)})` },
    ]);
  }
  const document = parseYamlDocument(text, file);

  const config = document.get("config");
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  if (config === undefined || config === null) {
    return { values, secretKeys };
  }
  if (!isMap(config)) {
    throw new ConfigError([{ file: name, key: "config", value: "(not a map)", expected: "expected a map of myoci: keys" }]);
  }
  for (const item of config.items) {
    const fullKey = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (!fullKey.startsWith(`${PROJECT}:`)) {
      continue; // provider and other projects' keys are not ours to judge
    }
    const key = fullKey.slice(PROJECT.length + 1);
    const value: unknown = isMap(item.value) || isScalar(item.value) ? item.value.toJSON() : (item.value as { toJSON?: () => unknown } | null)?.toJSON?.();
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
      secretKeys.add(key);
      values[key] = { secure: true };
      continue;
    }
    values[key] = value;
  }
  return { values, secretKeys };
}

export interface LoadOptions {
  /** Fill absent or unreadable secrets with a placeholder (offline evaluation: policies never read secret values). */
  readonly placeholderSecrets?: boolean;
}

/** Loads and validates a stack file; throws ConfigError listing every problem. */
export function loadStackFile(projectDir: string, stack: string, options: LoadOptions = {}): StackConfig {
  const file = stackFilePath(projectDir, stack);
  const raw = readRawStackFile(file);
  const prepared = options.placeholderSecrets ? withPlaceholderSecrets(raw) : raw;
  const result = parseStackConfig(prepared, stack, path.basename(file));
  if (!result.ok) {
    throw new ConfigError(result.issues);
  }
  return result.config;
}

/** A placeholder long enough for every secret's length rule; marked so it can never be mistaken for a real one. */
export const PLACEHOLDER_SECRET = (key: string): string => placeholderSecret(key as SecretKey);

function withPlaceholderSecrets(raw: RawStackConfig): RawStackConfig {
  const values: Record<string, unknown> = { ...raw.values };
  const secretKeys = new Set(raw.secretKeys);
  for (const key of SECRET_KEYS) {
    if (values[key] === undefined || secretKeys.has(key)) {
      values[key] = PLACEHOLDER_SECRET(key);
      secretKeys.add(key);
    }
  }
  return { ...raw, values, secretKeys };
}
