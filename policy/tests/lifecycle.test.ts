import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  disallowOverdueVulnerabilities,
  enforceVersionTransitions,
  requirePostgresMigration,
  requireProtectedDataVolumes,
  requireVerifiedPromotion,
  warnEndOfLife,
  warnOpenVulnerabilities,
} from "../policies";
import type { RecordedResource } from "../offline/types";
import {
  changed,
  container,
  find,
  FIXTURE_RECORDS,
  programStack,
  NotApplicable,
  replace,
  setLabel,
  stackImages,
  testDigest,
  validate,
  validateStack,
} from "./helpers";
import { LABEL } from "../../catalog";

const pins = stackImages("prod");
let prod: RecordedResource[];
let staging: RecordedResource[];
let grafana11: RecordedResource;
let postgres: RecordedResource;
let postgresVolume: RecordedResource;

before(async () => {
  prod = await programStack("prod");
  staging = await programStack("staging");
  grafana11 = container(await programStack("staging", { images: { grafana: { tag: "11.0.0", digest: pins.grafana!.digest } } }), "grafana");
  postgres = container(prod, "postgres");
  postgresVolume = find(prod, "docker:index/volume:Volume", "postgres");
});

async function notApplicable(run: () => Promise<unknown>): Promise<void> {
  let error: unknown;
  await run().catch((e: unknown) => (error = e));
  expect(error).to.be.instanceOf(NotApplicable);
}

describe("policy warn-end-of-life", () => {
  it("names Promtail's end of life and its successor once the date has passed", async () => {
    const promtail = container(prod, "promtail");
    expect(await validate(warnEndOfLife, promtail, { now: "2026-03-01T23:59:59Z" })).to.deep.equal([]);
    expect(await validate(warnEndOfLife, promtail, { now: "2026-03-02T00:00:00Z" })).to.deep.equal([
      "myoci-prod-promtail runs Promtail, end of life since 2026-03-02. Successor: Grafana Alloy (alloy). Promtail is end of life (LTS since 2025-02-13); the last image line is 3.6.x. Migrate to Grafana Alloy.",
    ]);
  });
  it("passes a component without an end of life and does not apply to images", async () => {
    expect(await validate(warnEndOfLife, container(staging, "alloy"), { now: "2030-01-01T00:00:00Z" })).to.deep.equal([]);
    await notApplicable(() => validate(warnEndOfLife, find(prod, "docker:index/remoteImage:RemoteImage", "promtail")));
  });
  it("reads now from MYOCI_POLICY_NOW when config has none, and refuses a bad time", async () => {
    const saved = process.env["MYOCI_POLICY_NOW"];
    try {
      process.env["MYOCI_POLICY_NOW"] = "2026-01-01T00:00:00Z";
      expect(await validate(warnEndOfLife, container(prod, "promtail"))).to.deep.equal([]);
      process.env["MYOCI_POLICY_NOW"] = "yesterday";
      let error: Error | undefined;
      await validate(warnEndOfLife, container(prod, "promtail")).catch((e: Error) => (error = e));
      expect(error?.message).to.equal('policy config "now" (or MYOCI_POLICY_NOW) = "yesterday" is not an ISO 8601 date-time');
    } finally {
      if (saved === undefined) delete process.env["MYOCI_POLICY_NOW"];
      else process.env["MYOCI_POLICY_NOW"] = saved;
    }
  });
});

