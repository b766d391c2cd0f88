/**
 * The steps of one stack's rollout, each a small function of the stack's run: it records its phase in the report
 * and answers "next" (go on), "done" (the stack is rolled out and verified) or a Stop (the run ends here: the
 * stack's outcome, the exit code, the summary and what to do next). Also the step recorder and the checks that
 * rollback shares.
 */
import { CATALOG, containerName, LABEL, type ComponentId, type PinSet } from "../../../catalog";
import type { VerifiedCheck } from "../../../config/promotion-record";
import { StackNotFoundError, type UpOutcome } from "../../adapters/pulumi-engine/engine";
import { changesTo, samePins } from "../../../config/stack-file/pins";
import { describeProbes, probeTargets, type ProbeResult } from "../../adapters/probe";
import { formatDuration } from "./report";
import { pick, type StackPlan } from "./plan";
import type { Phase, RolloutDeps, RolloutReport, StackOutcome, StackReport } from "./types";

export const iso = (ms: number): string => new Date(ms).toISOString();

export type StepAction<T> = () => Promise<{ ok: boolean; detail: string; value?: T }>;
export type Step = <T>(phase: Phase, action: StepAction<T>) => Promise<{ ok: boolean; value?: T; error?: unknown }>;

/**
 * Runs one phase of a stack and records it in the report with its times; a thrown error is a failed step.
 * Shared by rollout and rollback so both reports time their steps the same way.
 */
