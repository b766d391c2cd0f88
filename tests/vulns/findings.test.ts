import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { computeFindings, formatFindings, parseAcceptances, parseTrivyReport, parseVulnState, stateChanged, type StackPins } from "../../cli/app/vulns";
import { sha256Digest } from "../helpers/digest";
import { fixturePins } from "../helpers/fixture-project";

const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
// The Trivy fixtures are reports of the images the fixture staging stack pins (postgres 16.11-alpine, grafana 13.0.2).
const POSTGRES_DIGEST = fixturePins("staging").postgres.digest;
const GRAFANA_DIGEST = fixturePins("staging").grafana.digest;
// Hand-made digest (sha256 of our own bytes) for a pin in a synthetic stack: no real image claims it.
const OWN_DIGEST = sha256Digest("myoci test: grafana 11.0.0 stand-in");

const oldGrafana: StackPins = { stack: "prod", images: { grafana: { tag: "11.0.0", digest: OWN_DIGEST } } };
const empty = { firstSeen: {} };

describe("vulns: catalog advisories", () => {
  it("finds both Grafana advisories of 11.0.0 with deadlines from firstRecorded and the fix of each", () => {
    const result = computeFindings({ stacks: [oldGrafana], state: empty, now: new Date("2026-11-25T12:00:00Z") });
    expect(result.findings.map((f) => [f.key, f.severity, f.deadline, f.fixedIn, f.state])).to.deep.equal([
      ["grafana:CVE-2024-9264", "critical", "2026-11-26T00:00:00.000Z", "11.0.5-security-01", "open"],
      ["grafana:CVE-2025-4123", "high", "2026-12-02T00:00:00.000Z", "11.2.10", "open"],
    ]);
    expect(result.findings[0]!.sources).to.deep.equal(["catalog"]);
    expect(result.findings[0]!.url).to.equal("https://grafana.com/security/security-advisories/cve-2024-9264/");
    expect(result.exitCode).to.equal(1);
    expect(result.newKeys).to.deep.equal(["grafana:CVE-2024-9264", "grafana:CVE-2025-4123"]);
    expect(result.state.firstSeen).to.deep.equal({ "grafana:CVE-2024-9264": "2026-11-25T00:00:00Z", "grafana:CVE-2025-4123": "2026-11-25T00:00:00Z" });
  });

  it("exits 2 once the critical deadline has passed, and orders overdue findings first", () => {
    const result = computeFindings({ stacks: [oldGrafana], state: empty, now: new Date("2026-11-26T00:00:00Z") });
    expect(result.findings.map((f) => `${f.id} ${f.state}`)).to.deep.equal(["CVE-2024-9264 overdue", "CVE-2025-4123 open"]);
    expect(result.summary).to.deep.equal({ overdue: 1, open: 1, accepted: 0, withoutDeadline: 0 });
    expect(result.exitCode).to.equal(2);
  });

  it("keeps an earlier first sighting from the state file and replaces a later one by firstRecorded", () => {
    const state = { firstSeen: { "grafana:CVE-2024-9264": "2026-11-20T06:00:00.000Z", "grafana:CVE-2025-4123": "2026-11-25T09:00:00.000Z" } };
    const result = computeFindings({ stacks: [oldGrafana], state, now: new Date("2026-11-25T12:00:00Z") });
    expect(result.state.firstSeen).to.deep.equal({ "grafana:CVE-2024-9264": "2026-11-20T06:00:00.000Z", "grafana:CVE-2025-4123": "2026-11-25T00:00:00Z" });
    expect(result.findings[0]!.state).to.equal("overdue"); // 2026-11-21T06:00 has passed
    expect(result.newKeys).to.deep.equal([]);
    expect(stateChanged(state, result.state)).to.equal(true);
  });

  it("a risk acceptance covers a finding until it lapses; a lapsed one is reported", () => {
    const acceptances = [{ id: "CVE-2024-9264", reason: "SQL expressions are disabled", expires: "2026-11-27" }];
    const covered = computeFindings({ stacks: [oldGrafana], state: empty, acceptances, now: new Date("2026-11-26T12:00:00Z") });
    expect(covered.findings.map((f) => `${f.id} ${f.state}`)).to.deep.equal(["CVE-2025-4123 open", "CVE-2024-9264 accepted"]);
    expect(covered.findings[1]!.acceptance).to.deep.equal(acceptances[0]);
    expect(covered.exitCode).to.equal(1);
    const lapsed = computeFindings({ stacks: [oldGrafana], state: empty, acceptances, now: new Date("2026-11-27T00:00:00Z") });
    expect(lapsed.findings[0]!.state).to.equal("overdue");
    expect(lapsed.findings[0]!.expiredAcceptance).to.deep.equal(acceptances[0]);
    expect(lapsed.exitCode).to.equal(2);
  });
});

