import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { copyFixtureProject } from "../helpers/fixture-project";
import { freePort } from "../helpers/podman-probe";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");

async function myoci(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "cli", "myoci.js"), ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("myoci rollout / rollback commands", function () {
  this.timeout(60_000);
  let dir: string;
  let original: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-rollout-cmd-"));
    copyFixtureProject(["Pulumi.staging.yaml", "Pulumi.prod.yaml", "promotions.yaml"], dir);
    original = readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("rejects bad arguments with exit 2, naming each", async () => {
    const result = await myoci(["rollout", "grafana", "nope=1.0.0", "--stacks", "staging,staging", "--probe-successes", "0", "--project-dir", dir]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('myoci rollout: "grafana": expected <component>=<tag>');
    expect(result.stderr).to.contain('myoci rollout: "nope=1.0.0": unknown component "nope"');
    expect(result.stderr).to.contain('myoci rollout: --stacks "staging,staging": expected distinct stack names');
    expect(result.stderr).to.contain('myoci rollout: --probe-successes "0": expected a whole number from 1 to 100');
  });

  it("rejects a rollback target that is no update number with exit 2, naming it", async () => {
    const rollback = await myoci(["rollback", "--stack", "staging", "--to", "0", "--project-dir", dir]);
    expect(rollback.code).to.equal(2);
    expect(rollback.stderr).to.contain('--to "0"');
  });

  it("refuses before anything changes when the digest cannot be resolved (JSON report)", async () => {
    const port = await freePort(); // nothing listens: the registry mirror is unreachable
    // The pre-flight check needs a Pulumi CLI on PATH; this refusal comes before any other use of it.
    const bin = path.join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\necho v3.200.0\n");
    chmodSync(path.join(bin, "pulumi"), 0o755);
    const result = await myoci(
      ["rollout", "grafana=13.0.3", "--stacks", "staging", "--json", "--registry-mirror", `docker.io=http://127.0.0.1:${port}`, "--project-dir", dir],
      { ...process.env, PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}` },
    );
    expect(result.code).to.equal(2);
    const report = JSON.parse(result.stdout) as { exitCode: number; summary: string; refusals: string[]; steps: unknown[] };
    expect(report.exitCode).to.equal(2);
    expect(report.summary).to.equal("refused before anything changed");
    expect(report.refusals).to.have.length(1);
    expect(report.refusals[0]).to.contain("grafana/grafana");
    expect(report.steps).to.deep.equal([]);
    expect(readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8")).to.equal(original);
  });
});
