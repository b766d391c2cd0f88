/**
 * `myoci rollout`: for each stack in order — record the current pins, back up what the update can damage, write
 * the new pins, `up` with the policy pack, verify (container health via the provider's wait inside `up`, then the
 * HTTP probes of the changed services), record the verification; on failure restore the recorded pins, `up`,
 * verify again and stop. Everything outside (Pulumi, probes, backups, registry, clock, record) is injected.
 *
 * In four parts: ./plan.ts (what to deploy, pure), ./steps.ts (each step a small function), ./execute.ts (runs
 * the steps), ./report.ts (the report as text and notices); ./types.ts holds the report and dependency types.
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
export { runRollout } from "./execute";
export { parseChangeArgs } from "./plan";
export { checksPassed } from "./steps";
export type { DigestResolver, Phase, RolloutDeps, RolloutReport, RolloutRequest, StackOutcome, StackReport, StepReport } from "./types";
