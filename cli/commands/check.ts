/**
 * `myoci check [--stack s] [--json] [--registry-mirror HOST=URL …] [--include-prerelease]`
 * Declared pins vs what the registries offer now. Without --stack: every Pulumi.<stack>.yaml in the current directory.
 * Exit 0 up to date, 1 updates available (a re-pointed tag counts), 2 any error (the rest is still reported).
 */
import { readdirSync } from "node:fs";
import { loadStackFile, stackFilePath } from "../../config/stack-file";
import { parseMirrorArgs, RegistryClient } from "../lib/registry/client";
import { formatOutcome, notifyCheckResults } from "../lib/notify";
import { buildReport, checkStack, failedStack, formatReport, RegistryAnswerCache, runLimitFrom, type StackCheck } from "../lib/check/run";
import * as path from "node:path";
import { parseCommandArgs, usageError } from "../lib/command";

const HELP = `usage: myoci check [--stack <name>] [--json] [--notify] [--registry-mirror HOST=URL ...] [--include-prerelease] [--timeout <s>]

  --stack <name>            check Pulumi.<name>.yaml only (default: every Pulumi.<stack>.yaml here)
  --json                    print the JSON report (schema: docs/check.md)
  --notify                  post new updates to ntfy (myoci:notify, password in MYOCI_NTFY_PASSWORD)
  --registry-mirror H=URL   send registry H's requests to URL (repeatable; wins over myoci:registryMirrors)
  --include-prerelease      also offer pre-release tags (rc, alpha, beta, …)
  --timeout <seconds>       bound the whole run: what is not answered by then is reported as an error

exit 0: up to date · 1: updates available (digest-only changes included) · 2: an error (the rest is still reported)
`;

/** Stacks with a Pulumi.<stack>.yaml in dir, sorted. */
export function stacksIn(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("check", HELP, argv, {
    stack: { type: "string" },
    json: { type: "boolean" },
    notify: { type: "boolean" },
    "registry-mirror": { type: "string", multiple: true },
    "include-prerelease": { type: "boolean" },
    timeout: { type: "string" },
  });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  let flagMirrors: Record<string, string>;
  try {
    flagMirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    return usageError("check", HELP, (error as Error).message);
  }
  let runLimit: ReturnType<typeof runLimitFrom>;
  try {
    runLimit = runLimitFrom(values.timeout);
  } catch (error) {
    return usageError("check", HELP, (error as Error).message);
  }
  const dir = process.cwd();
  const stacks = values.stack !== undefined ? [values.stack] : stacksIn(dir);
  if (stacks.length === 0) {
    process.stderr.write(`myoci check: no Pulumi.<stack>.yaml in ${dir}\n`);
    return 2;
  }
  const cache = new RegistryAnswerCache();
  const clients = new Map<string, RegistryClient>();
  // Stacks are checked concurrently; answers for the same image are shared through the cache.
  const results: StackCheck[] = await Promise.all(
    stacks.map(async (stack): Promise<StackCheck> => {
      const file = path.basename(stackFilePath(dir, stack));
      let config;
      try {
        config = loadStackFile(dir, stack, { placeholderSecrets: true });
      } catch (error) {
        return failedStack(stack, file, (error as Error).message);
      }
      const mirrors = { ...config.registryMirrors, ...flagMirrors };
      // One client per mirror set: tokens, limits and connections are shared between stacks that agree.
      const key = JSON.stringify(Object.entries(mirrors).sort());
      let client = clients.get(key);
      if (!client) {
        client = new RegistryClient({ mirrors, runLimit });
        clients.set(key, client);
      }
      return checkStack({ stack, file, images: config.images, registry: client, cache, includePrerelease: values["include-prerelease"] });
    }),
  );
  const report = buildReport(results);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (values.notify) {
    // Only new updates are posted (the sent state remembers what went out); a failed post is an error.
    const outcome = await notifyCheckResults(report, { projectDir: dir });
    process.stderr.write(formatOutcome(outcome));
    if (outcome.errors.length > 0) {
      return 2;
    }
  }
  return report.exitCode;
}
