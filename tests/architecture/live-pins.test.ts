/**
 * Tests use fixtures, never the live pins: `npx myoci pin` on a live stack must break no test. Two rules, read from
 * the test sources' syntax trees (TypeScript's parser):
 * 1. No test reads a live stack or record file (Pulumi.<stack>.yaml, promotions.yaml, provenance.yaml at the repo
 *    root): no path built from the repo root to one of them, no `loadStackFile(root, …)`-style call on the root, no
 *    `evaluateProgram` without a project directory or raw config. The tests about the shipped files themselves
 *    (SHIPPED) may, and derive what they expect from what they read.
 * 2. No test source writes an image digest (sha256:<64 hex>): a real one lives in a fixture file (tests/fixtures,
 *    <suite>/fixtures; see tests/helpers/fixture-project.ts), a made-up one comes from testDigest().
 */
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");

/** Test files allowed to read the live files, and why. */
const SHIPPED: Record<string, string> = {
  "tests/config/schema.test.ts": "the shipped stacks pass the config schema",
  "tests/docs/docs.test.ts": "the committed DEPENDENCIES.md and COMPATIBILITY_MATRIX.md are generated from the shipped stacks",
  "tests/toolchain/renovate-config.test.ts": "renovate.json's managers match every pin of the shipped staging file",
  "tests/faults/faults.test.ts": "the offline runner reads only the repo root: the fault cases write their own uniquely named stack there",
  "tests/architecture/live-pins.test.ts": "this guard reads the live pins to show none is named in a test",
};

/** Programs the tests start as their own processes, in a project folder: their working directory is not the repo root. */
const CHILD_PROGRAMS = ["tests/helpers/fake-pulumi/", "tests/faults/inject.js"];

const LIVE_FILES = ["promotions.yaml", "provenance.yaml"];
const STACK_FILE = /^Pulumi\.[^./]+\.yaml$/;
/** Calls whose first argument is a project directory whose stack or record files they read. */
const PROJECT_DIR_CALLS = new Set([
  "loadStackFile",
  "stackFilePath",
  "stackConfigEnv",
  "StackFilePins",
  "committedStackPins",
  "discoverStacks",
  "provenancePath",
  "generateDocs",
  "generateDependencies",
  "generateCompatibilityMatrix",
  "docsStatus",
  "staleDocs",
]);
const ROOT_NAMES = new Set(["PROJECT_DIR", "REPO_ROOT"]);

