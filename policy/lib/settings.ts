/** Policy config with the schema's defaults applied, and the injectable clock. */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { repoRoot } from "../../config/repo-root";

export interface ConfigSource {
  getConfig<T extends object>(): T;
}

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

/** The policy's config: given values over the schema's defaults. */
export function settingsOf<T>(args: ConfigSource, schema: PolicyConfigSchema | undefined): T {
  const given = args.getConfig<Record<string, unknown>>();
  const merged: Record<string, unknown> = { ...schemaDefaults(schema) };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && key !== "enforcementLevel") {
      merged[key] = value;
    }
  }
  return merged as T;
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
export const NOW_PROPERTY = {
  type: "string",
  description: `Evaluate as of this ISO 8601 time instead of the clock (tests, reproducible CI). Empty: ${NOW_ENV}, else the clock.`,
  default: "",
} as const;

/** The repository root, where committed records live (also when the pack runs compiled from bin/policy); found on first use. */
export function packParent(): string {
  return repoRoot();
}
