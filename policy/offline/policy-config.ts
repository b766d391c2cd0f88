/**
 * Policy-pack config files (policy/config/<stack>.json), in the format of `pulumi preview --policy-pack-config`:
 * `{ "<policy-name>": "<enforcement level>" | { "enforcementLevel"?: …, "<property>": value } }`, plus the key `all`
 * (a level, or `{ "enforcementLevel": … }`) that sets the level of every policy not configured by name.
 * Validated against each policy's configSchema and completed with its defaults, as the Pulumi CLI does.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { schemaDefaults } from "../lib/settings";
import { repoRoot } from "../../config/repo-root";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface ResolvedPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

export type PackConfig = Record<string, ResolvedPolicyConfig>;

export class PolicyConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid policy config ${file} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyConfigError";
  }
}

export const POLICY_CONFIG_DIR = path.join(repoRoot(), "policy", "config");

export function policyConfigPath(stack: string): string {
  return path.join(POLICY_CONFIG_DIR, `${stack}.json`);
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  return typeof value;
}

/** The JSON Schema subset the policies use: type, enum, pattern, minLength, minimum/maximum, items, properties, required. */
function validate(value: unknown, schema: PolicyConfigJSONSchema, at: string, problems: string[]): void {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = typeOf(value);
  if (types.length > 0 && !types.some((t) => t === actual || (t === "number" && actual === "integer"))) {
    problems.push(`${at} = ${JSON.stringify(value)}: expected ${types.join(" or ")}`);
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${at} = ${JSON.stringify(value)}: expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      problems.push(`${at} = ${JSON.stringify(value)}: expected at least ${schema.minLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      problems.push(`${at} = ${JSON.stringify(value)}: expected to match ${schema.pattern}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at} = ${value}: expected at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at} = ${value}: expected at most ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items) && typeof schema.items === "object") {
    const items = schema.items;
    value.forEach((item, i) => validate(item, items, `${at}[${i}]`, problems));
  }
  if (actual === "object" && schema.properties !== undefined) {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (record[key] === undefined) problems.push(`${at}.${key}: missing (required)`);
    }
    for (const [key, item] of Object.entries(record)) {
      const sub = schema.properties[key];
      if (sub === undefined) {
        problems.push(`${at}.${key}: unknown property (known: ${Object.keys(schema.properties).join(", ")})`);
      } else if (typeof sub === "object") {
        validate(item, sub, `${at}.${key}`, problems);
      }
    }
  }
}

/** Checks raw config against the pack's policies and applies defaults; every problem is reported at once. */
export function resolvePackConfig(raw: unknown, policies: Policies, file: string): PackConfig {
  const problems: string[] = [];
  const given = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (given === undefined) {
    throw new PolicyConfigError(file, [`(root) = ${JSON.stringify(raw)}: expected an object keyed by policy name`]);
  }
  const names = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(given)) {
    if (!names.has(key) && key !== "all") problems.push(`${key}: unknown policy (known: all, ${[...names].join(", ")})`);
  }
  // Pulumi's `all`: one level for every policy (a policy's own entry wins); it takes no properties.
  const all = given["all"];
  let allLevel: unknown;
  if (typeof all === "string") {
    allLevel = all;
  } else if (all !== null && typeof all === "object" && !Array.isArray(all)) {
    const { enforcementLevel, ...rest } = all as Record<string, unknown>;
    allLevel = enforcementLevel;
    if (Object.keys(rest).length > 0) problems.push(`all: takes only enforcementLevel (given: ${Object.keys(rest).join(", ")})`);
  } else if (all !== undefined) {
    problems.push(`all = ${JSON.stringify(all)}: expected an enforcement level or { "enforcementLevel": … }`);
  }
  if (allLevel !== undefined && !ENFORCEMENT_LEVELS.includes(allLevel as EnforcementLevel)) {
    problems.push(`all.enforcementLevel = ${JSON.stringify(allLevel)}: expected one of ${ENFORCEMENT_LEVELS.join(", ")}`);
    allLevel = undefined;
  }
  const resolved: PackConfig = {};
  for (const policy of policies) {
    const entry = given[policy.name];
    let level: unknown = allLevel ?? policy.enforcementLevel ?? "advisory";
    let properties: Record<string, unknown> = {};
    if (typeof entry === "string") {
      level = entry;
    } else if (entry !== undefined && entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      const { enforcementLevel, ...rest } = entry as Record<string, unknown>;
      level = enforcementLevel ?? level;
      properties = rest;
    } else if (entry !== undefined) {
      problems.push(`${policy.name} = ${JSON.stringify(entry)}: expected an enforcement level or an object`);
    }
    if (!ENFORCEMENT_LEVELS.includes(level as EnforcementLevel)) {
      problems.push(`${policy.name}.enforcementLevel = ${JSON.stringify(level)}: expected one of ${ENFORCEMENT_LEVELS.join(", ")}`);
    }
    const schema = policy.configSchema;
    if (schema === undefined && Object.keys(properties).length > 0) {
      problems.push(`${policy.name}: takes no properties besides enforcementLevel (given: ${Object.keys(properties).join(", ")})`);
    } else if (schema !== undefined) {
      validate(properties, { type: "object", properties: schema.properties, required: schema.required }, policy.name, problems);
    }
    resolved[policy.name] = { enforcementLevel: level as EnforcementLevel, properties: { ...schemaDefaults(schema), ...properties } };
  }
  if (problems.length > 0) {
    throw new PolicyConfigError(file, problems);
  }
  return resolved;
}

/** Reads a policy config file (a missing file means: every policy at its default level). */
export function loadPackConfig(file: string, policies: Policies, options: { optional?: boolean } = {}): PackConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (options.optional && (error as NodeJS.ErrnoException).code === "ENOENT") {
      return resolvePackConfig({}, policies, file);
    }
    throw new PolicyConfigError(file, [`(file): unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PolicyConfigError(file, [`(file): not valid JSON (${(error as Error).message})`]);
  }
  return resolvePackConfig(raw, policies, file);
}
