/**
 * Runs a rollout: under myoci's lock of every stack, resolves the digests once (prod gets exactly what staging
 * verified), plans every stack (./plan.ts) and refuses before anything changes, then runs each stack's steps
 * (./steps.ts) in order until one stops the run. Everything outside (engine, probes, backups, clock) is in `deps`.
 */
import { CATALOG, type ComponentId, type ImagePin } from "../../../catalog";
import { StackNotFoundError } from "../../adapters/pulumi-engine/engine";
import { pick, planStack, rerunCommand, targetsOf, type StackPlan } from "./plan";
import { iso, STACK_STEPS, stepRecorder, type StackRun, type Stop } from "./steps";
import type { RolloutDeps, RolloutReport, RolloutRequest } from "./types";

type Finish = (exitCode: 0 | 1 | 2, summary: string) => RolloutReport;

export async function runRollout(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutReport> {
  const started = deps.now();
  const report: RolloutReport = {
    command: "rollout",
    startedAt: iso(started),
    endedAt: "",
    durationMs: 0,
    exitCode: 0,
    summary: "",
    request: { changes: { ...request.changes }, stacks: [...request.stacks], migrate: request.migrate },
    refusals: [],
    stacks: [],
    steps: [],
    nextSteps: [],
  };
  const finish: Finish = (exitCode, summary) => {
    report.exitCode = exitCode;
    report.summary = summary;
    report.endedAt = iso(deps.now());
    report.durationMs = deps.now() - started;
    return report;
  };

  // myoci's own lock of every stack first: a second rollout (or pin/promote) never plans on pins in flight.
  const locked = await deps.withStackLocks(request.stacks, () => rolloutLocked(request, deps, report, finish));
  if ("value" in locked) {
    return locked.value;
  }
  report.refusals.push(locked.locked);
  report.nextSteps.push("Nothing was changed (not started). Wait for the other run to finish, then run the rollout again.");
  return finish(2, "not started: a stack is locked by another myoci run");
}

/** Digests, configs and rules, before anything changes; the plans, or the report refusing the request. */
async function planAll(request: RolloutRequest, deps: RolloutDeps, report: RolloutReport, finish: Finish): Promise<StackPlan[] | RolloutReport> {
  const plans: StackPlan[] = [];
  const pins: Partial<Record<ComponentId, ImagePin>> = {};
  try {
    for (const [component, tag] of Object.entries(request.changes) as [ComponentId, string][]) {
      const entry = CATALOG[component];
      const digest = await deps.resolver.resolveDigest(entry.registry, entry.repository, tag);
      pins[component] = { tag, digest };
    }
    deps.recordResolved?.(pins);
    for (const stack of request.stacks) {
      const { plan, refusals } = planStack(stack, deps.loadConfig(stack), pins, request.migrate, deps.isVerified);
      report.refusals.push(...refusals);
      plans.push(plan);
    }
    if (report.refusals.length === 0) {
      await deps.engine.assertStacks(request.stacks); // select, never create: every stack must exist before anything changes
    }
  } catch (error) {
    report.refusals.push(error instanceof Error ? error.message : String(error));
    if (error instanceof StackNotFoundError) {
      report.nextSteps.push(
        `Nothing was changed (not started). myoci never creates a stack; once ${error.stackName} is in the backend, run the rollout again.`,
      );
      return finish(2, `not started: stack ${error.stackName} is not in the Pulumi backend`);
    }
  }
  if (report.refusals.length > 0) {
    report.nextSteps.push("Nothing was changed. Fix the request (or the stack files) and run the rollout again.");
    return finish(2, "refused before anything changed");
  }
  return plans;
}

async function rolloutLocked(request: RolloutRequest, deps: RolloutDeps, report: RolloutReport, finish: Finish): Promise<RolloutReport> {
  const plans = await planAll(request, deps, report, finish);
  if (!Array.isArray(plans)) {
    return plans;
  }
  for (const plan of plans) {
    const targets = targetsOf(plan);
    report.stacks.push({
      stack: plan.stack,
      outcome: "untouched",
      from: pick(plan.before, targets),
      to: pick(plan.after, targets),
      reverified: [...plan.reverify],
      verified: [],
      backups: [],
      probes: [],
      rollbackProbes: [],
    });
  }
  const log = deps.log ?? (() => undefined);
  for (const [index, plan] of plans.entries()) {
    const later = plans.slice(index + 1).map((p) => p.stack);
    const run: StackRun = {
      deps,
      plan,
      report,
      stackReport: report.stacks[index]!,
      step: stepRecorder(report, plan.stack, deps.now, log),
      targets: targetsOf(plan),
      later,
      again: rerunCommand(request.changes, [plan.stack, ...later], request.migrate),
    };
    const stopped = await runStack(run);
    if (stopped !== undefined) {
      run.stackReport.outcome = stopped.outcome;
      report.nextSteps.push(...stopped.next);
      return finish(stopped.exitCode, stopped.summary);
    }
  }
  const done = report.stacks.filter((s) => s.outcome === "rolled-out" || s.outcome === "verified").map((s) => s.stack);
  return finish(
    0,
    done.length > 0 ? `rolled out and verified on ${done.join(", ")}` : "nothing to change: every stack already runs and has verified these pins",
  );
}

/** One stack's steps until one says the stack is done (undefined) or stops the run. */
async function runStack(run: StackRun): Promise<Stop | undefined> {
  for (const step of STACK_STEPS) {
    const outcome = await step(run);
    if (outcome === "done") {
      return undefined;
    }
    if (outcome !== "next") {
      return outcome;
    }
  }
  throw new Error(`rollout of ${run.plan.stack}: the steps ended without an outcome`);
}
