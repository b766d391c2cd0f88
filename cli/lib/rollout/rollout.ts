/**
 * `myoci rollout`: for each stack in order — record the current pins, back up what the update can damage, write
 * the new pins, `up` with the policy pack, verify (container health via the provider's wait inside `up`, then the
 * HTTP probes of the changed services), record the verification; on failure restore the recorded pins, `up`,
 * verify again and stop. Everything outside (Pulumi, probes, backups, registry, clock, record) is injected.
 *
 * Exit codes: 0 rolled out everywhere; 1 a stack failed and was rolled back (later stacks untouched);
 * 2 needs a person: the rollback failed, verification was inconclusive, the run was interrupted, or the request
 * was refused before anything changed (the report says which, and what to do next).
 *
 * Interruption (SIGINT → AbortSignal) is checked between phases; `up` and the rollback path are never cut short.
 * On abort the pins on disk equal what was last deployed: pins written but not yet deployed are restored.
 */
import { CATALOG, isComponentId, parseTag, describeScheme, type ComponentId, type ImagePin } from "../../../catalog";
import { requiredComponents, type StackConfig } from "../../../config/schema";
import { judgePinSet } from "../pin/rules";
import { containerName, type BackupRunner } from "../backup";
import type { PulumiEngine } from "../pulumi-engine/engine";
import { changesTo, samePins, type PinSet } from "../pulumi-engine/stack-pins";
import { describeProbes, type ProbeResult, type Prober } from "../probe";
import { formatDuration } from "./report";
import type { DigestResolver } from "../registry/client";

export type Phase =
  "record" | "backup" | "write-pins" | "up" | "restore-data" | "verify" | "record-verified" | "restore-pins" | "rollback-up" | "rollback-verify";

export interface StepReport {
  readonly stack: string;
  readonly phase: Phase;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly detail: string;
}

export type StackOutcome = "rolled-out" | "unchanged" | "rolled-back" | "rollback-failed" | "inconclusive" | "interrupted" | "backup-failed" | "untouched";

export interface StackReport {
  readonly stack: string;
  outcome: StackOutcome;
  /** Pins of the changed components before and after (as requested). */
  readonly from: PinSet;
  readonly to: PinSet;
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

export type { DigestResolver } from "../registry/client";

export interface RolloutDeps {
  readonly engine: PulumiEngine;
  readonly prober: Prober;
  readonly backups: BackupRunner;
  readonly resolver: DigestResolver;
  /** Loads and validates a stack's config (loadStackFile with placeholder secrets). */
  readonly loadConfig: (stack: string) => StackConfig;
  /** Appends a `verified` entry to promotions.yaml. */
  readonly recordVerified: (stack: string, images: PinSet, recordedAt: string, note: string) => void;
  readonly now: () => number;
  readonly signal?: AbortSignal;
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

  // ---- Before anything changes: configs, digests (resolved once: prod gets exactly what staging verified), rules.
  const plans: StackPlan[] = [];
  const pins: Partial<Record<ComponentId, ImagePin>> = {};
  try {
    for (const [component, tag] of Object.entries(request.changes) as [ComponentId, string][]) {
      const entry = CATALOG[component];
      const digest = await deps.resolver.resolveDigest(entry.registry, entry.repository, tag);
      pins[component] = { tag, digest };
    }
    for (const stack of request.stacks) {
      const config = deps.loadConfig(stack);
      const runs = requiredComponents(config.logShipper);
      const before = config.images;
      const after: Partial<Record<ComponentId, ImagePin>> = { ...before };
      const changed: ComponentId[] = [];
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
        }
      }
      const oldMajor = before.postgres ? parseTag(before.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
      const newMajor = after.postgres ? parseTag(after.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
      const from = oldMajor?.ok ? oldMajor.tag.numbers[0] : undefined;
      const to = newMajor?.ok ? newMajor.tag.numbers[0] : undefined;
      const migration = request.migrate && from !== undefined && to !== undefined && from !== to ? { from: config.postgres.dataMajor, to } : undefined;
      const verdict = judgePinSet({ postgres: { ...config.postgres, migration: migration ?? config.postgres.migration } }, before, after);
      report.refusals.push(...verdict.refusals.map((r) => `Pulumi.${stack}.yaml: ${r}`));
      plans.push({ stack, config, changed, before, after, migration });
    }
  } catch (error) {
    report.refusals.push(error instanceof Error ? error.message : String(error));
  }
  if (report.refusals.length > 0) {
    report.nextSteps.push("Nothing was changed. Fix the request (or the stack files) and run the rollout again.");
    return finish(2, "refused before anything changed");
  }

