/** What every `myoci` command shares: strict argument parsing, `--help`, and the exit code for bad input. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Bad input or an error (every command): the message names the argument, file, key or value. */
export const EXIT_USAGE = 2;

type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
type HelpOption = { help: { type: "boolean"; short: "h"; default: false } };
type Parsed<T extends OptionSpec, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T & HelpOption; strict: true; allowPositionals: P }>
>;

export type CommandArgs<T extends OptionSpec, P extends boolean> =
  { readonly ok: true; readonly values: Parsed<T, P>["values"]; readonly positionals: string[] } | { readonly ok: false; readonly exitCode: number };

/**
 * Parses `argv` strictly against `options` (plus `-h/--help`). On `--help` prints the usage and answers exit 0;
 * on a bad argument prints `myoci <command>: <problem>` and the usage to stderr and answers exit 2.
 */
export function parseCommandArgs<const T extends OptionSpec, const P extends boolean = false>(
  command: string,
  usage: string,
  argv: string[],
  options: T,
  allowPositionals?: P,
): CommandArgs<T, P> {
  const help: HelpOption = { help: { type: "boolean", short: "h", default: false } };
  let parsed: Parsed<T, P>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...help }, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (error) {
    process.stderr.write(`myoci ${command}: ${(error as Error).message}\n${usage.trimEnd()}\n`);
    return { ok: false, exitCode: EXIT_USAGE };
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    return { ok: false, exitCode: 0 };
  }
  return { ok: true, values: parsed.values, positionals: (parsed as { positionals?: string[] }).positionals ?? [] };
}

/** Prints `myoci <command>: <message>` and the usage; answers exit 2. */
export function usageError(command: string, usage: string, message: string): number {
  process.stderr.write(`myoci ${command}: ${message}\n${usage.trimEnd()}\n`);
  return EXIT_USAGE;
}
