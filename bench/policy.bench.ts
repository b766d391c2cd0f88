/**
 * Benchmark of the offline policy run (`npm run policy`): the pack served as the Pulumi CLI serves it, Analyze
 * per resource plus AnalyzeStack, on resources from evaluating the real program — the shipped stacks, and large
 * stacks made of N copies of the whole platform (program/evaluate.ts `replicas`), never a model of it.
 * Targets (#15): cold `npm run policy` of a shipped stack ≤ 1.5 s; 1,000 containers ≤ 3 s warm; linear growth.
 * Run alone: `node scripts/run-ts.js bench/policy.bench.ts`. Not a test: nothing here asserts.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { evaluateProgram } from "../program/evaluate";
import { checkWithServer, packConfigFor, stackConfigEnv } from "../policy/offline/check";
import { PolicyPackServer } from "../policy/offline/server";
import { measure, median, printResults, type BenchResult } from "./harness";

const ROOT = path.join(__dirname, "..");
const STACKS = ["staging", "prod"];
/** Copies of the prod platform (14 containers each): 252, 504 and 1,008 containers. */
const REPLICAS = [18, 36, 72];

function cliRun(stack: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "scripts", "run-ts.js"), path.join(ROOT, "policy", "offline", "run.ts"), "policy", "--stack", stack],
      { cwd: ROOT },
      // Exit 1 (mandatory findings) is a finished run too; only a crash (2) is not.
      (error) => (error && error.code !== 1 ? reject(new Error(error.message)) : resolve(Number(process.hrtime.bigint() - started) / 1e6)),
    );
  });
}

const elapsed = async (fn: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

export async function benchPolicy(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const stack of STACKS) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await cliRun(stack));
    results.push({ name: `${stack}: npm run policy (whole process, cold)`, medianMs: median(times), runs: times.length, extra: { target: "1500 ms" } });
  }
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    let server: PolicyPackServer | undefined;
    starts.push(await elapsed(async () => (server = await PolicyPackServer.start({ stack: "prod" }))));
    await server?.stop();
  }
  results.push({ name: "pack server start (as under the CLI)", medianMs: median(starts), runs: starts.length });

  const server = await PolicyPackServer.start({ stack: "prod", stackConfig: stackConfigEnv(ROOT, "prod") });
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