  for (const plan of plans) {
    report.stacks.push({
      stack: plan.stack,
      outcome: "untouched",
      from: pick(plan.before, plan.changed),
      to: pick(plan.after, plan.changed),
      backups: [],
      probes: [],
      rollbackProbes: [],
    });
  }

  for (const [index, plan] of plans.entries()) {
    const stackReport = report.stacks[index]!;
    const { stack, config } = plan;
    const step = stepRecorder(report, stack, deps.now, log);
    const later = plans.slice(index + 1).map((p) => p.stack);
    const remainingArgs = (stacks: string[]): string =>
      `myoci rollout ${Object.entries(request.changes)
        .map(([c, t]) => `${c}=${t}`)
        .join(" ")} --stacks ${stacks.join(",")}${request.migrate ? " --migrate" : ""}`;
    const aborted = (): boolean => deps.signal?.aborted === true;

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
      stackReport.outcome = "interrupted";
      if (recorded.value === undefined) {
        report.nextSteps.push(
          `Could not select ${stack} (${report.steps[report.steps.length - 1]!.detail}); nothing was changed on ${stack}. Check \`pulumi whoami\` and \`pulumi stack ls\`, then re-run: ${remainingArgs([stack, ...later])}`,
        );
        return finish(2, `${stack}: the engine could not select the stack`);
      }
      report.nextSteps.push(`Pulumi.${stack}.yaml changed while the rollout ran; nothing was changed by this run. Re-run: ${remainingArgs([stack, ...later])}`);
      return finish(2, `${stack}: stack file changed underneath the rollout`);
    }
    if (plan.changed.length === 0) {
      stackReport.outcome = "unchanged";
      continue;
    }
    if (aborted()) {
      stackReport.outcome = "interrupted";
      report.nextSteps.push(
        `Interrupted before ${stack} changed; Pulumi.${stack}.yaml still holds the deployed pins. Re-run: ${remainingArgs([stack, ...later])}`,
      );
      return finish(2, `interrupted before ${stack} changed`);
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
        stackReport.outcome = "backup-failed";
        report.nextSteps.push(
          `The backup of ${component} on ${stack} failed; nothing was deployed and Pulumi.${stack}.yaml is unchanged. Check free space and ${config.backups.dir} on ${config.dockerHost}, then re-run: ${remainingArgs([stack, ...later])}`,
        );
        return finish(2, `${stack}: backup failed, nothing changed`);
      }
    }
    if (aborted()) {
      stackReport.outcome = "interrupted";
      report.nextSteps.push(
        `Interrupted before ${stack}'s pins were written; Pulumi.${stack}.yaml still holds the deployed pins. Backups taken: ${stackReport.backups.join(", ") || "none"}. Re-run: ${remainingArgs([stack, ...later])}`,
      );
      return finish(2, `interrupted before ${stack} changed`);
    }

