/** `npx myoci rollout <component>=<tag> … [--stacks staging,prod]`: health-gated staged rollout with automatic rollback. */
import { COMPONENT_IDS } from "../../catalog";
import { parseMirrorArgs } from "../adapters/registry/client";
import { formatOutcome, notifyRolloutResult } from "../app/notify";
import { checkPulumiCli } from "../app/preflight";
import { formatReport, rolloutNotices } from "../app/rollout/report";
import { parseChangeArgs, runRollout } from "../app/rollout/rollout";
import { interruptible, realDeps } from "../app/rollout/wiring";
import { parseProbePorts, parseSeconds } from "../app/rollout/options";
import { parseCommand, processIO, suggestion, unknownStack, type CommandIO, type Output } from "../framework/command";
import { ROLLOUT } from "./specs";

/**
 * Fails before anything is done when the Pulumi CLI is missing or too old (exit 2, with the install hint);
 * otherwise returns the version it printed.
 */
export async function pulumiPreflight(io: CommandIO, out: Output): Promise<{ exitCode: number } | { version: string }> {
  const preflight = await checkPulumiCli(io.env);
  if (preflight.ok) {
    out.progress.line(`pulumi: ${preflight.cli.version} (${preflight.cli.path})`);
    return { version: preflight.cli.version };
  }
  return { exitCode: out.fail([{ message: `${preflight.problem}. Nothing was changed. ${preflight.hint}` }]) };
}

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(ROLLOUT, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals, out } = args;
  const parsed = parseChangeArgs(positionals);
  const { changes } = parsed;
  // A did-you-mean for misspelt components (parseChangeArgs already lists the known ones).
  const errors = parsed.errors.map((e) => e.replace(/unknown component "([^"]+)"/, (all, name: string) => `${all}.${suggestion(name, COMPONENT_IDS)}`));
  const stacks = values.stacks.split(",").map((s) => s.trim());
  if (stacks.some((s) => !/^[\w.-]+$/.test(s)) || new Set(stacks).size !== stacks.length) {
    errors.push(`--stacks ${JSON.stringify(values.stacks)}: expected distinct stack names separated by commas, e.g. staging,prod`);
  }
  const successes = values["probe-successes"] !== undefined ? Number(values["probe-successes"]) : undefined;
  const deadline = values["probe-deadline"] !== undefined ? Number(values["probe-deadline"]) : undefined;
  if (successes !== undefined && !(Number.isInteger(successes) && successes >= 1 && successes <= 100)) {
    errors.push(`--probe-successes ${JSON.stringify(values["probe-successes"])}: expected a whole number from 1 to 100`);
  }
  if (deadline !== undefined && !(Number.isFinite(deadline) && deadline >= 1 && deadline <= 3600)) {
    errors.push(`--probe-deadline ${JSON.stringify(values["probe-deadline"])}: expected seconds from 1 to 3600`);
  }
  for (const stack of stacks.filter((s) => /^[\w.-]+$/.test(s))) {
    const missing = unknownStack(values["project-dir"] ?? io.cwd, stack);
    if (missing !== undefined) errors.push(`--stacks: ${missing}`);
  }
  const upTimeout = parseSeconds("--up-timeout", values["up-timeout"], 1, 24 * 3600, errors);
  const ports = parseProbePorts(values["probe-port"] ?? [], errors);
  let mirrors: Record<string, string> = {};
  try {
    mirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    errors.push((error as Error).message);
  }
  if (errors.length > 0) {
    return out.usageError(errors);
  }
  const pulumi = await pulumiPreflight(io, out);
  if ("exitCode" in pulumi) {
    return pulumi.exitCode;
  }
  const interrupt = interruptible();
  const projectDir = values["project-dir"] ?? io.cwd;
  try {
    const deps = realDeps({
      projectDir,
      mirrors,
      stacks,
      command: `myoci rollout ${positionals.join(" ")}`,
      interrupt,
      pulumiVersion: pulumi.version,
      upTimeoutMs: upTimeout !== undefined ? upTimeout * 1000 : undefined,
      probe: { successes, deadlineMs: deadline !== undefined ? deadline * 1000 : undefined, ports },
      log: (line) => out.progress.line(line),
    });
    const report = await runRollout({ changes, stacks, migrate: values.migrate }, deps);
    if (!out.json) {
      // Printed before notifying: a failed notification never hides what happened to the stacks.
      out.finish(report.exitCode, { text: formatReport(report) });
    }
    const notifyErrors: { message: string }[] = [];
    if (values.notify) {
      for (const notice of rolloutNotices(report)) {
        const outcome = await notifyRolloutResult(notice, { projectDir });
        if (!out.json) out.note(formatOutcome(outcome).trimEnd());
        notifyErrors.push(...outcome.errors.map((message) => ({ message: `notify: ${message}` })));
      }
    }
    return out.json ? out.finish(report.exitCode, { data: report, errors: notifyErrors }) : report.exitCode;
  } finally {
    interrupt.dispose();
  }
}
