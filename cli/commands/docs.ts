/** `npx myoci docs [--check]`: write DEPENDENCIES.md and COMPATIBILITY_MATRIX.md, or (--check) fail when they are stale. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { parseCommand, processIO, type CommandIO } from "../lib/command";
import { generateDocs, staleDocs } from "../lib/docs";
import { DOCS } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(DOCS, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  const projectDir = values["project-dir"] ?? io.cwd;
  let files;
  try {
    files = generateDocs(projectDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      return out.fail(error);
    }
    throw error;
  }
  const stale = staleDocs(projectDir, files);
  if (values.check) {
    const data = { check: true, files: files.map((f) => ({ name: f.name, status: stale.includes(f.name) ? "stale" : "up to date" })) };
    if (stale.length === 0) {
      return out.finish(0, { data, text: `${files.map((f) => f.name).join(", ")}: up to date\n` });
    }
    return out.finish(1, {
      data,
      errors: stale.map((name) => ({ message: `${name} is stale: run \`npx myoci docs\` and commit it`, file: name })),
    });
  }
  for (const file of files) {
    if (stale.includes(file.name)) {
      writeFileSync(path.join(projectDir, file.name), file.content);
    }
  }
  return out.finish(0, {
    data: { check: false, files: files.map((f) => ({ name: f.name, status: stale.includes(f.name) ? "written" : "up to date" })) },
    text: files.map((f) => `${f.name}: ${stale.includes(f.name) ? "written" : "up to date"}\n`).join(""),
  });
}
