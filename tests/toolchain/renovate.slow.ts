/**
 * Renovate run for real: the pinned Renovate 44 (scripts/ensure-renovate.sh) validates the committed renovate.json
 * with --strict and runs `--platform=local` (lookup dry run) on a fixture repository against Debian's docker-registry
 *. Slow (install once, ~10 s per run): `npm run test:renovate`, run by .ci/run.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renovateDepName } from "../../cli/app/docs/renovate";
import type { ComponentId } from "../../catalog";
import { startLocalRegistry, type LocalRegistry } from "../helpers/local-registry";

const ROOT = path.join(__dirname, "..", "..");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeout ?? 300_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

/** Registry tags per component: the current pin first, then candidates, including tags outside the catalog's scheme. */
const FIXTURE: Readonly<Partial<Record<ComponentId, readonly string[]>>> = {
  netdata: ["v2.10.4", "v2.11.0", "2.12.0", "v2.12.0-rc1"],
  ntfy: ["v2.27.0", "v2.27.1", "2.28.0"],
  forwarderBase: ["3.12-alpine", "3.13-alpine", "3.13"],
  loki: ["3.5.0", "3.5.1", "v3.6.0"],
  alloy: ["v1.9.0", "v1.9.1", "1.10.0"],
  grafana: ["12.0.2", "12.0.2-security-01", "12.1.0-beta1"],
  caddy: ["2.10.2", "2.11.3", "2.11.3-alpine"],
  netbirdManagement: ["0.76.1", "0.77.0"],
  netbirdSignal: ["0.76.1", "0.77.0"],
  netbirdRelay: ["0.76.1", "0.77.0"],
  netbirdDashboard: ["v2.90.9", "v2.91.0"],
  coturn: ["4.6.3", "4.7.0"],
  zitadel: ["v4.9.2", "v4.13.1", "4.14.0"],
  postgres: ["16.11-alpine", "16.12-alpine", "16.12", "17.2-alpine"],
};

/** Prod pins older still: Renovate must leave the file alone. */
const PROD_TAGS: Readonly<Partial<Record<ComponentId, string>>> = { netdata: "v2.10.4", grafana: "12.0.2", zitadel: "v4.9.2" };

interface ReportUpdate {
  readonly newValue?: string;
  readonly newDigest?: string;
  readonly updateType?: string;
  readonly branchName?: string;
}
interface ReportDep {
  readonly depName: string;
  readonly currentValue?: string;
  readonly currentDigest?: string;
  readonly registryUrls?: string[];
  readonly updates: ReportUpdate[];
}
interface ReportPackageFile {
  readonly packageFile: string;
  readonly deps: ReportDep[];
}
interface Report {
  readonly repositories: Record<
    string,
    { packageFiles: Record<string, ReportPackageFile[]>; branches: { branchName: string; upgrades: { depName: string; newValue?: string }[] }[] }
  >;
}

