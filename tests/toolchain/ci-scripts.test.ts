/** scripts/ci: the deploy plan (pure), deploy.sh --dry-run in a real git repository, ssh-setup.sh with real keys. */
import { expect } from "chai";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PinSet } from "../../catalog";
import { prodPlan, stagingPlan, STAGING_SOAK_HOURS } from "../../scripts/ci/deploy-plan";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

const ROOT = path.join(__dirname, "..", "..");

function bash(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", [path.join(ROOT, "scripts", "ci", script), ...args], { cwd, env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

const pin = (component: string, tag: string) => ({ tag, digest: testDigest(`${component}:${tag}`) });

describe("scripts/ci/deploy-plan.ts", () => {
  it("staging: rolls out exactly the pins the push changed (tag or digest), refuses an added or removed component", () => {
    const base: PinSet = { grafana: pin("grafana", "12.0.2"), ntfy: pin("ntfy", "v2.27.0"), caddy: pin("caddy", "2.10.2") };
    const head: PinSet = { ...base, grafana: pin("grafana", "13.0.2"), caddy: { tag: "2.10.2", digest: testDigest("caddy re-pointed") } };
    expect(stagingPlan(base, head)).to.deep.equal({ changes: { grafana: "13.0.2", caddy: "2.10.2" }, refusals: [] });
    expect(stagingPlan(base, base)).to.deep.equal({ changes: {}, refusals: [] });
    const switched = stagingPlan({ ...base, promtail: pin("promtail", "3.0.0") }, { ...base, alloy: pin("alloy", "v1.9.1") });
    expect(switched.refusals).to.deep.equal([
      "promtail: pin removed by the push (a log shipper switch or a new service): run `npx myoci rollout` by hand",
      "alloy: pin added by the push (a log shipper switch or a new service): run `npx myoci rollout` by hand",
    ]);
  });

  it("prod: staging's verified pins that prod runs a different digest of; --only narrows and names what staging never verified", () => {
    const prod: PinSet = { grafana: pin("grafana", "12.0.2"), ntfy: pin("ntfy", "v2.27.0"), promtail: pin("promtail", "3.0.0") };
    const at = "2026-11-01T00:00:00Z";
    const verified = {
      grafana: { ...pin("grafana", "13.0.2"), recordedAt: at },
      ntfy: { ...pin("ntfy", "v2.27.0"), recordedAt: at },
      alloy: { ...pin("alloy", "v1.9.1"), recordedAt: at },
    };
    const now = Date.parse("2026-12-01T00:00:00Z");
    expect(prodPlan(prod, verified, now)).to.deep.equal({ changes: { grafana: "13.0.2" }, refusals: [], waiting: [] });
    expect(prodPlan(prod, verified, now, ["ntfy"])).to.deep.equal({ changes: {}, refusals: [], waiting: [] });
    expect(prodPlan(prod, verified, now, ["promtail", "alloy"]).refusals).to.deep.equal([
      "promtail: staging has no verified pin of it in promotions.yaml",
      "alloy: prod does not run it (a log shipper switch goes through `npx myoci promote --switch-log-shipper`)",
    ]);
  });

  it("prod: a minor or major waits until staging ran it 48 h (UPDATE_POLICY §1); a patch or security rebuild goes at once", () => {
    const prod: PinSet = { grafana: pin("grafana", "13.0.2"), ntfy: pin("ntfy", "v2.27.0"), caddy: pin("caddy", "2.10.2") };
    const at = "2026-12-01T00:00:00Z";
    const verified = {
      grafana: { ...pin("grafana", "13.0.2-security-01"), recordedAt: at },
      ntfy: { ...pin("ntfy", "v2.28.0"), recordedAt: at },
      caddy: { ...pin("caddy", "2.10.3"), recordedAt: at },
    };
    expect(STAGING_SOAK_HOURS).to.include({ security: 0, patch: 0, minor: 48, major: 48 });
    const early = prodPlan(prod, verified, Date.parse("2026-12-02T23:59:00Z"));
    expect(early.changes).to.deep.equal({ grafana: "13.0.2-security-01", caddy: "2.10.3" });
    expect(early.waiting).to.deep.equal([
      "ntfy v2.27.0 → v2.28.0: minor, verified on staging at 2026-12-01T00:00:00Z; prod may take it from 2026-12-03T00:00:00.000Z (48 h on staging, UPDATE_POLICY.md §1)",
    ]);
    expect(prodPlan(prod, verified, Date.parse("2026-12-02T23:59:00Z"), ["ntfy"]).refusals).to.have.length(1);
    expect(prodPlan(prod, verified, Date.parse("2026-12-03T00:00:00Z")).changes).to.deep.equal({
      grafana: "13.0.2-security-01",
      ntfy: "v2.28.0",
      caddy: "2.10.3",
    });
  });
});

describe("scripts/ci/deploy.sh --dry-run (a real git repository)", function () {
  this.timeout(120_000);
  let repo: string;
  let base: string;
  const env = { PULUMI_BACKEND_URL: "file:///tmp/state", PULUMI_CONFIG_PASSPHRASE: "test-passphrase" };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: repo, encoding: "utf8" }).trim();

  before(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-deploy-"));
    writeFileSync(path.join(repo, "Pulumi.staging.yaml"), stackFileText({ logShipper: "alloy" }));
    writeFileSync(path.join(repo, "Pulumi.prod.yaml"), stackFileText({ logShipper: "promtail" }));
    const grafana = { tag: "13.0.2", digest: testDigest("grafana:13.0.2") };
    writeFileSync(
      path.join(repo, "promotions.yaml"),
      `entries:\n  - kind: verified\n    stack: staging\n    recordedAt: 2026-11-01T10:00:00Z\n    note: test\n    images:\n      grafana:\n        tag: ${grafana.tag}\n        digest: ${grafana.digest}\n`,
    );
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "base");
    base = git("rev-parse", "HEAD");
    writeFileSync(path.join(repo, "Pulumi.staging.yaml"), stackFileText({ logShipper: "alloy", tags: { grafana: "13.0.2", ntfy: "v2.28.0" } }));
    git("commit", "-qam", "Renovate: staging grafana 13.0.2, ntfy v2.28.0");
  });

  after(() => rmSync(repo, { recursive: true, force: true }));

  it("staging: prints the policy run, the login, `npx myoci rollout` of the pushed pins and the commit of the record", async () => {
    const result = await bash("deploy.sh", ["staging", "--dry-run"], repo, { ...env, MYOCI_BASE_SHA: base, MYOCI_PUSH: "1", GITHUB_REF_NAME: "main" });
    expect(result.code, result.stderr).to.equal(0);
    const commands = result.stdout.split("\n").filter((l) => l.startsWith("+ "));
    expect(commands).to.deep.equal([
      "+ npm run --silent policy -- --stack staging",
      "+ pulumi login file:///tmp/state",
      "+ npx myoci rollout ntfy=v2.28.0 grafana=13.0.2 --stacks staging --json --notify",
      "+ git add -- Pulumi.staging.yaml promotions.yaml",
      "+ git -c user.name=myoci\\ CI -c user.email=myoci-ci@users.noreply.github.com commit -m myoci\\ rollout\\ staging:\\ ntfy=v2.28.0\\ grafana=13.0.2\\ \\(exit\\ 0\\)",
      "+ git pull --rebase --quiet origin main",
      "+ git push origin HEAD:main",
    ]);
    expect(git("status", "--porcelain")).to.equal("");
  });

  it("staging without a base commit uses HEAD^; with no pin change it only runs `pulumi up` with the stack's policy config", async () => {
    const changed = await bash("deploy.sh", ["staging", "--dry-run"], repo, env);
    expect(changed.stdout).to.contain("+ npx myoci rollout ntfy=v2.28.0 grafana=13.0.2 --stacks staging");
    const unchanged = await bash("deploy.sh", ["staging", "--dry-run"], repo, { ...env, MYOCI_BASE_SHA: git("rev-parse", "HEAD") });
    expect(unchanged.code, unchanged.stderr).to.equal(0);
    expect(unchanged.stdout).to.contain("+ pulumi up --stack staging --yes --policy-pack policy --policy-pack-config policy/config/staging.json");
    expect(unchanged.stdout).to.not.contain("myoci rollout");
  });

  it("prod: rolls out what staging verified and prod does not run; MYOCI_ONLY names unknown components with exit 2", async () => {
    const result = await bash("deploy.sh", ["prod", "--dry-run"], repo, env);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain("+ npx myoci rollout grafana=13.0.2 --stacks prod --json --notify");
    expect(result.stdout).to.not.contain("git push");
    const bad = await bash("deploy.sh", ["prod", "--dry-run"], repo, { ...env, MYOCI_ONLY: "grafanna" });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--only "grafanna": unknown component "grafanna"');
  });

  it("refuses a missing secret or a bad stack name with exit 2, before running anything", async () => {
    const missing = await bash("deploy.sh", ["prod", "--dry-run"], repo, { PULUMI_BACKEND_URL: "file:///tmp/state" });
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("deploy: PULUMI_CONFIG_PASSPHRASE not set (secrets of the GitHub environment of stack prod)");
    expect(missing.stdout).to.equal("");
    const bad = await bash("deploy.sh", ["qa"], repo, env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain("usage: scripts/ci/deploy.sh staging|prod");
  });

  it("without --dry-run, writes the base pins of the changed components back before the rollout (byte for byte elsewhere)", () => {
    const head = readFileSync(path.join(repo, "Pulumi.staging.yaml"), "utf8");
    const baseDir = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-base-"));
    try {
      writeFileSync(path.join(baseDir, "Pulumi.staging.yaml"), git("show", `${base}:Pulumi.staging.yaml`) + "\n");
      const out = execFileSync(
        process.execPath,
        [path.join(ROOT, "scripts", "run-ts.js"), path.join(ROOT, "scripts", "ci", "deploy-plan.ts"), "staging", "--base-dir", baseDir, "--write-base"],
        {
          cwd: repo,
          encoding: "utf8",
        },
      );
      expect(out).to.equal("ntfy=v2.28.0\ngrafana=13.0.2\n");
      expect(readFileSync(path.join(repo, "Pulumi.staging.yaml"), "utf8")).to.equal(readFileSync(path.join(baseDir, "Pulumi.staging.yaml"), "utf8"));
    } finally {
      writeFileSync(path.join(repo, "Pulumi.staging.yaml"), head);
      rmSync(baseDir, { recursive: true, force: true });
    }
  });
});

