/** `myoci docs [--check]`: write DEPENDENCIES.md and COMPATIBILITY_MATRIX.md, or (--check) fail when they are stale. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { parseCommandArgs } from "../lib/command";
import { generateDocs, staleDocs } from "../lib/docs";

const USAGE = `usage: myoci docs [--check]
  Generates DEPENDENCIES.md, COMPATIBILITY_MATRIX.md and renovate.json at the project root from the catalog,
  the stack files and package.json.
  --check  write nothing; exit 1 (naming the files) when the committed files differ from what would be generated
  exit 0 written / up to date, 1 stale (--check), 2 error`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("docs", USAGE, argv, { check: { type: "boolean", default: false }, "project-dir": { type: "string" } });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  const projectDir = values["project-dir"] ?? process.cwd();
  let files;
  try {
    files = generateDocs(projectDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`myoci docs: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const stale = staleDocs(projectDir, files);
  if (values.check) {
    if (stale.length === 0) {
      process.stdout.write(`${files.map((f) => f.name).join(", ")}: up to date\n`);
      return 0;
    }
    for (const name of stale) {
      process.stderr.write(`myoci docs: ${name} is stale: run \`npx myoci docs\` and commit it\n`);
    }
    return 1;
  }
  for (const file of files) {
    if (stale.includes(file.name)) {
      writeFileSync(path.join(projectDir, file.name), file.content);
    }
    process.stdout.write(`${file.name}: ${stale.includes(file.name) ? "written" : "up to date"}\n`);
  }
  return 0;
}
