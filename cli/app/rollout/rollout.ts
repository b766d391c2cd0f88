/**
 * `myoci rollout`: for each stack in order — record the current pins, back up what the update can damage, write
 * the new pins, `up` with the policy pack, verify (container health via the provider's wait inside `up`, then the
 * HTTP probes of the changed services), record the verification; on failure restore the recorded pins, `up`,
 * verify again and stop. Everything outside (Pulumi, probes, backups, registry, clock, record) is injected.
 *
 * Exit codes: 0 rolled out everywhere; 1 a stack failed and was rolled back (later stacks untouched);
 * 2 needs a person: the rollback failed, verification was inconclusive, the run was interrupted, an `up` was
 * canceled or never started (stack locked), the bookkeeping after a successful `up` failed, or the request was
 * refused before anything changed (the report says which, and what to do next). docs/rollout.md lists what each
 * leaves behind.
 *
 * Interrupts: `signal` (first Ctrl-C) is checked between steps — a running `up` finishes; `cancel` (second
 * Ctrl-C) cancels a running `up` through Pulumi's own cancel. Either way the pins on disk end equal to what is
 * deployed: pins written but not deployed are restored. A re-run verifies what an earlier run deployed but did
 * not verify (the promotion record says what is verified), so "re-run" is always the advice that finishes a stack.
 *
 * A `verified` entry lists exactly the components this run deployed (or re-deployed unchanged) whose check
 * passed: their HTTP probe, or for a component without one the container healthcheck `up` waited for.
 */
import { CATALOG, isComponentId, parseTag, describeScheme, type ComponentId, type ImagePin, type PinSet } from "../../../catalog";
import { requiredComponents, type StackConfig } from "../../../config/schema";
import { judgePinSet } from "../pin/rules";
import { containerName, type BackupRunner } from "../backup";
import { StackNotFoundError, type PulumiEngine, type UpOutcome } from "../../adapters/pulumi-engine/engine";
import { changesTo, samePins } from "../../../config/stack-file/pins";
import { describeProbes, probeTargets, type ProbeResult, type Prober } from "../../adapters/probe";
import type { VerifiedCheck } from "../../../config/promotion-record";
import { formatDuration } from "./report";
import type { DigestResolver } from "../../adapters/registry/client";

export type Phase =
  "record" | "backup" | "write-pins" | "up" | "deployment" | "restore-data" | "verify" | "record-verified" | "restore-pins" | "rollback-up" | "rollback-verify";

export interface StepReport {
  readonly stack: string;
  readonly phase: Phase;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly detail: string;
}

export type StackOutcome =
  | "rolled-out"
  | "verified"
  | "unchanged"
  | "rolled-back"
  | "rollback-failed"
  | "inconclusive"
  | "interrupted"
  | "canceled"
  | "not-started"
  | "bookkeeping-failed"
  | "verification-failed"
  | "backup-failed"
  | "untouched";

export interface StackReport {
  readonly stack: string;
  outcome: StackOutcome;
  /** Pins of the changed components before and after (as requested). */
  readonly from: PinSet;
  readonly to: PinSet;
  /** Components whose pins this run deployed unchanged to verify them (an earlier run deployed but did not verify). */
  readonly reverified: readonly ComponentId[];
  /** Components the `verified` entry of this run lists (empty: none recorded). */
  verified: ComponentId[];
  /** Pulumi's update number of this run's `up`, from the stack history. */
  update?: number;
  backups: string[];
  probes: ProbeResult[];
  rollbackProbes: ProbeResult[];
  /** From the failure being detected to the rollback verified (or given up). */
  rollbackDurationMs?: number;
}

export interface RolloutReport {
  readonly command: "rollout" | "rollback";
  readonly startedAt: string;
  endedAt: string;
  durationMs: number;
  exitCode: 0 | 1 | 2;
  summary: string;
  readonly request: { readonly changes: Readonly<Record<string, string>>; readonly stacks: readonly string[]; readonly migrate: boolean };
  refusals: string[];
  readonly stacks: StackReport[];
  readonly steps: StepReport[];
  nextSteps: string[];
}

export type { DigestResolver } from "../../adapters/registry/client";

