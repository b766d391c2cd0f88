/**
 * Benchmark of the offline policy run (`npm run policy`): the pack served as the Pulumi CLI serves it, Analyze
 * per resource plus AnalyzeStack. Targets: ≤ 2 s per shipped stack, ≤ 5 s for 1,000 containers, linear growth.
 * Run alone: `node scripts/run-ts.js bench/policy.bench.ts`. Not a test: nothing here asserts.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { loadStackFile } from "../config/stack-file";
import { evaluateProgram } from "../program/evaluate";
import { checkWithServer, packConfigFor, stackConfigEnv } from "../policy/offline/check";
import { generateStack } from "../policy/offline/generate";
import { PolicyPackServer } from "../policy/offline/server";
import type { RecordedResource } from "../policy/offline/types";
import { measure, median, printResults, type BenchResult } from "./harness";

const ROOT = path.join(__dirname, "..");
const STACKS = ["staging", "prod"];
const SIZES = [250, 500, 1000];

/** A generated prod-shaped stack with exactly `containers` containers (whole service groups). */
function generated(containers: number): RecordedResource[] {
  const images = loadStackFile(ROOT, "prod", { placeholderSecrets: true }).images;
  const perCopy = Object.keys(images).length;
  const all = generateStack({ stack: "prod", images, replicas: Math.ceil(containers / perCopy) });
  const kept: RecordedResource[] = [];
  let count = 0;
  for (const r of all) {
    if (count === containers && r.type !== "pulumi:pulumi:Stack") break;
    kept.push(r);
    if (r.type === "docker:index/container:Container") count++;
  }
  return kept;
}

function cliRun(stack: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "scripts", "run-ts.js"), path.join(ROOT, "policy", "offline", "run.ts"), "policy", "--stack", stack],
      { cwd: ROOT },
      (error) => (error ? reject(new Error(error.message)) : resolve(Number(process.hrtime.bigint() - started) / 1e6)),
    );
  });
}

export async function benchPolicy(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const s = await PolicyPackServer.start({ stack: "prod" });
    starts.push(Number(process.hrtime.bigint() - t) / 1e6);
    await s.stop();
  }
  results.push({ name: "pack server start (ts-node type-check, as under the CLI)", medianMs: median(starts), runs: starts.length });

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
    }
    const config = packConfigFor("prod");
    let first: number | undefined;
    for (const containers of SIZES) {
      const resources = generated(containers);
      const ms = await measure(5, () => checkWithServer(server, "prod", resources, config));
      const perContainer = ms / containers;
      first ??= perContainer;
      results.push({
        name: `generated ${containers} containers: analyze (warm server)`,
        medianMs: ms,
        runs: 5,
        extra: { resources: resources.length, msPerResource: ms / resources.length, ratioPerContainerVs250: perContainer / first },
      });
    }
  } finally {
    await server.stop();
  }
  for (const stack of STACKS) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await cliRun(stack));
    results.push({ name: `${stack}: npm run policy (whole process, cold)`, medianMs: median(times), runs: times.length });
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
