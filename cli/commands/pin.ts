/** `npx myoci pin <component> <tag> --stack s`: resolve the digest, check the rules, write the stack file atomically. */
import { COMPONENT_IDS, isComponentId } from "../../catalog";
import { loadStackFile } from "../../config/stack-file";
import { parseMirrorArgs, RegistryClient } from "../adapters/registry/client";
import { pinComponent } from "../app/pin";
import { parseCommand, processIO, suggestion, unknownStack, type CommandIO } from "../framework/command";
import { PIN } from "./specs";

/** `unknown component "grafna". Did you mean "grafana"?` or undefined for a catalog id. */
export function unknownComponent(name: string): string | undefined {
  return isComponentId(name) ? undefined : `unknown component ${JSON.stringify(name)}.${suggestion(name, COMPONENT_IDS)} (known: ${COMPONENT_IDS.join(", ")})`;
}

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(PIN, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals, out } = args;
  const [component, tag, ...extra] = positionals;
  if (component === undefined || tag === undefined || extra.length > 0 || values.stack === undefined) {
    return out.usageError("expected <component> <tag> and --stack <name>");
  }
  const unknown = unknownComponent(component);
  if (unknown !== undefined) {
    return out.usageError(unknown);
  }
  const missingStack = unknownStack(values["project-dir"] ?? io.cwd, values.stack);
  if (missingStack !== undefined) {
    return out.usageError(missingStack);
  }
  const projectDir = values["project-dir"] ?? io.cwd;
  const stack = values.stack;
  let mirrors: Record<string, string>;
  try {
    mirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    return out.usageError((error as Error).message);
  }
  // The registry client is built only when a digest has to be resolved (config mirrors first, flags override).
  const resolver = () => new RegistryClient({ mirrors: { ...loadStackFile(projectDir, stack, { placeholderSecrets: true }).registryMirrors, ...mirrors } });
  const outcome = await pinComponent(
    { projectDir, stack, component, tag, digest: values.digest, dryRun: values["dry-run"], allowDowngrade: values["allow-downgrade"] },
    resolver,
  );
  if (!out.json && outcome.exitCode !== 2) {
    for (const message of outcome.messages) out.note(message); // exit 2: finish prints them, once, as errors
  }
  return out.finish(outcome.exitCode, {
    data: { stack, component, tag, dryRun: values["dry-run"], written: outcome.written, diff: outcome.output, messages: outcome.messages },
    text: outcome.output,
    errors: outcome.exitCode === 2 ? outcome.messages.map((message) => ({ message })) : [],
  });
}