export interface RolloutDeps {
  readonly engine: PulumiEngine;
  readonly prober: Prober;
  readonly backups: BackupRunner;
  readonly resolver: DigestResolver;
  /** Loads and validates a stack's config (loadStackFile with placeholder secrets). */
  readonly loadConfig: (stack: string) => StackConfig;
  /** Appends a `verified` entry to promotions.yaml: exactly `images`, each checked as `checks` says. */
  readonly recordVerified: (
    stack: string,
    images: PinSet,
    checks: Readonly<Partial<Record<ComponentId, VerifiedCheck>>>,
    recordedAt: string,
    note: string,
  ) => void;
  /** Records where the digests this run resolved came from (provenance.yaml; the policy pack's provenance check). */
  readonly recordResolved?: (pins: Readonly<Partial<Record<ComponentId, ImagePin>>>) => void;
  /** Whether the record already holds this pin as verified (or adopted) on the stack. */
  readonly isVerified: (stack: string, component: ComponentId, pin: ImagePin) => boolean;
  /** Runs `fn` under myoci's own lock of each stack (shared with pin/promote); `locked` names the holder instead. */
  readonly withStackLocks: <T>(stacks: readonly string[], fn: () => Promise<T>) => Promise<{ value: T } | { locked: string }>;
  readonly now: () => number;
  /** First interrupt: stop before the next step (a running `up` finishes). */
  readonly signal?: AbortSignal;
  /** Second interrupt: cancel a running `up` through Pulumi's cancel. */
  readonly cancel?: AbortSignal;
  /** Bound of every `up` (canceled through Pulumi's cancel when it runs longer). */
  readonly upTimeoutMs?: number;
  /** Policy pack folder for `up`. @default "policy" */
  readonly policyPack?: string;
  readonly log?: (line: string) => void;
}

export interface RolloutRequest {
  /** component → tag */
  readonly changes: Readonly<Record<string, string>>;
  readonly stacks: readonly string[];
  readonly migrate: boolean;
}

/** Parses `component=tag` arguments; errors name the argument and what was expected. */
export function parseChangeArgs(args: readonly string[]): { changes: Record<string, string>; errors: string[] } {
  const changes: Record<string, string> = {};
  const errors: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const component = arg.slice(0, eq);
    const tag = arg.slice(eq + 1);
    if (eq <= 0 || tag === "") {
      errors.push(`${JSON.stringify(arg)}: expected <component>=<tag>, e.g. grafana=13.0.3`);
    } else if (!isComponentId(component)) {
      errors.push(`${JSON.stringify(arg)}: unknown component ${JSON.stringify(component)} (known: ${Object.keys(CATALOG).join(", ")})`);
    } else if (changes[component] !== undefined) {
      errors.push(`${JSON.stringify(arg)}: ${component} given twice`);
    } else {
      const parsed = parseTag(tag, CATALOG[component].tagScheme);
      if (!parsed.ok) {
        errors.push(`${JSON.stringify(arg)}: ${parsed.reason}; ${CATALOG[component].title} tags have ${describeScheme(CATALOG[component].tagScheme)}`);
      } else {
        changes[component] = tag;
      }
    }
  }
  if (args.length === 0) {
    errors.push("expected at least one <component>=<tag>");
  }
  return { changes, errors };
}

