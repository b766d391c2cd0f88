/**
 * `npx myoci dashboard` — one static page: what needs action (with counts), then every component with staging
 * beside prod, by urgency. Exit 0 written, 2 bad input (nothing written).
 */
import * as path from "node:path";
import { checkWritable, FileWriteError } from "../../config/atomic-write";
import { ConfigError } from "../../config/schema";
import { buildDashboard, writeDashboard } from "../app/dashboard";
import { parseCommand, processIO, unknownStack, type CommandIO } from "../framework/command";
import { DASHBOARD } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(DASHBOARD, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  const dir = path.resolve(io.cwd, values["project-dir"] ?? ".");
  const resolve = (file: string) => path.resolve(io.cwd, file);
  const missing = (values.stack ?? []).map((s) => unknownStack(dir, s)).filter((m) => m !== undefined);
  if (missing.length > 0) {
    return out.usageError(missing);
  }
  const outDir = path.resolve(dir, values.out);
  try {
    checkWritable(path.join(outDir, "index.html")); // before any work: a bad --out fails at once
    const { model, html } = buildDashboard({
      projectDir: dir,
      stacks: values.stack,
      checkJson: values["check-json"] !== undefined ? resolve(values["check-json"]) : undefined,
      driftJson: values["drift-json"]?.map(resolve),
      vulnsJson: values["vulns-json"] !== undefined ? resolve(values["vulns-json"]) : undefined,
      rolloutJson: values["rollout-json"]?.map(resolve),
      now: io.now(),
    });
    if (model.rows.length === 0) {
      return out.fail(new Error(`no Pulumi.<stack>.yaml with pins in ${dir}`));
    }
    const file = writeDashboard(outDir, html);
    const shown = path.relative(io.cwd, file).startsWith("..") ? file : path.relative(io.cwd, file);
    const counts = Object.entries(model.counts).filter(([, n]) => n > 0);
    const summary = counts.length > 0 ? counts.map(([kind, n]) => `${n} ${kind}`).join(", ") : "nothing";
    return out.finish(0, {
      data: { file, stacks: model.stacks, components: model.rows.length, pins: model.cells, counts: model.counts, actions: model.actions },
      text: `wrote ${shown}: ${model.rows.length} components, ${model.cells} pins on ${model.stacks.length} stacks; needs action: ${summary}\n`,
    });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof FileWriteError) {
      return out.fail(error);
    }
    throw error;
  }
}
