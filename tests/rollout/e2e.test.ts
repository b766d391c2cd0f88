/**
 * `npx myoci rollout|rollback` as an operator runs them, against the scripted `pulumi` (tests/helpers/fake-pulumi,
 * first on PATH: the real Automation API code drives it), a real registry (digests resolved once), real health
 * endpoints (busybox httpd in podman containers the scripted `up` replaces) and Ctrl-C sent to the process group.
 * Each case asserts exit code, report, the pulumi invocations, the stack files and the promotion record.
 */
import { expect } from "chai";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { containerName } from "../../catalog";
import { gateStatus, readPromotionRecord } from "../../config/promotion-record";
import { provenancePath, readProvenance } from "../../config/provenance";
import { loadStackFile } from "../../config/stack-file";
import type { RolloutReport } from "../../cli/app/rollout/rollout";
import { FakePulumi, importProbeImage, runMyoci, type FakeCue } from "../helpers/fake-pulumi";
import { startLocalRegistry, type LocalRegistry } from "../helpers/local-registry";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";
import { postgresBinDir, startPostgres, type PostgresServer } from "../helpers/postgres-server";
import { freePort } from "../helpers/podman-probe";
import { stackFileText } from "../helpers/stack-fixture";

const STAGING = "h17-staging";
const PROD = "h17-prod";
const STACKS = [STAGING, PROD];
const PROBED = ["netdata", "netbirdDashboard"] as const;

interface World {
  dir: string;
  fake: FakePulumi;
  ports: Record<string, Record<string, number>>;
  original: Record<string, string>;
  run(args: string[], options?: { direct?: boolean }): ReturnType<typeof runMyoci>;
  rollout(args: string[]): Promise<{ code: number | null; report: RolloutReport; stderr: string }>;
  stackText(stack: string): string;
  verified(): ReturnType<typeof readPromotionRecord>["entries"];
}

