/** `npx myoci promote --from staging --to prod [component …]`: copy only what the source stack verified. */
import { promote } from "../app/promote";
import { parseCommand, processIO, suggestion, unknownStack, type CommandIO } from "../framework/command";
import { COMPONENT_IDS } from "../../catalog";
import { PROMOTE } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(PROMOTE, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals, out } = args;
  if (values.from === undefined || values.to === undefined || values.from === values.to) {
    return out.usageError("expected --from and --to naming two different stacks");
  }
  const missing = [values.from, values.to].map((s) => unknownStack(values["project-dir"] ?? io.cwd, s)).filter((m) => m !== undefined);
  if (missing.length > 0) {
    return out.usageError(missing);
  }
  const result = await promote({
    projectDir: values["project-dir"] ?? io.cwd,
    from: values.from,
    to: values.to,
    components: positionals,
    dryRun: values["dry-run"],
    switchLogShipper: values["switch-log-shipper"],
  });
  // A did-you-mean for a misspelt component (the library names file and key).
  const messages = result.messages.map((m) =>
    m.replace(/images\.([\w-]+): unknown component/, (all, name: string) => `${all}.${suggestion(name, COMPONENT_IDS)}`),
  );
  const outcome = { ...result, messages };
  if (!out.json && outcome.exitCode !== 2) {
    for (const message of outcome.messages) out.note(message); // exit 2: finish prints them, once, as errors
  }
  return out.finish(outcome.exitCode, {
    data: {
      from: values.from,
      to: values.to,
      dryRun: values["dry-run"],
      written: outcome.written,
      promoted: outcome.promoted,
      diff: outcome.output,
      messages: outcome.messages,
    },
    text: outcome.output,
    errors: outcome.exitCode === 2 ? outcome.messages.map((message) => ({ message })) : [],
  });
}
