/**
 * The repository root is found on first use: the components and the policy pack import cleanly from a copy that
 * has no Pulumi.yaml above it (an installed pack, a bundle), and only asking for the root fails, naming the folder.
 */
import { expect } from "chai";
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { findRepoRoot, repoRoot } from "../../config/repo-root";

const ROOT = path.join(__dirname, "..", "..");

describe("repository root (config/repo-root.ts)", () => {
  let dir: string;
  before(() => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), "myoci-n10-root-")));
    for (const folder of ["catalog", "config", "components", path.join("policy", "lib"), path.join("policy", "policies")]) {
      cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is the folder holding Pulumi.yaml, from sources", () => {
    expect(repoRoot()).to.equal(path.resolve(ROOT));
    expect(findRepoRoot(path.join(ROOT, "catalog"))).to.equal(path.resolve(ROOT));
  });

  it("importing the components and the policy pack outside a project does not throw; asking for the root does", async () => {
    for (const module of ["components/monitoring/telegram-forwarder", "policy/policies/index", "policy/lib/settings"]) {
      await import(path.join(dir, module)).catch((error: unknown) => expect.fail(`${module}: ${String(error)}`));
    }
    const copied = (await import(path.join(dir, "config", "repo-root"))) as typeof import("../../config/repo-root");
    expect(() => copied.repoRoot()).to.throw(`no Pulumi.yaml above ${path.join(dir, "config")}: run myoci from its repository`);
  });
});
