/** One invocation style, `npx myoci`: its `--json > file` is JSON; `npm run myoci --` would put npm's banner first. */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { copyFixtureProject } from "../helpers/fixture-project";

const ROOT = path.join(__dirname, "..", "..");

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", command], { cwd, env: process.env, timeout: 120_000 }, (error, stdout) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout }),
    );
  });
}

describe("invocation style (npx myoci)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-npx-"));
    copyFixtureProject(["Pulumi.staging.yaml", "Pulumi.prod.yaml"], dir);
    copyFileSync(path.join(ROOT, "vulns-state.json"), path.join(dir, "vulns-state.json"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("`npx myoci vulns --json > file` writes a JSON document; `npm run myoci -- vulns --json` does not", async () => {
    const args = `vulns --json --project-dir ${dir} --state-file ${dir}/vulns-state.json --accept-file ${dir}/none.yaml`;
    const npx = await sh(`npx myoci ${args} > ${dir}/npx.json`, ROOT);
    expect(npx.code).to.be.oneOf([0, 1, 2]);
    expect(() => JSON.parse(readFileSync(path.join(dir, "npx.json"), "utf8")) as unknown).to.not.throw();
    const npm = await sh(`npm run myoci -- ${args}`, ROOT);
    expect(npm.stdout).to.match(/^\n> myoci@[\d.]+ myoci\n/);
    expect(() => JSON.parse(npm.stdout) as unknown).to.throw(SyntaxError);
  });

  it("the README, the update policy (§1–§5), docs/ci.md and docs/versions.md use `npx myoci`, never `npm run myoci --`", () => {
    const policy = readFileSync(path.join(ROOT, "UPDATE_POLICY.md"), "utf8");
    const texts: Record<string, string> = {
      "README.md": readFileSync(path.join(ROOT, "README.md"), "utf8"),
      "UPDATE_POLICY.md §1–§5": policy.slice(0, policy.indexOf("## 6.")),
      "docs/ci.md": readFileSync(path.join(ROOT, "docs", "ci.md"), "utf8"),
      "docs/versions.md": readFileSync(path.join(ROOT, "docs", "versions.md"), "utf8"),
    };
    for (const [name, text] of Object.entries(texts)) {
      expect(text, name).to.not.match(/npm run myoci|node cli\/myoci\.js/);
      expect(text, name).to.match(/npx myoci /);
    }
  });
});
