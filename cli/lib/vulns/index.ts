/** Vulnerability tracking: findings with deadlines from the catalog and Trivy reports (see findings.ts). */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../../config/schema";
import { parseTrivyReport, type TrivyReport } from "./trivy";

export * from "../../../config/risk-acceptances";
export * from "./findings";
export * from "./state";
export * from "./trivy";

/** Stacks with a Pulumi.<stack>.yaml in dir, sorted. */
export function stacksInDir(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

export function readTrivyReport(file: string): TrivyReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([
      {
        file: path.basename(file),
        key: "(file)",
        value: "(unreadable)",
        expected: `a readable Trivy JSON report (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      },
    ]);
  }
  return parseTrivyReport(text, path.basename(file));
}
