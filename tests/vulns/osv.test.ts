import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cvss3BaseScore, rangeVerdict } from "../../catalog";
import { stackFileText } from "../helpers/stack-fixture";
import { startOsvStandIn, type OsvStandIn } from "./osv-standin";
import { container, programStack, testDigest, validate } from "../../policy/tests/helpers";
import { disallowOverdueVulnerabilities } from "../../policy/policies/disallow-overdue-vulnerabilities";
import { warnOpenVulnerabilities } from "../../policy/policies/warn-open-vulnerabilities";

const MYOCI = path.join(__dirname, "..", "..", "cli", "myoci.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI process (what `npx myoci` runs), asynchronously so the in-process stand-in can answer. */
function myoci(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MYOCI, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Finding {
  stack: string;
  component: string;
  id: string;
  severity: string;
  sources: string[];
  aliases?: string[];
  fixedIn?: string;
  firstSeen: string;
  deadline: string | null;
}

const summary = (f: Finding) => [f.stack, f.component, f.id, f.severity, f.sources.join("+"), f.fixedIn ?? "-"].join(" ");

describe("myoci vulns --osv-url (OSV stand-in with real records, real CLI process)", function () {
  this.timeout(180_000);
  let dir: string;
  let osv: OsvStandIn;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-h16-osv-"));
    // prod: old pins; staging: Grafana 11.0.6 (below 11.0.6+security-01), Caddy 2.11.3 (past 2.11.2, before 2.11.4).
    writeFileSync(
      path.join(dir, "Pulumi.prod.yaml"),
      stackFileText({ tags: { grafana: "11.0.0", caddy: "2.10.2", ntfy: "v2.15.0", loki: "3.0.0", promtail: "3.0.0" } }),
    );
    writeFileSync(
      path.join(dir, "Pulumi.staging.yaml"),
      stackFileText({ logShipper: "alloy", tags: { grafana: "11.0.6", caddy: "2.11.3", ntfy: "v2.27.0", loki: "3.7.2", alloy: "v1.19.2" } }),
    );
  });
  afterEach(async () => {
    await osv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the records affecting each pin, merged with the catalog by alias, with deadlines from first sighting; pages through next_page_token", async () => {
    osv = await startOsvStandIn({ pageSize: 2 });
    const before = Date.now();
    const run = await myoci(dir, ["vulns", "--osv-url", osv.url, "--json"]);
    const after = Date.now();
    // The catalog's CVE-2024-9264 on prod counts from 2026-11-25: overdue, exit 2.
    expect(run.code, run.stderr).to.equal(2);
    const envelope = JSON.parse(run.stdout) as { findings: Finding[]; osv: { records: number; unmapped: { component: string; ids: string[] }[] } };
    expect(envelope.findings.map(summary).sort()).to.deep.equal(
      [
        // catalog + GHSA-q99m-qcv4-fpm7 (+ GO-2024-3215, whose range names no release): one finding, the catalog's fix
        "prod grafana CVE-2024-9264 critical catalog+osv 11.0.5-security-01",
        "prod grafana CVE-2025-4123 high catalog 11.2.10",
        "staging grafana CVE-2025-4123 high catalog 11.2.10",
        // 11.0.6 is below GHSA's 11.0.6+security-01: affected; CVSS 3.1 vector → 9.9 critical
        "staging grafana CVE-2024-9264 critical osv 11.0.6-security-01",
        "prod caddy CVE-2026-30851 unrated osv 2.11.2",
        "prod caddy CVE-2026-52845 unrated osv 2.11.4",
        "staging caddy CVE-2026-52845 unrated osv 2.11.4",
        "prod ntfy CVE-2026-39087 unrated catalog+osv 2.22.0",
        "prod loki CVE-2026-21726 unrated osv 3.6.4",
        "prod promtail CVE-2026-21726 unrated osv 3.6.4",
      ].sort(),
    );
    const grafana = envelope.findings.find((f) => f.stack === "staging" && f.component === "grafana")!;
    expect(grafana.aliases).to.deep.equal(["GHSA-q99m-qcv4-fpm7", "GO-2024-3215"]);
    // One finding key per component: staging's CVE-2024-9264 counts from the catalog's record (critical: 24 h).
    expect([grafana.firstSeen, grafana.deadline]).to.deep.equal(["2026-11-25T00:00:00Z", "2026-11-26T00:00:00.000Z"]);
    // An OSV-only finding is first seen in this run; unrated counts as high: 7 days.
    const caddy = envelope.findings.find((f) => f.component === "caddy" && f.id === "CVE-2026-30851")!;
    expect(Date.parse(caddy.firstSeen)).to.be.within(before - 1000, after);
    expect(Date.parse(caddy.deadline!) - Date.parse(caddy.firstSeen)).to.equal(7 * 24 * 3_600_000);
    // Fixed records (NetBird 0.57.0, Alloy 1.4.1, ntfy on staging) are not findings; pseudo-version-only ones are unmapped.
    expect(envelope.findings.some((f) => f.component.startsWith("netbird") || f.component === "alloy")).to.equal(false);
    expect(envelope.osv.unmapped.map((u) => `${u.component} ${u.ids.join(",")}`)).to.include("grafana CVE-2025-4123,GHSA-q53q-gxq9-mgrj,GO-2025-3704");
    // One querybatch plus one page (the Grafana query names 4 records, 2 per page), then one GET per record.
    const batches = osv.requests.filter((r) => r.path === "/v1/querybatch");
    expect(batches).to.have.length(2);
    expect(JSON.parse(batches[1]!.body)).to.deep.equal({
      queries: [
        { package: { ecosystem: "Go", name: "github.com/grafana/grafana" }, version: "11.0.0", page_token: "2" },
        { package: { ecosystem: "Go", name: "github.com/grafana/grafana" }, version: "11.0.6", page_token: "2" },
      ],
    });
    expect(JSON.parse(batches[0]!.body).queries).to.deep.include({ package: { ecosystem: "Go", name: "heckel.io/ntfy/v2" }, version: "2.15.0" });
    expect(osv.requests.filter((r) => r.method === "GET").map((r) => r.path))
      .to.have.length(envelope.osv.records)
      .and.to.include("/v1/vulns/GHSA-q99m-qcv4-fpm7");
  });

  it("--refresh writes the snapshot with the records' modified times; --offline then reads it without asking OSV", async () => {
    osv = await startOsvStandIn();
    const refresh = await myoci(dir, ["vulns", "--osv-url", osv.url, "--refresh"]);
    expect(refresh.code, refresh.stderr).to.equal(2);
    expect(refresh.stdout).to.contain("snapshot written");
    const state = JSON.parse(readFileSync(path.join(dir, "vulns-state.json"), "utf8")) as {
      firstSeen: Record<string, string>;
      osv: { source: string; vulnerabilities: { id: string; component: string; summary: string; modified: Record<string, string> }[] };
    };
    expect(state.osv.source).to.equal(osv.url);
    const grafana = state.osv.vulnerabilities.find((v) => v.component === "grafana" && v.id === "CVE-2024-9264")!;
    expect(grafana.modified).to.deep.equal({ "GHSA-q99m-qcv4-fpm7": "2024-10-25T14:13:42Z", "GO-2024-3215": "0001-01-01T00:00:00Z" });
    expect(Object.keys(state.firstSeen)).to.include.members(["caddy:CVE-2026-30851", "grafana:CVE-2024-9264"]);
    // The pack reads the snapshot offline: before the deadline a warning, after it a mandatory violation, a stale snapshot a warning.
    const stateFile = path.join(dir, "vulns-state.json");
    const caddy = container(await programStack("staging", { images: { caddy: { tag: "2.11.3", digest: testDigest("h16 caddy 2.11.3") } } }), "caddy");
    const seen = Date.parse(state.firstSeen["caddy:CVE-2026-52845"]!);
    const at = (days: number) => new Date(seen + days * 86_400_000).toISOString();
    expect(await validate(disallowOverdueVulnerabilities, caddy, { now: at(6), stateFile })).to.deep.equal([]);
    expect(await validate(warnOpenVulnerabilities, caddy, { now: at(6), stateFile })).to.deep.equal([
      `myoci-staging-caddy runs Caddy 2.11.3, affected by CVE-2026-52845 (unrated): ${state.osv.vulnerabilities.find((v) => v.id === "CVE-2026-52845")!.summary}. Fixed in 2.11.4; respond by ${at(7)}.`,
    ]);
    expect(await validate(disallowOverdueVulnerabilities, caddy, { now: at(7), stateFile }))
      .to.have.length(1)
      .and.satisfy((m: string[]) => m[0]!.includes("affected by CVE-2026-52845 (unrated), overdue since"));
    expect((await validate(warnOpenVulnerabilities, caddy, { now: at(8), stateFile }))[0]).to.match(
      /the OSV snapshot in .*vulns-state\.json is 8 days old .*run npx myoci vulns --refresh/,
    );
    const asked = osv.requests.length;
    const offline = await myoci(dir, ["vulns", "--offline", "--osv-url", osv.url, "--json"]);
    expect(osv.requests.length).to.equal(asked);
    expect((JSON.parse(offline.stdout) as { findings: Finding[] }).findings.map((f) => `${f.stack} ${f.component} ${f.id}`)).to.include.members([
      "staging grafana CVE-2024-9264",
      "prod caddy CVE-2026-30851",
    ]);
  });

  it("retries 429 (Retry-After) and 503, then reports the findings", async () => {
    osv = await startOsvStandIn();
    osv.failNext(1, 429, "slow down", { "retry-after": "1" });
    osv.failNext(1, 503, "unavailable");
    const run = await myoci(dir, ["vulns", "--osv-url", osv.url, "--stack", "staging"]);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout).to.contain("staging/caddy 2.11.3  CVE-2026-52845 (unrated)");
    expect(osv.requests.filter((r) => r.path === "/v1/querybatch")).to.have.length(3);
  });

  it("a failing OSV (5xx after the retries) is an error with exit 2, never 'no vulnerabilities', and writes nothing", async () => {
    osv = await startOsvStandIn();
    osv.failNext(4, 500, "internal \u001b[31merror");
    const run = await myoci(dir, ["vulns", "--osv-url", osv.url, "--stack", "staging"]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain(`OSV POST ${osv.url}/v1/querybatch failed after 4 attempts: HTTP 500: internal ?[31merror`);
    expect(run.stdout).not.to.contain("No advisories");
    expect(() => readFileSync(path.join(dir, "vulns-state.json"))).to.throw(/ENOENT/);
  });

  it("a timeout is retried and then reported with exit 2; an unreachable OSV likewise", async () => {
    osv = await startOsvStandIn();
    osv.failNext(4, "hang");
    const run = await myoci(dir, ["vulns", "--osv-url", osv.url, "--osv-timeout", "0.3", "--stack", "prod", "--json"]);
    expect(run.code).to.equal(2);
    const envelope = JSON.parse(run.stdout) as { errors: { message: string }[] };
    expect(envelope.errors[0]!.message).to.contain("failed after 4 attempts: no answer within 300 ms");
    await osv.close();
    const refused = await myoci(dir, ["vulns", "--osv-url", osv.url, "--stack", "prod"]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.match(/failed after 4 attempts: no answer \(ECONNREFUSED\)/);
  });
});

describe("OSV ranges and CVSS (pure)", () => {
  it("computes CVSS v3.1 base scores of the fixtures' vectors", () => {
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H")).to.equal(9.9); // GHSA-q99m-qcv4-fpm7
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:L")).to.equal(7.6); // GHSA-q53q-gxq9-mgrj (NVD: 7.6)
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:L")).to.equal(9); // GHSA-f3gh-529w-v32x (NVD: 9.0)
    expect(cvss3BaseScore("CVSS:4.0/AV:N/AC:L")).to.equal(undefined);
  });

  it("evaluates introduced 0, fixed, last_affected and security builds; pseudo-versions are unknown", () => {
    expect(rangeVerdict([{ introduced: "0" }, { fixed: "2.11.4" }], "2.11.3")).to.equal("affected");
    expect(rangeVerdict([{ introduced: "0" }, { fixed: "2.11.4" }], "2.11.4")).to.equal("unaffected");
    expect(rangeVerdict([{ introduced: "1.0.0" }, { last_affected: "1.2.0" }], "1.2.0")).to.equal("affected");
    expect(rangeVerdict([{ introduced: "1.0.0" }, { last_affected: "1.2.0" }], "1.2.1")).to.equal("unaffected");
    expect(rangeVerdict([{ introduced: "11.0.0" }, { fixed: "11.0.6+security-01" }], "11.0.6")).to.equal("affected");
    expect(rangeVerdict([{ introduced: "11.0.0" }, { fixed: "11.0.6+security-01" }], "11.0.6+security-01")).to.equal("unaffected");
    expect(rangeVerdict([{ introduced: "0" }, { fixed: "0.0.0-20250521183405-c7a690348df7" }], "12.0.2")).to.equal("unknown");
    expect(rangeVerdict([{ introduced: "0" }], "12.0.2", true)).to.equal("unknown");
    expect(rangeVerdict([{ introduced: "0" }], "2.10.2")).to.equal("affected");
  });
});
