/**
 * The dependency direction of the source tree: no import cycle (type-only imports count: they are cheap to keep
 * acyclic and a cycle of types is a cycle of design), and the layers below import nothing above them.
 */
import { expect } from "chai";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cycles, importGraph, sourceFiles } from "./import-graph";

const ROOT = path.resolve(__dirname, "..", "..");

/** Files under `from` (except those under `unless`) must not import files under any of `not`. */
const LAYERS: readonly { readonly from: string; readonly unless?: string; readonly not: readonly string[] }[] = [
  { from: "cli/framework/", not: ["cli/app/", "cli/adapters/", "cli/commands/"] },
  { from: "cli/adapters/", not: ["cli/app/", "cli/commands/"] },
  { from: "cli/app/", not: ["cli/commands/"] },
  { from: "catalog/", not: ["config/", "components/", "cli/", "policy/"] },
  { from: "config/", not: ["components/", "cli/", "policy/", "program/"] },
  { from: "components/", not: ["cli/", "policy/", "program/"] },
  { from: "policy/", unless: "policy/tests/", not: ["cli/"] },
];

/**
 * Known edges against the layers, each to be removed by the move that fixes it (a new edge fails the test):
 * the container-file provider dials the Docker API through the CLI's adapter.
 */
const KNOWN: ReadonlySet<string> = new Set(["components/bootstrap/container-file.ts → cli/adapters/docker-api/client.ts"]);

function violations(graph: ReadonlyMap<string, readonly string[]>, known: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of LAYERS.filter((r) => file.startsWith(r.from) && !(r.unless !== undefined && file.startsWith(r.unless)))) {
      for (const target of targets.filter((t) => rule.not.some((n) => t.startsWith(n)) && !known.has(`${file} → ${t}`))) {
        found.push(`${file} imports ${target} (${rule.from} must not import ${rule.not.join(", ")})`);
      }
    }
  }
  return found;
}

describe("architecture: import graph", () => {
  const graph = importGraph(ROOT);

  it("covers the source tree (cli, catalog, config, components, policy, program, tests)", () => {
    const files = [...graph.keys()];
    for (const dir of ["cli/commands/", "cli/app/", "cli/adapters/", "cli/framework/", "catalog/", "config/", "components/", "policy/", "program/", "tests/"]) {
      expect(
        files.some((f) => f.startsWith(dir)),
        dir,
      ).to.equal(true);
    }
    expect(graph.get("cli/commands/rollout.ts")).to.include("cli/framework/command.ts");
  });

  it("has no import cycle", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).to.deep.equal([]);
  });

  it("keeps the layers: framework < adapters < app < commands; catalog < config < components; policies apart from cli", () => {
    expect(violations(graph, KNOWN)).to.deep.equal([]);
  });

  describe("the checker itself", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "myoci-c10-cycles-"));
      mkdirSync(path.join(dir, "cli", "adapters"), { recursive: true });
      mkdirSync(path.join(dir, "cli", "app", "x"), { recursive: true });
      writeFileSync(path.join(dir, "a.ts"), 'import type { B } from "./b";\nexport type A = B;\n');
      writeFileSync(path.join(dir, "b.ts"), 'export { c } from "./c";\nexport type B = string;\n');
      writeFileSync(path.join(dir, "c.ts"), 'export const c = () => require("./a");\nimport "zod";\n');
      writeFileSync(path.join(dir, "d.ts"), 'import { c } from "./c";\nexport const d = c;\n');
      writeFileSync(path.join(dir, "cli", "app", "x", "index.ts"), "export const x = 1;\n");
      writeFileSync(path.join(dir, "cli", "adapters", "y.ts"), 'import { x } from "../app/x";\nexport const y = x;\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("finds a cycle through type-only imports, re-exports and require, and not the files beside it", () => {
      expect(cycles(importGraph(dir, sourceFiles(dir)))).to.deep.equal([["a.ts", "b.ts", "c.ts"]]);
    });

    it("resolves folder imports to index.ts and names a layer violation", () => {
      expect(violations(importGraph(dir, sourceFiles(dir)))).to.deep.equal([
        "cli/adapters/y.ts imports cli/app/x/index.ts (cli/adapters/ must not import cli/app/, cli/commands/)",
      ]);
    });
  });
});
