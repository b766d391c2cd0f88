/**
 * What every `myoci` command shares: its I/O (injected, so commands run in-process in tests), one spec format
 * (options, examples, exit codes) with one help format, strict parsing with did-you-mean, and one way to end:
 * text on stdout / messages on stderr, or with `--json` one envelope on stdout that carries the errors too.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { colourWanted, highlight, palette, type Palette, type Stream } from "./output/colour";
import type { EnvelopeError } from "./output/envelope";
import { Progress } from "./output/progress";
import { stackNameProblem } from "../../config/stack-name";

/** Bad input or an error (every command): the message names the argument, file, key or value. */
export const EXIT_USAGE = 2;

/** A command's outside world: everything it reads from or writes to the process. */
export interface CommandIO {
  readonly cwd: string;
  readonly stdout: Stream;
  readonly stderr: Stream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
}

export function processIO(): CommandIO {
  return { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env, now: () => new Date() };
}

/** What shell completion offers for an option's value or a positional. */
export type CompletionKind = "stacks" | "stack-list" | "components" | "component=tag" | "files" | "dirs" | "shells" | "commands";

export interface OptionDoc {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string | boolean;
  /** The value's placeholder in help, e.g. `<name>`. */
  readonly arg?: string;
  readonly help: string;
  readonly complete?: CompletionKind;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Everything after `npx myoci <name>` in the usage line. */
  readonly synopsis: string;
  readonly description?: readonly string[];
  readonly positionals?: { readonly name: string; readonly help: string; readonly complete?: CompletionKind };
  readonly options: Readonly<Record<string, OptionDoc>>;
  /** The command reports: `--json` prints the envelope. */
  readonly json?: boolean;
  /** Long work: `--progress` forces progress on stderr when it is not a terminal. */
  readonly progress?: boolean;
  readonly examples: readonly { readonly command: string; readonly says: string }[];
  readonly exitCodes: readonly (readonly [number, string])[];
}

/** Options every command has, and the ones `json` / `progress` add. */
export function commonOptions(spec: CommandSpec): Record<string, OptionDoc> {
  return {
    ...(spec.json === true ? { json: { type: "boolean", default: false, help: "print one JSON envelope on stdout (errors included)" } } : {}),
    ...(spec.progress === true ? { progress: { type: "boolean", default: false, help: "show progress on stderr even when it is not a terminal" } } : {}),
    "no-color": { type: "boolean", default: false, help: "no colour (also: NO_COLOR=1; colour is only ever used on a terminal)" },
    help: { type: "boolean", short: "h", default: false, help: "show this help" },
  };
}

export function allOptions(spec: CommandSpec): Record<string, OptionDoc> {
  return { ...spec.options, ...commonOptions(spec) };
}

// ---------- did-you-mean

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), or a unique prefix match. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)));
  const scored = candidates.map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) })).sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  const best = scored[0];
  if (best && best.d <= limit && (scored[1]?.d ?? Infinity) > best.d) {
    return best.c;
  }
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  return lower.length >= 2 && prefixed.length === 1 ? prefixed[0] : undefined;
}

export const suggestion = (word: string, candidates: readonly string[]): string => {
  const match = didYouMean(word, candidates);
  return match === undefined ? "" : ` Did you mean ${JSON.stringify(match)}?`;
};

/** Stacks with a Pulumi.<stack>.yaml in dir, sorted. */
export function stacksIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** `no stack file Pulumi.prdo.yaml in <dir>. Did you mean "prod"? …`, or undefined when the stack file exists. */
export function unknownStack(dir: string, stack: string): string | undefined {
  const badName = stackNameProblem(stack); // before any path is built from it
  if (badName !== undefined) return badName;
  if (existsSync(path.join(dir, `Pulumi.${stack}.yaml`)) || existsSync(path.join(dir, `Pulumi.${stack}.yml`))) return undefined;
  const known = stacksIn(dir);
  return `no stack file Pulumi.${stack}.yaml in ${dir}.${suggestion(stack, known)}${known.length > 0 ? ` (stacks here: ${known.join(", ")})` : ""}`;
}

