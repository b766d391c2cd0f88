/** `npx myoci promote --from staging --to prod [component …]`: copy only what the source stack verified. */
import { promote } from "../lib/promote";
import { parseCommand, processIO, type CommandIO } from "../lib/command";
import { unknownComponent } from "./pin";
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
  const unknown = positionals.map(unknownComponent).filter((m) => m !== undefined);
  if (unknown.length > 0) {
    return out.usageError(unknown.join("; "));
  }
  const outcome = promote({
    projectDir: values["project-dir"] ?? io.cwd,
    from: values.from,
    to: values.to,
    components: positionals,
    dryRun: values["dry-run"],
    switchLogShipper: values["switch-log-shipper"],
  });
  if (!out.json) {
    for (const message of outcome.messages) out.note(message);
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
