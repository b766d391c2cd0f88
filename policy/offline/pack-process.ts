/**
 * The pack's process, spawned exactly as the Pulumi CLI spawns a policy pack: the SDK's run-policy-pack entry with
 * cwd = the pack, the PULUMI_* environment, the port read from its stdout. Light on purpose (no gRPC, no SDK): the
 * offline runner spawns it first thing, so that the pack starts while the runner loads the SDK and evaluates the
 * program; server.ts connects to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { readRawStackFile, stackFilePath } from "../../config/stack-file";
import { PACK_COMPILE_CACHE_DIR } from "./compile-cache";

export const PACK_DIR = path.resolve(__dirname, "..");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack/index.js");

export interface ServeOptions {
  readonly packDir?: string;
  readonly project?: string;
  readonly stack: string;
  /** The stack's config, as the CLI passes it in PULUMI_CONFIG ({"myoci:key": "value"}). */
  readonly stackConfig?: Record<string, string>;
  /** Extra environment for the pack (e.g. MYOCI_POLICY_NOW). */
  readonly env?: Record<string, string>;
}

export interface PackProcess {
  readonly child: ChildProcess;
  /** The port it serves on, once it printed it; rejects when the pack exits before. */
  readonly port: Promise<number>;
  /** What it wrote to stderr so far. */
  readonly stderr: () => string;
}

/** The stack's config as the CLI hands it to a policy pack in PULUMI_CONFIG (secrets are not read offline). */
export function stackConfigEnv(projectDir: string, stack: string): Record<string, string> {
  const file = stackFilePath(projectDir, stack);
  if (!existsSync(file)) {
    return {};
  }
  const raw = readRawStackFile(file);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.values)) {
    if (!raw.secretKeys.has(key)) {
      env[`myoci:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return env;
}

/** Spawns the pack (the pack type-checks itself with ts-node first, as under the CLI). */
export function spawnPack(options: ServeOptions): PackProcess {
  const packDir = options.packDir ?? PACK_DIR;
  const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", packDir], {
    cwd: packDir,
    env: {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(options.stackConfig ?? {}),
      PULUMI_NODEJS_PROJECT: options.project ?? "myoci",
      PULUMI_NODEJS_STACK: options.stack,
      // A TypeScript pack is type-checked by ts-node, as the CLI does; a compiled one (bin/policy) is plain JS.
      ...(existsSync(path.join(packDir, "index.ts")) ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
      // Node's compile cache for the SDK the pack loads (an environment setting; the gRPC path is the CLI's).
      NODE_COMPILE_CACHE: PACK_COMPILE_CACHE_DIR,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line) resolve(Number(line[1]));
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited (code ${code}) before serving:\n${stderr.trim() || stdout.trim()}`)));
    child.on("error", reject);
  });
  port.catch(() => undefined); // awaited by connect(); a pack never connected to must not crash the process
  return { child, port, stderr: () => stderr };
}

const stopping = new WeakMap<ChildProcess, Promise<void>>();

/**
 * Stops the pack (SIGTERM, as the CLI does) and waits for it to exit, whether it serves yet or not. Idempotent: every
 * caller gets the same promise, so two exit paths racing (a rejected run and an error escaping the SDK) both wait
 * for the one stop instead of one of them exiting early and leaving the pack behind.
 */
export function stopPack(child: ChildProcess): Promise<void> {
  let stopped = stopping.get(child);
  if (stopped === undefined) {
    // A pack killed by a signal has exitCode null and signalCode set: it has exited, waiting would never end.
    stopped =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          });
    stopping.set(child, stopped);
  }
  return stopped;
}
