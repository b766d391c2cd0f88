/** Tiny benchmark harness: medians of repeated runs, printed as a table. Not a test: nothing here asserts. */
export interface BenchResult {
  readonly name: string;
  readonly medianMs: number;
  readonly runs: number;
  readonly extra?: Record<string, number | string>;
  /** Printed as they are instead of the median row (e.g. a side-by-side table). */
  readonly lines?: readonly string[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[middle]!;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, and returns the median in ms. */
export async function measure(runs: number, fn: () => Promise<unknown>, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    await fn();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

export function printResults(title: string, results: readonly BenchResult[]): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...results.map((r) => r.name.length), 4);
  for (const r of results) {
    if (r.lines !== undefined) {
      process.stdout.write(`\n  ${r.name}:\n${r.lines.map((line) => `    ${line}\n`).join("")}`);
      continue;
    }
    const extra = Object.entries(r.extra ?? {})
      .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toFixed(3)) : v}`)
      .join("  ");
    process.stdout.write(`  ${r.name.padEnd(width)}  median ${r.medianMs.toFixed(1).padStart(8)} ms  (${r.runs} runs)  ${extra}\n`);
  }
}
