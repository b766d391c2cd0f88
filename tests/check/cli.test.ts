/** `myoci check` end to end: the real CLI as a child process against a real registry filled by the test. */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CATALOG, type ComponentId } from "../../catalog";
import type { CheckReport } from "../../cli/app/check/run";
import { startFaultProxy, type RunningFaultProxy } from "../helpers/fault-proxy";
import { freePort, pushImage, pushTags, startRegistry, type RunningRegistry } from "../helpers/registry";
import { fixtureStackFile } from "../helpers/fixture-project";
import { fillStack, type FilledStack } from "../helpers/registry-stack";

const ROOT = path.join(__dirname, "..", "..");

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function myoci(cwd: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "cli", "myoci.js"), ...args],
      { cwd, env: { ...process.env, DOCKER_CONFIG: path.join(cwd, "no-docker-config") }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

const statuses = (report: CheckReport, stack: string) =>
  Object.fromEntries((report.stacks.find((s) => s.stack === stack)?.components ?? []).map((c) => [c.component, c.status]));

describe("myoci check (CLI against a real registry)", function () {
  this.timeout(60_000);
  let registry: RunningRegistry;
  let counter: RunningFaultProxy;
  let dir: string;
  let staging: FilledStack;
  let prod: FilledStack;
  let mirrorArgs: string[];

  before(async () => {
    registry = await startRegistry();
    counter = await startFaultProxy(registry.url);
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-check-"));
    const pushed = new Map<string, string>();
    staging = await fillStack(registry.url, fixtureStackFile("staging"), dir, pushed);
    prod = await fillStack(registry.url, fixtureStackFile("prod"), dir, pushed);
    // Older versions exist too: they must never be offered.
    await pushTags(registry.url, "grafana/loki", ["2.9.8", "3.0.0-rc.1"]);
    mirrorArgs = ["--registry-mirror", `docker.io=${counter.url}`, "--registry-mirror", `ghcr.io=${counter.url}`];
  });
  after(async () => {
    await counter?.stop();
    await registry?.stop();
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  beforeEach(() => counter.reset());

  it("reports staging (the newest pins) up to date: exit 0", async () => {
    const result = await myoci(dir, ["check", "--stack", "staging", "--json", ...mirrorArgs]);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.exitCode).to.equal(0);
    expect(statuses(report, "staging")).to.deep.equal(Object.fromEntries(Object.keys(staging.images).map((c) => [c, "up-to-date"])));
    expect(counter.requests).to.have.length(2 * Object.keys(staging.images).length);
  });

  it("checks every stack by default; prod sees staging's newer tags (exit 1), 1 tag list + 1 HEAD per image", async () => {
    const result = await myoci(dir, ["check", "--json", ...mirrorArgs]);
    expect(result.code).to.equal(1);
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.stacks.map((s) => s.stack)).to.deep.equal(["prod", "staging"]);
    expect(statuses(report, "prod")).to.deep.equal({
      netdata: "up-to-date",
      ntfy: "minor",
      forwarderBase: "up-to-date",
      loki: "minor",
      promtail: "up-to-date",
      grafana: "major",
      caddy: "minor",
      netbirdManagement: "minor",
      netbirdSignal: "minor",
      netbirdRelay: "minor",
      netbirdDashboard: "minor",
      coturn: "minor",
      zitadel: "minor",
      postgres: "up-to-date",
    });
    const prodChecks = Object.fromEntries((report.stacks[0]?.components ?? []).map((c) => [c.component, c]));
    expect(prodChecks.loki?.newest.minor?.breaks.map((b) => b.rule)).to.deep.equal(["loki-promtail-same-minor", "promtail-last-release-line"]);
    expect(prodChecks.promtail?.endOfLife?.reached).to.equal(true);
    expect(prodChecks.netbirdSignal?.newest.minor?.breaks.map((b) => b.rule)).to.deep.equal(["netbird-one-version"]);
    // Answers are shared between stacks: one tag list per repository, one HEAD per repository:tag, no manifest GET.
    const pins = [...Object.entries(prod.images), ...Object.entries(staging.images)].map(([c, pin]) => `${CATALOG[c as ComponentId].repository}:${pin?.tag}`);
    const repositories = new Set(pins.map((p) => p.split(":")[0]));
    expect(counter.requests.filter((r) => r.method === "GET" && r.path.endsWith("/tags/list"))).to.have.length(repositories.size);
    expect(counter.requests.filter((r) => r.method === "HEAD")).to.have.length(new Set(pins).size);
    expect(counter.requests).to.have.length(repositories.size + new Set(pins).size);
  });

  it("classifies patch, major, suffix-only, security rebuild and a re-pointed tag (exit 1)", async () => {
    const img = staging.images;
    await pushTags(registry.url, "grafana/loki", ["3.7.3", "3.8.0"]); // staging loki 3.7.2
    await pushTags(registry.url, "grafana/grafana", ["13.0.2-security-01", "14.0.0"]); // staging grafana 13.0.2
    await pushTags(registry.url, "library/postgres", ["16.12-alpine", "16.13", "17.7-alpine"]); // 16.11-alpine
    await pushTags(registry.url, "netbirdio/dashboard", ["v2.91.1", "2.92.0"]); // v2.91.0; 2.92.0 lacks the v
    await pushImage(registry.url, "library/caddy", img.caddy?.tag ?? "", { marker: "caddy rebuilt" }); // re-point
    const result = await myoci(dir, ["check", "--stack", "staging", "--json", ...mirrorArgs]);
    expect(result.code).to.equal(1);
    const report = JSON.parse(result.stdout) as CheckReport;
    const stack = report.stacks[0];
    const byId = Object.fromEntries((stack?.components ?? []).map((c) => [c.component, c]));
    expect(statuses(report, "staging")).to.deep.equal({
      ...Object.fromEntries(Object.keys(img).map((c) => [c, "up-to-date"])),
      loki: "minor",
      grafana: "major",
      postgres: "major",
      netbirdDashboard: "patch",
      caddy: "digest",
    });
    expect(byId.loki?.newest.patch?.tag).to.equal("3.7.3");
    expect(byId.loki?.newest.minor?.tag).to.equal("3.8.0");
    expect(byId.grafana?.newest.patch?.tag).to.equal("13.0.2-security-01");
    expect(byId.grafana?.newest.major?.tag).to.equal("14.0.0");
    expect(byId.postgres?.newest.patch?.tag).to.equal("16.12-alpine");
    expect(byId.postgres?.newest.major?.tag).to.equal("17.7-alpine");
    expect(byId.netbirdDashboard?.newest.minor).to.equal(undefined);
    expect(byId.caddy?.declared.digest).to.equal(img.caddy?.digest);
    expect(byId.caddy?.currentDigest).to.not.equal(img.caddy?.digest);
    expect(stack?.summary).to.deep.equal({ upToDate: Object.keys(img).length - 5, updates: 5, errors: 0 });
  });

  it("prints the human table", async () => {
    const result = await myoci(dir, ["check", "--stack", "staging", ...mirrorArgs]);
    expect(result.code).to.equal(1);
    const line = (component: string) =>
      result.stdout
        .split("\n")
        .find((l) => l.trimStart().startsWith(`${component} `))
        ?.trim()
        .split(/\s{2,}/);
    expect(line("loki")).to.deep.equal(["loki", "3.7.2", "minor", "3.7.3", "3.8.0", "-"]);
    expect(line("caddy")?.slice(0, 3)).to.deep.equal(["caddy", staging.images.caddy?.tag, "digest"]);
    expect(result.stdout).to.include("Updates are available.");
  });

  it("still reports the rest when one registry fails, names the failure, exits 2", async () => {
    counter.rules.push({
      path: /^\/v2\/zitadel\/zitadel\//,
      fault: { kind: "status", status: 404, body: JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "repository name not known to registry" }] }) },
    });
    const result = await myoci(dir, ["check", "--stack", "staging", "--json", ...mirrorArgs]);
    expect(result.code).to.equal(2);
    const report = JSON.parse(result.stdout) as CheckReport;
    const zitadel = report.stacks[0]?.components.find((c) => c.component === "zitadel");
    expect(zitadel?.status).to.equal("error");
    expect(zitadel?.error).to.match(/^ghcr\.io\/zitadel\/zitadel: (tag list|manifest HEAD) failed: HTTP 404/);
    expect(statuses(report, "staging").loki).to.equal("minor");
    expect(report.stacks[0]?.summary.errors).to.equal(1);
  });

  it("exits 2 naming the file for a missing stack and for a bad mirror flag", async () => {
    const missing = await myoci(dir, ["check", "--stack", "nope", ...mirrorArgs]);
    expect(missing.code).to.equal(2);
    expect(missing.stdout).to.include("Pulumi.nope.yaml");
    const bad = await myoci(dir, ["check", "--registry-mirror", "docker.io"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--registry-mirror "docker.io": expected HOST=URL');
  });

  it("bounds the whole run with --timeout: a hanging registry is reported per component, exit 2", async () => {
    counter.rules.push({ path: /^\/v2\//, fault: { kind: "hang" } });
    const started = Date.now();
    const result = await myoci(dir, ["check", "--stack", "staging", "--json", "--timeout", "1.5", ...mirrorArgs]);
    const elapsed = Date.now() - started;
    expect(result.code).to.equal(2);
    const report = JSON.parse(result.stdout) as CheckReport;
    const errors = new Set(report.stacks[0]?.components.map((c) => c.error?.replace(/^[^:]+: /, "")));
    expect(errors).to.deep.equal(new Set(["stopped: the run's time limit of 1.5 s (--timeout) ran out"]));
    expect(report.stacks[0]?.summary.errors).to.equal(Object.keys(staging.images).length);
    // Start-up plus 1.5 s; without the limit each request would wait 10 s, four times.
    expect(elapsed).to.be.below(9000);
    const bad = await myoci(dir, ["check", "--timeout", "0"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--timeout "0": expected seconds, a number above 0');
  });

  it("takes mirrors from the stack config, and flags win", async () => {
    const configured = path.join(dir, "mirrored");
    rmSync(configured, { recursive: true, force: true });
    mkdirSync(configured);
    const text = readFileSync(staging.file, "utf8");
    // A mirror on a closed port: the flag must override it.
    const closed = await freePort();
    writeFileSync(
      path.join(configured, "Pulumi.staging.yaml"),
      text.replace("config:\n", `config:\n  myoci:registryMirrors:\n    docker.io: http://127.0.0.1:${closed}\n    ghcr.io: ${counter.url}\n`),
    );
    const viaConfig = await myoci(configured, ["check", "--json"]);
    expect(viaConfig.code).to.equal(2);
    const report = JSON.parse(viaConfig.stdout) as CheckReport;
    expect(statuses(report, "staging").zitadel).to.not.equal("error");
    expect(statuses(report, "staging").loki).to.equal("error");
    const loki = report.stacks[0]?.components.find((c) => c.component === "loki");
    // A refused connection fails at once: no retries, no backoff.
    expect(loki?.error).to.match(
      new RegExp(`^docker\\.io/grafana/loki: (GET|HEAD) http://127\\.0\\.0\\.1:${closed}: connection refused \\(ECONNREFUSED\\); not retried$`),
    );
    const withFlag = await myoci(configured, ["check", "--json", "--registry-mirror", `docker.io=${counter.url}`]);
    expect(withFlag.code).to.equal(1);
  });
});