describe("scripts/ci/ssh-setup.sh (real keys from ssh-keygen)", function () {
  this.timeout(60_000);
  let dir: string;
  let key: string;
  const hostKey = () => readFileSync(path.join(dir, "host.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-ssh-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "deploy")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host")]);
    key = readFileSync(path.join(dir, "deploy"), "utf8");
    writeFileSync(
      path.join(dir, "Pulumi.prod.yaml"),
      stackFileText().replace("unix:///var/run/docker.sock   # local engine", "ssh://deploy@oci.example.org:2222"),
    );
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackFileText());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("installs the key (0600), known_hosts and a strict ssh config for the stack's Docker host", async () => {
    const home = path.join(dir, "home-ok");
    const result = await bash("ssh-setup.sh", ["prod"], dir, { HOME: home, SSH_PRIVATE_KEY: key, SSH_KNOWN_HOSTS: `[oci.example.org]:2222 ${hostKey()}` });
    expect(result.code, result.stderr).to.equal(0);
    expect(statSync(path.join(home, ".ssh", "myoci_deploy")).mode & 0o777).to.equal(0o600);
    expect(readFileSync(path.join(home, ".ssh", "known_hosts"), "utf8")).to.equal(`[oci.example.org]:2222 ${hostKey()}\n`);
    const config = readFileSync(path.join(home, ".ssh", "config"), "utf8");
    expect(config).to.contain("Host oci.example.org\n  Port 2222\n");
    expect(config).to.contain("StrictHostKeyChecking yes");
    expect(result.stdout + result.stderr).to.not.contain("PRIVATE KEY");
  });

  it("refuses (exit 2, nothing written) known_hosts without the host, a broken key, a missing secret, a unix:// host", async () => {
    const cases: [string, NodeJS.ProcessEnv, string][] = [
      ["prod", { SSH_PRIVATE_KEY: key, SSH_KNOWN_HOSTS: `oci.example.org ${hostKey()}` }, "SSH_KNOWN_HOSTS has no key for [oci.example.org]:2222"],
      ["prod", { SSH_PRIVATE_KEY: "not a key", SSH_KNOWN_HOSTS: `[oci.example.org]:2222 ${hostKey()}` }, "SSH_PRIVATE_KEY is not a usable private key"],
      ["prod", { SSH_KNOWN_HOSTS: `[oci.example.org]:2222 ${hostKey()}` }, "SSH_PRIVATE_KEY is not set"],
      ["staging", { SSH_PRIVATE_KEY: key, SSH_KNOWN_HOSTS: hostKey() }, "myoci:dockerHost = unix:///var/run/docker.sock: not an ssh:// host"],
    ];
    for (const [i, [stack, secrets, message]] of cases.entries()) {
      const home = path.join(dir, `home-${i}`);
      const result = await bash("ssh-setup.sh", [stack], dir, { HOME: home, ...secrets });
      expect(result.code, message).to.equal(2);
      expect(result.stderr).to.contain(message);
      expect(() => statSync(path.join(home, ".ssh", "myoci_deploy"))).to.throw();
    }
  });
});
