/**
 * Finds shared names written outside the module that owns them: label keys, the `myoci-<stack>-…` name formula, the
 * TURN relay range, the digest pattern, the changelog template, the end-of-life test, and exported names that two
 * modules define. One read per file; comment lines are skipped (prose may name a label).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LABEL, TURN_RELAY_PORTS } from "../../catalog/names";

export interface SharedNameRule {
  readonly what: string;
  /** Files (repository paths) that may write it. */
  readonly owners: readonly string[];
  /** Also applied to test files (their fixtures excepted). */
  readonly inTests: boolean;
  readonly pattern: RegExp;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const NAMES = "catalog/names.ts";

export const RULES: readonly SharedNameRule[] = [
  {
    what: "a label key (catalog/names.ts LABEL)",
    owners: [NAMES],
    inTests: false,
    pattern: new RegExp(`(${Object.values(LABEL).map(escape).join("|")})(?![\\w.-])`),
  },
  {
    // In tests a label key as a value of its own ("myoci.version", "myoci.stack=prod"); expected messages may quote one.
    what: "a label key as a string literal (catalog/names.ts LABEL)",
    owners: [NAMES],
    inTests: true,
    pattern: new RegExp(`["'\`](${Object.values(LABEL).map(escape).join("|")})(["'\`]|=)`),
  },
  {
    what: "a label-like key `myoci.<name>` outside catalog/names.ts (add it to LABEL)",
    owners: [NAMES],
    inTests: false,
    pattern: /["'`]myoci\.(?!(?:js|ts|ya?ml|json|bash|zsh|md)["'`])[a-z][a-z-]*(?:\.[a-z][a-z-]*)*["'`=]/,
  },
  {
    what: "the Docker name formula `myoci-<stack>-…` (catalog/names.ts stackObjectName, containerName, volumeName, networkName)",
    owners: [NAMES],
    inTests: false,
    pattern: /myoci-\$\{|["'`]myoci-["'`]\s*\+/,
  },
  {
    what: "the TURN relay port range (catalog/names.ts TURN_RELAY_PORTS)",
    owners: [NAMES],
    inTests: true,
    pattern: new RegExp(`\\b(${TURN_RELAY_PORTS.from}|${TURN_RELAY_PORTS.to})\\b`),
  },
  {
    what: "the digest pattern (catalog/reference.ts DIGEST_PATTERN, digestOfRepoDigest)",
    owners: ["catalog/reference.ts"],
    inTests: false,
    pattern: /\[(0-9a-f|a-f0-9)\]\{64\}/,
  },
  {
    what: "the changelog template (catalog/images.ts changelogUrl)",
    owners: ["catalog/images.ts"],
    inTests: false,
    pattern: /\.replace(All)?\(\s*["'`]\{(tag|version)\}/,
  },
  {
    what: "the end-of-life test (catalog/images.ts endOfLifeState)",
    owners: ["catalog/images.ts"],
    inTests: false,
    pattern: /Date\.parse\([^)]*endOfLife/,
  },
];

/**
 * Exported names that several modules define on purpose, each module its own: a command module's `run`, an entry
 * point's `main`, and the report of a command's application module (`buildReport`, `formatReport`).
 */
export const PER_MODULE_NAMES: ReadonlySet<string> = new Set(["run", "main", "buildReport", "formatReport"]);

export interface SharedNameViolation {
  readonly file: string;
  readonly line: number;
  readonly what: string;
  readonly text: string;
}

const SOURCE = /\.(ts|js|mjs|cjs)$/;
const isTest = (file: string): boolean => /^(tests|policy\/tests|bench)\//.test(file);
const isFixture = (file: string): boolean => /(^|\/)fixtures\//.test(file);
const isComment = (line: string): boolean => /^\s*(\/\/|\/\*|\*)/.test(line);
const EXPORT = /^export\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;

/** The repository's source files: tracked, and new ones git does not ignore. */
export function sourceFiles(root: string): string[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
  return [...new Set(listed.split("\n"))].filter((f) => SOURCE.test(f) && !isFixture(f) && !f.startsWith("node_modules/") && !f.startsWith("bin/"));
}

/** Every shared name written outside its owner, and every exported name two source modules define. */
export function sharedNameViolations(root: string, files: readonly string[], exempt: readonly string[] = []): SharedNameViolation[] {
  const violations: SharedNameViolation[] = [];
  const exporters = new Map<string, { file: string; line: number }[]>();
  for (const file of files) {
    if (exempt.includes(file)) {
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path.join(root, file), "utf8");
    } catch {
      continue; // listed by git but deleted in the working tree
    }
    const test = isTest(file);
    const rules = RULES.filter((r) => !r.owners.includes(file) && (!test || r.inTests));
    text.split("\n").forEach((line, index) => {
      if (isComment(line)) {
        return;
      }
      for (const rule of rules) {
        if (rule.pattern.test(line)) {
          violations.push({ file, line: index + 1, what: rule.what, text: line.trim() });
        }
      }
      const exported = test ? undefined : EXPORT.exec(line)?.[1];
      if (exported !== undefined && !PER_MODULE_NAMES.has(exported)) {
        exporters.set(exported, [...(exporters.get(exported) ?? []), { file, line: index + 1 }]);
      }
    });
  }
  for (const [name, places] of exporters) {
    const modules = new Set(places.map((p) => p.file));
    if (modules.size > 1) {
      for (const place of places) {
        violations.push({ ...place, what: `the exported name ${name}, defined in ${[...modules].join(", ")}`, text: name });
      }
    }
  }
  return violations;
}

export const formatViolations = (violations: readonly SharedNameViolation[]): string =>
  violations.map((v) => `${v.file}:${v.line}: ${v.what}: ${v.text}`).join("\n");
