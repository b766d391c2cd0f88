/** `myoci rollback --stack s [--to N] [--json]` */
import { formatReport } from "../lib/rollout/report";
import { runRollback } from "../lib/rollout/rollback";
import { interruptible, realDeps } from "../lib/rollout/wiring";
import { parseProbePorts, parseSeconds } from "../lib/rollout/options";
import { parseCommandArgs } from "../lib/command";

const USAGE = `usage: myoci rollback --stack <stack> [--to N] [--json] [--up-timeout SECONDS] [--probe-port [STACK:]COMPONENT=PORT …] [--project-dir DIR]
  Restores the pins of the N-th earlier successful deployment (default 1: the last one whose pins differ from
  the current ones, from the stack's update history), runs pulumi up with the policy pack and verifies the
  changed services. Needs the pulumi CLI.
  Ctrl-C once: the running step finishes, then it stops; twice: the running up is canceled through Pulumi's cancel.
  exit 0 rolled back and verified; 2 refused, locked, interrupted, canceled or failed (the report says what to do next)`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("rollback", USAGE, argv, {
    stack: { type: "string" },
    to: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    "up-timeout": { type: "string" },
    "probe-port": { type: "string", multiple: true },
    "project-dir": { type: "string" },
  });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  const to = Number(values.to);
  if (values.stack === undefined || !/^[\w.-]+$/.test(values.stack) || !Number.isInteger(to) || to < 1 || to > 100) {
    process.stderr.write(
      `myoci rollback: expected --stack <name> and --to a whole number from 1 to 100 (got --stack ${JSON.stringify(values.stack ?? "(missing)")}, --to ${JSON.stringify(values.to)})\n${USAGE}\n`,
    );
    return 2;
  }
  const errors: string[] = [];
  const upTimeout = parseSeconds("--up-timeout", values["up-timeout"], 1, 24 * 3600, errors);
  const ports = parseProbePorts(values["probe-port"] ?? [], errors);
  if (errors.length > 0) {
    process.stderr.write(`${errors.map((e) => `myoci rollback: ${e}`).join("\n")}\n${USAGE}\n`);
    return 2;
  }
  const interrupt = interruptible();
  try {
    const deps = realDeps({
      projectDir: values["project-dir"] ?? process.cwd(),
      mirrors: {},
      stacks: [values.stack],
      command: `myoci rollback --stack ${values.stack} --to ${to}`,
      interrupt,
      upTimeoutMs: upTimeout !== undefined ? upTimeout * 1000 : undefined,
      probe: { ports },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const report = await runRollback(values.stack, to, deps);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.exitCode;
  } finally {
    interrupt.dispose();
  }
}
