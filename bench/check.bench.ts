/**
 * Benchmark of `myoci check`: a whole stack against a local registry (Debian's docker-registry, filled here),
 * through a counting proxy. Targets: ≤ 1 s per process, ≤ 2 requests per unchanged image, no manifest GET.
 * Run alone: `node scripts/run-ts.js bench/check.bench.ts`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkStack, RegistryAnswerCache } from "../cli/lib/check/run";
import { RegistryClient } from "../cli/lib/registry/client";
import { startFaultProxy } from "../tests/helpers/fault-proxy";
import { startRegistry } from "../tests/helpers/registry";
import { fillStack } from "../tests/helpers/registry-stack";

export interface BenchResult {
  name: string;
  medianMs: number;
  runs: number;
  extra?: Record<string, number | string>;
}

const ROOT = path.join(__dirname, "..");
const RUNS = 7;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function runCli(cwd: string, args: string[]): Promise<{ code: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "cli", "myoci.js"), ...args],
      { cwd, env: { ...process.env, DOCKER_CONFIG: path.join(cwd, "none") } },
      (error) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      },
    );
  });
}

export async function benchCheck(): Promise<BenchResult[]> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-bench-check-"));
  try {
    const stack = await fillStack(registry.url, path.join(ROOT, "Pulumi.staging.yaml"), dir);
    const images = Object.keys(stack.images).length;
    const args = ["check", "--stack", "staging", "--json", "--registry-mirror", `docker.io=${proxy.url}`, "--registry-mirror", `ghcr.io=${proxy.url}`];

    // The CLI as an operator runs it: one process per check (includes Node + ts-node start-up).
    await runCli(dir, args); // warm the registry's and the OS's caches
    const processTimes: number[] = [];
    let requests = 0;
    let manifestGets = 0;
    let exitCode = 0;
    for (let i = 0; i < RUNS; i++) {
      proxy.reset();
      const result = await runCli(dir, args);
      processTimes.push(result.ms);
      exitCode = Math.max(exitCode, result.code);
      requests = proxy.requests.length;
      manifestGets = proxy.requests.filter((r) => r.method === "GET" && r.path.includes("/manifests/")).length;
    }

    // The check alone, in process (no start-up): a fresh client per run, as a process would have.
    const inProcess: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const client = new RegistryClient({ mirrors: { "docker.io": proxy.url, "ghcr.io": proxy.url }, env: {}, dockerConfigPath: path.join(dir, "none") });
      const started = process.hrtime.bigint();
      await checkStack({ stack: "staging", file: stack.file, images: stack.images, registry: client, cache: new RegistryAnswerCache() });
      inProcess.push(Number(process.hrtime.bigint() - started) / 1e6);
    }

    // The start-up floor: `myoci --help` loads ts-node and the CLI entry without checking anything.
    const startup: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      startup.push((await runCli(dir, ["check", "--help"])).ms);
    }

    return [
      {
        name: "check: whole stack, one process (myoci check --stack staging)",
        medianMs: Math.round(median(processTimes)),
        runs: RUNS,
        extra: { images, exitCode, requestsPerImage: Number((requests / images).toFixed(2)), manifestGets, maxMs: Math.round(Math.max(...processTimes)) },
      },
      { name: "check: whole stack, in process (registry work only)", medianMs: Math.round(median(inProcess)), runs: RUNS, extra: { images } },
      { name: "check: process start-up floor (myoci check --help)", medianMs: Math.round(median(startup)), runs: RUNS },
    ];
  } finally {
    await proxy.stop();
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run alone (directly, or through scripts/run-ts.js which sets argv[1] to this file).
if (require.main === module || path.resolve(process.argv[1] ?? "") === __filename) {
  benchCheck().then(
    (results) => {
      for (const r of results) {
        process.stdout.write(`${r.name}: median ${r.medianMs} ms over ${r.runs} runs${r.extra ? ` ${JSON.stringify(r.extra)}` : ""}\n`);
      }
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
