import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { appendPromotionEntry, isVerifiedOn, readPromotionRecord } from "../../config/promotion-record";
import { loadStackFile } from "../../config/stack-file";
import { runRollback, selectRollbackTarget } from "../../cli/app/rollout/rollback";
import { runRollout, type RolloutDeps } from "../../cli/app/rollout/rollout";
import { copyFixtureProject } from "../helpers/fixture-project";
import { BackupDouble, EngineDouble, ProberDouble, steppingClock, testDigest } from "./engine-double";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function deployedTwice() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-rollback-"));
  dirs.push(dir);
  copyFixtureProject(["Pulumi.staging.yaml", "Pulumi.prod.yaml", "promotions.yaml"], dir);
  const now = steppingClock();
  const engine = new EngineDouble(dir, ["staging"], now);
  const prober = new ProberDouble(engine, now);
  const controller = new AbortController();
  const deps: RolloutDeps = {
    engine,
    prober,
    backups: new BackupDouble(),
    resolver: { resolveDigest: async (_r, repository, tag) => testDigest(`${repository}:${tag}`) },
    loadConfig: (stack) => loadStackFile(dir, stack, { placeholderSecrets: true }),
    recordVerified: (stack, images, checks, recordedAt, note) =>
      appendPromotionEntry(path.join(dir, "promotions.yaml"), { kind: "verified", stack, recordedAt, note, images, checks }),
    isVerified: (stack, component, pin) => isVerifiedOn(readPromotionRecord(path.join(dir, "promotions.yaml")), stack, component, pin),
    withStackLocks: async (_stacks, fn) => ({ value: await fn() }),
    now,
    signal: controller.signal,
  };
  const original = readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
  await engine.selectStack("staging");
  await engine.up({}); // update #1: the original pins
  const rollout = await runRollout({ changes: { grafana: "13.0.3", ntfy: "v2.28.1" }, stacks: ["staging"], migrate: false }, deps); // update #2
  expect(rollout.exitCode).to.equal(0);
  return { dir, engine, prober, controller, deps, original };
}

describe("myoci rollback (engine double)", () => {
  it("selects the N-th earlier distinct successful pin set", () => {
    const a = { grafana: { tag: "1.0.0", digest: testDigest("a") } };
    const b = { grafana: { tag: "1.0.1", digest: testDigest("b") } };
    const c = { grafana: { tag: "1.0.2", digest: testDigest("c") } };
    const u = (version: number, images: typeof a, result = "succeeded") => ({ version, kind: "update", result, startTime: "", images });
    const history = [u(5, c), u(4, b, "failed"), u(3, b), u(2, b), u(1, a)];
    expect(selectRollbackTarget(history, c, 1)).to.deep.equal({ pins: b, version: 3 });
    expect(selectRollbackTarget(history, c, 2)).to.deep.equal({ pins: a, version: 1 });
    expect(selectRollbackTarget(history, c, 3)).to.deep.equal({
      error: "--to 3: the stack's history holds 2 earlier successful deployment(s) with pins different from the current ones",
    });
  });

  it("restores the previous deployment's pins, deploys, verifies and records it", async () => {
    const w = await deployedTwice();
    const report = await runRollback("staging", 1, w.deps);
    expect(report.exitCode).to.equal(0);
    expect(report.summary).to.match(/^staging: rolled back to the pins of update #1 and verified in \d+\.\d s$/);
    expect(report.steps.map((s) => s.phase)).to.deep.equal(["record", "restore-pins", "rollback-up", "rollback-verify"]);
    expect(readFileSync(path.join(w.dir, "Pulumi.staging.yaml"), "utf8")).to.equal(w.original);
    expect(w.engine.deployed.staging!.grafana!.tag).to.equal("13.0.2");
    expect(w.prober.calls[w.prober.calls.length - 1]).to.equal("verify staging ntfy,grafana");
    expect(report.stacks[0]!.from).to.deep.equal({
      ntfy: { tag: "v2.28.1", digest: testDigest("binwiederhier/ntfy:v2.28.1") },
      grafana: { tag: "13.0.3", digest: testDigest("grafana/grafana:13.0.3") },
    });
    const last = readPromotionRecord(path.join(w.dir, "promotions.yaml")).entries.at(-1)!;
    expect([last.kind, last.stack, last.note, last.images.grafana?.tag]).to.deep.equal([
      "verified",
      "staging",
      "myoci rollback --to 1 (pins of update #1)",
      "13.0.2",
    ]);
  });

  it("fails with exit 2 and next steps when the rollback's up fails", async () => {
    const w = await deployedTwice();
    w.engine.failUps.add("staging#3");
    const report = await runRollback("staging", 1, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.nextSteps[0]).to.equal("ROLLBACK OF STAGING FAILED (up failed). Pulumi.staging.yaml holds the pins of update #1.");
    expect(report.nextSteps[3]).to.equal("3. Try an older deployment: myoci rollback --stack staging --to 2");
  });

  it("refuses --to beyond the history, changing nothing", async () => {
    const w = await deployedTwice();
    const before = readFileSync(path.join(w.dir, "Pulumi.staging.yaml"), "utf8");
    const report = await runRollback("staging", 2, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.refusals).to.deep.equal(["--to 2: the stack's history holds 1 earlier successful deployment(s) with pins different from the current ones"]);
    expect(readFileSync(path.join(w.dir, "Pulumi.staging.yaml"), "utf8")).to.equal(before);
  });

  it("interrupted after the pins were written: the deployed pins are written back", async () => {
    const w = await deployedTwice();
    const before = readFileSync(path.join(w.dir, "Pulumi.staging.yaml"), "utf8");
    w.engine.onSetPins = () => w.controller.abort();
    const report = await runRollback("staging", 1, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.summary).to.equal("interrupted before anything was deployed");
    expect(readFileSync(path.join(w.dir, "Pulumi.staging.yaml"), "utf8")).to.equal(before);
    expect(w.engine.calls.filter((c) => c.startsWith("up"))).to.have.length(2);
  });
});
