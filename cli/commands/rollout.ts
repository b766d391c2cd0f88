/** `myoci rollout <component>=<tag> … [--stacks staging,prod] [--json] [--migrate]` */
import { parseMirrorArgs } from "../lib/registry/client";
import { formatOutcome, notifyRolloutResult } from "../lib/notify";
import { formatReport, rolloutNotices } from "../lib/rollout/report";
import { parseChangeArgs, runRollout } from "../lib/rollout/rollout";
import { interruptible, realDeps } from "../lib/rollout/wiring";
import { parseProbePorts, parseSeconds } from "../lib/rollout/options";
import { parseCommandArgs } from "../lib/command";

const USAGE = `usage: myoci rollout <component>=<tag> [<component>=<tag> …] [--stacks staging,prod] [--json] [--notify] [--migrate]
         [--probe-successes N] [--probe-deadline SECONDS] [--probe-port [STACK:]COMPONENT=PORT …] [--up-timeout SECONDS]
         [--registry-mirror HOST=URL …] [--project-dir DIR]
  For each stack in order: record the pins, back up stateful services, pin the new tags (digests resolved once,
  rules checked before anything changes), pulumi up with the policy pack, verify the changed services' health
  endpoints; on failure restore the recorded pins, up and verify again, and stop. Needs the pulumi CLI.
  --notify   post each stack's result to ntfy (myoci:notify; password in MYOCI_NTFY_PASSWORD)
  --migrate  allow a PostgreSQL major change: dump → new data volume (-pg<new>) → restore, compared with the dump
  --up-timeout  cancel an up (through Pulumi's cancel) that runs longer; a timed-out up is rolled back
  --probe-port  probe a component on another loopback port (e.g. an SSH tunnel) than the one it publishes
  Ctrl-C once: the running step (an up) finishes, then the run stops; twice: the running up is canceled.
  exit 0 rolled out; 1 a stack failed and was rolled back; 2 needs a person (rollback failed, verification
  inconclusive, interrupted or canceled, locked, deployed but bookkeeping failed, or refused before anything
  changed) — the report says what to do next; re-running the same command finishes an interrupted stack`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    "rollout",
    USAGE,
    argv,
    {
      stacks: { type: "string", default: "staging,prod" },
      json: { type: "boolean", default: false },
      notify: { type: "boolean", default: false },
      migrate: { type: "boolean", default: false },
      "probe-successes": { type: "string" },
      "probe-deadline": { type: "string" },
      "probe-port": { type: "string", multiple: true },
      "up-timeout": { type: "string" },
      "registry-mirror": { type: "string", multiple: true },
      "project-dir": { type: "string" },
    },
    true,
  );
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals } = args;
  const { changes, errors } = parseChangeArgs(positionals);
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
  const upTimeout = parseSeconds("--up-timeout", values["up-timeout"], 1, 24 * 3600, errors);
  const ports = parseProbePorts(values["probe-port"] ?? [], errors);
  let mirrors: Record<string, string> = {};
  try {
    mirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    errors.push((error as Error).message);
  }
  if (errors.length > 0) {
    process.stderr.write(`${errors.map((e) => `myoci rollout: ${e}`).join("\n")}\n${USAGE}\n`);
    return 2;
  }
  const interrupt = interruptible();
  try {
    const json = values.json;
    const deps = realDeps({
      projectDir: values["project-dir"] ?? process.cwd(),
      mirrors,
      stacks,
      command: `myoci rollout ${positionals.join(" ")}`,
      interrupt,
      upTimeoutMs: upTimeout !== undefined ? upTimeout * 1000 : undefined,
      probe: { successes, deadlineMs: deadline !== undefined ? deadline * 1000 : undefined, ports },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const report = await runRollout({ changes, stacks, migrate: values.migrate }, deps);
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    if (values.notify) {
      // Posted after the report is out: a failed notification never hides what happened to the stacks.
      for (const notice of rolloutNotices(report)) {
        const outcome = await notifyRolloutResult(notice, { projectDir: values["project-dir"] ?? process.cwd() });
        process.stderr.write(formatOutcome(outcome));
      }
    }
    return report.exitCode;
  } finally {
    interrupt.dispose();
  }
}
