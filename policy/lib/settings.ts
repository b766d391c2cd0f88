/** Policy config with the schema's defaults applied, and the injectable clock. */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { repoRoot } from "../../config/repo-root";

export interface ConfigSource {
  getConfig<T extends object>(): T;
}

export type JsonSchema = Exclude<PolicyConfigSchema["properties"][string], boolean>;

/** A piece of a configSchema (a property shared by several policies), its literal types kept for SettingsOf. */
export function schemaPart<const S extends JsonSchema>(schema: S): S {
  return schema;
}

/** A policy's configSchema, its literal types kept (for SettingsOf) and checked against the SDK's schema type. */
export function policySchema<const S extends PolicyConfigSchema>(schema: S): S {
  return schema;
}

/** The TypeScript type of a value a JSON schema (as the policies write them) describes. */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: "string" }
    ? string
    : S extends { readonly type: "integer" | "number" }
      ? number
      : S extends { readonly type: "boolean" }
        ? boolean
        : S extends { readonly type: "array"; readonly items: infer I }
          ? readonly FromSchema<I>[]
          : S extends { readonly type: "object"; readonly properties: infer P }
            ? ObjectOf<P, S extends { readonly required: readonly (infer R)[] } ? R : never>
            : unknown;

type ObjectOf<P, Required> = Flat<{ readonly [K in keyof P & Required]: FromSchema<P[K]> } & { readonly [K in Exclude<keyof P, Required>]?: FromSchema<P[K]> }>;
type Flat<T> = { [K in keyof T]: T[K] };
type Defaulted<P> = { [K in keyof P]: P[K] extends { readonly default: unknown } ? K : never }[keyof P];

/** A policy's settings: the properties its schema gives a default are always there, the others optional. */
export type SettingsOf<S extends PolicyConfigSchema> = ObjectOf<S["properties"], Defaulted<S["properties"]>>;

/** The defaults a policy's configSchema declares (the Pulumi CLI applies them too; unit tests get them here). */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema?.properties ?? {})) {
    if (typeof property === "object" && property.default !== undefined) {
      defaults[key] = structuredClone(property.default);
    }
  }
  return defaults;
}

/**
 * The last settings built per schema, with the config they came from. The SDK hands each call a fresh shallow copy
 * of the policy's config (getConfig), so the entries are compared, not the object: one build per policy and run
 * instead of one per resource (the defaults' deep copy was a fifth of the pack's own time on a large stack).
 * Settings are read-only (SettingsOf), so sharing them between resources is safe.
 */
const built = new WeakMap<PolicyConfigSchema, { given: Record<string, unknown>; settings: unknown }>();

function sameEntries(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.is(a[key], b[key]));
}

/** The policy's config: given values over the schema's defaults, typed from the schema. */
export function settingsOf<S extends PolicyConfigSchema>(args: ConfigSource, schema: S): SettingsOf<S> {
  const given = args.getConfig<Record<string, unknown>>();
  const last = built.get(schema);
  if (last !== undefined && sameEntries(last.given, given)) {
    return last.settings as SettingsOf<S>;
  }
  const merged: Record<string, unknown> = { ...schemaDefaults(schema) };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && key !== "enforcementLevel") {
      merged[key] = value;
    }
  }
  built.set(schema, { given: { ...given }, settings: merged });
  // The one cast: the schema's defaults and the config the CLI validated against the same schema make this shape.
  return merged as SettingsOf<S>;
}

export const NOW_ENV = "MYOCI_POLICY_NOW";

/** "Now" for date rules: policy config `now`, else env MYOCI_POLICY_NOW, else the clock. */
export function policyNow(configured: string | undefined): Date {
  const raw = configured !== undefined && configured !== "" ? configured : process.env[NOW_ENV];
  if (raw === undefined || raw === "") {
    return new Date();
  }
  const time = Date.parse(raw);
  if (Number.isNaN(time)) {
    throw new Error(`policy config "now" (or ${NOW_ENV}) = ${JSON.stringify(raw)} is not an ISO 8601 date-time`);
  }
  return new Date(time);
}

/** Schema snippet shared by the date-dependent policies. */
export const NOW_PROPERTY = schemaPart({
  type: "string",
  description: `Evaluate as of this ISO 8601 time instead of the clock (tests, reproducible CI). Empty: ${NOW_ENV}, else the clock.`,
  default: "",
});

/** The repository root, where committed records live (also when the pack runs compiled from bin/policy); found on first use. */
export function packParent(): string {
  return repoRoot();
}
