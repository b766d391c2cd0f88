import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { appendPromotionEntry, gateStatus, isVerifiedOn, readPromotionRecord } from "../../config/promotion-record";
import { loadStackFile } from "../../config/stack-file";
import { StackFilePins } from "../../cli/adapters/pulumi-engine/stack-pins";
import { checksPassed, runRollout, parseChangeArgs, type RolloutDeps, type RolloutRequest } from "../../cli/app/rollout/rollout";
import { formatReport, rolloutNotices } from "../../cli/app/rollout/report";
import { copyFixtureProject, fixturePins } from "../helpers/fixture-project";
import { BackupDouble, EngineDouble, ProberDouble, steppingClock, testDigest } from "./engine-double";

const STACKS = ["staging", "prod"] as const;

interface World {
  dir: string;
  engine: EngineDouble;
  prober: ProberDouble;
  backups: BackupDouble;
  controller: AbortController;
  deps: RolloutDeps;
  original: Record<string, string>;
  pinsOnDisk(stack: string): ReturnType<StackFilePins["read"]>;
}

const dirs: string[] = [];
function world(): World {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-rollout-"));
  dirs.push(dir);
  copyFixtureProject(["Pulumi.staging.yaml", "Pulumi.prod.yaml", "promotions.yaml"], dir);
  const now = steppingClock();
  const engine = new EngineDouble(dir, STACKS, now);
  const prober = new ProberDouble(engine, now);
  const backups = new BackupDouble();
  const controller = new AbortController();
  const store = new StackFilePins(dir);
  const deps: RolloutDeps = {
    engine,
    prober,
    backups,
    resolver: { resolveDigest: async (_registry, repository, tag) => testDigest(`${repository}:${tag}`) },
    loadConfig: (stack) => loadStackFile(dir, stack, { placeholderSecrets: true }),
    recordVerified: (stack, images, checks, recordedAt, note) =>
      appendPromotionEntry(path.join(dir, "promotions.yaml"), { kind: "verified", stack, recordedAt, note, images, checks }),
    isVerified: (stack, component, pin) => isVerifiedOn(readPromotionRecord(path.join(dir, "promotions.yaml")), stack, component, pin),
    withStackLocks: async (_stacks, fn) => ({ value: await fn() }),
    now,
    signal: controller.signal,
  };
  const original = Object.fromEntries(STACKS.map((s) => [s, readFileSync(path.join(dir, `Pulumi.${s}.yaml`), "utf8")]));
  return { dir, engine, prober, backups, controller, deps, original, pinsOnDisk: (stack) => store.read(stack) };
}

const GRAFANA_NEW = testDigest("grafana/grafana:13.0.3");
const request: RolloutRequest = { changes: { grafana: "13.0.3" }, stacks: ["staging", "prod"], migrate: false };
const stackText = (w: World, stack: string): string => readFileSync(path.join(w.dir, `Pulumi.${stack}.yaml`), "utf8");
const verifiedEntries = (w: World) => readPromotionRecord(path.join(w.dir, "promotions.yaml")).entries.filter((e) => e.kind === "verified");
const phases = (report: Awaited<ReturnType<typeof runRollout>>, stack: string) => report.steps.filter((s) => s.stack === stack).map((s) => s.phase);