    const restorePins = async (): Promise<void> => {
      await deps.engine.setPins(changesTo(plan.before, plan.changed));
      if (plan.migration) {
        await deps.engine.setPostgresMigration(null);
      }
    };
    const written = await step("write-pins", async () => {
      await deps.engine.setPins(Object.fromEntries(plan.changed.map((c) => [c, plan.after[c]!])));
      if (plan.migration) {
        await deps.engine.setPostgresMigration(plan.migration);
      }
      return { ok: true, detail: plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"} → ${plan.after[c]!.tag}`).join(", ") };
    });
    if (!written.ok) {
      await restorePins().catch(() => undefined);
      stackReport.outcome = "interrupted";
      report.nextSteps.push(
        `Writing Pulumi.${stack}.yaml failed (the write is atomic: the file holds the old or the new pins, never a mix). Check it with \`git diff Pulumi.${stack}.yaml\`, restore it if needed, then re-run: ${remainingArgs([stack, ...later])}`,
      );
      return finish(2, `${stack}: writing the pins failed`);
    }
    if (aborted()) {
      await step("restore-pins", async () => {
        await restorePins();
        return { ok: true, detail: "interrupted before up: deployed pins restored" };
      });
      stackReport.outcome = "interrupted";
      report.nextSteps.push(
        `Interrupted before \`up\` of ${stack}; its recorded pins were written back, so Pulumi.${stack}.yaml equals what is deployed. Re-run: ${remainingArgs([stack, ...later])}`,
      );
      return finish(2, `interrupted before ${stack} was deployed`);
    }

    // ---- Deploy and verify; any failure from here on goes to the rollback.
    let failure: string | undefined;
    let inconclusive: string | undefined;
    const up = await step("up", async () => {
      const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy", onOutput: undefined });
      return { ok: outcome.ok, detail: outcome.ok ? "deployed (containers healthy)" : `up failed: ${outcome.error ?? "unknown error"}` };
    });
    if (!up.ok) {
      failure = "up failed";
    }
    if (failure === undefined && plan.migration && dumpFile !== undefined) {
      const restored = await step("restore-data", async () => {
        const outcome = await deps.backups.restorePostgres(stack, config.dockerHost, dumpFile!);
        return {
          ok: outcome.ok,
          detail: outcome.ok
            ? `restored ${dumpFile} into PostgreSQL ${plan.migration!.to} (old volume -pg${plan.migration!.from} kept)`
            : (outcome.error ?? "restore failed"),
        };
      });
      if (!restored.ok) {
        failure = "restore of the PostgreSQL dump failed";
      }
    }
    if (failure === undefined && aborted()) {
      stackReport.outcome = "interrupted";
      report.nextSteps.push(
        `Interrupted after ${stack} was deployed, before verification: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Either verify by re-running \`${remainingArgs([stack, ...later])}\` (up is then a no-op) or roll back: myoci rollback --stack ${stack}`,
      );
      return finish(2, `interrupted: ${stack} deployed but not verified`);
    }
    if (failure === undefined) {
      const verified = await step("verify", async () => {
        const result = await deps.prober.verify(stack, config.dockerHost, plan.changed, deps.signal);
        stackReport.probes = result.results;
        return { ok: result.verdict === "pass", detail: describeProbes(result.results), value: result.verdict };
      });
      if (verified.value === "fail") {
        failure = "verification failed";
      } else if (verified.value === "inconclusive" && aborted()) {
        stackReport.outcome = "interrupted";
        report.nextSteps.push(
          `Interrupted during verification of ${stack}: Pulumi.${stack}.yaml holds the new (deployed, unverified) pins. Re-run \`${remainingArgs([stack, ...later])}\` to verify, or roll back: myoci rollback --stack ${stack}`,
        );
        return finish(2, `interrupted: ${stack} deployed but not verified`);
      } else if (verified.value === "inconclusive") {
        inconclusive = stackReport.probes
          .filter((p) => p.verdict !== "pass")
          .map((p) => `${p.component} (${p.url}): ${p.reason}`)
          .join("; ");
      }
    }
    if (inconclusive !== undefined) {
      stackReport.outcome = "inconclusive";
      report.nextSteps.push(
        `Verification of ${stack} was inconclusive: ${inconclusive}. The stack runs the new pins (Pulumi.${stack}.yaml = deployed). Decide:`,
        `  healthy after all → re-run \`${remainingArgs([stack, ...later])}\` (up is a no-op; verification runs again and is recorded)`,
        `  not healthy → myoci rollback --stack ${stack}`,
      );
      return finish(2, `${stack}: verification inconclusive, stopped for a decision`);
    }
    if (failure === undefined) {
      const recordedAt = iso(deps.now());
      await step("record-verified", async () => {
        deps.recordVerified(stack, plan.after, recordedAt, `myoci rollout ${plan.changed.map((c) => `${c}=${plan.after[c]!.tag}`).join(" ")}`);
        return { ok: true, detail: "verified entry appended to promotions.yaml" };
      });
      stackReport.outcome = "rolled-out";
      continue;
    }

    // ---- Rollback: restore the recorded pins, up, verify. Not interruptible: finishing it is the safe path.
    const rollbackStart = deps.now();
    const restored = await step("restore-pins", async () => {
      await restorePins();
      return { ok: true, detail: plan.changed.map((c) => `${c} → ${plan.before[c]?.tag ?? "(removed)"}`).join(", ") };
    });
    const rollbackUp = restored.ok
      ? await step("rollback-up", async () => {
          const outcome = await deps.engine.up({ policyPack: deps.policyPack ?? "policy" });
          return { ok: outcome.ok, detail: outcome.ok ? "previous pins deployed" : `up failed: ${outcome.error ?? "unknown error"}` };
        })
      : { ok: false };
    const rollbackVerify = rollbackUp.ok
      ? await step("rollback-verify", () => verifyRollback(deps, stack, config.dockerHost, plan.changed, stackReport))
      : { ok: false };
    stackReport.rollbackDurationMs = deps.now() - rollbackStart;
    if (rollbackVerify.ok) {
      stackReport.outcome = "rolled-back";
      report.nextSteps.push(
        `${stack} was rolled back to its previous pins in ${formatDuration(stackReport.rollbackDurationMs)} (${failure}).${later.length > 0 ? ` Not touched: ${later.join(", ")}.` : ""} Investigate before trying again; backups: ${stackReport.backups.join(", ") || "none taken"}.`,
      );
      return finish(1, `${stack}: ${failure}; rolled back`);
    }
    stackReport.outcome = "rollback-failed";
    const services = plan.changed.map((c) => containerName(stack, c)).join(" ");
    report.nextSteps.push(
      `ROLLBACK OF ${stack.toUpperCase()} FAILED (${failure}; then ${!restored.ok ? "restoring the pins" : !rollbackUp.ok ? "the rollback up" : "the rollback verification"} failed). The stack is in an unknown state.`,
      `1. Pulumi.${stack}.yaml ${restored.ok ? "holds the previous pins again" : "could not be restored"}; check: git diff Pulumi.${stack}.yaml (expected pins: ${plan.changed.map((c) => `${c} ${plan.before[c]?.tag ?? "(none)"}@${plan.before[c]?.digest ?? ""}`).join(", ")})`,
      `2. See what runs: DOCKER_HOST=${config.dockerHost} docker ps -a --filter label=myoci.stack=${stack}; docker logs <name> for the changed containers (${services})`,
      `3. Deploy the previous pins by hand and read the error: pulumi up --stack ${stack} --policy-pack policy`,
      `4. Data: backups taken before the update: ${stackReport.backups.join(", ") || "none"}${dumpFile ? `; restore PostgreSQL with: docker exec -i myoci-${stack}-postgres psql -X -U postgres -d postgres -f - < ${dumpFile}` : ""}`,
      `5. When it is healthy again: myoci rollback --stack ${stack} (deploys and verifies the last good pins) and record what happened.`,
      later.length > 0 ? `Not touched: ${later.join(", ")}.` : "",
    );
    report.nextSteps = report.nextSteps.filter((line) => line !== "");
    return finish(2, `${stack}: ${failure}; rollback failed`);
  }
  const rolledOut = report.stacks.filter((s) => s.outcome === "rolled-out").map((s) => s.stack);
  return finish(0, rolledOut.length > 0 ? `rolled out and verified on ${rolledOut.join(", ")}` : "nothing to change: every stack already runs these pins");
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
  return async <T>(phase: Phase, action: StepAction<T>): Promise<{ ok: boolean; value?: T }> => {
    const t0 = now();
    log(`${stack}: ${phase} …`);
    let result: { ok: boolean; detail: string; value?: T };
    try {
      result = await action();
    } catch (error) {
      result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const t1 = now();
    report.steps.push({ stack, phase, startedAt: iso(t0), endedAt: iso(t1), durationMs: t1 - t0, ok: result.ok, detail: result.detail });
    log(`${stack}: ${phase} ${result.ok ? "ok" : "FAILED"} (${formatDuration(t1 - t0)}) ${result.detail}`);
    return { ok: result.ok, value: result.value };
  };
}
