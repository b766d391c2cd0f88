/** `npx myoci rollback --stack s [--to N]`: the pins of an earlier good deployment, up and verified. */
import { formatReport } from "../app/rollout/report";
import { runRollback } from "../app/rollout/rollback";
import { interruptible, realDeps } from "../app/rollout/wiring";
import { parseProbePorts, parseSeconds } from "../app/rollout/options";
import { parseCommand, processIO, unknownStack, type CommandIO } from "../framework/command";
import { pulumiPreflight } from "./rollout";
import { ROLLBACK } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(ROLLBACK, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  const to = Number(values.to);
  if (values.stack === undefined || !/^[\w.-]+$/.test(values.stack) || !Number.isInteger(to) || to < 1 || to > 100) {
    return out.usageError(
      `expected --stack <name> and --to a whole number from 1 to 100 (got --stack ${JSON.stringify(values.stack ?? "(missing)")}, --to ${JSON.stringify(values.to)})`,
    );
  }
  const noStack = unknownStack(values["project-dir"] ?? io.cwd, values.stack);
  if (noStack !== undefined) {
    return out.usageError(noStack);
  }
  const errors: string[] = [];
  const upTimeout = parseSeconds("--up-timeout", values["up-timeout"], 1, 24 * 3600, errors);
  const ports = parseProbePorts(values["probe-port"] ?? [], errors);
  if (errors.length > 0) {
    return out.usageError(errors);
  }
  const pulumi = await pulumiPreflight(io, out);
  if ("exitCode" in pulumi) {
    return pulumi.exitCode;
  }
  const interrupt = interruptible();
  try {
    const deps = realDeps({
      projectDir: values["project-dir"] ?? io.cwd,
      mirrors: {},
      stacks: [values.stack],
      command: `myoci rollback --stack ${values.stack} --to ${to}`,
      interrupt,
      pulumiVersion: pulumi.version,
      upTimeoutMs: upTimeout !== undefined ? upTimeout * 1000 : undefined,
      probe: { ports },
      log: (line) => out.progress.line(line),
    });
    const report = await runRollback(values.stack, to, deps);
    return out.finish(report.exitCode, { data: report, text: formatReport(report) });
  } finally {
    interrupt.dispose();
  }
}
