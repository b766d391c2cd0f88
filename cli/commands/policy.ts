/**
 * `npx myoci policy --stack s` and `npx myoci plan --stack s`: the offline runner of policy/offline/run.ts as
 * commands of the one CLI (`npm run policy|plan` are aliases). The runner is loaded only when the command runs,
 * so help and the other commands never load the Pulumi SDK; its pack server is stopped on every way out.
 */
import { parseCommand, processIO, type CommandIO, type CommandSpec, type OptionValues } from "../framework/command";
import { PLAN, POLICY } from "./specs";

type Runner = typeof import("../../policy/offline/run");
type Values = OptionValues<typeof POLICY> | OptionValues<typeof PLAN>;

/** The runner's arguments for the parsed options (it takes no myoci-wide flags: --json stays here). */
export function runnerArgs(mode: "policy" | "plan", values: Values): string[] {
  const args: string[] = [mode];
  if (values.stack !== undefined) args.push("--stack", values.stack);
  if ("preview" in values && values.preview) args.push("--preview");
  if (values.resources !== undefined) args.push("--resources", values.resources);
  for (const assignment of values.config ?? []) args.push("--config", assignment);
  if ("policy-config" in values && values["policy-config"] !== undefined) args.push("--policy-config", values["policy-config"]);
  if (values["project-dir"] !== undefined) args.push("--project-dir", values["project-dir"]);
  return args;
}

/** Errors of the runner that are bad input (exit 2, one message): usage, stack config, policy config, arguments. */
function badInput(error: unknown): boolean {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded with the runner, never at start-up */
  const { UsageError } = require("../../policy/offline/usage-error") as typeof import("../../policy/offline/usage-error");
  const { PolicyConfigError } = require("../../policy/offline/policy-config") as typeof import("../../policy/offline/policy-config");
  const { ConfigError } = require("../../config/schema") as typeof import("../../config/schema");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof PolicyConfigError ||
    ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ?? false)
  );
}

/** For the run: a signal or an error escaping the SDK's runtime stops the pack server, then ends the process. */
function guard(runner: Runner, io: CommandIO): () => void {
  const exit = (code: number) => void runner.stopPendingServer().finally(() => process.exit(code));
  let failed = false;
  const onError = (error: unknown) => {
    // One error in the program rejects every output that depends on it: report the first, once.
    if (failed) return;
    failed = true;
    io.stderr.write(`myoci: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exit(2);
  };
  const onInt = () => exit(130);
  const onTerm = () => exit(143);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}

export async function runOffline(mode: "policy" | "plan", spec: CommandSpec & (typeof POLICY | typeof PLAN), argv: string[], io: CommandIO): Promise<number> {
  const args = parseCommand(spec, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  if (values.stack === undefined || values.stack === "") {
    return out.usageError("--stack is required");
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runner = require("../../policy/offline/run") as Runner;
  const release = guard(runner, io);
  let result: { data: object; text?: string } | undefined;
  try {
    const code = await runner.main(runnerArgs(mode, values), (data, text) => {
      result = { data, text: out.json ? undefined : `${text()}\n` };
    });
    return out.finish(code, result ?? {});
  } catch (error) {
    await runner.stopPendingServer();
    if (badInput(error)) {
      return out.fail(error);
    }
    throw error;
  } finally {
    release();
  }
}

export function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  return runOffline("policy", POLICY, argv, io);
}
