/** One offline policy run: pack config → server (started or reused) → configure → Analyze/AnalyzeStack → report. */
import { existsSync } from "node:fs";
import { readRawStackFile, stackFilePath } from "../../config/stack-file";
import { allPolicies } from "../policies";
import { loadPackConfig, policyConfigPath, type PackConfig } from "./policy-config";
import { summarise, type PolicyRunReport } from "./report";
import { PolicyPackServer } from "./server";
import type { RecordedResource } from "./types";

/** The stack's config as the CLI hands it to a policy pack in PULUMI_CONFIG (secrets are not read offline). */
export function stackConfigEnv(projectDir: string, stack: string): Record<string, string> {
  const file = stackFilePath(projectDir, stack);
  if (!existsSync(file)) {
    return {};
  }
  const raw = readRawStackFile(file);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.values)) {
    if (!raw.secretKeys.has(key)) {
      env[`myoci:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return env;
}

export function packConfigFor(stack: string, file?: string): PackConfig {
  return loadPackConfig(file ?? policyConfigPath(stack), allPolicies, { optional: file === undefined });
}

/** Analyzes resources with a running pack server. */
export async function checkWithServer(
  server: PolicyPackServer,
  stack: string,
  resources: readonly RecordedResource[],
  config: PackConfig,
): Promise<PolicyRunReport> {
  const info = await server.info();
  await server.configure(config);
  const findings = await server.analyze(resources, new Map(info.policies.map((p) => [p.name, p.description])));
  return summarise(stack, { name: info.name, version: info.version, policies: info.policies.length }, resources, findings);
}
