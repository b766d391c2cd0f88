/** Reads the stack config inside a Pulumi program (real engine or mocks) and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, PROJECT, type StackConfig } from "./schema";

// Not in the SDK's typings, but exported by it: whether a config key holds a secret.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

/** Structured config arrives as JSON text; scalars as plain strings. */
function decode(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/** Validated config of the current stack; throws one ConfigError listing every problem. */
export function loadPulumiConfig(): StackConfig {
  const stack = pulumi.getStack();
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, ...rest] = fullKey.split(":");
    const key = rest.join(":");
    if (namespace !== PROJECT) {
      // Provider config (docker:host, …) is legitimate in a Pulumi stack; only myoci: keys are ours.
      continue;
    }
    values[key] = decode(value);
    if (isConfigSecret(fullKey)) {
      secretKeys.add(key);
    }
  }
  const result = parseStackConfig({ values, secretKeys }, stack, `Pulumi.${stack}.yaml`);
  if (!result.ok) {
    throw new ConfigError(result.issues);
  }
  return result.config;
}