function stackFile(comment: string, tags: Partial<Record<ComponentId, string>>, digests: Map<string, string>): string {
  const lines = [`# ${comment}`, "config:", "  myoci:logShipper: alloy", "  myoci:images:"];
  for (const [component, tag] of Object.entries(tags)) {
    lines.push(`    ${component}:`, `      tag: ${tag}`, `      digest: ${digests.get(`${component}:${tag}`)}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("Renovate 44 on the generated renovate.json (real Renovate, local registry)", function () {
  this.timeout(600_000);
  let bin: string;
  let registry: LocalRegistry;
  let repo: string;
  let report: Report;
  let log: string;
  const digests = new Map<string, string>();

  before(async () => {
    const ensured = await run("bash", [path.join(ROOT, "scripts", "ensure-renovate.sh")], { cwd: ROOT });
    expect(ensured.code, ensured.stderr).to.equal(0);
    bin = ensured.stdout.trim();
    registry = await startLocalRegistry();
    for (const [component, tags] of Object.entries(FIXTURE)) {
      for (const tag of tags) {
        digests.set(`${component}:${tag}`, await registry.pushTinyImage(renovateDepName(component as ComponentId), tag, `${component} ${tag}`));
      }
    }
    repo = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-renovate-"));
    copyFileSync(path.join(ROOT, "renovate.json"), path.join(repo, "renovate.json"));
    const current = Object.fromEntries(Object.entries(FIXTURE).map(([c, tags]) => [c, tags[0]!]));
    writeFileSync(path.join(repo, "Pulumi.staging.yaml"), stackFile("staging fixture", current, digests));
    writeFileSync(path.join(repo, "Pulumi.prod.yaml"), stackFile("prod fixture", PROD_TAGS, digests));
    for (const args of [
      ["init", "-q"],
      ["add", "."],
      ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "fixture"],
    ]) {
      expect((await run("git", args, { cwd: repo })).code).to.equal(0);
    }
    // What an operator with a mirror writes (a self-hosted Renovate's config): every docker and PyPI lookup,
    // ghcr.io included, goes to the mirror. The committed renovate.json is used unchanged.
    const globalConfig = path.join(repo, "..", `${path.basename(repo)}-global.json`);
    writeFileSync(
      globalConfig,
      JSON.stringify({
        packageRules: [{ matchDatasources: ["docker"], registryUrls: [registry.url] }],
      }),
    );
    const reportFile = path.join(repo, "..", `${path.basename(repo)}-report.json`);
    const started = Date.now();
    const renovate = await run(
      path.join(bin, "renovate"),
      ["--platform=local", "--dry-run=lookup", "--report-type=file", `--report-path=${reportFile}`, "--onboarding=false", "--require-config=optional"],
      {
        cwd: repo,
        env: {
          ...process.env,
          RENOVATE_CONFIG_FILE: globalConfig,
          RENOVATE_BASE_DIR: path.join(repo, "..", `${path.basename(repo)}-base`),
          LOG_LEVEL: "debug",
          LOG_FORMAT: "json",
          RENOVATE_X_IGNORE_RE2: "true",
        },
      },
    );
    log = renovate.stdout + renovate.stderr;
    if (process.env.MYOCI_RENOVATE_LOG) writeFileSync(process.env.MYOCI_RENOVATE_LOG, log);
    process.stdout.write(`      (renovate --platform=local: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    expect(renovate.code, log.slice(-4000)).to.equal(0);
    report = JSON.parse(readFileSync(reportFile, "utf8")) as Report;
    rmSync(globalConfig, { force: true });
    rmSync(reportFile, { force: true });
  });

  after(async () => {
    await registry?.stop();
    if (repo) {
      rmSync(repo, { recursive: true, force: true });
      rmSync(`${repo}-base`, { recursive: true, force: true });
    }
  });

  const repository = () => Object.values(report.repositories)[0]!;
  const depsOf = (manager: string) =>
    (repository().packageFiles[manager] ?? []).flatMap((file) => file.deps.map((dep) => ({ file: file.packageFile, ...dep })));
  const proposals = () => Object.fromEntries(depsOf("regex").map((dep) => [dep.depName, dep.updates.map((u) => u.newValue)]));

  it("validates renovate.json with renovate-config-validator --strict", async () => {
    const validated = await run(path.join(bin, "renovate-config-validator"), ["--strict"], {
      cwd: ROOT,
      env: { ...process.env, RENOVATE_X_IGNORE_RE2: "true" },
    });
    expect(validated.code, validated.stdout + validated.stderr).to.equal(0);
    expect(validated.stdout + validated.stderr).to.match(/Config validated successfully/);
  });

  it("extracts every staging pin and nothing from Pulumi.prod.yaml", () => {
    const deps = depsOf("regex");
    expect(new Set(deps.map((d) => d.file))).to.deep.equal(new Set(["Pulumi.staging.yaml"]));
    expect(deps.map((d) => d.depName).sort()).to.deep.equal(
      Object.keys(FIXTURE)
        .map((c) => renovateDepName(c as ComponentId))
        .sort(),
    );
    for (const dep of deps) {
      const component = Object.keys(FIXTURE).find((c) => renovateDepName(c as ComponentId) === dep.depName)!;
      expect(dep.currentDigest, dep.depName).to.equal(digests.get(`${component}:${dep.currentValue}`));
    }
  });

  it("proposes only tags of each image's catalog tag scheme (leading v as the scheme has it, same variant, no pre-releases)", () => {
    expect(proposals()).to.deep.equal({
      "netdata/netdata": ["v2.11.0"],
      "binwiederhier/ntfy": ["v2.27.1"],
      python: ["3.13-alpine"],
      "grafana/loki": ["3.5.1"],
      "grafana/alloy": ["v1.9.1"],
      "grafana/grafana": ["12.0.2-security-01"],
      caddy: ["2.11.3"],
      "netbirdio/management": ["0.77.0"],
      "netbirdio/signal": ["0.77.0"],
      "netbirdio/relay": ["0.77.0"],
      "netbirdio/dashboard": ["v2.91.0"],
      "coturn/coturn": ["4.7.0"],
      "zitadel/zitadel": ["v4.13.1"],
      postgres: ["16.12-alpine", "17.2-alpine"],
    });
  });

  it("pins each proposal to the digest the registry serves for the new tag", () => {
    for (const dep of depsOf("regex")) {
      const component = Object.keys(FIXTURE).find((c) => renovateDepName(c as ComponentId) === dep.depName)!;
      for (const update of dep.updates) {
        expect(update.newDigest, `${dep.depName} ${update.newValue}`).to.equal(digests.get(`${component}:${update.newValue}`));
      }
    }
  });

  it("groups NetBird management, signal and relay into one branch (catalog rule netbird-one-version); other images stay apart", () => {
    const branches: Record<string, string[]> = {};
    for (const dep of depsOf("regex")) {
      for (const update of dep.updates) {
        (branches[update.branchName!] ??= []).push(`${dep.depName} ${update.newValue}`);
      }
    }
    expect(branches["renovate/netbird-one-version"]?.sort()).to.deep.equal([
      "netbirdio/management 0.77.0",
      "netbirdio/relay 0.77.0",
      "netbirdio/signal 0.77.0",
    ]);
    expect(branches["renovate/loki-promtail-same-minor"]).to.deep.equal(["grafana/loki 3.5.1"]);
    expect(branches["renovate/netbirdio-dashboard-2.x"]).to.deep.equal(["netbirdio/dashboard v2.91.0"]);
    expect(Object.values(branches).filter((b) => b.length > 1)).to.have.length(1);
  });

  it("classifies a Grafana -security-NN rebuild as an update of the same version, and a PostgreSQL major apart", () => {
    const types = Object.fromEntries(depsOf("regex").flatMap((d) => d.updates.map((u) => [`${d.depName}:${u.newValue}`, u.updateType])));
    expect(types["grafana/grafana:12.0.2-security-01"]).to.equal("patch");
    expect(types["postgres:16.12-alpine"]).to.equal("patch");
    expect(types["postgres:17.2-alpine"]).to.equal("major");
  });

  it("looks Zitadel up on the mirror that replaces ghcr.io (its depName carries no host)", () => {
    const zitadel = depsOf("regex").find((d) => d.depName === "zitadel/zitadel")!;
    expect(zitadel.registryUrls).to.deep.equal(["https://ghcr.io/"]);
    expect(log).to.include(`${registry.url}/v2/zitadel/zitadel/tags/list`);
    expect(log).to.not.match(/https:\/\/ghcr\.io\/v2\//);
    expect(zitadel.updates.map((u) => u.newDigest)).to.deep.equal([digests.get("zitadel:v4.13.1")]);
  });
});

describe("Renovate 44 extracts the workflow's SHA-pinned actions and the npm pins (real Renovate, --dry-run=extract)", function () {
  this.timeout(600_000);
  let deps: (ReportDep & { manager: string; file: string; autoReplaceStringTemplate?: string })[];
  let repo: string;

  before(async () => {
    const bin = (await run("bash", [path.join(ROOT, "scripts", "ensure-renovate.sh")], { cwd: ROOT })).stdout.trim();
    repo = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-renovate-extract-"));
    for (const file of [".github/workflows/myoci.yml", ".github/actions/setup/action.yml", "package.json", "renovate.json"]) {
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      copyFileSync(path.join(ROOT, file), path.join(repo, file));
    }
    for (const args of [
      ["init", "-q"],
      ["add", "."],
      ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "fixture"],
    ]) {
      expect((await run("git", args, { cwd: repo })).code).to.equal(0);
    }
    const reportFile = `${repo}-report.json`;
    const renovate = await run(
      path.join(bin, "renovate"),
      ["--platform=local", "--dry-run=extract", "--report-type=file", `--report-path=${reportFile}`, "--onboarding=false", "--require-config=optional"],
      { cwd: repo, env: { ...process.env, RENOVATE_BASE_DIR: `${repo}-base`, RENOVATE_X_IGNORE_RE2: "true" } },
    );
    expect(renovate.code, (renovate.stdout + renovate.stderr).slice(-4000)).to.equal(0);
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as {
      repositories: Record<string, { packageFiles: Record<string, { packageFile: string; deps: ReportDep[] }[]> }>;
    };
    rmSync(reportFile, { force: true });
    deps = Object.entries(Object.values(report.repositories)[0]!.packageFiles).flatMap(([manager, files]) =>
      files.flatMap((f) => f.deps.map((d) => ({ manager, file: f.packageFile, ...d }))),
    );
  });

  after(() => {
    for (const dir of [repo, `${repo}-base`]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads every action as tag + commit SHA and would rewrite both (`@<sha> # <tag>`)", () => {
    const actions = deps.filter((d) => d.manager === "github-actions" && d.currentDigest !== undefined);
    const workflowText =
      readFileSync(path.join(ROOT, ".github", "workflows", "myoci.yml"), "utf8") +
      readFileSync(path.join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8");
    const pinned = [...workflowText.matchAll(/uses: ([\w/-]+)@([0-9a-f]{40}) # (v[\d.]+)/g)].map(
      (m) => `${m[1]!.split("/").slice(0, 2).join("/")}@${m[2]} ${m[3]}`,
    );
    expect(actions.map((d) => `${d.depName}@${d.currentDigest} ${d.currentValue}`).sort()).to.deep.equal(pinned.sort());
    for (const dep of actions) {
      expect(dep.autoReplaceStringTemplate, dep.depName).to.contain("{{newDigest}}{{#if newValue}} # {{newValue}}");
    }
  });

  it("reads the npm pins of package.json and the Node version of the setup action", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const npm = Object.fromEntries(deps.filter((d) => d.manager === "npm" && d.depName !== "node").map((d) => [d.depName, d.currentValue]));
    expect(npm).to.deep.equal({ ...pkg.dependencies, ...pkg.devDependencies });
    expect(deps.find((d) => d.manager === "github-actions" && d.depName === "node")?.currentValue).to.equal("24.22.3");
  });
});
