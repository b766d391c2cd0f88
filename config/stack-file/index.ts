/**
 * Reads `Pulumi.<stack>.yaml` without the Pulumi CLI, for the program's offline runs, the policy runner and every
 * command. The rest of the stack-file module: edit.ts (the one byte-preserving write), pins.ts (pin sets and their
 * changes), placeholders.ts (offline secret stand-ins). Kept light: `myoci check` reads stack files at start-up.
 */
import * as path from "node:path";
import { isAlias, isMap, isScalar, type Document } from "yaml";
import { ConfigError, parseStackConfig, PROJECT, type RawStackConfig, type StackConfig } from "../schema";
import { STACK_NAME_EXPECTED, STACK_NAME_PATTERN } from "../stack-name";
import { MAX_ALIAS_COUNT, parseYamlDocument, readTextFile } from "../yaml-file";
import { withPlaceholderSecrets } from "./placeholders";

/** Throws ConfigError unless `stack` is a stack name (it becomes part of file names). */
export function assertStackName(stack: string): void {
  if (!STACK_NAME_PATTERN.test(stack)) {
    throw new ConfigError([{ file: "(command line)", key: "--stack", value: JSON.stringify(stack), expected: STACK_NAME_EXPECTED }], "argument");
  }
}

export function stackFilePath(projectDir: string, stack: string): string {
  assertStackName(stack);
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** Namespaces a stack file may hold besides `myoci:`: the providers this program uses, and Pulumi's own. */
export const PROVIDER_NAMESPACES: readonly string[] = ["docker", "command", "pulumi"];

const shape = (value: unknown): string =>
  value === null ? "(empty)" : Array.isArray(value) ? "(a list)" : typeof value === "object" ? "(a map)" : `(${JSON.stringify(value)})`;

/** Source text of every non-string scalar under `node`, by key path (numbers lose digits: 2.10 reads as 2.1). */
function collectSources(node: unknown, prefix: string, document: Document, out: Map<string, string>, depth = 0): void {
  const resolved = isAlias(node) ? node.resolve(document) : node;
  if (depth > 8 || !isMap(resolved)) {
    if (isScalar(resolved) && typeof resolved.value !== "string" && resolved.source !== undefined && prefix !== "") {
      out.set(prefix, String(resolved.source));
    }
    return;
  }
  for (const item of resolved.items) {
    const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (key !== "<<") {
      collectSources(item.value, prefix === "" ? key : `${prefix}.${key}`, document, out, depth + 1);
    }
  }
}

function fileProblem(file: string, key: string, value: string, expected: string): never {
  throw new ConfigError([{ file, key, value, expected }]);
}

/**
 * Raw config of a stack file: `secure:` values are secrets whose value cannot be read here. Throws one specific
 * ConfigError for a file that is unreadable, not UTF-8, not YAML, empty, not a map, or without a `config:` map.
 */
export function readRawStackFile(file: string): RawStackConfig {
  const name = path.basename(file);
  const problem = (key: string, value: string, expected: string) => fileProblem(name, key, value, expected);
  const text = readTextFile(file, "stack file", name);
  const document = parseYamlDocument(text, file);
  if (document.contents === null) {
    problem("(file)", "(empty)", "expected a stack file: a map with config: holding the myoci: keys (as in Pulumi.staging.yaml)");
  }
  if (!isMap(document.contents)) {
    problem(
      "(file)",
      shape(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT })),
      "expected a map at the top of the file, with a config: key holding the myoci: keys",
    );
  }
  let top: Record<string, unknown>;
  try {
    top = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch (error) {
    fileProblem(name, "(aliases)", "(unresolvable)", `expected aliases that resolve to a finite value (${(error as Error).message})`);
  }
  if (!("config" in top)) {
    const keys = Object.keys(top);
    problem("config", "(missing)", `expected a config: map holding the myoci: keys${keys.length > 0 ? ` (top-level keys found: ${keys.join(", ")})` : ""}`);
  }
  const config = top.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    problem("config", shape(config), "expected a map of myoci: keys");
  }

  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const foreignKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(config as Record<string, unknown>)) {
    if (!fullKey.startsWith(`${PROJECT}:`)) {
      const namespace = fullKey.includes(":") ? fullKey.slice(0, fullKey.indexOf(":")) : undefined;
      if (namespace === undefined || !PROVIDER_NAMESPACES.includes(namespace)) {
        foreignKeys.push(fullKey); // a misspelt namespace (mycoi:domain) would otherwise be silently ignored
      }
      continue;
    }
    const key = fullKey.slice(PROJECT.length + 1);
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
      secretKeys.add(key);
      values[key] = { secure: true };
      continue;
    }
    values[key] = value;
  }
  const sources = new Map<string, string>();
  const configNode = document.get("config", true);
  if (isMap(configNode)) {
    for (const item of configNode.items) {
      const fullKey = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (fullKey.startsWith(`${PROJECT}:`)) {
        collectSources(item.value, fullKey.slice(PROJECT.length + 1), document, sources);
      }
    }
  }
  return { values, secretKeys, foreignKeys, sources };
}

export interface LoadOptions {
  /** Fill absent or unreadable secrets with a placeholder (offline evaluation: policies never read secret values). */
  readonly placeholderSecrets?: boolean;
  /** Values (keys without `myoci:`) that replace the file's top-level keys, e.g. `--config` of the offline run. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** Loads and validates a stack file; throws ConfigError listing every problem. */
export function loadStackFile(projectDir: string, stack: string, options: LoadOptions = {}): StackConfig {
  const file = stackFilePath(projectDir, stack);
  const fromFile = readRawStackFile(file);
  const overridden = Object.keys(options.overrides ?? {});
  const raw: RawStackConfig =
    overridden.length === 0
      ? fromFile
      : {
          ...fromFile,
          values: { ...fromFile.values, ...options.overrides },
          sources: new Map([...(fromFile.sources ?? new Map<string, string>())].filter(([key]) => !overridden.includes(key.split(".")[0]!))),
        };
  const prepared = options.placeholderSecrets ? { ...raw, ...withPlaceholderSecrets(raw.values, raw.secretKeys) } : raw;
  const result = parseStackConfig(prepared, stack, path.basename(file));
  if (!result.ok) {
    throw new ConfigError(result.issues);
  }
  return result.config;
}