describe("vulns: Trivy reports", () => {
  const staging: StackPins = {
    stack: "staging",
    images: { postgres: { tag: "16.11-alpine", digest: POSTGRES_DIGEST }, grafana: { tag: "13.0.2", digest: GRAFANA_DIGEST } },
  };
  const prod: StackPins = { stack: "prod", images: { postgres: { tag: "16.11-alpine", digest: POSTGRES_DIGEST } } };
  const postgres = parseTrivyReport(fixture("trivy-postgres-16.11-alpine.json"), "trivy-postgres-16.11-alpine.json");
  const grafana = parseTrivyReport(fixture("trivy-grafana-13.0.2.json"), "trivy-grafana-13.0.2.json");
  const now = new Date("2026-11-25T20:00:00.000Z");

  it("reads digests from RepoDigests and from an ArtifactName pinned by digest", () => {
    expect(postgres.digests).to.deep.equal([POSTGRES_DIGEST]);
    expect(postgres.vulnerabilities).to.have.length(4);
    expect(grafana.digests).to.deep.equal([GRAFANA_DIGEST]);
    expect(grafana.vulnerabilities.map((v) => `${v.id} ${v.severity}`)).to.deep.equal(["CVE-2025-22871 critical", "GHSA-xxxx-unrated-example unrated"]);
  });

  it("joins each report to every stack pinning its digest, one finding per advisory with its packages", () => {
    const result = computeFindings({ stacks: [staging, prod], reports: [postgres, grafana], state: empty, now });
    const rows = result.findings.map((f) => `${f.stack} ${f.component} ${f.id} ${f.severity} ${f.deadline ?? "none"}`);
    expect(rows).to.deep.equal([
      "staging grafana CVE-2025-22871 critical 2026-11-26T20:00:00.000Z",
      "prod postgres CVE-2025-9230 high 2026-12-02T20:00:00.000Z",
      "staging grafana GHSA-xxxx-unrated-example unrated 2026-12-02T20:00:00.000Z",
      "staging postgres CVE-2025-9230 high 2026-12-02T20:00:00.000Z",
      "prod postgres CVE-2025-47907 medium 2026-12-25T20:00:00.000Z",
      "staging postgres CVE-2025-47907 medium 2026-12-25T20:00:00.000Z",
      "prod postgres CVE-2025-26519 low none",
      "staging postgres CVE-2025-26519 low none",
    ]);
    const openssl = result.findings.find((f) => f.stack === "prod" && f.id === "CVE-2025-9230")!;
    expect(openssl.packages.map((p) => p.name)).to.deep.equal(["libcrypto3", "libssl3"]);
    expect(openssl.fixedIn).to.equal("libcrypto3 3.5.4-r0, libssl3 3.5.4-r0");
    expect(result.findings.find((f) => f.id === "CVE-2025-26519")!.fixedIn).to.equal(undefined);
    expect(result.newKeys).to.deep.equal([
      "grafana:CVE-2025-22871",
      "grafana:GHSA-xxxx-unrated-example",
      "postgres:CVE-2025-26519",
      "postgres:CVE-2025-47907",
      "postgres:CVE-2025-9230",
    ]);
    expect(result.summary).to.deep.equal({ overdue: 0, open: 6, accepted: 0, withoutDeadline: 2 });
    expect(result.exitCode).to.equal(1);
  });

  it("a second run a day later keeps the first sightings: the critical one is then overdue", () => {
    const first = computeFindings({ stacks: [staging], reports: [grafana], state: empty, now });
    const second = computeFindings({ stacks: [staging], reports: [grafana], state: first.state, now: new Date("2026-11-26T20:00:00.000Z") });
    expect(second.newKeys).to.deep.equal([]);
    expect(stateChanged(first.state, second.state)).to.equal(false);
    expect(second.findings.map((f) => `${f.id} ${f.state}`)).to.deep.equal(["CVE-2025-22871 overdue", "GHSA-xxxx-unrated-example open"]);
    expect(second.exitCode).to.equal(2);
  });

  it("lists a report matching no pin as unmatched instead of guessing", () => {
    const other = sha256Digest("myoci test: an image nobody pins");
    const stale = parseTrivyReport(fixture("trivy-postgres-16.11-alpine.json").replace(POSTGRES_DIGEST, other), "stale.json");
    const result = computeFindings({ stacks: [prod], reports: [stale], state: empty, now });
    expect(result.findings).to.have.length(0);
    expect(result.unmatchedReports).to.deep.equal([{ file: "stale.json", artifact: "postgres:16.11-alpine", digests: [other] }]);
    expect(formatFindings(result)).to.contain(`warning: stale.json (postgres:16.11-alpine) matches no pinned digest (${other.slice(0, 19)})`);
    expect(result.exitCode).to.equal(0);
  });

  it("rejects a malformed report naming file, key and value", () => {
    expect(() => parseTrivyReport(fixture("trivy-bad-severity.json"), "trivy-bad-severity.json"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains('trivy-bad-severity.json: Results.0.Vulnerabilities.0.Severity = "SEVERE": expected CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN');
    expect(() => parseTrivyReport("{ not json", "x.json")).to.throw(ConfigError, "x.json: (root) = (invalid JSON)");
  });
});

describe("vulns: acceptance and state files", () => {
  it("parses acceptances and rejects a bad expiry with file, key and value", () => {
    const ok = parseAcceptances(
      "acceptances:\n  - id: CVE-2025-64717\n    reason: Auto-linking is disabled everywhere\n    expires: 2026-12-31\n",
      "risk-acceptances.yaml",
    );
    expect(ok).to.deep.equal([{ id: "CVE-2025-64717", reason: "Auto-linking is disabled everywhere", expires: "2026-12-31" }]);
    expect(() =>
      parseAcceptances(
        "acceptances:\n  - id: CVE-2025-64717\n    reason: Auto-linking is disabled everywhere\n    expires: next year\n",
        "/x/risk-acceptances.yaml",
      ),
    )
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains('risk-acceptances.yaml: acceptances.0.expires = "next year": expected an ISO date (YYYY-MM-DD)');
    expect(() =>
      parseAcceptances(
        "acceptances:\n  - {id: CVE-1, reason: a long enough reason, expires: 2027-01-01}\n  - {id: CVE-1, reason: a long enough reason, expires: 2027-01-01}\n",
        "r.yaml",
      ),
    ).to.throw(ConfigError, 'r.yaml: acceptances.1.id = "CVE-1": expected each advisory id once');
  });

  it("rejects a state file entry that is not a time", () => {
    expect(() => parseVulnState('{"schemaVersion":1,"firstSeen":{"grafana:CVE-2024-9264":"yesterday"}}', "vulns-state.json"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains('vulns-state.json: firstSeen.grafana:CVE-2024-9264 = "yesterday": expected an ISO 8601 UTC time');
  });
});
