/**
 * Allowlists: each exception names a catalog component and says why. The policy's built-in exceptions (each with
 * its upstream source) always count unless `keepDefaults` is false; policy config `allowed` adds to them, so an
 * added entry never silently drops a documented one. Component names are a schema enum: the Pulumi CLI and the
 * offline runner both refuse a name that is no catalog component (e.g. "grafanna"), naming file and key.
 */
import { COMPONENT_IDS } from "../../catalog";
import { schemaPart, type JsonSchema } from "./settings";

export const COMPONENT_PROPERTY = schemaPart({ type: "string", enum: [...COMPONENT_IDS] });

export const KEEP_DEFAULTS_PROPERTY = schemaPart({
  type: "boolean",
  description: "Whether the policy's built-in exceptions (listed in its description and docs/policy.md) still count.",
  default: true,
});

/** Netdata's documented needs: netdata/netdata packaging/docker/README.md@3934f1fd ("Privileges" and "Mounts" tables). */
export const NETDATA_DOCS = "netdata/netdata packaging/docker/README.md@3934f1fd";

export interface Exception {
  readonly component: string;
  readonly reason: string;
}

export function exceptionsOf<T>(builtIn: readonly T[], settings: { allowed?: readonly T[]; keepDefaults?: boolean }): T[] {
  return [...(settings.keepDefaults === false ? [] : builtIn), ...(settings.allowed ?? [])];
}

/** Schema of an `allowed` list whose items carry `component`, `reason` and the given fields (`required` of them always). */
export function allowedProperty<const F extends Record<string, JsonSchema>, const R extends string[]>(description: string, fields: F, required: R) {
  return schemaPart({
    type: "array",
    description: `${description} Added to the built-in exceptions (see keepDefaults).`,
    items: {
      type: "object",
      properties: { component: COMPONENT_PROPERTY, ...fields, reason: { type: "string", minLength: 1 } },
      required: ["component", ...required, "reason"],
    },
    default: [],
  });
}