interface StackPlan {
  readonly stack: string;
  readonly config: StackConfig;
  readonly changed: ComponentId[];
  /** Requested, already in the stack file, not yet verified there: deployed (a no-op up) and verified again. */
  readonly reverify: ComponentId[];
  readonly before: PinSet;
  readonly after: PinSet;
  readonly migration?: { from: number; to: number };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export async function runRollout(request: RolloutRequest, deps: RolloutDeps): Promise<RolloutReport> {
  const started = deps.now();
  const log = deps.log ?? (() => undefined);
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
  const finish = (exitCode: 0 | 1 | 2, summary: string): RolloutReport => {
    report.exitCode = exitCode;
    report.summary = summary;
    report.endedAt = iso(deps.now());
    report.durationMs = deps.now() - started;
    return report;
  };

  // ---- myoci's own lock of every stack first: a second rollout (or pin/promote) never plans on pins in flight.
  const locked = await deps.withStackLocks(request.stacks, () => rolloutLocked(request, deps, report, finish, log));
  if ("value" in locked) {
    return locked.value;
  }
  report.refusals.push(locked.locked);
  report.nextSteps.push("Nothing was changed (not started). Wait for the other run to finish, then run the rollout again.");
  return finish(2, "not started: a stack is locked by another myoci run");
}

async function rolloutLocked(
  request: RolloutRequest,
  deps: RolloutDeps,
  report: RolloutReport,
  finish: (exitCode: 0 | 1 | 2, summary: string) => RolloutReport,
  log: (line: string) => void,
): Promise<RolloutReport> {
  // ---- Before anything changes: configs, digests (resolved once: prod gets exactly what staging verified), rules.
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
      const config = deps.loadConfig(stack);
      const runs = requiredComponents(config.logShipper);
      const before = config.images;
      const after: Partial<Record<ComponentId, ImagePin>> = { ...before };
      const changed: ComponentId[] = [];
      const reverify: ComponentId[] = [];
      for (const [component, pin] of Object.entries(pins) as [ComponentId, ImagePin][]) {
        if (!runs.includes(component)) {
          report.refusals.push(
            `Pulumi.${stack}.yaml: myoci:images.${component}: this stack does not run ${component} (myoci:logShipper is "${config.logShipper}")`,
          );
          continue;
        }
        if (before[component]?.tag !== pin.tag || before[component]?.digest !== pin.digest) {
          after[component] = pin;
          changed.push(component);
        } else if (!deps.isVerified(stack, component, pin)) {
          reverify.push(component);
        }
      }
      const oldMajor = before.postgres ? parseTag(before.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
      const newMajor = after.postgres ? parseTag(after.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
      const from = oldMajor?.ok ? oldMajor.tag.numbers[0] : undefined;
      const to = newMajor?.ok ? newMajor.tag.numbers[0] : undefined;
      const migration = request.migrate && from !== undefined && to !== undefined && from !== to ? { from: config.postgres.dataMajor, to } : undefined;
      const verdict = judgePinSet({ versions: config.versions, postgres: { ...config.postgres, migration: migration ?? config.postgres.migration } }, after);
      report.refusals.push(...verdict.refusals.map((r) => `Pulumi.${stack}.yaml: ${r}`));
      plans.push({ stack, config, changed, reverify, before, after, migration });
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

  for (const plan of plans) {
    const targets = [...plan.changed, ...plan.reverify];
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

  for (const [index, plan] of plans.entries()) {
    const stackReport = report.stacks[index]!;
    const { stack, config } = plan;
    const targets = [...plan.changed, ...plan.reverify];
    const step = stepRecorder(report, stack, deps.now, log);
    const later = plans.slice(index + 1).map((p) => p.stack);
    const rerun = (stacks: string[]): string =>
      `myoci rollout ${Object.entries(request.changes)
        .map(([c, t]) => `${c}=${t}`)
        .join(" ")} --stacks ${stacks.join(",")}${request.migrate ? " --migrate" : ""}`;
    const again = rerun([stack, ...later]);
    const aborted = (): boolean => deps.signal?.aborted === true;
    const stop = (outcome: StackOutcome, exitCode: 0 | 1 | 2, summary: string, ...next: string[]): RolloutReport => {
      stackReport.outcome = outcome;
      report.nextSteps.push(...next);
      return finish(exitCode, summary);
    };

    const recorded = await step<PinSet>("record", async () => {
      await deps.engine.selectStack(stack);
      const current = await deps.engine.getPins();
      return {
        ok: samePins(current, plan.before),
        detail: samePins(current, plan.before) ? `${Object.keys(current).length} pins recorded` : "the stack file changed since the rollout was planned",
        value: current,
      };
    });
    if (!recorded.ok) {
      const detail = report.steps[report.steps.length - 1]!.detail;
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
    if (targets.length === 0) {
      stackReport.outcome = "unchanged";
      continue;
    }
    if (aborted()) {
      return stop(
        "interrupted",
        2,
        `interrupted before ${stack} changed`,
        `Interrupted before ${stack} changed; Pulumi.${stack}.yaml still holds the deployed pins. Re-run: ${again}`,
      );
    }

    // Backups first: a failed backup leaves nothing to undo.
    let dumpFile: string | undefined;
    for (const component of plan.changed.filter((c) => CATALOG[c].backup !== "none")) {
      const backup = await step("backup", async () => {
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
          dumpFile = outcome.files[0];
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
    if (aborted()) {
      return stop(
        "interrupted",
        2,
        `interrupted before ${stack} changed`,
        `Interrupted before ${stack}'s pins were written; Pulumi.${stack}.yaml still holds the deployed pins. Backups taken: ${stackReport.backups.join(", ") || "none"}. Re-run: ${again}`,
      );
    }

    const restorePins = async (): Promise<void> => {
      await deps.engine.setPins(changesTo(plan.before, plan.changed));
      if (plan.migration) {
        await deps.engine.setPostgresMigration(null);
      }
    };
    /** Writes the recorded pins back (nothing of this run was deployed) and stops. */
    const undeployed = async (outcome: StackOutcome, summary: string, why: string, ...next: string[]): Promise<RolloutReport> => {
      const restored =
        plan.changed.length === 0
          ? { ok: true }
          : await step("restore-pins", async () => (await restorePins(), { ok: true, detail: `${why}: deployed pins restored` }));
      return stop(
        outcome,
        2,
        summary,
        restored.ok
          ? `${why}; Pulumi.${stack}.yaml holds the deployed pins again.${later.length > 0 ? ` Not touched: ${later.join(", ")}.` : ""}`
          : `${why}, and writing the deployed pins back failed: restore Pulumi.${stack}.yaml with git (git diff Pulumi.${stack}.yaml).`,
        ...next,
      );
    };
    if (plan.changed.length > 0) {
      const written = await step("write-pins", async () => {
        await deps.engine.setPins(Object.fromEntries(plan.changed.map((c) => [c, plan.after[c]!])));
        if (plan.migration) {
          await deps.engine.setPostgresMigration(plan.migration);
        }
        return { ok: true, detail: plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"} → ${plan.after[c]!.tag}`).join(", ") };
      });
      if (!written.ok) {
        await restorePins().catch(() => undefined);
        return stop(
          "interrupted",
          2,
          `${stack}: writing the pins failed`,
          `Writing Pulumi.${stack}.yaml failed (the write is atomic: the file holds the old or the new pins, never a mix). Check it with \`git diff Pulumi.${stack}.yaml\`, restore it if needed, then re-run: ${again}`,
        );
      }
      if (aborted()) {
        return undeployed("interrupted", `interrupted before ${stack} was deployed`, `Interrupted before \`up\` of ${stack}`, `Re-run: ${again}`);
      }
    }

    // ---- Deploy: `up` succeeds or fails on Pulumi's result alone.
    let failure: string | undefined;
    const up = await step<UpOutcome>("up", async () => {
      const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", cancel: deps.cancel, timeoutMs: deps.upTimeoutMs });
      return { ok: outcome.result === "succeeded", detail: describeUp(outcome, plan.changed.length === 0), value: outcome };
    });
    const outcome = up.value;
    if (outcome?.result === "locked") {
      return undeployed(
        "not-started",
        `${stack}: not started, the stack is locked by ${outcome.holder}`,
        `\`up\` of ${stack} did not start: Pulumi's stack lock is held by ${outcome.holder}`,
        `Nothing of this run was deployed. Wait for that update to end (or, if it died, release its lock: pulumi cancel --stack ${stack}), then re-run: ${again}`,
      );
    }
    if (outcome?.result === "canceled" && outcome.why === "interrupt") {
      return undeployed(
        "canceled",
        `interrupted: up of ${stack} canceled`,
        `\`up\` of ${stack} was canceled through Pulumi's cancel (second interrupt)`,
        `Resources the canceled update had already replaced run the new image until the next up. To finish: ${again}; to return to the pins in the file: pulumi up --stack ${stack} --policy-pack policy`,
      );
    }
    if (!up.ok) {
      failure = outcome?.result === "canceled" ? `up timed out after ${formatDuration(deps.upTimeoutMs ?? 0)}` : "up failed";
      if (aborted()) {
        return undeployed(
          "interrupted",
          `interrupted: up of ${stack} failed, no rollback run`,
          `\`up\` of ${stack} failed after the interrupt, so no rollback \`up\` ran`,
          `Deploy the restored pins: pulumi up --stack ${stack} --policy-pack policy (what the rollback would have run), then investigate.`,
        );
      }
    }
    if (failure === undefined && aborted()) {
      return stop(
        "interrupted",
        2,
        `interrupted: ${stack} deployed but not verified`,
        `Interrupted after ${stack} was deployed, before verification: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Re-run \`${again}\`: its up is a no-op and it verifies and records ${targets.join(", ")}; or roll back: myoci rollback --stack ${stack}`,
      );
    }

    // ---- Bookkeeping: what the backend says was deployed. Its failure is never a reason to roll back.
    if (failure === undefined) {
      const booked = await step("deployment", async () => {
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
          `${stack} was deployed (up succeeded) but reading its outputs and history failed: ${report.steps[report.steps.length - 1]!.detail}. Nothing was rolled back; Pulumi.${stack}.yaml holds the new (deployed, unverified) pins.`,
          `Check \`pulumi stack output --stack ${stack}\` and \`pulumi stack history --stack ${stack}\`, then re-run \`${again}\` (it verifies and records ${targets.join(", ")}); or roll back: myoci rollback --stack ${stack}`,
        );
      }
    }
    if (failure === undefined && plan.migration && dumpFile !== undefined) {
      const restored = await step("restore-data", async () => {
        const result = await deps.backups.restorePostgres(stack, config.dockerHost, dumpFile!);
        return {
          ok: result.ok,
          detail: result.ok
            ? `restored ${dumpFile} into PostgreSQL ${plan.migration!.to} and compared with the dump source: ${result.summary ?? "equal"} (old volume -pg${plan.migration!.from} kept)`
            : (result.error ?? "restore failed"),
        };
      });
      if (!restored.ok) {
        failure = "restore of the PostgreSQL dump failed";
      }
    }
    let inconclusive: string | undefined;
    if (failure === undefined) {
      const verified = await step("verify", async () => {
        const result = await deps.prober.verify(stack, config.dockerHost, targets, deps.signal);
        stackReport.probes = result.results;
        const checks = checksPassed(targets, result.results);
        const verdict =
          result.verdict === "pass" && Object.keys(checks).length === targets.length ? "pass" : result.verdict === "pass" ? "inconclusive" : result.verdict;
        return { ok: verdict === "pass", detail: describeProbes(result.results), value: { verdict, checks } };
      });
      const verdict = verified.value?.verdict ?? "inconclusive";
      if (verdict === "fail") {
        failure = "verification failed";
      } else if (verdict === "inconclusive" && aborted()) {
        return stop(
          "interrupted",
          2,
          `interrupted: ${stack} deployed but not verified`,
          `Interrupted during verification of ${stack}: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Re-run \`${again}\`: its up is a no-op and it verifies and records ${targets.join(", ")}; or roll back: myoci rollback --stack ${stack}`,
        );
      } else if (verdict === "inconclusive") {
        inconclusive =
          stackReport.probes
            .filter((p) => p.verdict !== "pass")
            .map((p) => `${p.component} (${p.url}): ${p.reason}`)
            .join("; ") || "a probe did not run";
      } else {
        const checks = verified.value!.checks;
        const images = pick(plan.after, targets);
        const recordedAt = iso(deps.now());
        const note = `myoci rollout ${targets.map((c) => `${c}=${plan.after[c]!.tag}`).join(" ")}${stackReport.update !== undefined ? ` (update #${stackReport.update})` : ""}`;
        const record = await step("record-verified", async () => {
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
            `${stack} runs and passed its checks, but the verified entry could not be written (${report.steps[report.steps.length - 1]!.detail}). Fix promotions.yaml, then re-run \`${again}\` (it verifies and records again).`,
          );
        }
        stackReport.verified = [...targets];
        stackReport.outcome = plan.changed.length > 0 ? "rolled-out" : "verified";
        continue;
      }
    }
    if (inconclusive !== undefined) {
      return stop(
        "inconclusive",
        2,
        `${stack}: verification inconclusive, stopped for a decision`,
        `Verification of ${stack} was inconclusive: ${inconclusive}. The stack runs the new pins (Pulumi.${stack}.yaml = deployed). Decide:`,
        `  healthy after all → re-run \`${again}\` (its up is a no-op; it verifies ${targets.join(", ")} again and records them when they pass)`,
        `  not healthy → myoci rollback --stack ${stack}`,
      );
    }
    if (plan.changed.length === 0) {
      // Nothing of this run to undo: the failing pins were deployed by an earlier run.
      return stop(
        "verification-failed",
        2,
        `${stack}: ${failure ?? "verification failed"} for pins an earlier run deployed`,
        `${stack} runs ${targets.map((c) => `${c} ${plan.after[c]!.tag}`).join(", ")} (deployed by an earlier run) and they did not pass: ${describeProbes(stackReport.probes)}. This run changed nothing to roll back; roll back with: myoci rollback --stack ${stack}`,
      );
    }

    // ---- Rollback: restore the recorded pins, up, verify. Not stopped by a first interrupt: finishing it is the safe path.
    const rollbackStart = deps.now();
    const restored = await step("restore-pins", async () => {
      await restorePins();
      return { ok: true, detail: plan.changed.map((c) => `${c} → ${plan.before[c]?.tag ?? "(removed)"}`).join(", ") };
    });
    const rollbackUp = restored.ok
      ? await step("rollback-up", async () => {
          const result = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", cancel: deps.cancel, timeoutMs: deps.upTimeoutMs });
          return { ok: result.result === "succeeded", detail: result.result === "succeeded" ? "previous pins deployed" : describeUp(result, false) };
        })
      : { ok: false };
    const rollbackVerify = rollbackUp.ok
      ? await step("rollback-verify", () => verifyRollback(deps, stack, config.dockerHost, plan.changed, stackReport))
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
    stop(
      "rollback-failed",
      2,
      `${stack}: ${failure}; rollback failed`,
      `ROLLBACK OF ${stack.toUpperCase()} FAILED (${failure}; then ${!restored.ok ? "restoring the pins" : !rollbackUp.ok ? "the rollback up" : "the rollback verification"} failed). The stack is in an unknown state.`,
      `1. Pulumi.${stack}.yaml ${restored.ok ? "holds the previous pins again" : "could not be restored"}; check: git diff Pulumi.${stack}.yaml (expected pins: ${plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"}@${plan.before[c]?.digest ?? ""}`).join(", ")})`,
      `2. See what runs: DOCKER_HOST=${config.dockerHost} docker ps -a --filter label=myoci.stack=${stack}; docker logs <name> for the changed containers (${services})`,
      `3. Deploy the previous pins by hand and read the error: pulumi up --stack ${stack} --policy-pack policy`,
      `4. Data: backups taken before the update: ${stackReport.backups.join(", ") || "none"}${dumpFile ? `; restore PostgreSQL (into a fresh data volume) with: sed '/^CREATE ROLE postgres;$/d' ${dumpFile} | docker exec -i myoci-${stack}-postgres psql -X -v ON_ERROR_STOP=1 -U postgres -d postgres -f -` : ""}`,
      `5. When it is healthy again: myoci rollback --stack ${stack} (deploys and verifies the last good pins) and record what happened.`,
      ...(later.length > 0 ? [`Not touched: ${later.join(", ")}.`] : []),
    );
    return report;
  }
  const done = report.stacks.filter((s) => s.outcome === "rolled-out" || s.outcome === "verified").map((s) => s.stack);
  return finish(
    0,
    done.length > 0 ? `rolled out and verified on ${done.join(", ")}` : "nothing to change: every stack already runs and has verified these pins",
  );
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

function pick(pins: PinSet, components: readonly ComponentId[]): PinSet {
  return Object.fromEntries(components.filter((c) => pins[c]).map((c) => [c, pins[c]!]));
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

export type StepAction<T> = () => Promise<{ ok: boolean; detail: string; value?: T }>;

/**
 * Runs one phase of a stack and records it in the report with its times; a thrown error is a failed step.
 * Shared by rollout and rollback so both reports time their steps the same way.
 */
export function stepRecorder(report: RolloutReport, stack: string, now: () => number, log: (line: string) => void) {
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