export function stepRecorder(report: RolloutReport, stack: string, now: () => number, log: (line: string) => void): Step {
  return async <T>(phase: Phase, action: StepAction<T>): Promise<{ ok: boolean; value?: T; error?: unknown }> => {
    const t0 = now();
    log(`${stack}: ${phase} …`);
    let result: { ok: boolean; detail: string; value?: T };
    let thrown: unknown;
    try {
      result = await action();
    } catch (error) {
      thrown = error;
      result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const t1 = now();
    report.steps.push({ stack, phase, startedAt: iso(t0), endedAt: iso(t1), durationMs: t1 - t0, ok: result.ok, detail: result.detail });
    log(`${stack}: ${phase} ${result.ok ? "ok" : "FAILED"} (${formatDuration(t1 - t0)}) ${result.detail}`);
    return { ok: result.ok, value: result.value, error: thrown };
  };
}

/** One line for an `up` step. */
export function describeUp(outcome: UpOutcome, noChanges: boolean): string {
  switch (outcome.result) {
    case "succeeded":
      return noChanges ? "deployed (no changes expected: re-deploy of the pins to verify)" : "deployed (containers healthy)";
    case "failed":
      return `up failed: ${outcome.error}`;
    case "canceled":
      return outcome.why === "timeout"
        ? `up timed out; canceled through Pulumi's cancel: ${outcome.error}`
        : `up canceled through Pulumi's cancel: ${outcome.error}`;
    case "locked":
      return `not started: the stack is locked by ${outcome.holder}`;
  }
}

/**
 * The check each target passed: its HTTP probe (a result with verdict pass), or — for a component without an HTTP
 * probe — the container healthcheck the successful `up` waited for. A probe that did not run is not a pass.
 */
export function checksPassed(targets: readonly ComponentId[], results: readonly ProbeResult[]): Partial<Record<ComponentId, VerifiedCheck>> {
  const probed = new Set(probeTargets(targets).map((t) => t.component));
  const checks: Partial<Record<ComponentId, VerifiedCheck>> = {};
  for (const component of targets) {
    if (!probed.has(component)) {
      checks[component] = "container-healthcheck";
    } else if (results.some((r) => r.component === component && r.verdict === "pass")) {
      checks[component] = "http-probe";
    }
  }
  return checks;
}

/** Probes the restored services after a rollback's `up` (no abort signal: a rollback always finishes its check). */
export async function verifyRollback(
  deps: Pick<RolloutDeps, "prober">,
  stack: string,
  dockerHost: string,
  changed: readonly ComponentId[],
  stackReport: StackReport,
): Promise<{ ok: boolean; detail: string }> {
  const result = await deps.prober.verify(stack, dockerHost, changed);
  stackReport.rollbackProbes = result.results;
  return { ok: result.verdict === "pass", detail: describeProbes(result.results) };
}

/** Where the run ends: the stack's outcome, the run's exit code and summary, and what to do next. */
export interface Stop {
  readonly outcome: StackOutcome;
  readonly exitCode: 0 | 1 | 2;
  readonly summary: string;
  readonly next: readonly string[];
}

export type StepOutcome = "next" | "done" | Stop;

const stop = (outcome: StackOutcome, exitCode: 0 | 1 | 2, summary: string, ...next: string[]): Stop => ({ outcome, exitCode, summary, next });

/** One stack's run: its plan, its part of the report, and what the steps learn on the way. */
export interface StackRun {
  readonly deps: RolloutDeps;
  readonly plan: StackPlan;
  readonly report: RolloutReport;
  readonly stackReport: StackReport;
  readonly step: Step;
  /** The changed and re-verified components. */
  readonly targets: readonly ComponentId[];
  /** The stacks after this one (untouched when it stops). */
  readonly later: readonly string[];
  /** The command that re-runs the request from this stack on. */
  readonly again: string;
  /** The PostgreSQL dump the backup step wrote. */
  dumpFile?: string;
  /** Why the deployment failed (the rollback runs). */
  failure?: string;
}

const aborted = (run: StackRun): boolean => run.deps.signal?.aborted === true;
const lastDetail = (run: StackRun): string => run.report.steps[run.report.steps.length - 1]!.detail;

/** Reads the stack's pins: they must still be the planned ones. */
export async function recordPins(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, later, again } = run;
  const { stack } = plan;
  const recorded = await run.step<PinSet>("record", async () => {
    await deps.engine.selectStack(stack);
    const current = await deps.engine.getPins();
    return {
      ok: samePins(current, plan.before),
      detail: samePins(current, plan.before) ? `${Object.keys(current).length} pins recorded` : "the stack file changed since the rollout was planned",
      value: current,
    };
  });
  if (!recorded.ok) {
    const detail = lastDetail(run);
    if (recorded.value === undefined) {
      const missing = recorded.error instanceof StackNotFoundError;
      return stop(
        "not-started",
        2,
        missing ? `${stack}: not in the Pulumi backend; nothing changed` : `${stack}: the engine could not select the stack`,
        `Nothing was changed on ${stack}${later.length > 0 ? ` or ${later.join(", ")}` : ""}: ${detail}.`,
        missing ? `myoci never creates a stack; once it exists in the backend, run: ${again}` : `Then re-run: ${again}`,
      );
    }
    return stop(
      "interrupted",
      2,
      `${stack}: stack file changed underneath the rollout`,
      `Pulumi.${stack}.yaml changed while the rollout ran; nothing was changed by this run. Re-run: ${again}`,
    );
  }
  if (run.targets.length === 0) {
    run.stackReport.outcome = "unchanged";
    return "done";
  }
  if (aborted(run)) {
    return stop(
      "interrupted",
      2,
      `interrupted before ${stack} changed`,
      `Interrupted before ${stack} changed; Pulumi.${stack}.yaml still holds the deployed pins. Re-run: ${again}`,
    );
  }
  return "next";
}

