/**
 * `myoci rollback --stack s [--to N]`: restore the pins of an earlier successful deployment (from the stack's
 * update history), `up` with the policy pack and verify the changed services. Exit 0 restored and verified,
 * 2 otherwise (refused or not started — stack locked, not in the backend —, interrupted, canceled, or the rollback
 * itself failed — with next steps). Its `verified` entry lists the restored components that passed their checks.
 */
import { containerName, LABEL, type ComponentId, type PinSet } from "../../../catalog";
import type { DeploymentSummary } from "../../adapters/pulumi-engine/engine";
import { changesTo, samePins } from "../../../config/stack-file/pins";
import { checksPassed, describeUp, stepRecorder, verifyRollback } from "./steps";
import type { RolloutDeps, RolloutReport, StackReport } from "./types";
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

export type RollbackDeps = Omit<RolloutDeps, "resolver" | "backups" | "isVerified">;

export async function runRollback(stack: string, to: number, deps: RollbackDeps): Promise<RolloutReport> {
  const locked = await deps.withStackLocks([stack], () => rollbackLocked(stack, to, deps));
  if ("value" in locked) {
    return locked.value;
  }
  const report = emptyReport(stack, deps.now());
  report.refusals.push(locked.locked);
  report.nextSteps.push("Nothing was changed (not started). Wait for the other run to finish, then run the rollback again.");
  report.exitCode = 2;
  report.summary = "not started: the stack is locked by another myoci run";
  report.endedAt = report.startedAt;
  return report;
}

function emptyReport(stack: string, now: number): RolloutReport {
  return {
    command: "rollback",
    startedAt: new Date(now).toISOString(),
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
}

async function rollbackLocked(stack: string, to: number, deps: RollbackDeps): Promise<RolloutReport> {
  const started = deps.now();
  const iso = (ms: number): string => new Date(ms).toISOString();
  const report = emptyReport(stack, started);
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
  const stackReport: StackReport = {
    stack,
    outcome: "untouched",
    from: pick(current),
    to: pick(target),
    reverified: [],
    verified: [],
    backups: [],
    probes: [],
    rollbackProbes: [],
  };
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
    const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", cancel: deps.cancel, timeoutMs: deps.upTimeoutMs });
    return {
      ok: outcome.result === "succeeded",
      detail: outcome.result === "succeeded" ? `pins of update #${version} deployed` : describeUp(outcome, false),
      value: outcome,
    };
  });
  if (up.value?.result === "locked" || (up.value?.result === "canceled" && up.value.why === "interrupt")) {
    // Nothing (locked) or an unknown part (canceled) of the restore was deployed: the file goes back to the deployed pins.
    await deps.engine.setPins(changesTo(current, changed));
    stackReport.outcome = up.value.result === "locked" ? "not-started" : "canceled";
    report.nextSteps.push(
      up.value.result === "locked"
        ? `\`up\` did not start: Pulumi's stack lock is held by ${up.value.holder}. Pulumi.${stack}.yaml holds the deployed pins again. Wait for that update (or release a dead one's lock: pulumi cancel --stack ${stack}), then re-run: myoci rollback --stack ${stack} --to ${to}`
        : `\`up\` was canceled through Pulumi's cancel (second interrupt). Pulumi.${stack}.yaml holds the pins it had before; resources the canceled update had replaced run the older image until the next up. Re-run: myoci rollback --stack ${stack} --to ${to}`,
    );
    return finish(2, up.value.result === "locked" ? `${stack}: not started, the stack is locked` : `interrupted: the rollback up of ${stack} was canceled`);
  }
  const verified = up.ok ? await step("rollback-verify", () => verifyRollback(deps, stack, config.dockerHost, changed, stackReport)) : { ok: false };
  stackReport.rollbackDurationMs = deps.now() - rollbackStart;
  if (verified.ok) {
    stackReport.outcome = "rolled-back";
    const checks = checksPassed(changed, stackReport.rollbackProbes);
    stackReport.verified = changed.filter((c) => checks[c] !== undefined);
    if (stackReport.verified.length > 0) {
      deps.recordVerified(stack, pick(target), checks, iso(deps.now()), `myoci rollback --to ${to} (pins of update #${version})`);
    }
    return finish(0, `${stack}: rolled back to the pins of update #${version} and verified in ${formatDuration(stackReport.rollbackDurationMs)}`);
  }
  stackReport.outcome = "rollback-failed";
  report.nextSteps.push(
    `ROLLBACK OF ${stack.toUpperCase()} FAILED (${up.ok ? "verification" : "up"} failed). Pulumi.${stack}.yaml holds the pins of update #${version}.`,
    `1. See what runs: DOCKER_HOST=${config.dockerHost} docker ps -a --filter label=${LABEL.stack}=${stack}; docker logs <name> (${changed.map((c) => containerName(stack, c)).join(" ")})`,
    `2. Deploy by hand and read the error: pulumi up --stack ${stack} --policy-pack policy`,
    `3. Try an older deployment: myoci rollback --stack ${stack} --to ${to + 1}`,
  );
  return finish(2, `${stack}: rollback failed`);
}