/** Test sources (tests/**, policy/tests/**), fixture folders excluded. */
function testSources(dir: string, rel: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relPath = `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "fixtures" && entry.name !== "node_modules") out.push(...testSources(path.join(dir, entry.name), relPath));
    } else if (/\.(ts|js)$/.test(entry.name)) {
      out.push(relPath);
    }
  }
  return out;
}

const SOURCES = [...testSources(path.join(ROOT, "tests"), "tests"), ...testSources(path.join(ROOT, "policy", "tests"), "policy/tests")].sort();

/** A path as far as the source spells it: possible values ("*" stands for a template part). */
type Paths = string[] | undefined;

/** Places in `rel` that read a live file, as "line: text". */
export function liveReads(rel: string, text: string): string[] {
  const file = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true, rel.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const dirname = path.dirname(path.join(ROOT, rel));
  const bindings = new Map<string, ts.Expression>();
  const loops = new Map<string, ts.Expression>();
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) bindings.set(node.name.text, node.initializer);
    if (ts.isForOfStatement(node) && ts.isVariableDeclarationList(node.initializer)) {
      const name = node.initializer.declarations[0]?.name;
      if (name && ts.isIdentifier(name)) loops.set(name.text, node.expression);
    }
    if (ts.isImportSpecifier(node) && ROOT_NAMES.has((node.propertyName ?? node.name).text))
      bindings.set(node.name.text, ts.factory.createIdentifier("PROJECT_DIR"));
    if (ts.isImportSpecifier(node) && ["ROOT", "REPO"].includes((node.propertyName ?? node.name).text)) {
      bindings.set(node.name.text, ts.factory.createIdentifier("PROJECT_DIR")); // the helpers' ROOT/REPO are the repo root
    }
    ts.forEachChild(node, collect);
  };
  collect(file);

  const resolve = (node: ts.Expression, depth = 0): Paths => {
    if (depth > 8) return undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
    if (ts.isTemplateExpression(node)) return [node.head.text + node.templateSpans.map((s) => `*${s.literal.text}`).join("")];
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return resolve(node.expression, depth + 1);
    if (ts.isIdentifier(node)) {
      if (node.text === "__dirname") return [dirname];
      if (node.text === "PROJECT_DIR" && !bindings.has("PROJECT_DIR")) return [ROOT];
      const loop = loops.get(node.text);
      if (loop && ts.isArrayLiteralExpression(loop)) return loop.elements.flatMap((e) => resolve(e, depth + 1) ?? []);
      const bound = bindings.get(node.text);
      if (bound) return bound === node ? undefined : ts.isIdentifier(bound) && bound.text === "PROJECT_DIR" ? [ROOT] : resolve(bound, depth + 1);
      return undefined;
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(file);
      if (callee === "process.cwd") return CHILD_PROGRAMS.some((c) => rel.startsWith(c)) ? undefined : [ROOT]; // mocha runs in the repo root
      if (callee === "path.join" || callee === "path.resolve") {
        let paths: string[] = [""];
        for (const arg of node.arguments) {
          const parts = resolve(arg, depth + 1);
          if (parts === undefined) return undefined;
          paths = paths.flatMap((p) => parts.map((q) => (p === "" ? q : path.join(p, q))));
        }
        return paths;
      }
    }
    return undefined;
  };
  const isRoot = (node: ts.Expression | undefined): boolean => node !== undefined && (resolve(node) ?? []).some((p) => p === ROOT);
  // A stack file named by a template may be any live one; a literal name only if that file exists (not "Pulumi.nope.yaml").
  const isLive = (p: string): boolean => {
    if (path.dirname(p) !== ROOT) return false;
    const base = path.basename(p);
    return LIVE_FILES.includes(base) || (STACK_FILE.test(base.replace(/\*/g, "x")) && (base.includes("*") || existsSync(p)));
  };

  const found: string[] = [];
  const report = (node: ts.Node): void => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    found.push(`${rel}:${line + 1}: ${node.getText(file).split("\n")[0]}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression.getText(file);
      const args = node.arguments ?? ts.factory.createNodeArray<ts.Expression>();
      if ((callee === "path.join" || callee === "path.resolve") && (resolve(node) ?? []).some(isLive)) report(node);
      else if (PROJECT_DIR_CALLS.has(callee.split(".").pop()!) && isRoot(args[0])) report(node);
      else if (callee.endsWith("evaluateProgram")) {
        const options = args[0];
        const named = (key: string) =>
          options !== undefined && ts.isObjectLiteralExpression(options) && options.properties.some((p) => p.name?.getText(file) === key);
        if (!named("projectDir") && !named("rawConfig")) report(node);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Image digests a source writes out. */
export const digestsIn = (text: string): string[] => [...text.matchAll(/sha256:[0-9a-f]{64}/g)].map((m) => m[0]);

describe("tests use fixtures, never the live pins", () => {
  it("finds the test sources (both suites)", () => {
    expect(SOURCES).to.include.members(["tests/components/platform.test.ts", "policy/tests/e2e.test.ts", "tests/helpers/fixture-project.ts"]);
  });

  it("no test outside the shipped-file tests reads a live stack or record file", () => {
    const reads = SOURCES.filter((rel) => SHIPPED[rel] === undefined).flatMap((rel) => liveReads(rel, readFileSync(path.join(ROOT, rel), "utf8")));
    expect(reads).to.deep.equal([]);
  });

  it("every allowlisted file exists and still reads a live file (no stale entry)", () => {
    for (const rel of Object.keys(SHIPPED).filter((r) => r !== "tests/architecture/live-pins.test.ts")) {
      expect(liveReads(rel, readFileSync(path.join(ROOT, rel), "utf8")), rel).not.to.deep.equal([]);
    }
  });

  it("no test source writes an image digest: real ones come from fixture files", () => {
    const named = SOURCES.flatMap((rel) => digestsIn(readFileSync(path.join(ROOT, rel), "utf8")).map((d) => `${rel}: ${d}`));
    expect(named).to.deep.equal([]);
  });

  it("every digest the live stack files pin appears in no test source", () => {
    const live = new Set(["staging", "prod"].flatMap((stack) => digestsIn(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"))));
    expect(live.size).to.be.greaterThan(10);
    const named = SOURCES.flatMap((rel) =>
      [...live].filter((d) => readFileSync(path.join(ROOT, rel), "utf8").includes(d.slice("sha256:".length))).map((d) => `${rel}: ${d}`),
    );
    expect(named).to.deep.equal([]);
  });

  describe("the rule itself", () => {
    const reads = (source: string) => liveReads("tests/x/example.test.ts", source);
    it("catches a path from the repo root to a stack file, a loop over the live files and process.cwd()", () => {
      expect(reads('const ROOT = path.join(__dirname, "..", "..");\nreadFileSync(path.join(ROOT, "Pulumi.prod.yaml"));')).to.have.length(1);
      expect(reads("const ROOT = path.resolve(__dirname, '../..');\nreadFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`));")).to.have.length(1);
      expect(reads('readFileSync(path.join(__dirname, "..", "..", "promotions.yaml"));')).to.have.length(1);
      expect(
        reads('for (const f of ["Pulumi.staging.yaml", "x"]) copyFileSync(path.join(REPO, f), path.join(dir, f));\nimport { REPO } from "./h";'),
      ).to.have.length(1);
      expect(reads('loadStackFile(process.cwd(), "prod");')).to.have.length(1);
    });
    it("catches a project-directory call on the root and an evaluation without a project", () => {
      expect(reads('import { PROJECT_DIR } from "../../program/evaluate";\nloadStackFile(PROJECT_DIR, "prod");')).to.have.length(1);
      expect(reads('await evaluateProgram({ stack: "prod" });')).to.have.length(1);
    });
    it("lets fixture paths, temp folders, a stack the root has no file of and evaluations of a project or raw config pass", () => {
      expect(reads('const ROOT = path.join(__dirname, "..", "..");\nreadFileSync(path.join(ROOT, "Pulumi.yaml"));')).to.deep.equal([]);
      expect(reads('const ROOT = path.join(__dirname, "..", "..");\nexpect(m).to.equal(path.join(ROOT, "Pulumi.nope.yaml"));')).to.deep.equal([]);
      expect(reads('readFileSync(path.join(dir, "Pulumi.prod.yaml")); path.join(__dirname, "fixtures", "Pulumi.prod.yaml");')).to.deep.equal([]);
      expect(reads('await evaluateProgram({ stack: "prod", projectDir: FIXTURE_PROJECT }); evaluateProgram({ stack, rawConfig: c });')).to.deep.equal([]);
    });
  });
});
