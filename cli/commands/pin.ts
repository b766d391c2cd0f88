/** `myoci pin <component> <tag> --stack s [--digest sha256:…] [--dry-run] [--allow-downgrade] [--registry-mirror HOST=URL …]` */
import { parseArgs } from "node:util";
import { loadStackFile } from "../../config/stack-file";
import { RegistryClient } from "../lib/registry/client";
import { EXIT_ERROR, parseMirrors, pinComponent } from "../lib/pin";

const USAGE = `usage: myoci pin <component> <tag> --stack <stack> [--digest sha256:…] [--dry-run] [--allow-downgrade] [--registry-mirror HOST=URL …]
  Resolves the tag's digest from the component's registry (unless --digest is given), checks the new pin set
  against the catalog's compatibility and transition rules, and writes Pulumi.<stack>.yaml atomically
  (comments, key order and secure: values untouched). Prints the diff.
  exit 0 pinned (or already pinned / dry run), 1 refused by a rule or a downgrade, 2 bad input or error`;

export async function run(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: "string" },
        digest: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        "allow-downgrade": { type: "boolean", default: false },
        "registry-mirror": { type: "string", multiple: true },
        "project-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`myoci pin: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT_ERROR;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [component, tag, ...extra] = positionals;
  if (component === undefined || tag === undefined || extra.length > 0 || values.stack === undefined) {
    process.stderr.write(`myoci pin: expected <component> <tag> and --stack\n${USAGE}\n`);
    return EXIT_ERROR;
  }
  const projectDir = values["project-dir"] ?? process.cwd();
  const stack = values.stack;
  const mirrors = parseMirrors(values["registry-mirror"] ?? []);
  if (!mirrors.ok) {
    process.stderr.write(`myoci pin: --registry-mirror ${JSON.stringify(mirrors.bad)}: expected HOST=URL such as docker.io=http://127.0.0.1:5000\n`);
    return EXIT_ERROR;
  }
  // The registry client is built only when a digest has to be resolved (config mirrors first, flags override).
  const resolver = () =>
    new RegistryClient({ mirrors: { ...loadStackFile(projectDir, stack, { placeholderSecrets: true }).registryMirrors, ...mirrors.mirrors } });
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
