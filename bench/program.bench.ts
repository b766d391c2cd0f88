/** How long the SDK-only evaluation of each shipped stack takes (the base of `npm run plan` and the policy run). */
import { evaluateProgram } from "../program/evaluate";
import { measure, printResults, type BenchResult } from "./harness";

export async function benchProgram(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const stack of ["staging", "prod"]) {
    let resources = 0;
    const medianMs = await measure(5, async () => {
      resources = (await evaluateProgram({ stack })).resources.length;
    });
    results.push({ name: `evaluate ${stack}`, medianMs, runs: 5, extra: { resources, msPerResource: medianMs / resources } });
  }
  return results;
}

if (require.main === module) {
  void benchProgram().then((r) => printResults("program evaluation", r));
}
