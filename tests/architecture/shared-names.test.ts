/**
 * Each shared name is defined once: label keys, Docker names, the TURN relay range, the digest pattern, the changelog
 * template and the end-of-life test live in the catalog, and no two source modules export the same name.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LABEL, MANAGED_BY, TURN_RELAY_PORTS, containerName, networkName, volumeName } from "../../catalog/names";
import { formatViolations, sharedNameViolations, sourceFiles } from "./shared-names";

const ROOT = path.join(__dirname, "..", "..");
const SELF = ["tests/architecture/shared-names.ts", "tests/architecture/shared-names.test.ts"];

describe("shared names", () => {
  it("are written only by the module that owns them, and no exported name is defined twice", () => {
    const violations = sharedNameViolations(ROOT, sourceFiles(ROOT), SELF);
    expect(violations, formatViolations(violations)).to.deep.equal([]);
  });

  it("finds a label key, the name formula, the relay range and a second export written elsewhere", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-n10-names-"));
    try {
      mkdirSync(path.join(dir, "cli"));
      mkdirSync(path.join(dir, "tests"));
      const files = {
        "cli/a.ts": [
          "// a comment may name myoci.stack",
          "const key = `myoci.stack=${stack}`;",
          "const name = `myoci-${stack}-grafana`;",
          "export const relay = [49160, 49200];",
          'export const SERVICE_OF = { loki: "loki" };',
          "const mine = labels['myoci.origin'];",
        ].join("\n"),
        "cli/b.ts": "export function SERVICE_OF(): void {}\n",
        "tests/c.test.ts": ['const expected = "drift: labelled myoci.version=1.0";', 'setLabel(r, "myoci.version", "edge");'].join("\n"),
      };
      for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
      const found = sharedNameViolations(dir, Object.keys(files)).map((v) => `${v.file}:${v.line} ${v.what.split(" (")[0]!.split(",")[0]}`);
      expect(found).to.deep.equal([
        "cli/a.ts:2 a label key",
        "cli/a.ts:2 a label key as a string literal",
        "cli/a.ts:2 a label-like key `myoci.<name>` outside catalog/names.ts",
        "cli/a.ts:3 the Docker name formula `myoci-<stack>-…`",
        "cli/a.ts:4 the TURN relay port range",
        "cli/a.ts:6 a label-like key `myoci.<name>` outside catalog/names.ts",
        "tests/c.test.ts:2 a label key as a string literal",
        "cli/a.ts:5 the exported name SERVICE_OF",
        "cli/b.ts:1 the exported name SERVICE_OF",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Running containers and volumes carry these: a rename here is a migration of every deployed host, not a refactor.
  it("keep the label keys and names that deployed containers carry", () => {
    expect(LABEL).to.deep.equal({
      component: "myoci.component",
      version: "myoci.version",
      digest: "myoci.digest",
      stack: "myoci.stack",
      managedBy: "myoci.managed-by",
      data: "myoci.data",
      path: "myoci.path",
      capabilityReason: "myoci.capabilities.reason",
      postgresDataMajor: "myoci.postgres.data-major",
      postgresMigration: "myoci.postgres.migration",
    });
    expect(MANAGED_BY).to.equal("myoci");
    expect([
      containerName("prod", "forwarderBase"),
      volumeName("prod", "postgres", "/var/lib/postgresql/data", "-pg16"),
      networkName("staging", "loopback"),
    ]).to.deep.equal(["myoci-prod-telegram-forwarder", "myoci-prod-postgres-var-lib-postgresql-data-pg16", "myoci-staging-loopback"]);
    expect(TURN_RELAY_PORTS).to.deep.equal({ from: 49160, to: 49200 });
  });
});
