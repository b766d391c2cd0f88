import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { toVersionSet, type KnownVulnerability } from "../../catalog";
import { classifyComponent } from "../../cli/app/check/classify";
import { buildReport, formatReport } from "../../cli/app/check/run";
import { checkMessages } from "../../cli/app/notify";
import { interpret, osvRecordSchema, osvTargets } from "../../cli/app/osv";
import { generateDependencies } from "../../cli/app/docs";
import { formatVulnState } from "../../config/vulns-state";
import { stackFileText, testDigest } from "../helpers/stack-fixture";
import { OSV_FIXTURES } from "./osv-standin";

const record = (id: string) => osvRecordSchema.parse(JSON.parse(readFileSync(path.join(OSV_FIXTURES, `${id}.json`), "utf8")));

/** The snapshot `vulns --refresh` would write for Caddy 2.11.3, from the real records. */
function caddySnapshot(): KnownVulnerability[] {
  const targets = osvTargets([{ caddy: { tag: "2.11.3", digest: testDigest("caddy") } }]);
  const records = new Map(["GO-2026-4639", "GO-2026-5346"].map((id) => [id, record(id)]));
  return interpret(targets, [["GO-2026-4639", "GO-2026-5346"]], records).vulnerabilities;
}

describe("check: security updates from the OSV snapshot", () => {
  const declared = { tag: "2.11.3", digest: testDigest("caddy 2.11.3") };
  const check = (known: readonly KnownVulnerability[]) =>
    classifyComponent({
      component: "caddy",
      declared,
      tags: ["2.11.3", "2.11.4", "2.12.0"],
      currentDigest: declared.digest,
      versions: toVersionSet({ caddy: "2.11.3" }).versions,
      known,
    });

  it("marks the candidate that fixes an open finding as security, in JSON and text", () => {
    const c = check(caddySnapshot());
    expect(c.newest.patch).to.include({ tag: "2.11.4", security: true });
    expect(c.newest.patch?.fixes).to.deep.equal(["CVE-2026-52845"]);
    expect(c.newest.minor).to.include({ tag: "2.12.0", security: true });
    expect(c.advisories.map((a) => `${a.id} ${a.fixedIn}`)).to.deep.equal(["CVE-2026-52845 2.11.4"]);
    const text = formatReport(buildReport([{ stack: "prod", file: "Pulumi.prod.yaml", components: [c], summary: { upToDate: 0, updates: 1, errors: 0 } }]));
    expect(text).to.contain("2.11.4 (security)");
    expect(text).to.contain("caddy: 2.11.3 → 2.11.4 (security update: fixes CVE-2026-52845) / 2.12.0 (security update: fixes CVE-2026-52845)");
  });

  it("without an open finding the same candidate is a feature update, and --notify's priority is lower", () => {
    const plain = check([]);
    expect(plain.newest.patch?.security).to.equal(undefined);
    const report = (c: ReturnType<typeof check>) => ({ stacks: [{ stack: "prod", components: [c] }] });
    expect(formatReport(buildReport([{ stack: "prod", file: "f", components: [plain], summary: { upToDate: 0, updates: 1, errors: 0 } }]))).to.contain(
      "2.11.4 (feature update)",
    );
    const [before] = checkMessages(report(plain));
    const [after] = checkMessages(report(check(caddySnapshot())));
    expect(before!.priority).to.equal(3);
    expect(after!.priority).to.equal(4);
    expect(after!.title).to.equal("[prod] caddy 2.11.3: patch 2.11.4, minor 2.12.0 (security)");
    expect(after!.tags).to.include("security");
  });
});

describe("DEPENDENCIES.md: open findings from the snapshot", () => {
  it("lists each stack's open OSV findings with links and fixes, and says when there is no snapshot", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-h16-docs-"));
    try {
      writeFileSync(path.join(dir, "Pulumi.prod.yaml"), stackFileText({ tags: { caddy: "2.11.3" } }));
      expect(generateDependencies(dir)).to.contain("No OSV snapshot in vulns-state.json yet");
      const snapshot = { refreshedAt: "2026-12-01T00:00:00.000Z", source: "https://api.osv.dev", vulnerabilities: caddySnapshot() };
      writeFileSync(path.join(dir, "vulns-state.json"), formatVulnState({ firstSeen: {}, osv: snapshot }));
      expect(generateDependencies(dir)).to.contain(
        "| prod | caddy | `2.11.3` | [CVE-2026-52845](https://osv.dev/vulnerability/GO-2026-5346) (unrated) | " +
          record("GO-2026-5346").summary +
          " | 2.11.4 |",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