// ---------- help

const wrap = (text: string, width: number, indent: string): string[] => {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
};

/** The one help format: title, USAGE, description, ARGUMENTS, OPTIONS, EXAMPLES, EXIT CODES. */
export function formatHelp(spec: CommandSpec): string {
  const options = Object.entries(allOptions(spec)).map(([name, o]) => {
    const flag = `${o.short !== undefined ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.arg ?? "<value>"}` : ""}`;
    const extra = [o.multiple === true ? "repeatable" : "", typeof o.default === "string" ? `default: ${o.default}` : ""].filter((x) => x !== "");
    return { flag, help: `${o.help}${extra.length > 0 ? ` (${extra.join("; ")})` : ""}` };
  });
  const width = Math.max(...options.map((o) => o.flag.length), spec.positionals?.name.length ?? 0);
  const indent = " ".repeat(width + 6);
  const lines = [`npx myoci ${spec.name} — ${spec.summary}`, "", "USAGE", `  npx myoci ${spec.name}${spec.synopsis !== "" ? ` ${spec.synopsis}` : ""}`];
  if (spec.description && spec.description.length > 0) {
    lines.push("", ...spec.description.flatMap((d) => wrap(d, 110, "  ").map((l, i) => (i === 0 ? `  ${l}` : l))));
  }
  if (spec.positionals) {
    lines.push("", "ARGUMENTS", `  ${spec.positionals.name.padEnd(width)}    ${wrap(spec.positionals.help, 110, indent).join("\n")}`);
  }
  lines.push("", "OPTIONS", ...options.map((o) => `  ${o.flag.padEnd(width)}    ${wrap(o.help, 110, indent).join("\n")}`));
  lines.push("", "EXAMPLES", ...spec.examples.flatMap((e) => [`  $ ${e.command}`, `    ${e.says}`]));
  lines.push("", "EXIT CODES", ...spec.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`));
  return `${lines.join("\n")}\n`;
}

// ---------- parsing

type ValueOf<O extends OptionDoc> = O["type"] extends "boolean"
  ? O["multiple"] extends true
    ? boolean[]
    : boolean
  : O["multiple"] extends true
    ? string[]
    : string;
export type OptionValues<S extends CommandSpec> = {
  readonly [K in keyof S["options"]]: S["options"][K] extends OptionDoc
    ? S["options"][K] extends { default: string | boolean }
      ? ValueOf<S["options"][K]>
      : ValueOf<S["options"][K]> | undefined
    : never;
} & { readonly json: boolean; readonly progress: boolean; readonly "no-color": boolean };

export type Parsed<S extends CommandSpec> =
  | { readonly ok: true; readonly values: OptionValues<S>; readonly positionals: string[]; readonly out: Output }
  | { readonly ok: false; readonly exitCode: number };

/**
 * Parses `argv` strictly against the spec's options. `--help` prints the help (exit 0); a bad argument is
 * reported with a did-you-mean for flags (exit 2; inside the envelope when `--json` was given).
 */
export function parseCommand<const S extends CommandSpec>(spec: S, argv: string[], io: CommandIO): Parsed<S> {
  const docs = allOptions(spec);
  const options = Object.fromEntries(
    Object.entries(docs).map(([name, o]) => [
      name,
      {
        type: o.type,
        ...(o.multiple === true ? { multiple: true } : {}),
        ...(o.short !== undefined ? { short: o.short } : {}),
        ...(o.default !== undefined ? { default: o.default } : {}),
      },
    ]),
  ) as NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  const wantsJson = spec.json === true && argv.includes("--json");
  const early = new Output(io, spec, { json: wantsJson, noColor: argv.includes("--no-color"), progress: false });
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: spec.positionals !== undefined });
  } catch (error) {
    return { ok: false, exitCode: early.usageError(parseProblem(error as Error & { code?: string }, Object.keys(docs))) };
  }
  const values = parsed.values as OptionValues<S> & { help?: boolean };
  if (values.help === true) {
    io.stdout.write(formatHelp(spec));
    return { ok: false, exitCode: 0 };
  }
  const out = new Output(io, spec, { json: values.json === true, noColor: values["no-color"] === true, progress: values.progress === true });
  return { ok: true, values, positionals: parsed.positionals, out };
}

