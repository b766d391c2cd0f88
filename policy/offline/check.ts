import * as path from "node:path";
/** One offline policy run: pack config → server (started or reused) → configure → Analyze/AnalyzeStack → report. */
import { allPolicies } from "../policies";
import { componentOf, LABEL, labelsOf, TYPES } from "../lib/resources";
import { loadPackConfig, PolicyConfigError, policyConfigPath, type PackConfig } from "./policy-config";
import { summarise, type PolicyRunReport } from "./report";
import { PolicyPackServer } from "./server";
import type { Finding, RecordedResource } from "./types";

export function packConfigFor(stack: string, file?: string): PackConfig {
  return loadPackConfig(file ?? policyConfigPath(stack), allPolicies, { optional: file === undefined });
}

/** Pack properties naming a project's file or folder; a relative one is relative to the project (the pack resolves it against its parent, the program's own project). */
const PROJECT_PATH_PROPERTIES = ["recordFile", "provenanceFile", "stackFiles", "stateFile", "acceptanceFile"] as const;

/** The pack config for the stack files and records of `projectDir` (another folder than the program's own project): its relative project paths made absolute there. */
export function inProject(config: PackConfig, projectDir: string): PackConfig {
  const copy = structuredClone(config);
  for (const entry of Object.values(copy)) {
    for (const key of PROJECT_PATH_PROPERTIES) {
      const value = entry.properties[key];
      if (typeof value === "string") entry.properties[key] = path.resolve(projectDir, value);
    }
  }
  return copy;
}

/**
 * Allowlist entries must name a component the program runs: the schema already limits them to catalog components
 * (an enum the Pulumi CLI checks too); here, against the evaluated program, an entry for a component this stack
 * has no container of is refused as well (it would silently allow nothing — or the wrong thing after a rename).
 */
export function checkAllowlistNames(config: PackConfig, resources: readonly RecordedResource[], file: string): void {
  const running = new Set<string>(resources.filter((r) => r.type === TYPES.container).flatMap((r) => componentOf(r.inputs) ?? []));
  const problems: string[] = [];
  for (const [policy, { properties }] of Object.entries(config)) {
    for (const [key, value] of Object.entries(properties)) {
      (Array.isArray(value) ? value : []).forEach((item: unknown, i) => {
        const component = (item as { component?: unknown } | null)?.component;
        if (typeof component === "string" && !running.has(component)) {
          problems.push(
            `${policy}.${key}[${i}].component = ${JSON.stringify(component)}: no container of this stack runs that component (running: ${[...running].join(", ")})`,
          );
        }
      });
    }
  }
  if (problems.length > 0) {
    throw new PolicyConfigError(file, problems);
  }
}

/**
 * What the pack cannot see: the Analyzer protocol carries `protect` but not `retainOnDelete` (AnalyzerResourceOptions,
 * @pulumi/pulumi 3.270), so the runner checks it on the recorded options, reported under the volume policy.
 */
export function retainOnDeleteFindings(resources: readonly RecordedResource[], config: PackConfig): Finding[] {
  const level = config["require-protected-data-volumes"]?.enforcementLevel ?? "mandatory";
  if (level === "disabled") {
    return [];
  }
  return resources
    .filter((r) => r.type === TYPES.volume && labelsOf(r.inputs)[LABEL.data] === "true" && r.opts.retainOnDelete !== true)
    .map((r) => ({
      policy: "require-protected-data-volumes",
      level: level === "remediate" ? "mandatory" : level,
      message: `Volume ${typeof r.inputs["name"] === "string" ? r.inputs["name"] : r.name} holds data but retainOnDelete is not set: once unprotected, removing it from the program would delete the data. (Checked by the offline runner on the program's options: the Analyzer protocol does not carry retainOnDelete.)`,
      resource: { urn: r.urn, type: r.type, name: r.name },
    }));
}

/** Analyzes resources with a running pack server. */
export async function checkWithServer(
  server: PolicyPackServer,
  stack: string,
  resources: readonly RecordedResource[],
  config: PackConfig,
  configFile: string = policyConfigPath(stack),
): Promise<PolicyRunReport> {
  checkAllowlistNames(config, resources, configFile);
  const info = await server.info();
  await server.configure(config);
  const findings = await server.analyze(resources, new Map(info.policies.map((p) => [p.name, p.description])));
  return summarise(stack, { name: info.name, version: info.version, policies: info.policies.length }, resources, [
    ...findings,
    ...retainOnDeleteFindings(resources, config),
  ]);
}
