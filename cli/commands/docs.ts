/** `npx myoci docs [--check]`: write DEPENDENCIES.md and COMPATIBILITY_MATRIX.md, or (--check) fail when they are stale. */
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { parseCommand, processIO, type CommandIO } from "../framework/command";
import { docsStatus, generateDocs } from "../app/docs";
import { FileWriteError, writeFileAtomic } from "../../config/atomic-write";
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
  const status = docsStatus(projectDir, files);
  const stale = status.filter((f) => f.state !== "current").map((f) => f.name);
  const missing = status.filter((f) => f.state === "missing").map((f) => f.name);
  if (values.check) {
    const label = (name: string) => (missing.includes(name) ? "missing" : stale.includes(name) ? "stale" : "up to date");
    const data = { check: true, files: files.map((f) => ({ name: f.name, status: label(f.name) })) };
    if (stale.length === 0) {
      return out.finish(0, { data, text: `${files.map((f) => f.name).join(", ")}: up to date\n` });
    }
    return out.finish(1, {
      data,
      errors: stale.map((name) => ({
        message: `${missing.includes(name) ? `${name} is missing (no such file in ${projectDir})` : `${name} is stale`}: run \`npx myoci docs\` and commit it`,
        file: name,
      })),
    });
  }
  try {
    for (const file of files) {
      if (stale.includes(file.name)) {
        writeFileAtomic(path.join(projectDir, file.name), file.content);
      }
    }
  } catch (error) {
    if (error instanceof FileWriteError) {
      return out.fail(error);
    }
    throw error;
  }
  return out.finish(0, {
    data: { check: false, files: files.map((f) => ({ name: f.name, status: stale.includes(f.name) ? "written" : "up to date" })) },
    text: files.map((f) => `${f.name}: ${stale.includes(f.name) ? "written" : "up to date"}\n`).join(""),
  });
}
