/** Text and JSON reports of an offline policy run. */
import type { Finding, RecordedResource } from "./types";

export interface PolicyRunReport {
  readonly stack: string;
  readonly pack: { readonly name: string; readonly version: string; readonly policies: number };
  readonly resources: number;
  readonly mandatory: number;
  readonly advisory: number;
  readonly passed: boolean;
  readonly findings: readonly Finding[];
}

export function summarise(stack: string, pack: PolicyRunReport["pack"], resources: readonly RecordedResource[], findings: readonly Finding[]): PolicyRunReport {
  const mandatory = findings.filter((f) => f.level === "mandatory").length;
  return {
    stack,
    pack,
    resources: resources.length,
    mandatory,
    advisory: findings.filter((f) => f.level === "advisory").length,
    passed: mandatory === 0,
    findings,
  };
}

function resourceTitle(finding: Finding, byUrn: ReadonlyMap<string, RecordedResource>): string {
  if (finding.resource === undefined) {
    return "stack (no single resource)";
  }
  const r = byUrn.get(finding.resource.urn);
  const dockerName = r?.inputs["name"];
  const name = typeof dockerName === "string" && r?.type !== "pulumi:pulumi:StackReference" ? dockerName : finding.resource.name;
  return `${name}  (${finding.resource.type || "resource"} ${finding.resource.name})`;
}

/** Violations grouped by resource, each with level, policy and message. */
export function formatText(report: PolicyRunReport, resources: readonly RecordedResource[]): string {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const lines = [
    `Policy pack ${report.pack.name}@v${report.pack.version} (${report.pack.policies} policies) on stack ${report.stack}: ${report.resources} resources analyzed, ${report.mandatory} mandatory and ${report.advisory} advisory violation${report.advisory === 1 ? "" : "s"}.`,
  ];
  const groups = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    const title = resourceTitle(finding, byUrn);
    groups.set(title, [...(groups.get(title) ?? []), finding]);
  }
  for (const [title, findings] of groups) {
    lines.push("", title);
    for (const f of findings) {
      lines.push(`  [${f.level}] ${f.policy}: ${f.message.replace(/\n/g, "\n      ")}`);
    }
  }
  lines.push("", report.passed ? "PASSED: no mandatory violation." : `FAILED: ${report.mandatory} mandatory violation${report.mandatory === 1 ? "" : "s"}.`);
  return lines.join("\n");
}