after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("rollout orchestration (engine double)", () => {
  it("parses component=tag arguments and names bad ones", () => {
    expect(parseChangeArgs(["grafana=13.0.3", "ntfy=v2.28.0"])).to.deep.equal({ changes: { grafana: "13.0.3", ntfy: "v2.28.0" }, errors: [] });
    const bad = parseChangeArgs(["grafana", "nope=1.0.0", "ntfy=2.28.0"]);
    expect(bad.errors).to.have.length(3);
    expect(bad.errors[0]).to.contain('"grafana": expected <component>=<tag>');
    expect(bad.errors[1]).to.contain('unknown component "nope"');
    expect(bad.errors[2]).to.contain('"ntfy=2.28.0"');
  });

  it("success: staging then prod, each backed up, deployed, verified and recorded", async () => {
    const w = world();
    const report = await runRollout(request, w.deps);
    expect(report.exitCode).to.equal(0);
    expect(report.stacks.map((s) => [s.stack, s.outcome])).to.deep.equal([
      ["staging", "rolled-out"],
      ["prod", "rolled-out"],
    ]);
    expect(phases(report, "staging")).to.deep.equal(["record", "backup", "write-pins", "up", "deployment", "verify", "record-verified"]);
    expect(phases(report, "prod")).to.deep.equal(["record", "backup", "write-pins", "up", "deployment", "verify", "record-verified"]);
    for (const stack of STACKS) {
      expect(w.pinsOnDisk(stack).grafana).to.deep.equal({ tag: "13.0.3", digest: GRAFANA_NEW });
      expect(w.engine.deployed[stack]!.grafana).to.deep.equal({ tag: "13.0.3", digest: GRAFANA_NEW });
      expect(stackText(w, stack).split("\n")[0]).to.equal(w.original[stack]!.split("\n")[0]); // comments survive
    }
    expect(report.stacks[1]!.from).to.deep.equal({
      grafana: { tag: "12.0.2", digest: fixturePins("prod").grafana.digest },
    });
    expect(w.backups.requests.map((r) => [r.stack, r.component, r.dir, r.keep])).to.deep.equal([
      ["staging", "grafana", "/var/backups/myoci", 5],
      ["prod", "grafana", "/var/backups/myoci", 5],
    ]);
    expect(verifiedEntries(w).map((e) => [e.stack, e.images.grafana?.digest])).to.deep.equal([
      ["staging", GRAFANA_NEW],
      ["prod", GRAFANA_NEW],
    ]);
    expect(w.engine.calls).to.deep.equal([
      "select staging",
      "setPins staging grafana=13.0.3",
      "up staging #1",
      "select prod",
      "setPins prod grafana=13.0.3",
      "up prod #1",
    ]);
    // stepping clock: every step's duration is exact
    expect(report.steps.every((s) => s.durationMs === Date.parse(s.endedAt) - Date.parse(s.startedAt) && s.durationMs > 0)).to.equal(true);
    expect(formatReport(report)).to.contain("myoci rollout: rolled out and verified on staging, prod (exit 0");
  });

  it("staging fails verification: staging rolled back, prod untouched", async () => {
    const w = world();
    w.prober.bad.set(GRAFANA_NEW, "fail");
    const report = await runRollout(request, w.deps);
    expect(report.exitCode).to.equal(1);
    expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["rolled-back", "untouched"]);
    expect(phases(report, "staging")).to.deep.equal([
      "record",
      "backup",
      "write-pins",
      "up",
      "deployment",
      "verify",
      "restore-pins",
      "rollback-up",
      "rollback-verify",
    ]);
    expect(stackText(w, "staging")).to.equal(w.original.staging);
    expect(stackText(w, "prod")).to.equal(w.original.prod);
    expect(w.engine.deployed.staging!.grafana!.tag).to.equal("13.0.2");
    expect(w.engine.calls.some((c) => c.includes("prod"))).to.equal(false);
    expect(verifiedEntries(w)).to.have.length(0);
    const rollbackSteps = report.steps.filter((s) => ["restore-pins", "rollback-up", "rollback-verify"].includes(s.phase));
    expect(report.stacks[0]!.rollbackDurationMs).to.equal(Date.parse(rollbackSteps[2]!.endedAt) - Date.parse(rollbackSteps[0]!.startedAt) + 2000);
    expect(report.nextSteps[0]).to.contain("staging was rolled back to its previous pins").and.contain("Not touched: prod.");
  });

  it("prod fails up: staging stays rolled out and recorded, prod rolled back", async () => {
    const w = world();
    w.engine.failUps.add("prod#1");
    const report = await runRollout(request, w.deps);
    expect(report.exitCode).to.equal(1);
    expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["rolled-out", "rolled-back"]);
    expect(phases(report, "prod")).to.deep.equal(["record", "backup", "write-pins", "up", "restore-pins", "rollback-up", "rollback-verify"]);
    expect(w.pinsOnDisk("staging").grafana!.digest).to.equal(GRAFANA_NEW);
    expect(stackText(w, "prod")).to.equal(w.original.prod);
    expect(w.engine.deployed.prod!.grafana!.tag).to.equal("12.0.2");
    expect(verifiedEntries(w).map((e) => e.stack)).to.deep.equal(["staging"]);
    expect(report.steps.find((s) => s.stack === "prod" && s.phase === "up")!.detail).to.equal("up failed: double: up of prod attempt 1 told to fail");
    // What `--notify` posts to ntfy: one notice per stack the rollout touched.
    expect(rolloutNotices(report)).to.deep.equal([
      {
        stack: "staging",
        outcome: "succeeded",
        finishedAt: report.endedAt,
        components: [{ component: "grafana", from: "13.0.2", to: "13.0.3" }],
        detail: undefined,
      },
      {
        stack: "prod",
        outcome: "rolled-back",
        finishedAt: report.endedAt,
        components: [{ component: "grafana", from: "12.0.2", to: "13.0.3" }],
        detail: report.summary,
      },
    ]);
  });

  it("rollback fails: exit 2 with exact next steps, later stacks untouched", async () => {
    const w = world();
    w.engine.failUps.add("staging#1").add("staging#2");
    const report = await runRollout(request, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["rollback-failed", "untouched"]);
    expect(report.summary).to.equal("staging: up failed; rollback failed");
    expect(report.nextSteps[0]).to.equal("ROLLBACK OF STAGING FAILED (up failed; then the rollback up failed). The stack is in an unknown state.");
    expect(report.nextSteps).to.include("3. Deploy the previous pins by hand and read the error: pulumi up --stack staging --policy-pack policy");
    expect(report.nextSteps.join("\n"))
      .to.contain("myoci-staging-grafana")
      .and.contain("/var/backups/myoci/staging-grafana-20261125T120000Z.tar.gz")
      .and.contain("myoci rollback --stack staging");
    expect(report.nextSteps[report.nextSteps.length - 1]).to.equal("Not touched: prod.");
    expect(stackText(w, "staging")).to.equal(w.original.staging); // pins restored even though up failed
    expect(stackText(w, "prod")).to.equal(w.original.prod);
  });

  it("probe inconclusive: stops for a decision, no rollback, stack file equals what is deployed", async () => {
    const w = world();
    w.prober.bad.set(GRAFANA_NEW, "inconclusive");
    const report = await runRollout(request, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["inconclusive", "untouched"]);
    expect(phases(report, "staging")).to.deep.equal(["record", "backup", "write-pins", "up", "deployment", "verify"]);
    expect(w.pinsOnDisk("staging")).to.deep.equal(w.engine.deployed.staging);
    expect(w.pinsOnDisk("staging").grafana!.digest).to.equal(GRAFANA_NEW);
    expect(stackText(w, "prod")).to.equal(w.original.prod);
    expect(verifiedEntries(w)).to.have.length(0);
    expect(report.nextSteps[2]).to.equal("  not healthy → myoci rollback --stack staging");
  });

  it("refuses a PostgreSQL major change without --migrate, changing nothing", async () => {
    const w = world();
    const report = await runRollout({ changes: { postgres: "17.2-alpine" }, stacks: ["staging"], migrate: false }, w.deps);
    expect(report.exitCode).to.equal(2);
    expect(report.refusals).to.have.length(1);
    expect(report.refusals[0]).to.contain("Pulumi.staging.yaml: postgres-major-needs-migration: PostgreSQL 16 → 17");
    expect(w.engine.calls).to.deep.equal([]);
    expect(stackText(w, "staging")).to.equal(w.original.staging);
  });

  it("--migrate: dump, pin + postgresMigration, up, restore the dump into the new major, verify", async () => {
    const w = world();
    const report = await runRollout({ changes: { postgres: "17.2-alpine" }, stacks: ["staging"], migrate: true }, w.deps);
    expect(report.exitCode).to.equal(0);
    expect(phases(report, "staging")).to.deep.equal(["record", "backup", "write-pins", "up", "deployment", "restore-data", "verify", "record-verified"]);
    expect(w.backups.restores).to.deep.equal(["staging /var/backups/myoci/staging-postgres-20261125T120000Z.sql"]);
    expect(loadStackFile(w.dir, "staging", { placeholderSecrets: true }).postgres).to.deep.equal({ dataMajor: 16, migration: { from: 16, to: 17 } });
    expect(w.engine.calls).to.include("setPostgresMigration staging 16->17");
  });

  it("--migrate rolled back: pins and the migration key are removed again", async () => {
    const w = world();
    w.engine.failUps.add("staging#1");
    const report = await runRollout({ changes: { postgres: "17.2-alpine" }, stacks: ["staging"], migrate: true }, w.deps);
    expect(report.exitCode).to.equal(1);
    expect(w.engine.calls).to.deep.equal([
      "select staging",
      "setPins staging postgres=17.2-alpine",
      "setPostgresMigration staging 16->17",
      "up staging #1",
      "setPins staging postgres=16.11-alpine",
      "setPostgresMigration staging null",
      "up staging #2",
    ]);
    expect(stackText(w, "staging")).to.equal(w.original.staging);
  });

  describe("interrupted (SIGINT) in each phase: pins on disk equal what was last deployed", () => {
    const cases: [string, (w: World) => void, string[], string][] = [
      ["before start", (w) => w.controller.abort(), ["record"], "interrupted before staging changed"],
      ["during backup", (w) => (w.backups.onBackup = () => w.controller.abort()), ["record", "backup"], "interrupted before staging changed"],
      [
        "during write-pins",
        (w) => (w.engine.onSetPins = () => w.controller.abort()),
        ["record", "backup", "write-pins", "restore-pins"],
        "interrupted before staging was deployed",
      ],
      [
        "during up",
        (w) => (w.engine.onUp = () => w.controller.abort()),
        ["record", "backup", "write-pins", "up"],
        "interrupted: staging deployed but not verified",
      ],
      [
        "during verify",
        (w) => (w.prober.onVerify = () => w.controller.abort()),
        ["record", "backup", "write-pins", "up", "deployment", "verify"],
        "interrupted: staging deployed but not verified",
      ],
    ];
    for (const [name, arm, expectedPhases, summary] of cases) {
      it(name, async () => {
        const w = world();
        arm(w);
        const report = await runRollout(request, w.deps);
        expect(report.exitCode).to.equal(2);
        expect(report.summary).to.equal(summary);
        expect(phases(report, "staging")).to.deep.equal(expectedPhases);
        for (const stack of STACKS) {
          expect(w.pinsOnDisk(stack), stack).to.deep.equal(w.engine.deployed[stack]);
        }
        expect(stackText(w, "prod")).to.equal(w.original.prod);
        expect(verifiedEntries(w)).to.have.length(0);
      });
    }

    it("during record-verified of staging: staging done, prod not started", async () => {
      const w = world();
      const record = w.deps.recordVerified;
      const deps: RolloutDeps = { ...w.deps, recordVerified: (...args) => (record(...args), w.controller.abort()) };
      const report = await runRollout(request, deps);
      expect(report.exitCode).to.equal(2);
      expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["rolled-out", "interrupted"]);
      expect(w.pinsOnDisk("staging")).to.deep.equal(w.engine.deployed.staging);
      expect(stackText(w, "prod")).to.equal(w.original.prod);
      expect(report.nextSteps[0]).to.contain("myoci rollout grafana=13.0.3 --stacks prod");
    });
  });
});

