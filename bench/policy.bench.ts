/**
 * Benchmark of the offline policy run (`npm run policy`): the pack served as the Pulumi CLI serves it, Analyze
 * per resource plus AnalyzeStack, on resources from evaluating the real program — the shipped stacks, and large
 * stacks made of N copies of the whole platform (program/evaluate.ts `replicas`), never a model of it.
 * Targets (#15): cold `npm run policy` of a shipped stack ≤ 1.5 s; 1,000 containers ≤ 3 s warm; linear growth.
 * Run alone: `node scripts/run-ts.js bench/policy.bench.ts`. Not a test: nothing here asserts.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import * as path from "node:path";
import { evaluateProgram } from "../program/evaluate";
import { checkWithServer, packConfigFor } from "../policy/offline/check";
import { stackConfigEnv } from "../policy/offline/pack-process";
import { PolicyPackServer } from "../policy/offline/server";
import { measure, median, printResults, type BenchResult } from "./harness";

const ROOT = path.join(__dirname, "..");
const STACKS = ["staging", "prod"];
/** Copies of the prod platform (14 containers each): 252, 504 and 1,008 containers. */
const REPLICAS = [18, 36, 72];

/** CPU time (ms) of this process's waited-for children and their children (Linux /proc; 0 elsewhere). */
function childrenCpuMs(): number {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10; // cutime + cstime, in 10 ms clock ticks
  } catch {
    return 0;
  }
}

/** One whole `npm run policy` process (`node cli/myoci.js policy`: runner and the pack it starts): wall and CPU time. */
function cliRun(stack: string): Promise<{ wallMs: number; cpuMs: number }> {
  const started = process.hrtime.bigint();
  const cpu = childrenCpuMs();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "cli", "myoci.js"), "policy", "--stack", stack],
      { cwd: ROOT },
      // Exit 1 (mandatory findings) is a finished run too; only a crash (2) is not.
      (error) =>
        error && error.code !== 1
          ? reject(new Error(error.message))
          : resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: childrenCpuMs() - cpu }),
    );
  });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compiledEntry } = require("../scripts/compiled") as { compiledEntry: (file: string) => string | null };

/** The compiled pack `npm run policy` serves while the build is fresh (`npm run build`); else none. */
function compiledPack(): string | undefined {
  const entry = compiledEntry(path.join(ROOT, "policy", "index.ts"));
  return entry === null ? undefined : path.dirname(entry);
}

const elapsed = async (fn: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

export async function benchPolicy(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const stack of STACKS) {
    await cliRun(stack); // fills Node's compile caches, as any earlier run on the machine has
    const runs: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < 5; i++) runs.push(await cliRun(stack));
    results.push({
      name: `${stack}: npm run policy (whole process, cold)`,
      medianMs: median(runs.map((r) => r.wallMs)),
      runs: runs.length,
      extra: { minMs: Math.min(...runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), target: "1500 ms" },
    });
  }
  const compiled = compiledPack();
  const packs = [
    ...(compiled !== undefined ? [{ dir: compiled, what: "compiled pack (bin/policy, npm run policy)" }] : []),
    { dir: path.join(ROOT, "policy"), what: "TypeScript pack (pulumi preview --policy-pack policy: ts-node type-checks it)" },
  ];
  for (const pack of packs) {
    const starts: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      let server: PolicyPackServer | undefined;
      starts.push(await elapsed(async () => (server = await PolicyPackServer.start({ stack: "prod", packDir: pack.dir }))));
      cpu.push(server?.cpuMs() ?? 0);
      await server?.stop();
    }
    results.push({ name: `pack server start, ${pack.what}`, medianMs: median(starts), runs: starts.length, extra: { cpuMs: median(cpu) } });
  }

  // The warm figures use the pack the CLI run serves (compiled when the build is fresh).
  const server = await PolicyPackServer.start({ stack: "prod", stackConfig: stackConfigEnv(ROOT, "prod"), packDir: compiled });
  try {
    for (const stack of STACKS) {
      const config = packConfigFor(stack);
      let resources = 0;
      const ms = await measure(7, async () => {
        const evaluated = await evaluateProgram({ stack });
        resources = evaluated.resources.length;
        await checkWithServer(server, stack, evaluated.resources, config);
      });
      results.push({ name: `${stack}: evaluate + analyze (warm server)`, medianMs: ms, runs: 7, extra: { resources } });
      const evaluated = await evaluateProgram({ stack });
      const analyze = await measure(7, () => checkWithServer(server, stack, evaluated.resources, config));
      results.push({ name: `${stack}: analyze only (warm server)`, medianMs: analyze, runs: 7 });
      const preview = await measure(3, () => evaluateProgram({ stack, preview: true }));
      results.push({ name: `${stack}: evaluate in preview mode`, medianMs: preview, runs: 3 });
    }
    const config = packConfigFor("prod");
    let first: number | undefined;
    for (const replicas of REPLICAS) {
      let evaluated: Awaited<ReturnType<typeof evaluateProgram>> | undefined;
      const evaluation = await elapsed(async () => (evaluated = await evaluateProgram({ stack: "prod", replicas })));
      const resources = evaluated!.resources;
      const containers = resources.filter((r) => r.type === "docker:index/container:Container").length;
      const ms = await measure(5, () => checkWithServer(server, "prod", resources, config));
      // CPU time of one more run, runner and pack: on a shared machine it says more than the wall time.
      const [runner, pack] = [process.cpuUsage(), server.cpuMs()];
      await checkWithServer(server, "prod", resources, config);
      const used = process.cpuUsage(runner);
      const runnerCpuMs = Math.round((used.user + used.system) / 1000);
      const packCpuMs = pack === undefined ? "n/a" : (server.cpuMs() ?? 0) - pack;
      const perContainer = ms / containers;
      first ??= perContainer;
      results.push({
        name: `${replicas} copies of the platform, ${containers} containers: analyze (warm server)`,
        medianMs: ms,
        runs: 5,
        extra: {
          resources: resources.length,
          evaluateMs: Math.round(evaluation),
          msPerResource: ms / resources.length,
          runnerCpuMs,
          packCpuMs,
          ratioPerContainerVsSmallest: perContainer / first,
          // Other work on the machine inflates both the wall and the CPU figures: the 1-minute load average then.
          load: Number(loadavg()[0]!.toFixed(2)),
          ...(containers >= 1000 ? { target: "3000 ms" } : {}),
        },
      });
    }
  } finally {
    await server.stop();
  }
  return results;
}

if (process.argv[1] === __filename) {
  benchPolicy().then(
    (results) => printResults("offline policy run (gRPC, as the Pulumi CLI serves the pack)", results),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
