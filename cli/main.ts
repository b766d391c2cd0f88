#!/usr/bin/env node
/** `myoci` — the version tool. Each command is a thin module in cli/commands exporting `run(argv)`. */

/** Command name → module (in cli/commands) and one line of help. */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  check: { module: "check", summary: "compare pinned tags and digests with what the registries offer now" },
  drift: { module: "drift", summary: "compare pins with the containers running on the stack's Docker host" },
  pin: { module: "pin", summary: "pin a component to a tag (digest resolved from its registry)" },
  promote: { module: "promote", summary: "copy pins that staging has verified to prod" },
  docs: { module: "docs", summary: "generate DEPENDENCIES.md, COMPATIBILITY_MATRIX.md and renovate.json (--check: fail when stale)" },
  rollout: { module: "rollout", summary: "staged rollout with health-gated automatic rollback" },
  rollback: { module: "rollback", summary: "restore the pins of an earlier successful deployment" },
  vulns: { module: "vulns", summary: "advisories affecting the pinned versions, with deadlines" },
  dashboard: { module: "dashboard", summary: "write the static version dashboard" },
};

export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    "usage: myoci <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "myoci <command> --help for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`myoci: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`./commands/${command.module}`) as CommandModule;
  return module.run(rest);
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