describe("what a verified entry vouches for", () => {
  it("a probe that did not run is not a pass; a component without an HTTP probe passes on the healthcheck up waited for", () => {
    const pass = { url: "u", attempts: 2, reason: "r", startedAt: "", durationMs: 1 };
    expect(checksPassed(["netdata", "postgres", "grafana"], [{ ...pass, component: "netdata", verdict: "pass" }])).to.deep.equal({
      netdata: "http-probe",
      postgres: "container-healthcheck",
    });
    expect(checksPassed(["grafana"], [{ ...pass, component: "grafana", verdict: "inconclusive" }])).to.deep.equal({});
  });

  it("the gate reads an entry with checks as vouching for the checked components only", () => {
    const grafana = { tag: "13.1.0", digest: testDigest("grafana:13.1.0") };
    const ntfy = { tag: "v2.28.0", digest: testDigest("ntfy:v2.28.0") };
    const record = {
      entries: [
        { kind: "verified" as const, stack: "staging", recordedAt: "2026-12-01T00:00:00Z", images: { grafana, ntfy }, checks: { ntfy: "http-probe" as const } },
      ],
    };
    expect(gateStatus(record, "ntfy", ntfy.digest, "staging", "prod").status).to.equal("verified");
    expect(gateStatus(record, "grafana", grafana.digest, "staging", "prod").status).to.equal("unverified");
    expect(isVerifiedOn(record, "staging", "grafana", grafana)).to.equal(false);
    expect(isVerifiedOn(record, "staging", "ntfy", ntfy)).to.equal(true);
    expect(isVerifiedOn(record, "staging", "ntfy", { ...ntfy, tag: "v2.28.1" })).to.equal(false);
  });
});
