/** Vulnerability tracking: findings with deadlines from the catalog and Trivy reports (see findings.ts). */
import { readdirSync } from "node:fs";
import { readTextFile } from "../../../config/yaml-file";
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

/** Reads a Trivy report; errors name the file as the user gave it (`shownAs`) and call it a Trivy report. */
export function readTrivyReport(file: string, shownAs: string = file): TrivyReport {
  return parseTrivyReport(readTextFile(file, "Trivy JSON report", shownAs), shownAs);
}
