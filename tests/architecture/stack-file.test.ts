/**
 * The stack-file contracts have one home each: every name below is exported by exactly one source file (no
 * re-export), and secret placeholders are filled in one place.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { sourceFiles } from "./import-graph";

const ROOT = path.resolve(__dirname, "..", "..");

/** Where each contract lives. */
const HOME: Readonly<Record<string, string>> = {
  PinSet: "catalog/reference.ts",
  ImagePin: "catalog/reference.ts",
  StackConfig: "config/schema.ts",
  PostgresMigration: "config/schema.ts",
  loadStackFile: "config/stack-file/index.ts",
  readRawStackFile: "config/stack-file/index.ts",
  editStackText: "config/stack-file/edit.ts",
  editStackFile: "config/stack-file/edit.ts",
  PinChanges: "config/stack-file/pins.ts",
  samePins: "config/stack-file/pins.ts",
  changesTo: "config/stack-file/pins.ts",
  PLACEHOLDER_SECRET: "config/stack-file/placeholders.ts",
  withPlaceholderSecrets: "config/stack-file/placeholders.ts",
};

/** Names a file exports: its own exported declarations and what it re-exports (`export { X } from …`, `export *` aside). */
export function exportedNames(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.map((e) => e.name.text));
      continue;
    }
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement)) &&
      statement.name
    ) {
      names.push(statement.name.text);
    }
  }
  return names;
}

describe("architecture: one home for every stack-file contract", () => {
  const files = sourceFiles(ROOT).filter((f) => !f.startsWith("tests/") && !f.startsWith("policy/tests/"));
  const texts = new Map(files.map((f) => [f, readFileSync(path.join(ROOT, f), "utf8")]));

  it("exports each contract from its one module (no copies, no re-exports)", () => {
    const exporters: Record<string, string[]> = Object.fromEntries(Object.keys(HOME).map((name) => [name, []]));
    for (const [file, text] of texts) {
      for (const name of exportedNames(file, text).filter((n) => n in HOME)) {
        exporters[name]!.push(file);
      }
    }
    expect(exporters).to.deep.equal(Object.fromEntries(Object.entries(HOME).map(([name, file]) => [name, [file]])));
  });

  it("fills secret placeholders in one place (config/stack-file/placeholders.ts)", () => {
    const fillers = [...texts].filter(([, text]) => /PLACEHOLDER_SECRET\(|(?<!function )placeholderSecret\(/.test(text)).map(([file]) => file);
    expect(fillers).to.deep.equal(["config/stack-file/placeholders.ts"]);
  });

  describe("the checker itself", () => {
    it("sees declarations and re-exports", () => {
      const text =
        'export type A = 1;\nexport interface B {}\nexport const c = 1, d = 2;\nexport function e() {}\nexport { F, G as H } from "./x";\nexport * from "./y";\nconst i = 1;\n';
      expect(exportedNames("x.ts", text)).to.deep.equal(["A", "B", "c", "d", "e", "F", "H"]);
    });
  });
});