describe("policies warn-open-vulnerabilities and disallow-overdue-vulnerabilities", () => {
  const critical = "CVE-2024-9264";
  it("pass the shipped versions", async () => {
    for (const r of [...prod, ...staging].filter((x) => x.type === "docker:index/container:Container")) {
      expect(await validate(warnOpenVulnerabilities, r, { now: "2026-12-31T00:00:00Z" }), r.name).to.deep.equal([]);
      expect(await validate(disallowOverdueVulnerabilities, r, { now: "2026-12-31T00:00:00Z" }), r.name).to.deep.equal([]);
    }
  });
  it("warn before the deadline (critical: 24 h from first record)", async () => {
    const open = await validate(warnOpenVulnerabilities, grafana11, { now: "2026-11-25T12:00:00Z" });
    expect(open).to.have.length(2);
    expect(open[0]).to.equal(
      "myoci-staging-grafana runs Grafana 11.0.0, affected by CVE-2024-9264 (critical): SQL Expressions (DuckDB) allow command injection and local file inclusion (CVSS 9.9). Fixed in 11.0.5-security-01, 11.1.6, 11.2.1; respond by 2026-11-26T00:00:00.000Z.",
    );
    expect(await validate(disallowOverdueVulnerabilities, grafana11, { now: "2026-11-25T12:00:00Z" })).to.deep.equal([]);
  });
  it("refuse a critical advisory past its deadline, while the high one still only warns", async () => {
    const now = "2026-11-26T00:00:00Z";
    expect(await validate(disallowOverdueVulnerabilities, grafana11, { now })).to.deep.equal([
      `myoci-staging-grafana runs Grafana 11.0.0, affected by ${critical} (critical), overdue since 2026-11-26T00:00:00.000Z: update to a fixed version (11.0.5-security-01, 11.1.6, 11.2.1) or accept the risk with a reason and an expiry.`,
    ]);
    const warnings = await validate(warnOpenVulnerabilities, grafana11, { now });
    expect(warnings.map((m) => m.split(" affected by ")[1]!.split(":")[0])).to.deep.equal(["CVE-2025-4123 (high)"]);
  });
  it("accept a risk until its expiry, then name the expired acceptance", async () => {
    const acceptances = [{ id: critical, reason: "DuckDB is not on PATH in the image", expires: "2026-12-01" }];
    expect(await validate(disallowOverdueVulnerabilities, grafana11, { now: "2026-11-30T23:59:59Z", acceptances })).to.deep.equal([]);
    expect(await validate(disallowOverdueVulnerabilities, grafana11, { now: "2026-12-01T00:00:00Z", acceptances })).to.deep.equal([
      `myoci-staging-grafana runs Grafana 11.0.0, affected by ${critical} (critical), overdue since 2026-11-26T00:00:00.000Z: update to a fixed version (11.0.5-security-01, 11.1.6, 11.2.1) or accept the risk with a reason and an expiry. The risk acceptance of ${critical} ("DuckDB is not on PATH in the image") expired on 2026-12-01.`,
    ]);
  });

  it("reads the same committed acceptance file as myoci vulns", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-acceptances-"));
    const file = path.join(dir, "risk-acceptances.yaml");
    writeFileSync(file, `acceptances:\n  - id: ${critical}\n    reason: DuckDB is not on PATH in the image\n    expires: 2026-12-01\n`);
    expect(await validate(disallowOverdueVulnerabilities, grafana11, { now: "2026-11-30T23:59:59Z", acceptanceFile: file })).to.deep.equal([]);
    expect(
      await validate(disallowOverdueVulnerabilities, grafana11, { now: "2026-11-30T23:59:59Z", acceptanceFile: path.join(dir, "absent.yaml") }),
    ).to.have.length(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("policy require-protected-data-volumes", () => {
  it("passes protected data volumes and does not apply to other volumes", async () => {
    expect(await validate(requireProtectedDataVolumes, postgresVolume)).to.deep.equal([]);
    await notApplicable(() =>
      validate(
        requireProtectedDataVolumes,
        changed(postgresVolume, (i) => (i["labels"] = [])),
      ),
    );
  });
  it("refuses an unprotected PostgreSQL volume", async () => {
    const unprotected = changed(postgresVolume, (_, r) => (r.opts["protect"] = false));
    expect(await validate(requireProtectedDataVolumes, unprotected)).to.deep.equal([
      "Volume myoci-prod-postgres-var-lib-postgresql-data-pg16 holds PostgreSQL data but is not protected: set protect (and retainOnDelete) so no update or destroy can delete it.",
    ]);
  });
  it("recognises a data volume by its catalog data path even without the data label", async () => {
    const unlabelled = changed(postgresVolume, (i, r) => {
      i["labels"] = i["labels"].filter((l: { label: string }) => l.label !== LABEL.data);
      r.opts["protect"] = false;
    });
    expect(await validate(requireProtectedDataVolumes, unlabelled)).to.have.length(1);
  });
});

describe("policy require-postgres-migration", () => {
  it("passes the data major the image runs, and does not apply to other containers", async () => {
    expect(await validate(requirePostgresMigration, postgres)).to.deep.equal([]);
    await notApplicable(() => validate(requirePostgresMigration, container(prod, "grafana")));
  });
  it("refuses PostgreSQL 17 on a 16 data volume without a declared migration; passes the program's migration", async () => {
    const pg17 = { tag: "17.6-alpine", digest: testDigest("pg17") };
    const upgraded = container(await programStack("prod", { images: { postgres: pg17 } }), "postgres");
    expect(await validate(requirePostgresMigration, upgraded)).to.deep.equal([
      "myoci-prod-postgres runs PostgreSQL 17 on the volume myoci-prod-postgres-var-lib-postgresql-data-pg16, which is not named for major 17 (…-pg17): another major's data must never be opened in place.",
      "myoci-prod-postgres: PostgreSQL 16 → 17 is a major-version change: declare a migration (myoci rollout --migrate) instead of swapping the image.",
    ]);
    const migrated = container(await programStack("prod", { images: { postgres: pg17 }, config: { postgresMigration: { from: 16, to: 17 } } }), "postgres");
    expect(await validate(requirePostgresMigration, migrated)).to.deep.equal([]);
  });
  it("refuses a declared migration that does not match the data", async () => {
    const wrongMajor = changed(
      container(
        await programStack("prod", {
          images: { postgres: { tag: "17.6-alpine", digest: testDigest("pg17") } },
          config: { postgresMigration: { from: 16, to: 17 } },
        }),
        "postgres",
      ),
      (i) => setLabel(i, LABEL.postgresMigration, "15->17"),
    );
    expect(await validate(requirePostgresMigration, wrongMajor)).to.deep.equal([
      "myoci-prod-postgres declares the migration 15->17, but its data is PostgreSQL 16 and the image is 17: declare 16->17.",
    ]);
  });
  it("refuses a container without the data-major label", async () => {
    const bare = changed(postgres, (i) => (i["labels"] = i["labels"].filter((l: { label: string }) => l.label !== LABEL.postgresDataMajor)));
    expect(await validate(requirePostgresMigration, bare)).to.deep.equal([
      "myoci-prod-postgres lacks the label myoci.postgres.data-major (the major version its data volume holds), so a major-version change cannot be detected.",
    ]);
  });
});

describe("policy require-postgres-migration: data path and volume of the image's major", () => {
  it("refuses PostgreSQL 18 on the ≤ 17 data path (/var/lib/postgresql/data)", async () => {
    const pg18 = container(
      await programStack("prod", { images: { postgres: { tag: "18.1-alpine", digest: testDigest("pg18") } }, config: { postgresDataMajor: 18 } }),
      "postgres",
    );
    expect(await validate(requirePostgresMigration, pg18)).to.deep.equal([]);
    const oldPath = changed(pg18, (i) => (i["volumes"][0].containerPath = "/var/lib/postgresql/data"));
    expect(await validate(requirePostgresMigration, oldPath)).to.deep.equal([
      "myoci-prod-postgres runs PostgreSQL 18 with its data volume myoci-prod-postgres-var-lib-postgresql-pg18 at /var/lib/postgresql/data: PostgreSQL 18 keeps its data in /var/lib/postgresql.",
    ]);
  });
  it("refuses a data volume named for another major", async () => {
    const renamed = changed(postgres, (i) => (i["volumes"][0].volumeName = "myoci-prod-postgres-var-lib-postgresql-data-pg15"));
    expect(await validate(requirePostgresMigration, renamed)).to.deep.equal([
      "myoci-prod-postgres runs PostgreSQL 16 on the volume myoci-prod-postgres-var-lib-postgresql-data-pg15, which is not named for major 16 (…-pg16): another major's data must never be opened in place.",
    ]);
  });
});

describe("policy enforce-version-transitions (against the previous deployment in the promotion record)", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "myoci-h12-transitions-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const recordWith = (images: Record<string, { tag: string; digest: string }>): { recordFile: string } => {
    const file = path.join(dir, `record-${Object.values(images)[0]!.tag}.yaml`);
    writeFileSync(
      file,
      `entries:\n  - kind: verified\n    stack: prod\n    recordedAt: 2026-11-26T00:00:00Z\n    images:\n${Object.entries(images)
        .map(([c, p]) => `      ${c}:\n        tag: ${p.tag}\n        digest: ${p.digest}\n`)
        .join("")}`,
    );
    return { recordFile: file };
  };
  it("passes the shipped prod pins against their adoption baseline", async () => {
    expect(await validateStack(enforceVersionTransitions, prod, FIXTURE_RECORDS)).to.deep.equal([]);
  });
  it("refuses a hand-edited downgrade of Zitadel v4.9.2 to v2.71.7, unless acknowledged", async () => {
    const stack = await programStack("prod", { images: { zitadel: { tag: "v2.71.7", digest: testDigest("zitadel 2.71.7") } } });
    expect(await validateStack(enforceVersionTransitions, stack, FIXTURE_RECORDS)).to.deep.equal([
      "Zitadel v4.9.2 → v2.71.7 is a downgrade from stack prod's previous deployment (tests/fixtures/project/promotions.yaml, 2026-11-25T00:00:00Z): acknowledge it in policy config (acknowledgedDowngrades, with a reason) if it is intended.",
    ]);
    const acknowledgedDowngrades = [{ component: "zitadel", from: "v4.9.2", to: "v2.71.7", reason: "test" }];
    expect(await validateStack(enforceVersionTransitions, stack, { ...FIXTURE_RECORDS, acknowledgedDowngrades })).to.deep.equal([]);
  });
  it("refuses Zitadel v3.3.0 → v4 (v4 only from 3.4.1 or later)", async () => {
    const record = recordWith({ zitadel: { tag: "v3.3.0", digest: testDigest("zitadel 3.3.0") } });
    expect(await validateStack(enforceVersionTransitions, prod, { ...FIXTURE_RECORDS, ...record })).to.deep.equal([
      `Zitadel 3.3.0 → 4.9.2 skips the required step: upgrade to 3.4.1 or later first. (stack prod, from its previous deployment in ${record.recordFile}; rule zitadel-v4-through-3.4)`,
    ]);
  });
  it("refuses a PostgreSQL major change without the matching migration", async () => {
    const record = recordWith({ postgres: { tag: "15.10-alpine", digest: testDigest("pg 15") } });
    expect(await validateStack(enforceVersionTransitions, prod, { ...FIXTURE_RECORDS, ...record })).to.deep.equal([
      `PostgreSQL 15 → 16 is a major-version change: declare a migration (myoci rollout --migrate) instead of swapping the image. (stack prod, from its previous deployment in ${record.recordFile}; rule postgres-major-needs-migration)`,
    ]);
    const migrating = replace(
      prod,
      changed(postgres, (i) => setLabel(i, LABEL.postgresMigration, "15->16")),
    );
    expect(await validateStack(enforceVersionTransitions, migrating, { ...FIXTURE_RECORDS, ...record })).to.deep.equal([]);
  });
});

describe("policy require-verified-promotion", () => {
  const unverified = testDigest("grafana never on staging");
  const withGrafana = (digest: string, tag = "12.0.2") => programStack("prod", { images: { grafana: { tag, digest } } });
  it("passes prod's adoption baseline from the promotion record", async () => {
    expect(await validateStack(requireVerifiedPromotion, prod, FIXTURE_RECORDS)).to.deep.equal([]);
  });
  it("refuses a prod digest staging never ran", async () => {
    const messages = await validateStack(requireVerifiedPromotion, await withGrafana(unverified), FIXTURE_RECORDS);
    expect(messages).to.deep.equal([
      `Grafana 12.0.2 @ ${unverified} was never run and verified on staging: not in staging's stack outputs nor in promotions.yaml (verified on staging or adopted by prod). Roll it out on staging first, then promote it.`,
    ]);
  });
  it("matches component, tag and digest: a verified digest under another tag is refused", async () => {
    const messages = await validateStack(requireVerifiedPromotion, await withGrafana(pins.grafana!.digest, "12.0.3"), FIXTURE_RECORDS);
    expect(messages).to.deep.equal([
      `Grafana 12.0.3 @ ${pins.grafana!.digest} was never run and verified on staging: promotions.yaml has this digest for grafana 12.0.2, not 12.0.3. Roll it out on staging first, then promote it.`,
    ]);
  });
  it("accepts a digest that staging's stack outputs report, for its tag only", async () => {
    const image = (tag: string) => ({ image: `docker.io/grafana/grafana:${tag}@${unverified}`, tag, digest: unverified });
    const reported = await programStack("prod", {
      images: { grafana: { tag: "12.0.2", digest: unverified } },
      stackReferences: { "organization/myoci/staging": { images: { grafana: image("12.0.2") } } },
    });
    expect(await validateStack(requireVerifiedPromotion, reported, FIXTURE_RECORDS)).to.deep.equal([]);
    const otherTag = await programStack("prod", {
      images: { grafana: { tag: "12.0.2", digest: unverified } },
      stackReferences: { "organization/myoci/staging": { images: { grafana: image("12.1.1") } } },
    });
    expect(await validateStack(requireVerifiedPromotion, otherTag, FIXTURE_RECORDS)).to.have.length(1);
  });
  it("does not count staging's adoption as prod's (targetStack from config)", async () => {
    expect(await validateStack(requireVerifiedPromotion, prod, { ...FIXTURE_RECORDS, targetStack: "other" })).to.have.length(14);
  });
});