/** parseArgs' message, with a did-you-mean for an unknown flag and without its advice about `--`. */
function parseProblem(error: Error & { code?: string }, flags: readonly string[]): string {
  const unknown = /Unknown option '(-{1,2})([^'=]+)/.exec(error.message);
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const match = didYouMean(unknown[2]!, flags);
    return `unknown option ${unknown[1]}${unknown[2]}.${match !== undefined ? ` Did you mean --${match}?` : ""}`;
  }
  if (error.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(error.message)?.[1];
    return `unexpected argument ${JSON.stringify(arg ?? "")}: this command takes no positional arguments`;
  }
  return error.message.replace(/\. To specify a positional argument.*$/s, "");
}

// ---------- output

/** The envelope (zod) only when a command reports or fails: `--help` and did-you-mean stay light. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const envelopeModule = () => require("./output/envelope") as typeof import("./output/envelope");

export interface Finish {
  /** The command's data: the envelope's body with --json. */
  readonly data?: object;
  /** The human report (stdout) without --json. */
  readonly text?: string;
  readonly errors?: readonly EnvelopeError[];
}

/** One command invocation's output: text or envelope, colour, progress and messages. */
export class Output {
  readonly json: boolean;
  readonly colours: Palette;
  readonly errColours: Palette;
  readonly progress: Progress;

  constructor(
    private readonly io: CommandIO,
    private readonly spec: CommandSpec,
    flags: { json: boolean; noColor: boolean; progress: boolean },
  ) {
    this.json = flags.json;
    this.colours = palette(!flags.json && colourWanted(io.stdout, io.env, flags.noColor));
    this.errColours = palette(colourWanted(io.stderr, io.env, flags.noColor));
    this.progress = new Progress(io.stderr, { forced: flags.progress });
  }

  /** A message for the operator on stderr (`myoci <command>: …`); never part of the report. */
  note(message: string): void {
    this.progress.clear();
    this.io.stderr.write(`${this.errColours.dim(`myoci ${this.spec.name}:`)} ${message}\n`);
  }

  /** Ends the command with its report. */
  finish(exitCode: number, result: Finish = {}): number {
    this.progress.clear();
    const errors = result.errors ?? [];
    if (this.json) {
      const { formatEnvelope, makeEnvelope } = envelopeModule();
      this.io.stdout.write(formatEnvelope(makeEnvelope(this.spec.name, this.io.now(), exitCode, errors, result.data)));
      return exitCode;
    }
    if (result.text !== undefined) {
      this.io.stdout.write(highlight(result.text, this.colours));
    }
    for (const error of errors) {
      this.io.stderr.write(`${this.errColours.red(`myoci ${this.spec.name}:`)} ${error.message}\n`);
    }
    return exitCode;
  }

  /** Ends the command with an error (exit 2 unless said otherwise). */
  fail(error: unknown, exitCode: number = EXIT_USAGE, data?: object): number {
    const errors = Array.isArray(error) ? (error as EnvelopeError[]) : envelopeModule().errorsOf(error);
    return this.finish(exitCode, { errors, data });
  }

  /** Bad arguments: each problem and a pointer to the help (exit 2). */
  usageError(problems: string | readonly string[]): number {
    const list = typeof problems === "string" ? [problems] : problems;
    if (this.json) {
      return this.fail(list.map((message) => ({ message })));
    }
    const prefix = this.errColours.red(`myoci ${this.spec.name}:`);
    this.io.stderr.write(`${list.map((p) => `${prefix} ${p}\n`).join("")}Run \`npx myoci help ${this.spec.name}\` for the options and examples.\n`);
    return EXIT_USAGE;
  }
}
