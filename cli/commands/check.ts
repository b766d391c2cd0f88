/**
 * `npx myoci check` — declared pins vs what the registries offer now. Without --stack: every
 * Pulumi.<stack>.yaml in the current directory. Exit 0 up to date, 1 updates, 2 any error (the rest is still reported).
 */
import * as path from "node:path";
import { CATALOG, COMPONENT_IDS } from "../../catalog";
import { loadStackFile } from "../../config/stack-file";
import { DEFAULT_STATE_FILE, readVulnState } from "../../config/vulns-state";
import { parseMirrorArgs, RegistryClient } from "../adapters/registry/client";
import { buildReport, checkStack, failedStack, formatReport, RegistryAnswerCache, runLimitFrom, type RegistryReader, type StackCheck } from "../app/check/run";
import { parseCommand, processIO, stacksIn, unknownStack, type CommandIO } from "../framework/command";
import { JobProgress } from "../framework/output/progress";
import { CHECK } from "./specs";

export { stacksIn };

/**
 * The registry client with its tag-list and digest calls reported to the progress, per image
 * (registry/repository); every other member is the client's own.
 */
export function trackedRegistry<T extends RegistryReader>(client: T, jobs: JobProgress): T {
  const track = async <A>(job: string, call: () => Promise<A>): Promise<A> => {
    jobs.start(job);
    try {
      const answer = await call();
      jobs.finish(job);
      return answer;
    } catch (error) {
      jobs.finish(job, error instanceof Error ? error.message : String(error));
      throw error;
    }
  };
  const listTags: RegistryReader["listTags"] = (registry, repository) => track(`${registry}/${repository}`, () => client.listTags(registry, repository));
  const resolveDigest: RegistryReader["resolveDigest"] = (registry, repository, tag) =>
    track(`${registry}/${repository}`, () => client.resolveDigest(registry, repository, tag));
  return new Proxy(client, {
    get(target, property) {
      if (property === "listTags") return listTags;
      if (property === "resolveDigest") return resolveDigest;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(CHECK, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  let flagMirrors: Record<string, string>;
  try {
    flagMirrors = parseMirrorArgs(values["registry-mirror"] ?? []);
  } catch (error) {
    return out.usageError((error as Error).message);
  }
  let runLimit: ReturnType<typeof runLimitFrom>;
  try {
    runLimit = runLimitFrom(values.timeout);
  } catch (error) {
    return out.usageError((error as Error).message);
  }
  const dir = io.cwd;
  const stacks = values.stack !== undefined ? [values.stack] : stacksIn(dir);
  if (stacks.length === 0) {
    return out.fail(new Error(`no Pulumi.<stack>.yaml in ${dir}`));
  }
  const configs = stacks.map((stack) => {
    // A missing file is reported in the stack's place (with a did-you-mean), like any unreadable one.
    const missing = unknownStack(dir, stack);
    if (missing !== undefined) return { stack, error: new Error(missing) };
    try {
      return { stack, config: loadStackFile(dir, stack, { placeholderSecrets: true }) };
    } catch (error) {
      return { stack, error: error as Error };
    }
  });
  const images = new Set(
    configs.flatMap((c) =>
      c.config ? COMPONENT_IDS.filter((id) => c.config.images[id]).map((id) => `${CATALOG[id].registry}/${CATALOG[id].repository}`) : [],
    ),
  );
  let known;
  try {
    known = readVulnState(path.join(dir, DEFAULT_STATE_FILE)).osv?.vulnerabilities ?? [];
  } catch (error) {
    return out.fail(error);
  }
  const jobs = new JobProgress(out.progress, "check", images.size);
  const cache = new RegistryAnswerCache();
  const clients = new Map<string, RegistryReader>();
  let results: StackCheck[];
  try {
    // Stacks are checked concurrently; answers for the same image are shared through the cache.
    results = await Promise.all(
      configs.map(async ({ stack, config, error }): Promise<StackCheck> => {
        const file = path.basename(`Pulumi.${stack}.yaml`);
        if (!config) {
          return failedStack(stack, file, error.message);
        }
        const mirrors = { ...config.registryMirrors, ...flagMirrors };
        // One client per mirror set: tokens, limits and connections are shared between stacks that agree.
        const key = JSON.stringify(Object.entries(mirrors).sort());
        let client = clients.get(key);
        if (!client) {
          client = trackedRegistry(new RegistryClient({ mirrors, runLimit }), jobs);
          clients.set(key, client);
        }
        return checkStack({
          stack,
          file,
          images: config.images,
          versions: config.versions,
          registry: client,
          cache,
          includePrerelease: values["include-prerelease"],
          now: io.now(),
          known,
        });
      }),
    );
  } finally {
    jobs.dispose();
  }
  const report = buildReport(results, io.now());
  const errors = results.flatMap((s) => [
    ...(s.error !== undefined ? [{ message: `${s.file}: ${s.error}`, file: s.file }] : []),
    ...s.components.filter((c) => c.status === "error").map((c) => ({ message: `${s.stack}/${c.component}: not checked: ${c.error ?? "unknown error"}` })),
  ]);
  let exitCode: number = report.exitCode;
  let notify: string | undefined;
  if (values.notify) {
    // Only new updates are posted (the sent state remembers what went out); a failed post is an error.
    // Loaded only for --notify (its sent state, messages and the ntfy adapter): a plain check never pays for them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatOutcome, notifyCheckResults } = require("../app/notify") as typeof import("../app/notify");
    const outcome = await notifyCheckResults(report, { projectDir: dir });
    notify = formatOutcome(outcome);
    errors.push(...outcome.errors.map((message) => ({ message: `notify: ${message}` })));
    if (outcome.errors.length > 0) exitCode = 2;
  }
  if (notify !== undefined && !out.json) out.note(notify.trimEnd());
  return out.finish(exitCode, { data: report, text: formatReport(report), errors: out.json ? errors : [] });
}
