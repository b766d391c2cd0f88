/**
 * `myoci dashboard [--out site/] [--check-json f] [--drift-json f …] [--vulns-json f]`
 * One static page: per stack and component the declared/running version, updates, end of life, advisories with
 * deadlines and the last rollout. Exit 0 written, 2 bad input (nothing written).
 */
import * as path from "node:path";
import { checkWritable, FileWriteError } from "../../config/atomic-write";
import { ConfigError } from "../../config/schema";
import { buildDashboard, writeDashboard } from "../lib/dashboard";
import { parseCommandArgs } from "../lib/command";

const HELP = `usage: myoci dashboard [--out <dir>] [--stack <name> ...] [--check-json <file>] [--drift-json <file> ...] [--vulns-json <file>]

  --out <dir>          where index.html is written (default: site/)
  --stack <name>       only these stacks (default: every Pulumi.<stack>.yaml here)
  --check-json <file>  output of \`myoci check --json\` (updates by class; else "not checked")
  --drift-json <file>  output of \`myoci drift --stack s --json\` (running versions; else "unknown"); repeatable
  --vulns-json <file>  output of \`myoci vulns --json\` (with Trivy findings; else catalog advisories)
  --project-dir <dir>  where the stack files are (default: the current directory)

exit 0: written · 2: bad input (nothing written)
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("dashboard", HELP, argv, {
    out: { type: "string", default: "site" },
    stack: { type: "string", multiple: true },
    "check-json": { type: "string" },
    "drift-json": { type: "string", multiple: true },
    "vulns-json": { type: "string" },
    "project-dir": { type: "string" },
  });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  const dir = path.resolve(values["project-dir"] ?? process.cwd());
  const out = path.resolve(dir, values.out);
  try {
    checkWritable(path.join(out, "index.html")); // before any work: a bad --out fails at once
    const { rows, html } = buildDashboard({
      projectDir: dir,
      stacks: values.stack,
      checkJson: values["check-json"] !== undefined ? path.resolve(values["check-json"]) : undefined,
      driftJson: values["drift-json"]?.map((f) => path.resolve(f)),
      vulnsJson: values["vulns-json"] !== undefined ? path.resolve(values["vulns-json"]) : undefined,
    });
    if (rows.length === 0) {
      process.stderr.write(`myoci dashboard: no Pulumi.<stack>.yaml with pins in ${dir}\n`);
      return 2;
    }
    const file = writeDashboard(out, html);
    const shown = path.relative(process.cwd(), file).startsWith("..") ? file : path.relative(process.cwd(), file);
    process.stdout.write(`wrote ${shown}: ${rows.length} components on ${new Set(rows.map((r) => r.stack)).size} stacks\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof FileWriteError) {
      process.stderr.write(`myoci dashboard: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