/** Backs up every changed stateful component first: a failed backup leaves nothing to undo. */
export async function backUp(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, stackReport, again } = run;
  const { stack, config } = plan;
  for (const component of plan.changed.filter((c) => CATALOG[c].backup !== "none")) {
    const backup = await run.step("backup", async () => {
      const outcome = await deps.backups.backup({
        stack,
        dockerHost: config.dockerHost,
        component,
        dir: config.backups.dir,
        keep: config.backups.keep,
        postgresMajor: config.postgres.dataMajor,
      });
      if (!outcome) {
        return { ok: true, detail: `${component}: nothing to back up` };
      }
      if (!outcome.ok) {
        return { ok: false, detail: outcome.error ?? `${component}: backup failed` };
      }
      stackReport.backups.push(...outcome.files);
      if (component === "postgres") {
        run.dumpFile = outcome.files[0];
      }
      return {
        ok: true,
        detail: `${component}: ${outcome.files.join(", ")}${outcome.deleted.length > 0 ? ` (pruned ${outcome.deleted.length} older)` : ""}`,
      };
    });
    if (!backup.ok) {
      return stop(
        "backup-failed",
        2,
        `${stack}: backup failed, nothing changed`,
        `The backup of ${component} on ${stack} failed; nothing was deployed and Pulumi.${stack}.yaml is unchanged. Check free space and ${config.backups.dir} on ${config.dockerHost}, then re-run: ${again}`,
      );
    }
  }
  if (aborted(run)) {
    return stop(
      "interrupted",
      2,
      `interrupted before ${stack} changed`,
      `Interrupted before ${stack}'s pins were written; Pulumi.${stack}.yaml still holds the deployed pins. Backups taken: ${stackReport.backups.join(", ") || "none"}. Re-run: ${again}`,
    );
  }
  return "next";
}

/** Writes the recorded pins (and no migration) back. */
async function restorePins(run: StackRun): Promise<void> {
  await run.deps.engine.setPins(changesTo(run.plan.before, run.plan.changed));
  if (run.plan.migration) {
    await run.deps.engine.setPostgresMigration(null);
  }
}

/** Writes the recorded pins back (nothing of this run was deployed) and stops. */
async function undeployed(run: StackRun, outcome: StackOutcome, summary: string, why: string, ...next: string[]): Promise<Stop> {
  const { plan, later } = run;
  const restored =
    plan.changed.length === 0
      ? { ok: true }
      : await run.step("restore-pins", async () => (await restorePins(run), { ok: true, detail: `${why}: deployed pins restored` }));
  return stop(
    outcome,
    2,
    summary,
    restored.ok
      ? `${why}; Pulumi.${plan.stack}.yaml holds the deployed pins again.${later.length > 0 ? ` Not touched: ${later.join(", ")}.` : ""}`
      : `${why}, and writing the deployed pins back failed: restore Pulumi.${plan.stack}.yaml with git (git diff Pulumi.${plan.stack}.yaml).`,
    ...next,
  );
}

/** Writes the new pins (and the migration flag) into the stack file. */
export async function writePins(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, again } = run;
  const { stack } = plan;
  if (plan.changed.length === 0) {
    return "next";
  }
  const written = await run.step("write-pins", async () => {
    await deps.engine.setPins(Object.fromEntries(plan.changed.map((c) => [c, plan.after[c]!])));
    if (plan.migration) {
      await deps.engine.setPostgresMigration(plan.migration);
    }
    return { ok: true, detail: plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"} → ${plan.after[c]!.tag}`).join(", ") };
  });
  if (!written.ok) {
    await restorePins(run).catch(() => undefined);
    return stop(
      "interrupted",
      2,
      `${stack}: writing the pins failed`,
      `Writing Pulumi.${stack}.yaml failed (the write is atomic: the file holds the old or the new pins, never a mix). Check it with \`git diff Pulumi.${stack}.yaml\`, restore it if needed, then re-run: ${again}`,
    );
  }
  if (aborted(run)) {
    return undeployed(run, "interrupted", `interrupted before ${stack} was deployed`, `Interrupted before \`up\` of ${stack}`, `Re-run: ${again}`);
  }
  return "next";
}

