/** `npm run bench`: every benchmark of the project, medians and ratios printed. */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { printResults, type BenchResult } from "./harness";

const BENCHES: { file: string; exportName: string; title: string }[] = [
  { file: "program.bench.ts", exportName: "benchProgram", title: "program evaluation (Pulumi SDK + mocks)" },
  { file: "policy.bench.ts", exportName: "benchPolicy", title: "offline policy run (gRPC, as the Pulumi CLI serves the pack)" },
  { file: "check.bench.ts", exportName: "benchCheck", title: "myoci check against the local registry" },
];

async function main(): Promise<void> {
  for (const bench of BENCHES) {
    const file = path.join(__dirname, bench.file);
    if (!existsSync(file)) {
      process.stdout.write(`\n${bench.title}: ${bench.file} missing, skipped\n`);
      continue;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as Record<string, () => Promise<BenchResult[]>>;
    const run = module[bench.exportName];
    if (!run) {
      throw new Error(`${bench.file} does not export ${bench.exportName}`);
    }
    printResults(bench.title, await run());
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
