/** `myoci dashboard`: gathers the stack files and the optional reports, and writes site/index.html. */
import * as path from "node:path";
import { readPromotionRecord } from "../../../config/promotion-record";
import { makeDirectory, writeFileAtomic } from "../../../config/atomic-write";
import { loadStackFile } from "../../../config/stack-file";
import { computeFindings, DEFAULT_ACCEPTANCE_FILE, DEFAULT_STATE_FILE, readAcceptances, readVulnState, stacksInDir } from "../vulns";
import { readCheckJson, readDriftJson, readRolloutJson, readVulnsJson, type DriftInput } from "./inputs";
import { buildModel, type DashboardFinding, type DashboardModel } from "./model";
import { renderDashboard } from "./render";

export * from "./inputs";
export * from "./model";
export * from "./render";

export interface DashboardOptions {
  readonly projectDir: string;
  readonly stacks?: readonly string[];
  readonly checkJson?: string;
  readonly driftJson?: readonly string[];
  /** `myoci vulns --json` output (includes Trivy findings); default: catalog advisories + vulns-state.json. */
  readonly vulnsJson?: string;
  /** `myoci rollout --json` / `myoci rollback --json` reports (rollouts that need a person). */
  readonly rolloutJson?: readonly string[];
  readonly now?: Date;
}

/** Reads every input (throws ConfigError on a bad one) and returns the model and the page. */
export function buildDashboard(options: DashboardOptions): { model: DashboardModel; html: string } {
  const dir = options.projectDir;
  const now = options.now ?? new Date();
  const names = options.stacks ?? stacksInDir(dir);
  const configs = names.map((stack) => loadStackFile(dir, stack, { placeholderSecrets: true }));
  const stacks = configs.map((c) => ({ stack: c.stack, images: c.images, promotesFrom: c.promotion.stagingStack?.split("/").pop() }));
  // (stagingStack is a stack reference, org/project/stack: its last part names the stack file.)
  const check = options.checkJson !== undefined ? readCheckJson(options.checkJson) : undefined;
  const drift: DriftInput[] = (options.driftJson ?? []).flatMap((file) => readDriftJson(file));
  const rollouts = (options.rolloutJson ?? []).map((file) => readRolloutJson(file));
  let findings: DashboardFinding[];
  let vulnsSource: string;
  if (options.vulnsJson !== undefined) {
    const vulns = readVulnsJson(options.vulnsJson);
    findings = vulns.findings;
    vulnsSource = `npx myoci vulns of ${vulns.checkedAt.slice(0, 16).replace("T", " ")} UTC`;
  } else {
    // Read-only: the dashboard never records first sightings (myoci vulns does).
    const result = computeFindings({
      stacks,
      state: readVulnState(path.join(dir, DEFAULT_STATE_FILE)),
      acceptances: readAcceptances(path.join(dir, DEFAULT_ACCEPTANCE_FILE)),
      now,
    });
    findings = [...result.findings];
    vulnsSource = "the catalog (with first sightings from vulns-state.json); Trivy findings need `--vulns-json`";
  }
  // The promotion record named by the stacks (default promotions.yaml).
  const recordFile = path.resolve(dir, configs[0]?.promotion.record ?? "promotions.yaml");
  const model = buildModel({ stacks, check, drift, rollouts, findings, promotions: readPromotionRecord(recordFile), now });
  const html = renderDashboard(model, {
    generatedAt: now.toISOString(),
    checkedAt: check?.checkedAt,
    driftStacks: [...new Set(drift.map((d) => d.stack))],
    vulnsSource,
    rollouts: rollouts.length,
  });
  return { model, html };
}

export function writeDashboard(outDir: string, html: string): string {
  makeDirectory(outDir);
  const file = path.join(outDir, "index.html");
  writeFileAtomic(file, html);
  return file;
}