/** `up` with the policy pack: succeeds or fails on Pulumi's result alone (a failure is rolled back). */
export async function deploy(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, again, targets } = run;
  const { stack } = plan;
  const up = await run.step<UpOutcome>("up", async () => {
    const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", cancel: deps.cancel, timeoutMs: deps.upTimeoutMs });
    return { ok: outcome.result === "succeeded", detail: describeUp(outcome, plan.changed.length === 0), value: outcome };
  });
  const outcome = up.value;
  if (outcome?.result === "locked") {
    return undeployed(
      run,
      "not-started",
      `${stack}: not started, the stack is locked by ${outcome.holder}`,
      `\`up\` of ${stack} did not start: Pulumi's stack lock is held by ${outcome.holder}`,
      `Nothing of this run was deployed. Wait for that update to end (or, if it died, release its lock: pulumi cancel --stack ${stack}), then re-run: ${again}`,
    );
  }
  if (outcome?.result === "canceled" && outcome.why === "interrupt") {
    return undeployed(
      run,
      "canceled",
      `interrupted: up of ${stack} canceled`,
      `\`up\` of ${stack} was canceled through Pulumi's cancel (second interrupt)`,
      `Resources the canceled update had already replaced run the new image until the next up. To finish: ${again}; to return to the pins in the file: pulumi up --stack ${stack} --policy-pack policy`,
    );
  }
  if (!up.ok) {
    run.failure = outcome?.result === "canceled" ? `up timed out after ${formatDuration(deps.upTimeoutMs ?? 0)}` : "up failed";
    if (aborted(run)) {
      return undeployed(
        run,
        "interrupted",
        `interrupted: up of ${stack} failed, no rollback run`,
        `\`up\` of ${stack} failed after the interrupt, so no rollback \`up\` ran`,
        `Deploy the restored pins: pulumi up --stack ${stack} --policy-pack policy (what the rollback would have run), then investigate.`,
      );
    }
    return "next";
  }
  if (aborted(run)) {
    return stop(
      "interrupted",
      2,
      `interrupted: ${stack} deployed but not verified`,
      `Interrupted after ${stack} was deployed, before verification: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Re-run \`${again}\`: its up is a no-op and it verifies and records ${targets.join(", ")}; or roll back: myoci rollback --stack ${stack}`,
    );
  }
  return "next";
}

/** What the backend says was deployed. Its failure is never a reason to roll back. */
export async function readDeployment(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, stackReport, again, targets } = run;
  const { stack } = plan;
  if (run.failure !== undefined) {
    return "next";
  }
  const booked = await run.step("deployment", async () => {
    const deployment = await deps.engine.lastDeployment();
    const wrong = targets.filter((c) => deployment.exported[c]?.digest !== plan.after[c]!.digest || deployment.exported[c]?.tag !== plan.after[c]!.tag);
    stackReport.update = deployment.update?.version;
    if (deployment.update?.result !== "succeeded") {
      return {
        ok: false,
        detail: `the stack history's newest update is ${deployment.update ? `#${deployment.update.version} ${deployment.update.result}` : "missing"}`,
      };
    }
    if (wrong.length > 0) {
      return {
        ok: false,
        detail: `the stack's exported images disagree for ${wrong.map((c) => `${c} (${deployment.exported[c]?.tag ?? "none"})`).join(", ")}`,
      };
    }
    return { ok: true, detail: `update #${deployment.update.version} exports ${targets.map((c) => `${c} ${plan.after[c]!.tag}`).join(", ")}` };
  });
  if (!booked.ok) {
    return stop(
      "bookkeeping-failed",
      2,
      `${stack}: deployed, bookkeeping failed`,
      `${stack} was deployed (up succeeded) but reading its outputs and history failed: ${lastDetail(run)}. Nothing was rolled back; Pulumi.${stack}.yaml holds the new (deployed, unverified) pins.`,
      `Check \`pulumi stack output --stack ${stack}\` and \`pulumi stack history --stack ${stack}\`, then re-run \`${again}\` (it verifies and records ${targets.join(", ")}); or roll back: myoci rollback --stack ${stack}`,
    );
  }
  return "next";
}

