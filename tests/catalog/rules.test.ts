import { expect } from "chai";
import { advisoriesFor, advisoryState, ADVISORIES, checkCompatibility, checkTransition, CATALOG, healthTestFor, parseTag, toVersionSet } from "../../catalog";

const versions = (tags: Parameters<typeof toVersionSet>[0]) => {
  const { versions: set, errors } = toVersionSet(tags);
  expect(errors).to.deep.equal([]);
  return set;
};
const version = (component: keyof typeof CATALOG, raw: string) => {
  const parsed = parseTag(raw, CATALOG[component].tagScheme);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.tag;
};

describe("catalog compatibility rules", () => {
  it("accepts both shipped pin sets' shapes", () => {
    expect(checkCompatibility(versions({ loki: "3.0.0", promtail: "3.0.0", grafana: "12.0.2", zitadel: "v4.9.2", postgres: "16.11-alpine" }))).to.deep.equal(
      [],
    );
    expect(checkCompatibility(versions({ loki: "3.7.2", alloy: "v1.19.2", grafana: "13.0.2" }))).to.deep.equal([]);
  });

  it("names each broken pair", () => {
    expect(checkCompatibility(versions({ loki: "3.0.0", promtail: "2.9.0" }))).to.deep.equal([
      { rule: "loki-promtail-same-minor", message: "Promtail 2.9.0 and Loki 3.0.0 must share major.minor (2.9 ≠ 3.0)." },
    ]);
    expect(checkCompatibility(versions({ loki: "3.7.2", promtail: "3.7.2" }))).to.deep.equal([
      { rule: "promtail-last-release-line", message: "Promtail 3.7.2 does not exist: the last Promtail release line is 3.6.x." },
      { rule: "promtail-last-release-line", message: "Loki 3.7.2 cannot be paired with Promtail (last line 3.6.x): migrate the log shipper to Grafana Alloy." },
    ]);
    expect(checkCompatibility(versions({ netbirdManagement: "0.77.0", netbirdSignal: "0.76.1", netbirdRelay: "0.77.0" }))).to.deep.equal([
      { rule: "netbird-one-version", message: "NetBird servers must run one version, found management 0.77.0, signal 0.76.1, relay 0.77.0." },
    ]);
    expect(checkCompatibility(versions({ zitadel: "v4.9.2", postgres: "13.20" }))).to.deep.equal([
      { rule: "zitadel-postgres-supported", message: "Zitadel 4.9.2 supports PostgreSQL 14–18, not PostgreSQL 13.20." },
    ]);
    expect(checkCompatibility(versions({ grafana: "12.0.2", loki: "2.8.4" }))).to.deep.equal([
      { rule: "grafana-loki-datasource", message: "Grafana 12.0.2's Loki data source needs Loki 2.9.0 or later, not 2.8.4." },
    ]);
  });

  it("refuses a Postgres major swap without a migration and Zitadel v4 from below 3.4.1", () => {
    const from = versions({ postgres: "16.11-alpine", zitadel: "v3.3.0" });
    const to = versions({ postgres: "17.6-alpine", zitadel: "v4.9.2" });
    expect(checkTransition(from, to).map((v) => v.rule)).to.deep.equal(["postgres-major-needs-migration", "zitadel-v4-through-3.4"]);
    expect(checkTransition(from, to, { postgresMigration: true }).map((v) => v.rule)).to.deep.equal(["zitadel-v4-through-3.4"]);
  });
});

describe("catalog advisories", () => {
  it("matches affected versions per release line", () => {
    expect(advisoriesFor("grafana", version("grafana", "11.0.0")).map((a) => a.id)).to.deep.equal(["CVE-2024-9264", "CVE-2025-4123"]);
    expect(advisoriesFor("grafana", version("grafana", "11.0.5-security-01")).map((a) => a.id)).to.deep.equal(["CVE-2025-4123"]);
    expect(advisoriesFor("grafana", version("grafana", "12.0.0")).map((a) => a.id)).to.deep.equal(["CVE-2025-4123"]);
    expect(advisoriesFor("grafana", version("grafana", "12.0.2"))).to.deep.equal([]);
    expect(advisoriesFor("grafana", version("grafana", "13.0.2"))).to.deep.equal([]);
    expect(advisoriesFor("postgres", version("postgres", "16.9-alpine")).map((a) => a.id)).to.deep.equal(["CVE-2025-8714"]);
    expect(advisoriesFor("postgres", version("postgres", "16.11-alpine"))).to.deep.equal([]);
    expect(advisoriesFor("zitadel", version("zitadel", "v4.1.2")).map((a) => a.id)).to.deep.equal(["CVE-2025-64717"]);
    expect(advisoriesFor("netdata", version("netdata", "v2.10.4"))).to.deep.equal([]);
  });

  it("turns overdue after the severity's deadline unless an unexpired acceptance covers it", () => {
    const critical = ADVISORIES.find((a) => a.id === "CVE-2024-9264")!;
    expect(advisoryState(critical, new Date("2026-11-25T23:00:00Z"), [])).to.deep.equal({ state: "open", deadline: new Date("2026-11-26T00:00:00Z") });
    expect(advisoryState(critical, new Date("2026-11-26T00:00:00Z"), []).state).to.equal("overdue");
    const acceptance = { id: "CVE-2024-9264", reason: "duckdb not installed", expires: "2026-12-01" };
    expect(advisoryState(critical, new Date("2026-11-27T00:00:00Z"), [acceptance])).to.deep.equal({ state: "accepted", acceptance });
    expect(advisoryState(critical, new Date("2026-12-01T00:00:00Z"), [acceptance])).to.deep.equal({
      state: "overdue",
      deadline: new Date("2026-11-26T00:00:00Z"),
      expiredAcceptance: acceptance,
    });
  });

  it("picks the healthcheck for the image's version (Loki 3.6 dropped busybox)", () => {
    expect(healthTestFor(CATALOG.loki, version("loki", "3.0.0"))[0]).to.equal("CMD-SHELL");
    expect(healthTestFor(CATALOG.loki, version("loki", "3.7.2"))).to.deep.equal(["CMD", "/usr/bin/loki", "-health"]);
  });

  it("uses `loki -health` only from 3.6.5, where the flag exists (cmd/loki/main.go@v3.6.5)", () => {
    expect(healthTestFor(CATALOG.loki, version("loki", "3.6.5"))).to.deep.equal(["CMD", "/usr/bin/loki", "-health"]);
    expect(healthTestFor(CATALOG.loki, version("loki", "3.6.4"))).not.to.include("-health");
  });

  it("refuses Loki 3.6.0–3.6.4, which no healthcheck can probe (distroless, no -health yet)", () => {
    for (const tag of ["3.6.0", "3.6.4"]) {
      expect(checkCompatibility(versions({ loki: tag })).map((v) => v.rule)).to.deep.equal(["loki-healthcheck-possible"]);
    }
    for (const tag of ["3.5.9", "3.6.5", "3.7.2"]) {
      expect(checkCompatibility(versions({ loki: tag }))).to.deep.equal([]);
    }
  });

  it("checks Netdata with curl -f, so an HTTP error status is unhealthy (the image's health.sh lacks -f)", () => {
    const test = healthTestFor(CATALOG.netdata, version("netdata", "v2.10.4"));
    expect(test.slice(0, 2)).to.deep.equal(["CMD", "curl"]);
    expect(test.some((arg) => /^-[a-zA-Z]*f[a-zA-Z]*$/.test(arg))).to.equal(true);
  });
});
