/**
 * `myoci plan` and `myoci policy`: the offline runner as commands of the one CLI, in-process with in-memory I/O,
 * on the rehearsal's fixture stack (never the live pins): the JSON envelope, exit codes, bad input.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { main } from "../../cli/main";
import { envelopeSchema } from "../../cli/framework/output/envelope";
import type { EvaluationResult } from "../../program/evaluate";
import { planOf } from "../../policy/offline/plan";
import { evaluateRehearsal } from "../rehearsal/fixture";
import { FIXTURE_PROJECT } from "../helpers/fixture-project";
import { memoryIO } from "./io";

const ROOT = path.resolve(__dirname, "..", "..");

describe("myoci plan / myoci policy (offline runner in the one CLI)", function () {
  this.timeout(180_000);
  let evaluation: EvaluationResult;
  let dir: string;
  let resources: string;
  let privileged: string;
  before(async () => {
    evaluation = await evaluateRehearsal();
    dir = mkdtempSync(path.join(tmpdir(), "myoci-c10-offline-"));
    resources = path.join(dir, "resources.json");
    writeFileSync(resources, JSON.stringify(evaluation.resources));
    privileged = path.join(dir, "privileged.json");
    const broken = evaluation.resources.map((r) =>
      r.type === "docker:index/container:Container" && r.inputs["name"] === "myoci-rehearsal-grafana" ? { ...r, inputs: { ...r.inputs, privileged: true } } : r,
    );
    writeFileSync(privileged, JSON.stringify(broken));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("plan --json prints the envelope around the runner's plan", async () => {
    const io = memoryIO({ cwd: ROOT });
    expect(await main(["plan", "--stack", "staging", "--json", "--resources", resources, "--project-dir", FIXTURE_PROJECT], io)).to.equal(0);
    const envelope = envelopeSchema.extend({ stack: z.string(), containers: z.array(z.unknown()) }).parse(JSON.parse(io.out()));
    expect([envelope.command, envelope.exitCode, envelope.stack]).to.deep.equal(["plan", 0, "staging"]);
    expect(envelope.containers).to.deep.equal(JSON.parse(JSON.stringify(planOf(evaluation.resources))));
  });

  it("policy exits 1 on a mandatory violation, the report's findings inside the envelope", async () => {
    const io = memoryIO({ cwd: ROOT });
    expect(await main(["policy", "--stack", "staging", "--json", "--resources", privileged, "--project-dir", FIXTURE_PROJECT], io)).to.equal(1);
    const finding = z.object({ policy: z.string(), level: z.string(), resource: z.object({ name: z.string() }).optional() });
    const envelope = envelopeSchema.extend({ passed: z.boolean(), findings: z.array(finding) }).parse(JSON.parse(io.out()));
    expect([envelope.exitCode, envelope.passed]).to.deep.equal([1, false]);
    expect(envelope.findings.filter((f) => f.policy === "disallow-privileged-containers").map((f) => [f.level, f.resource?.name])).to.deep.equal([
      ["mandatory", "grafana-server-container"],
    ]);
  });

  it("policy prints the runner's text report without --json", async () => {
    const io = memoryIO({ cwd: ROOT });
    expect(await main(["policy", "--stack", "staging", "--resources", privileged, "--project-dir", FIXTURE_PROJECT], io)).to.equal(1);
    expect(io.out()).to.contain("[mandatory] disallow-privileged-containers:");
  });

  it("bad input: exit 2 with one message naming it (in the envelope with --json)", async () => {
    const missing = memoryIO({ cwd: ROOT });
    expect(await main(["policy", "--stack", "nope", "--json", "--project-dir", FIXTURE_PROJECT], missing)).to.equal(2);
    const envelope = envelopeSchema.parse(JSON.parse(missing.out()));
    expect(envelope.errors.map((e) => e.message)).to.deep.equal([`no stack file ${path.join(FIXTURE_PROJECT, "Pulumi.nope.yaml")} for stack "nope"`]);
    const noStack = memoryIO({ cwd: ROOT });
    expect(await main(["plan"], noStack)).to.equal(2);
    expect(noStack.err()).to.contain("--stack is required");
    const badConfig = memoryIO({ cwd: ROOT });
    expect(await main(["plan", "--stack", "staging", "--config", "nonsense", "--project-dir", FIXTURE_PROJECT], badConfig)).to.equal(2);
    expect(badConfig.err()).to.contain('--config "nonsense": expected key.path=value');
  });
});