/** A PostgreSQL major change: restores the dump into the new data volume (a failure is rolled back). */
export async function restoreData(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, dumpFile } = run;
  const migration = plan.migration;
  if (run.failure !== undefined || !migration || dumpFile === undefined) {
    return "next";
  }
  const restored = await run.step("restore-data", async () => {
    const result = await deps.backups.restorePostgres(plan.stack, plan.config.dockerHost, dumpFile);
    return {
      ok: result.ok,
      detail: result.ok
        ? `restored ${dumpFile} into PostgreSQL ${migration.to} and compared with the dump source: ${result.summary ?? "equal"} (old volume -pg${migration.from} kept)`
        : (result.error ?? "restore failed"),
    };
  });
  if (!restored.ok) {
    run.failure = "restore of the PostgreSQL dump failed";
  }
  return "next";
}

/** Probes the targets; when they pass, appends the `verified` entry: the stack is done. */
export async function verify(run: StackRun): Promise<StepOutcome> {
  const { deps, plan, stackReport, again, targets } = run;
  const { stack, config } = plan;
  if (run.failure !== undefined) {
    return "next";
  }
  const verified = await run.step("verify", async () => {
    const result = await deps.prober.verify(stack, config.dockerHost, targets, deps.signal);
    stackReport.probes = result.results;
    const checks = checksPassed(targets, result.results);
    const verdict =
      result.verdict === "pass" && Object.keys(checks).length === targets.length ? "pass" : result.verdict === "pass" ? "inconclusive" : result.verdict;
    return { ok: verdict === "pass", detail: describeProbes(result.results), value: { verdict, checks } };
  });
  const verdict = verified.value?.verdict ?? "inconclusive";
  if (verdict === "fail") {
    run.failure = "verification failed";
    return "next";
  }
  if (verdict === "inconclusive" && aborted(run)) {
    return stop(
      "interrupted",
      2,
      `interrupted: ${stack} deployed but not verified`,
      `Interrupted during verification of ${stack}: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Re-run \`${again}\`: its up is a no-op and it verifies and records ${targets.join(", ")}; or roll back: myoci rollback --stack ${stack}`,
    );
  }
  if (verdict === "inconclusive") {
    const inconclusive =
      stackReport.probes
        .filter((p) => p.verdict !== "pass")
        .map((p) => `${p.component} (${p.url}): ${p.reason}`)
        .join("; ") || "a probe did not run";
    return stop(
      "inconclusive",
      2,
      `${stack}: verification inconclusive, stopped for a decision`,
      `Verification of ${stack} was inconclusive: ${inconclusive}. The stack runs the new pins (Pulumi.${stack}.yaml = deployed). Decide:`,
      `  healthy after all → re-run \`${again}\` (its up is a no-op; it verifies ${targets.join(", ")} again and records them when they pass)`,
      `  not healthy → myoci rollback --stack ${stack}`,
    );
  }
  const checks = verified.value!.checks;
  const images = pick(plan.after, targets);
  const recordedAt = iso(deps.now());
  const note = `myoci rollout ${targets.map((c) => `${c}=${plan.after[c]!.tag}`).join(" ")}${stackReport.update !== undefined ? ` (update #${stackReport.update})` : ""}`;
  const record = await run.step("record-verified", async () => {
    deps.recordVerified(stack, images, checks, recordedAt, note);
    return {
      ok: true,
      detail: `verified entry appended to promotions.yaml: ${targets.map((c) => `${c} ${plan.after[c]!.tag} (${checks[c]})`).join(", ")}`,
    };
  });
  if (!record.ok) {
    return stop(
      "bookkeeping-failed",
      2,
      `${stack}: deployed and verified, recording failed`,
      `${stack} runs and passed its checks, but the verified entry could not be written (${lastDetail(run)}). Fix promotions.yaml, then re-run \`${again}\` (it verifies and records again).`,
    );
  }
  stackReport.verified = [...targets];
  stackReport.outcome = plan.changed.length > 0 ? "rolled-out" : "verified";
  return "done";
}

/**
 * After a failure: restore the recorded pins, up, verify. Not stopped by a first interrupt: finishing it is the safe
 * path. Pins an earlier run deployed are not this run's to undo.
 */
export async function rollBack(run: StackRun): Promise<Stop> {
  const { deps, plan, stackReport, later, targets, dumpFile } = run;
  const { stack, config } = plan;
  const failure = run.failure ?? "verification failed";
  if (plan.changed.length === 0) {
    return stop(
      "verification-failed",
      2,
      `${stack}: ${failure} for pins an earlier run deployed`,
      `${stack} runs ${targets.map((c) => `${c} ${plan.after[c]!.tag}`).join(", ")} (deployed by an earlier run) and they did not pass: ${describeProbes(stackReport.probes)}. This run changed nothing to roll back; roll back with: myoci rollback --stack ${stack}`,
    );
  }
  const rollbackStart = deps.now();
  const restored = await run.step("restore-pins", async () => {
    await restorePins(run);
    return { ok: true, detail: plan.changed.map((c) => `${c} → ${plan.before[c]?.tag ?? "(removed)"}`).join(", ") };
  });
  const rollbackUp = restored.ok
    ? await run.step("rollback-up", async () => {
        const result = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", cancel: deps.cancel, timeoutMs: deps.upTimeoutMs });
        return { ok: result.result === "succeeded", detail: result.result === "succeeded" ? "previous pins deployed" : describeUp(result, false) };
      })
    : { ok: false };
  const rollbackVerify = rollbackUp.ok
    ? await run.step("rollback-verify", () => verifyRollback(deps, stack, config.dockerHost, plan.changed, stackReport))
    : { ok: false };
  stackReport.rollbackDurationMs = deps.now() - rollbackStart;
  if (rollbackVerify.ok) {
    return stop(
      "rolled-back",
      1,
      `${stack}: ${failure}; rolled back`,
      `${stack} was rolled back to its previous pins in ${formatDuration(stackReport.rollbackDurationMs)} (${failure}).${later.length > 0 ? ` Not touched: ${later.join(", ")}.` : ""} Investigate before trying again; backups: ${stackReport.backups.join(", ") || "none taken"}.`,
    );
  }
  const services = plan.changed.map((c) => containerName(stack, c)).join(" ");
  return stop(
    "rollback-failed",
    2,
    `${stack}: ${failure}; rollback failed`,
    `ROLLBACK OF ${stack.toUpperCase()} FAILED (${failure}; then ${!restored.ok ? "restoring the pins" : !rollbackUp.ok ? "the rollback up" : "the rollback verification"} failed). The stack is in an unknown state.`,
    `1. Pulumi.${stack}.yaml ${restored.ok ? "holds the previous pins again" : "could not be restored"}; check: git diff Pulumi.${stack}.yaml (expected pins: ${plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"}@${plan.before[c]?.digest ?? ""}`).join(", ")})`,
    `2. See what runs: DOCKER_HOST=${config.dockerHost} docker ps -a --filter label=${LABEL.stack}=${stack}; docker logs <name> for the changed containers (${services})`,
    `3. Deploy the previous pins by hand and read the error: pulumi up --stack ${stack} --policy-pack policy`,
    `4. Data: backups taken before the update: ${stackReport.backups.join(", ") || "none"}${dumpFile ? `; restore PostgreSQL (into a fresh data volume) with: sed '/^CREATE ROLE postgres;$/d' ${dumpFile} | docker exec -i ${containerName(stack, "postgres")} psql -X -v ON_ERROR_STOP=1 -U postgres -d postgres -f -` : ""}`,
    `5. When it is healthy again: myoci rollback --stack ${stack} (deploys and verifies the last good pins) and record what happened.`,
    ...(later.length > 0 ? [`Not touched: ${later.join(", ")}.`] : []),
  );
}

/** A stack's steps in order; the rollback step ends every run that reaches it. */
export const STACK_STEPS: readonly ((run: StackRun) => Promise<StepOutcome>)[] = [
  recordPins,
  backUp,
  writePins,
  deploy,
  readDeployment,
  restoreData,
  verify,
  rollBack,
];
