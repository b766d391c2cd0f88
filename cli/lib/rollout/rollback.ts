/**
 * `myoci rollback --stack s [--to N]`: restore the pins of an earlier successful deployment (from the stack's
 * update history), `up` with the policy pack and verify the changed services. Exit 0 restored and verified,
 * 2 otherwise (refused before anything changed, interrupted, or the rollback itself failed — with next steps).
 */
import type { ComponentId } from "../../../catalog";
import type { DeploymentSummary } from "../pulumi-engine/engine";
import { changesTo, samePins, type PinSet } from "../pulumi-engine/stack-pins";
import { containerName } from "../backup";
import { stepRecorder, verifyRollback, type RolloutDeps, type RolloutReport, type StackReport } from "./rollout";
import { formatDuration } from "./report";

/**
 * The N-th earlier pin set (1 = the most recent): successful updates that carry `myoci:images`, newest first,
 * counting only pin sets that differ from the current pins and from the one counted before.
 */
export function selectRollbackTarget(history: readonly DeploymentSummary[], current: PinSet, to = 1): { pins: PinSet; version: number } | { error: string } {
  const candidates: { pins: PinSet; version: number }[] = [];
  for (const update of [...history].sort((a, b) => b.version - a.version)) {
    if (update.result !== "succeeded" || update.kind !== "update" || !update.images) {
      continue;
    }
    const previous = candidates[candidates.length - 1];
    if (samePins(update.images, current) || (previous && samePins(previous.pins, update.images))) {
      continue;
    }
    candidates.push({ pins: update.images, version: update.version });
  }
  const target = candidates[to - 1];
  return (
    target ?? { error: `--to ${to}: the stack's history holds ${candidates.length} earlier successful deployment(s) with pins different from the current ones` }
  );
}

export type RollbackDeps = Omit<RolloutDeps, "resolver" | "backups">;

export async function runRollback(stack: string, to: number, deps: RollbackDeps): Promise<RolloutReport> {
  const started = deps.now();
  const iso = (ms: number): string => new Date(ms).toISOString();
  const report: RolloutReport = {
    command: "rollback",
    startedAt: iso(started),
    endedAt: "",
    durationMs: 0,
    exitCode: 0,
    summary: "",
    request: { changes: {}, stacks: [stack], migrate: false },
    refusals: [],
    stacks: [],
    steps: [],
    nextSteps: [],
  };
  const finish = (exitCode: 0 | 2, summary: string): RolloutReport => {
    report.exitCode = exitCode;
    report.summary = summary;
    report.endedAt = iso(deps.now());
    report.durationMs = deps.now() - started;
    return report;
  };
  const step = stepRecorder(report, stack, deps.now, deps.log ?? (() => undefined));

  let config;
  try {
    config = deps.loadConfig(stack);
  } catch (error) {
    report.refusals.push(error instanceof Error ? error.message : String(error));
    report.nextSteps.push("Nothing was changed.");
    return finish(2, "refused before anything changed");
  }
  const recorded = await step<{ current: PinSet; target: PinSet; version: number }>("record", async () => {
    await deps.engine.selectStack(stack);
    const current = await deps.engine.getPins();
    const target = selectRollbackTarget(await deps.engine.history(), current, to);
    if ("error" in target) {
      return { ok: false, detail: target.error };
    }
    return { ok: true, detail: `target: update #${target.version}`, value: { current, target: target.pins, version: target.version } };
  });
  if (!recorded.ok || !recorded.value) {
    report.refusals.push(report.steps[report.steps.length - 1]!.detail);
    report.nextSteps.push(`Nothing was changed. See the history: pulumi stack history --stack ${stack}`);
    return finish(2, "refused before anything changed");
  }
  const { current, target, version } = recorded.value;
  const keys = (p: PinSet): string => Object.keys(p).sort().join(",");
  if (keys(current) !== keys(target)) {
    report.refusals.push(
      `update #${version} ran a different set of components (${keys(target)}) than Pulumi.${stack}.yaml pins now (${keys(current)}); a log-shipper switch cannot be rolled back by pins alone`,
    );
    report.nextSteps.push(
      `Nothing was changed. Roll back by hand: restore Pulumi.${stack}.yaml from git and run pulumi up --stack ${stack} --policy-pack policy`,
    );
    return finish(2, "refused before anything changed");
  }
  const changed = (Object.keys(current) as ComponentId[]).filter((c) => current[c]?.digest !== target[c]?.digest || current[c]?.tag !== target[c]?.tag);
  const pick = (p: PinSet): PinSet => Object.fromEntries(changed.map((c) => [c, p[c]!]));
  const stackReport: StackReport = { stack, outcome: "untouched", from: pick(current), to: pick(target), backups: [], probes: [], rollbackProbes: [] };
  report.stacks.push(stackReport);
  if (deps.signal?.aborted) {
    stackReport.outcome = "interrupted";
    report.nextSteps.push(`Interrupted before anything changed. Re-run: myoci rollback --stack ${stack} --to ${to}`);
    return finish(2, "interrupted before anything changed");
  }
  const rollbackStart = deps.now();
  await step("restore-pins", async () => {
    await deps.engine.setPins(changesTo(target, changed));
    return { ok: true, detail: changed.map((c) => `${c} ${current[c]!.tag} → ${target[c]!.tag}`).join(", ") };
  });
  if (deps.signal?.aborted) {
    await deps.engine.setPins(changesTo(current, changed));
    stackReport.outcome = "interrupted";
    report.nextSteps.push(`Interrupted before up; Pulumi.${stack}.yaml holds the deployed pins again. Re-run: myoci rollback --stack ${stack} --to ${to}`);
    return finish(2, "interrupted before anything was deployed");
  }
  const up = await step("rollback-up", async () => {
    const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy" });
    return { ok: outcome.ok, detail: outcome.ok ? `pins of update #${version} deployed` : `up failed: ${outcome.error ?? "unknown error"}` };
  });
  const verified = up.ok ? await step("rollback-verify", () => verifyRollback(deps, stack, config.dockerHost, changed, stackReport)) : { ok: false };
  stackReport.rollbackDurationMs = deps.now() - rollbackStart;
  if (verified.ok) {
    stackReport.outcome = "rolled-back";
    deps.recordVerified(stack, target, iso(deps.now()), `myoci rollback --to ${to} (update #${version})`);
    return finish(0, `${stack}: rolled back to the pins of update #${version} and verified in ${formatDuration(stackReport.rollbackDurationMs)}`);
  }
  stackReport.outcome = "rollback-failed";
  report.nextSteps.push(
    `ROLLBACK OF ${stack.toUpperCase()} FAILED (${up.ok ? "verification" : "up"} failed). Pulumi.${stack}.yaml holds the pins of update #${version}.`,
    `1. See what runs: DOCKER_HOST=${config.dockerHost} docker ps -a --filter label=myoci.stack=${stack}; docker logs <name> (${changed.map((c) => containerName(stack, c)).join(" ")})`,
    `2. Deploy by hand and read the error: pulumi up --stack ${stack} --policy-pack policy`,
    `3. Try an older deployment: myoci rollback --stack ${stack} --to ${to + 1}`,
  );
  return finish(2, `${stack}: rollback failed`);
}
