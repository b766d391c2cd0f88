#!/usr/bin/env node
/**
 * `myoci` — the version tool. Help, `--version`, did-you-mean and completion come from the specs alone
 * (cli/commands/specs.ts); a command's module is loaded only when it runs.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { didYouMean, formatHelp, processIO, type CommandIO } from "./framework/command";
import { SPECS } from "./commands/specs";

export interface CommandModule {
  run(argv: string[], io?: CommandIO): Promise<number>;
}

/** Command name → module in cli/commands (help and completion are answered here). */
const MODULES: Readonly<Record<string, string>> = {
  check: "check",
  drift: "drift",
  pin: "pin",
  promote: "promote",
  docs: "docs",
  rollout: "rollout",
  rollback: "rollback",
  vulns: "vulns",
  dashboard: "dashboard",
  plan: "plan",
  policy: "policy",
};

const NAMES = SPECS.map((s) => s.name);

/** The package's version (package.json beside cli/, or two levels up from the compiled bin/cli/). */
export function version(): string {
  for (const dir of [path.join(__dirname, ".."), path.join(__dirname, "..", "..")]) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "myoci" && pkg.version !== undefined) return pkg.version;
    }
  }
  return "unknown";
}

export function usage(): string {
  const width = Math.max(...NAMES.map((name) => name.length));
  return [
    "npx myoci — pins, updates, drift, rollouts and vulnerabilities of the myOCI stacks",
    "",
    "USAGE",
    "  npx myoci <command> [options]",
    "",
    "COMMANDS",
    ...SPECS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    "",
    "OPTIONS",
    "  --version      print the version",
    "  -h, --help     show this help",
    "",
    "EXAMPLES",
    "  $ npx myoci check --stack prod",
    "  $ npx myoci help rollout",
    "  $ source <(npx myoci completion bash)",
    "",
    "Run `npx myoci help <command>` (or `npx myoci <command> --help`) for a command's options and examples.",
    "",
  ].join("\n");
}

function unknownCommand(io: CommandIO, name: string): number {
  const match = didYouMean(name, NAMES);
  io.stderr.write(
    `myoci: unknown command ${JSON.stringify(name)}.${match !== undefined ? ` Did you mean ${JSON.stringify(match)}?` : ""}\nRun \`npx myoci help\` for the list of commands.\n`,
  );
  return 2;
}

export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return 2;
  }
  if (name === "--help" || name === "-h") {
    io.stdout.write(usage());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(`myoci ${version()}\n`);
    return 0;
  }
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(usage());
      return 0;
    }
    const spec = SPECS.find((s) => s.name === (topic === "--help" || topic === "-h" ? "help" : topic));
    if (!spec) return unknownCommand(io, topic);
    io.stdout.write(formatHelp(spec));
    return 0;
  }
  const spec = SPECS.find((s) => s.name === name);
  if (!spec) {
    return unknownCommand(io, name);
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(formatHelp(spec));
    return 0;
  }
  if (name === "completion") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { completionScript, SHELLS } = require("./framework/output/completion") as typeof import("./framework/output/completion");
    const shell = rest[0];
    if (rest.length !== 1 || !(SHELLS as readonly string[]).includes(shell ?? "")) {
      const match = shell !== undefined ? didYouMean(shell, SHELLS) : undefined;
      io.stderr.write(
        `myoci completion: expected one of ${SHELLS.join(", ")}${shell !== undefined ? `, got ${JSON.stringify(shell)}` : ""}.${match !== undefined ? ` Did you mean ${JSON.stringify(match)}?` : ""}\n`,
      );
      return 2;
    }
    io.stdout.write(completionScript(shell as (typeof SHELLS)[number], SPECS));
    return 0;
  }
  // A run parses each schema once or twice: zod's JIT (a `new Function` compiled per object schema on its first
  // parse, which no code cache keeps) costs more than it saves. Set before the command's schemas are built.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("zod") as typeof import("zod")).config({ jitless: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`./commands/${MODULES[name]}`) as CommandModule;
  return module.run(rest, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`myoci: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
