/** `myoci pin <component> <tag> --stack s [--digest sha256:…] [--dry-run] [--allow-downgrade] [--registry-mirror HOST=URL …]` */
import { loadStackFile } from "../../config/stack-file";
import { parseMirrorArgs, RegistryClient } from "../lib/registry/client";
import { EXIT_ERROR, pinComponent } from "../lib/pin";
import { parseCommandArgs, usageError } from "../lib/command";

const USAGE = `usage: myoci pin <component> <tag> --stack <stack> [--digest sha256:…] [--dry-run] [--allow-downgrade] [--registry-mirror HOST=URL …]
  Resolves the tag's digest from the component's registry (unless --digest is given), checks the new pin set
  against the catalog's compatibility and transition rules, and writes Pulumi.<stack>.yaml atomically
  (comments, key order and secure: values untouched). Prints the diff.
  exit 0 pinned (or already pinned / dry run), 1 refused by a rule or a downgrade, 2 bad input or error`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    "pin",
    USAGE,
    argv,
    {
      stack: { type: "string" },
      digest: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "allow-downgrade": { type: "boolean", default: false },
      "registry-mirror": { type: "string", multiple: true },
      "project-dir": { type: "string" },
    },
    true,
  );
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals } = args;
  const [component, tag, ...extra] = positionals;
  if (component === undefined || tag === undefined || extra.length > 0 || values.stack === undefined) {
    process.stderr.write(`myoci pin: expected <component> <tag> and --stack\n${USAGE}\n`);
    return EXIT_ERROR;
  }
  const projectDir = values["project-dir"] ?? process.cwd();
  const stack = values.stack;
  let mirrors: Record<string, string>;
  try {
    mirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    return usageError("pin", USAGE, (error as Error).message);
  }
  // The registry client is built only when a digest has to be resolved (config mirrors first, flags override).
  const resolver = () => new RegistryClient({ mirrors: { ...loadStackFile(projectDir, stack, { placeholderSecrets: true }).registryMirrors, ...mirrors } });
  const outcome = await pinComponent(
    { projectDir, stack, component, tag, digest: values.digest, dryRun: values["dry-run"], allowDowngrade: values["allow-downgrade"] },
    resolver,
  );
  process.stdout.write(outcome.output);
  for (const message of outcome.messages) {
    process.stderr.write(`myoci pin: ${message}\n`);
  }
  return outcome.exitCode;
}
