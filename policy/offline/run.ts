/**
 * Offline enforcement without the Pulumi CLI:
 *   npm run policy -- --stack <name> [--json] [--preview] [--resources file.json] [--config key.path=value …] [--policy-config file] [--project-dir dir]
 *   (--preview: the program evaluated as in `pulumi preview`, computed outputs unknown)
 *   npm run plan -- --stack <name> [--json] [--config key.path=value …] [--project-dir dir]
 *   (--project-dir: the stack files and records of another folder, e.g. a test fixture; default: the program's own project)
 * Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 bad usage/config/program error.
 */
import "./compile-cache";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../config/repo-root";
import { loadStackFile, stackFilePath } from "../../config/stack-file";
import { ConfigError } from "../../config/schema";
import { spawnPack, stackConfigEnv, stopPack, type PackProcess } from "./pack-process";
import type { RecordedResource } from "./types";
import { UsageError } from "./usage-error";
import { PolicyConfigError, policyConfigPath, type PackConfig } from "./policy-config";

// Loaded once the pack is spawned: the Pulumi SDK, gRPC and the policies take a few hundred ms to load, and the
// pack starts meanwhile (on the other core).
/* eslint-disable @typescript-eslint/no-require-imports */
const heavy = () => ({
  ...(require("./check") as typeof import("./check")),
  ...(require("./evaluate") as typeof import("./evaluate")),
  ...(require("./plan") as typeof import("./plan")),
  ...(require("./report") as typeof import("./report")),
  ...(require("./server") as typeof import("./server")),
});
/* eslint-enable @typescript-eslint/no-require-imports */

const USAGE = `usage: npm run policy -- --stack <name> [--json] [--preview] [--resources file.json] [--config key.path=value]… [--policy-config file.json] [--project-dir dir]
       npm run plan -- --stack <name> [--json] [--config key.path=value]… [--project-dir dir]`;

/** The pack this run spawned and has not stopped yet: every exit path stops it (no orphan process). */
let pendingPack: PackProcess | undefined;

/** Stops the pack, connected or not; every caller waits for the same stop (stopPack is idempotent). */
export function stopPendingServer(): Promise<void> {
  return pendingPack === undefined ? Promise.resolve() : stopPack(pendingPack.child);
}

/** Where a run's result goes: its data (the JSON report) and its text, made only when printed. */
export type Emit = (data: object, text: () => string, json: boolean) => void;

const printResult: Emit = (data, text, json) => console.log(json ? JSON.stringify(data, null, 2) : text());

export async function main(argv: readonly string[], emit: Emit = printResult): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode !== "policy" && mode !== "plan") {
    console.error(USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: [...rest],
    strict: true,
    options: {
      stack: { type: "string" },
      json: { type: "boolean", default: false },
      preview: { type: "boolean", default: false },
      resources: { type: "string" },
      config: { type: "string", multiple: true, default: [] },
      "policy-config": { type: "string" },
      "project-dir": { type: "string" },
    },
  });
  const PROJECT_DIR = repoRoot();
  const projectDir = values["project-dir"] !== undefined ? path.resolve(values["project-dir"]) : PROJECT_DIR;
  const stack = values.stack;
  if (stack === undefined || stack === "") {
    throw new UsageError(`--stack is required\n${USAGE}`);
  }
  if (values.resources === undefined && !existsSync(stackFilePath(projectDir, stack))) {
    throw new UsageError(`no stack file ${stackFilePath(projectDir, stack)} for stack "${stack}"`);
  }
  // The pack starts first (a child process): it loads while this process loads the SDK and evaluates the program.
  const pack = mode === "policy" ? spawnPack({ stack, stackConfig: stackConfigEnv(projectDir, stack) }) : undefined;
  pendingPack = pack;
  let loaded: ReturnType<typeof heavy>;
  try {
    loaded = heavy();
  } catch (error) {
    await stopPendingServer();
    throw error;
  }
  const { checkWithServer, configOverrides, evaluateStack, formatPlan, formatText, inProject, packConfigFor, planOf, PolicyPackServer, readResourceFile } =
    loaded;
  const starting = pack !== undefined ? PolicyPackServer.connect(pack) : undefined;
  starting?.catch(() => undefined); // awaited below; a failed start is reported there
  if (values.resources === undefined) {
    // Bad config is reported here, once, as a ConfigError (exit 2) — before the program runs (the pack is stopped).
    try {
      loadStackFile(projectDir, stack, { placeholderSecrets: true, overrides: configOverrides(stack, values.config, projectDir) });
    } catch (error) {
      await stopPendingServer();
      throw error;
    }
  }
  if (mode === "plan") {
    const resources =
      values.resources !== undefined ? readResourceFile(values.resources) : (await evaluateStack(stack, values.config, { projectDir })).resources;
    const plan = planOf(resources);
    emit({ stack, containers: plan }, () => formatPlan(stack, plan), values.json);
    return 0;
  }
  const configFile = values["policy-config"] ?? policyConfigPath(stack);
  let config: PackConfig;
  let resources: RecordedResource[];
  try {
    const shipped = packConfigFor(stack, values["policy-config"]);
    config = projectDir === PROJECT_DIR ? shipped : inProject(shipped, projectDir);
    resources =
      values.resources !== undefined
        ? readResourceFile(values.resources)
        : (await evaluateStack(stack, values.config, { preview: values.preview, projectDir })).resources;
  } catch (error) {
    await stopPendingServer();
    throw error;
  }
  const server = await starting!;
  let report;
  try {
    report = await checkWithServer(server, stack, resources, config, configFile);
  } finally {
    await server.stop();
    pendingPack = undefined;
  }
  emit(report, () => formatText(report, resources), values.json);
  return report.passed ? 0 : 1;
}

// Entry point when run directly (scripts/run-ts.js sets argv[1] to this file).
if (process.argv[1] === __filename) {
  let failing = false;
  // One message, exit 2, pack server stopped: for a rejected main, and for an error escaping the SDK's runtime.
  const fail = (error: unknown): void => {
    if (failing) {
      return;
    }
    failing = true;
    process.exitCode = 2;
    const known =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof PolicyConfigError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(known ? (error as Error).message : ((error as Error).stack ?? String(error)));
    void stopPendingServer().finally(() => process.exit(2));
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => void stopPendingServer().finally(() => process.exit(code)));
  }
  main(process.argv.slice(2)).then((code) => (process.exitCode = code), fail);
}