describe("myoci rollout / rollback end to end (scripted pulumi, real probes, registry)", function () {
  this.timeout(240_000);
  let podman: Podman | undefined;
  let registry: LocalRegistry | undefined;
  let good = "";
  let bad = "";
  const digests: Record<string, string> = {};
  const worlds: World[] = [];

  before(async function () {
    if (!podmanAvailable()) {
      this.skip(); // podman/runc/busybox absent (CI installs them)
    }
    podman = await startPodman();
    good = await importProbeImage(podman, "good");
    bad = await importProbeImage(podman, "bad");
    registry = await startLocalRegistry();
    digests.netdataGood = await registry.pushTinyImage("netdata/netdata", "v2.11.0", "netdata good");
    digests.netdataBad = await registry.pushTinyImage("netdata/netdata", "v2.12.0", "netdata bad");
    digests.dashboard = await registry.pushTinyImage("netbirdio/dashboard", "v2.91.0", "dashboard");
    digests.postgres17 = await registry.pushTinyImage("library/postgres", "17.2-alpine", "postgres 17");
  });

  after(async () => {
    worlds.forEach((w) => {
      w.fake.remove();
      rmSync(w.dir, { recursive: true, force: true });
    });
    await registry?.stop();
    await podman?.stop();
  });

  /**
   * `postgres`: the staging PostgreSQL is a real server behind a `docker exec` shim (as in tests/backup): the shim
   * reaches the server whose port the deployed postgres digest selects (old pins → `old`, 17.2-alpine → `fresh`).
   */
  async function world(options: { backendStacks?: string[]; postgres?: { old: PostgresServer; fresh: PostgresServer } } = {}): Promise<World> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h17-e2e-"));
    const shim = path.join(dir, "shim");
    mkdirSync(shim);
    writeFileSync(
      path.join(shim, "docker"),
      `#!/bin/sh
# docker exec [-i] <container> <tool> … → the Debian PostgreSQL tool against the server in <shim>/<container>.port
[ "$1" = exec ] || { echo "shim: unsupported docker $1" >&2; exit 2; }
shift; [ "$1" = "-i" ] && shift
port=$(cat "${shim}/$1.port") || exit 1; shift
tool=$1; shift
exec env PGHOST=127.0.0.1 PGPORT="$port" "${postgresBinDir() ?? "/usr/lib/postgresql/15/bin"}/$tool" "$@"
`,
    );
    chmodSync(path.join(shim, "docker"), 0o755);
    const backupsDir = path.join(dir, "backups");
    const original: Record<string, string> = {};
    for (const stack of STACKS) {
      original[stack] = stackFileText({ extraConfig: `  myoci:backups:\n    dir: ${backupsDir}\n    keep: 5` }).replace(
        "unix:///var/run/docker.sock",
        podman!.dockerHost,
      );
      writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), original[stack]);
    }
    writeFileSync(path.join(dir, "promotions.yaml"), "entries: []\n");
    const ports: Record<string, Record<string, number>> = {};
    const containers: Record<string, Record<string, { name: string; port: number }>> = {};
    const healthImages: Record<string, string> = { [digests.netdataGood!]: good, [digests.netdataBad!]: bad, [digests.dashboard!]: good };
    const stacks: Record<string, ReturnType<typeof FakePulumi.deployedUpdate>> = {};
    for (const stack of STACKS) {
      const pins = loadStackFile(dir, stack, { placeholderSecrets: true }).images as Record<string, { tag: string; digest: string }>;
      if ((options.backendStacks ?? STACKS).includes(stack)) {
        stacks[stack] = FakePulumi.deployedUpdate(pins);
      }
      ports[stack] = {};
      containers[stack] = {};
      for (const component of PROBED) {
        const port = await freePort();
        const name = containerName(stack, component);
        ports[stack][component] = port;
        containers[stack][component] = { name, port };
        healthImages[pins[component]!.digest] = good;
        await podman!.podman(["rm", "-f", "-t", "0", name]);
        await podman!.podman(["run", "-d", "--name", name, "-p", `127.0.0.1:${port}:8080`, good, "/bin/httpd", "-f", "-p", "8080", "-h", "/www"]);
      }
    }
    const portFile = path.join(shim, `${containerName(STAGING, "postgres")}.port`);
    const oldPostgres = loadStackFile(dir, STAGING, { placeholderSecrets: true }).images.postgres!.digest;
    if (options.postgres) {
      writeFileSync(portFile, String(options.postgres.old.port));
    }
    const fake = new FakePulumi({
      url: `file://${dir}/.state`,
      user: "tester",
      stacks,
      containers,
      healthImages,
      podman: { argv: [...podman!.argv], env: { ...podman!.env } },
      deployFiles: options.postgres
        ? [
            {
              stack: STAGING,
              component: "postgres",
              file: portFile,
              values: { [oldPostgres]: String(options.postgres.old.port), [digests.postgres17!]: String(options.postgres.fresh.port) },
            },
          ]
        : [],
    });
    const env = { ...fake.env(), PATH: `${shim}:${fake.env().PATH ?? ""}` };
    const common = ["--project-dir", dir, ...STACKS.flatMap((s) => PROBED.map((c) => `--probe-port=${s}:${c}=${ports[s]![c]}`)), "--json"];
    const w: World = {
      dir,
      fake,
      ports,
      original,
      run: (args, options) =>
        runMyoci(
          [
            args[0]!,
            ...common,
            ...(args[0] === "rollout" ? ["--registry-mirror", `docker.io=${registry!.url}`, "--probe-successes", "2", "--probe-deadline", "5"] : []),
            ...args.slice(1),
          ],
          env,
          options,
        ),
      rollout: async (args) => {
        const result = await w.run(args).done;
        return { code: result.code, report: JSON.parse(result.stdout) as RolloutReport, stderr: result.stderr };
      },
      stackText: (stack) => readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8"),
      verified: () => readPromotionRecord(path.join(dir, "promotions.yaml")).entries.filter((e) => e.kind === "verified"),
    };
    worlds.push(w);
    return w;
  }
  const ups = (w: World) => w.fake.commands().filter((c) => c.startsWith("up "));
  const phases = (report: RolloutReport, stack: string) => report.steps.filter((s) => s.stack === stack).map((s) => s.phase);
  const cue = (w: World, ...cues: FakeCue[]) => w.fake.cue(...cues);

  it("rolls out staging then prod: one `pulumi version`, pulumi in its own process group, nothing after up but the bookkeeping, no --show-secrets", async () => {
    const w = await world();
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    expect(code, report.summary).to.equal(0);
    expect(report.stacks.map((s) => [s.stack, s.outcome, s.verified])).to.deep.equal([
      [STAGING, "rolled-out", ["netdata"]],
      [PROD, "rolled-out", ["netdata"]],
    ]);
    expect(phases(report, STAGING)).to.deep.equal(["record", "write-pins", "up", "deployment", "verify", "record-verified"]);
    const commands = w.fake.commands();
    expect(commands.filter((c) => c === "version")).to.have.length(1);
    expect(commands.some((c) => c.includes("--show-secrets"))).to.equal(false);
    expect(commands.some((c) => c.startsWith("stack init"))).to.equal(false);
    const afterUp = commands.slice(
      commands.findIndex((c) => c.startsWith("up ")) + 1,
      commands.findIndex((c) => c.startsWith(`stack select --stack ${PROD}`)),
    );
    expect(afterUp).to.deep.equal([`stack history --json --page-size 1 --page 1 --stack ${STAGING}`, `stack output --json --stack ${STAGING}`]);
    for (const invocation of w.fake.invocations().filter((i) => i.argv[0] !== "version")) {
      expect(invocation.pgid, invocation.argv.join(" ")).to.equal(invocation.pid); // a group of its own …
      expect(invocation.pgid).to.not.equal(invocation.parentPgid); // … not myoci's
    }
    // The digest it resolved has a provenance record (the pack's require-digest-provenance reads it during `up`).
    const resolved = readProvenance(provenancePath(w.dir)).filter((r) => r.tool === "rollout");
    expect(
      resolved.map((r) => [r.component, r.tag, r.origin, r.digest === loadStackFile(w.dir, STAGING, { placeholderSecrets: true }).images.netdata?.digest]),
    ).to.deep.equal([["netdata", "v2.11.0", "registry", true]]);
    const entries = w.verified();
    expect(entries.map((e) => [e.stack, Object.keys(e.images), e.checks])).to.deep.equal([
      [STAGING, ["netdata"], { netdata: "http-probe" }],
      [PROD, ["netdata"], { netdata: "http-probe" }],
    ]);
    expect(entries[0]!.images.netdata).to.deep.equal({ tag: "v2.11.0", digest: digests.netdataGood });
  });

  it("a verified entry lists only what the run deployed and probed: an unverified netdata never rides along (gate stays closed)", async () => {
    const w = await world();
    const first = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING, "--probe-port", `${STAGING}:netdata=${await freePort()}`]);
    expect(first.code).to.equal(2); // nothing answers on the overridden port: inconclusive
    expect(first.report.stacks[0]!.outcome).to.equal("inconclusive");
    const second = await w.rollout(["rollout", "netbirdDashboard=v2.91.0", "--stacks", STAGING]);
    expect(second.code, second.report.summary).to.equal(0);
    const entries = w.verified();
    expect(entries).to.have.length(1);
    expect(Object.keys(entries[0]!.images)).to.deep.equal(["netbirdDashboard"]);
    const record = readPromotionRecord(path.join(w.dir, "promotions.yaml"));
    expect(gateStatus(record, "netdata", digests.netdataGood!, STAGING, PROD).status).to.equal("unverified");
    expect(gateStatus(record, "netbirdDashboard", digests.dashboard!, STAGING, PROD).status).to.equal("verified");
  });

  it("re-running after an inconclusive verification deploys (no-op), verifies and records, then continues to prod", async () => {
    const w = await world();
    const first = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING, "--probe-port", `${STAGING}:netdata=${await freePort()}`]);
    expect(first.code).to.equal(2);
    expect(first.report.nextSteps.join("\n")).to.contain(`re-run \`myoci rollout netdata=v2.11.0 --stacks ${STAGING}\``);
    const again = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    expect(again.code, again.report.summary).to.equal(0);
    expect(again.report.stacks.map((s) => [s.stack, s.outcome, s.reverified])).to.deep.equal([
      [STAGING, "verified", ["netdata"]],
      [PROD, "rolled-out", []],
    ]);
    expect(phases(again.report, STAGING)).to.deep.equal(["record", "up", "deployment", "verify", "record-verified"]);
    expect(w.verified().map((e) => [e.stack, e.images.netdata?.digest])).to.deep.equal([
      [STAGING, digests.netdataGood],
      [PROD, digests.netdataGood],
    ]);
  });

  it("first Ctrl-C during up: up finishes undisturbed, the run stops before verifying (exit 2); the re-run verifies", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, sleepMs: 3000 });
    const run = w.run(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    await w.fake.started(["up"]);
    run.interrupt();
    const result = await run.done;
    expect(result.signal).to.equal("SIGINT"); // npm's `sh -c` re-raises the terminal's interrupt once myoci has exited …
    const report = JSON.parse(result.stdout) as RolloutReport;
    expect(report.exitCode).to.equal(2); // … myoci's own exit code is in the report (and see the next test)
    expect(report.summary).to.equal(`interrupted: ${STAGING} deployed but not verified`);
    const up = w.fake.invocations().find((i) => i.argv[0] === "up")!;
    expect([up.exit, up.signals]).to.deep.equal([0, []]); // the terminal's SIGINT never reached pulumi
    expect(ups(w)).to.have.length(1); // no rollback up
    expect(loadStackFile(w.dir, STAGING, { placeholderSecrets: true }).images.netdata!.digest).to.equal(digests.netdataGood);
    expect(w.stackText(PROD)).to.equal(w.original[PROD]);
    expect(w.verified()).to.deep.equal([]);
    const again = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING]);
    expect([again.code, again.report.stacks[0]!.outcome]).to.deep.equal([0, "verified"]);
  });

  it("first Ctrl-C with myoci itself as the foreground job (node cli/myoci.js): exit 2", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, sleepMs: 3000 });
    const run = w.run(["rollout", "netdata=v2.11.0", "--stacks", STAGING], { direct: true });
    await w.fake.started(["up"]);
    run.interrupt();
    const result = await run.done;
    expect([result.code, result.signal]).to.deep.equal([2, null]);
    expect((JSON.parse(result.stdout) as RolloutReport).stacks[0]!.outcome).to.equal("interrupted");
  });

  it("second Ctrl-C cancels up through Pulumi's cancel, still reports, and leaves the stack file equal to what is deployed", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, sleepMs: 20_000 });
    const run = w.run(["rollout", "netdata=v2.11.0", "--stacks", STAGING]);
    await w.fake.started(["up"]);
    run.interrupt();
    await new Promise((r) => setTimeout(r, 500));
    run.interrupt();
    const result = await run.done;
    const report = JSON.parse(result.stdout) as RolloutReport;
    expect(report.exitCode).to.equal(2);
    expect(report.summary).to.equal(`interrupted: up of ${STAGING} canceled`);
    expect(report.stacks[0]!.outcome).to.equal("canceled");
    const up = w.fake.invocations().find((i) => i.argv[0] === "up")!;
    expect(up.signals).to.deep.equal(["SIGINT"]); // one SIGINT: Pulumi's graceful cancel
    expect(ups(w)).to.have.length(1);
    expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
    expect(w.fake.state().stacks[STAGING]!.updates[0]!.result).to.equal("failed");
  });

  it("--up-timeout cancels a hung up through Pulumi's cancel and rolls back", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, sleepMs: 60_000 });
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING, "--up-timeout", "2"]);
    expect(code).to.equal(1);
    expect(report.summary).to.equal(`${STAGING}: up timed out after 2.0 s; rolled back`);
    expect(w.fake.invocations().find((i) => i.argv[0] === "up")!.signals).to.deep.equal(["SIGINT"]);
    expect(ups(w)).to.have.length(2);
    expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
  });

  it("a failing `stack output` after a successful up is 'deployed, bookkeeping failed' (exit 2), never a rollback", async () => {
    const w = await world();
    cue(w, { command: "stack output", stack: STAGING, fail: "error: could not read the stack's outputs: backend unavailable\n" });
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING]);
    expect(code).to.equal(2);
    expect(report.summary).to.equal(`${STAGING}: deployed, bookkeeping failed`);
    expect(report.steps.find((s) => s.phase === "deployment")!.detail).to.equal("error: could not read the stack's outputs: backend unavailable");
    expect(ups(w)).to.have.length(1);
    expect(loadStackFile(w.dir, STAGING, { placeholderSecrets: true }).images.netdata!.digest).to.equal(digests.netdataGood);
  });

  it("Pulumi's stack lock is 'not started' naming the holder: no rollback up, stack file as deployed", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, lockedBy: "alice@laptop (pid 4242) at 2026-12-01T10:00:00Z" });
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    expect(code).to.equal(2);
    expect(report.summary).to.equal(`${STAGING}: not started, the stack is locked by alice@laptop (pid 4242) at 2026-12-01T10:00:00Z`);
    expect(report.stacks.map((s) => s.outcome)).to.deep.equal(["not-started", "untouched"]);
    expect(ups(w)).to.have.length(1);
    expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
    expect(report.nextSteps.join("\n")).to.not.contain("unknown state");
  });

  it("two rollouts at once: the second does not start (myoci's lock), plans nothing on the first one's pins", async () => {
    const w = await world();
    cue(w, { command: "up", stack: STAGING, nth: 1, sleepMs: 14_000 }); // longer than a run waits for a lock (10 s)
    const first = w.run(["rollout", "netdata=v2.11.0", "--stacks", STAGING]);
    await w.fake.started(["up"]);
    const second = await w.rollout(["rollout", "netbirdDashboard=v2.91.0", "--stacks", STAGING]);
    expect(second.code).to.equal(2);
    expect(second.report.summary).to.equal("not started: a stack is locked by another myoci run");
    expect(second.report.refusals[0]).to.contain("myoci rollout netdata=v2.11.0").and.contain(`stack ${STAGING} is locked by`);
    expect(second.report.steps).to.deep.equal([]);
    expect((await first.done).code).to.equal(0);
    expect(ups(w)).to.have.length(1);
  });

  it("a stack missing from the backend stops before anything changes, naming the backend and its stacks; nothing is created", async () => {
    const w = await world({ backendStacks: [STAGING] });
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    expect(code).to.equal(2);
    expect(report.summary).to.equal(`not started: stack ${PROD} is not in the Pulumi backend`);
    expect(report.refusals[0]).to.contain(`file://${w.dir}/.state`).and.contain(`(it has: ${STAGING})`);
    expect(w.fake.commands().filter((c) => c.startsWith("up ") || c.startsWith("stack init") || c.startsWith("stack select"))).to.deep.equal([]);
    for (const stack of STACKS) {
      expect(w.stackText(stack)).to.equal(w.original[stack]);
    }
  });

  it("a failed up is reported once (the CLI's error, no 'code: -2'), rolled back and verified", async () => {
    const w = await world();
    const error = "error: docker:index/container:Container netdata: container exited before it turned healthy\n";
    cue(w, { command: "up", stack: STAGING, nth: 1, fail: error });
    const { code, report } = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STACKS.join(",")]);
    expect(code).to.equal(1);
    const detail = report.steps.find((s) => s.phase === "up")!.detail;
    expect(detail).to.equal(`up failed: ${error.trim()}`);
    expect(phases(report, STAGING)).to.deep.equal(["record", "write-pins", "up", "restore-pins", "rollback-up", "rollback-verify"]);
    expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
    expect(w.stackText(PROD)).to.equal(w.original[PROD]);
  });

  describe("PostgreSQL major with --migrate (real PostgreSQL servers)", () => {
    const servers: PostgresServer[] = [];
    const server = async (): Promise<PostgresServer> => {
      const s = await startPostgres();
      servers.push(s);
      return s;
    };
    before(function () {
      if (!postgresBinDir()) {
        this.skip(); // PostgreSQL server binaries absent (CI installs postgresql)
      }
    });
    after(async () => Promise.all(servers.map((s) => s.stop())));
    const seed = async (old: PostgresServer): Promise<void> => {
      await old.psql("CREATE DATABASE zitadel");
      await old.psql("CREATE TABLE users (id int PRIMARY KEY, name text); INSERT INTO users SELECT g, 'user-' || g FROM generate_series(1, 250) g", "zitadel");
    };

    it("dumps, deploys the new major, restores with ON_ERROR_STOP and proves it against the dump before recording", async () => {
      const old = await server();
      const fresh = await server();
      await seed(old);
      const w = await world({ postgres: { old, fresh } });
      const { code, report } = await w.rollout(["rollout", "postgres=17.2-alpine", "--migrate", "--stacks", STAGING]);
      expect(code, report.summary).to.equal(0);
      expect(phases(report, STAGING)).to.deep.equal(["record", "backup", "write-pins", "up", "deployment", "restore-data", "verify", "record-verified"]);
      expect(report.steps.find((s) => s.phase === "restore-data")!.detail).to.contain("3 databases, 1 tables, 250 rows equal to the dump");
      expect(await fresh.psql("SELECT count(*), sum(id) FROM users", "zitadel")).to.equal("250|31375");
      expect(loadStackFile(w.dir, STAGING, { placeholderSecrets: true }).postgres.migration).to.deep.equal({ from: 16, to: 17 });
      const entry = w.verified().at(-1)!;
      expect([entry.images.postgres?.tag, entry.checks]).to.deep.equal(["17.2-alpine", { postgres: "container-healthcheck" }]);
    });

    it("a restore that meets an SQL error keeps the old major: rolled back, nothing recorded", async () => {
      const old = await server();
      const fresh = await server();
      await seed(old);
      await fresh.psql("CREATE DATABASE zitadel"); // the dump's CREATE DATABASE zitadel now fails
      const w = await world({ postgres: { old, fresh } });
      const { code, report } = await w.rollout(["rollout", "postgres=17.2-alpine", "--migrate", "--stacks", STAGING]);
      expect(code).to.equal(1);
      expect(report.summary).to.equal(`${STAGING}: restore of the PostgreSQL dump failed; rolled back`);
      expect(report.steps.find((s) => s.phase === "restore-data")!.detail).to.match(/stopped at the first SQL error\): .*database "zitadel" already exists/);
      expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
      expect(readFileSync(path.join(w.dir, "shim", `${containerName(STAGING, "postgres")}.port`), "utf8")).to.equal(String(old.port)); // the old major runs again
      expect(await old.psql("SELECT count(*) FROM users", "zitadel")).to.equal("250");
      expect(w.verified()).to.deep.equal([]);
    });
  });

  it("a failing probe rolls back; `myoci rollback` then restores an earlier deployment and records only what it restored", async () => {
    const w = await world();
    const failed = await w.rollout(["rollout", "netdata=v2.12.0", "--stacks", STAGING]);
    expect([failed.code, failed.report.stacks[0]!.outcome]).to.deep.equal([1, "rolled-back"]);
    expect(failed.report.stacks[0]!.probes.map((p) => [p.component, p.verdict])).to.deep.equal([["netdata", "fail"]]);
    const rolled = await w.rollout(["rollout", "netdata=v2.11.0", "--stacks", STAGING]);
    expect(rolled.code).to.equal(0);
    const back = await w.rollout(["rollback", "--stack", STAGING]);
    expect(back.code, back.report.summary).to.equal(0);
    expect(w.stackText(STAGING)).to.equal(w.original[STAGING]);
    const last = w.verified().at(-1)!;
    expect([Object.keys(last.images), last.checks]).to.deep.equal([["netdata"], { netdata: "http-probe" }]);
  });
});
