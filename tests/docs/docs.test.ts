import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { COMPATIBILITY_RULES, TRANSITION_RULES } from "../../catalog";
import { generateCompatibilityMatrix, generateDependencies, generateDocs, staleDocs } from "../../cli/app/docs";
import { run as runDocs } from "../../cli/commands/docs";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

describe("myoci docs", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-docs-"));
    writeFileSync(path.join(dir, "Pulumi.prod.yaml"), stackFileText({ tags: { grafana: "11.0.0", postgres: "16.9-alpine" } }));
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackFileText({ logShipper: "alloy", tags: { loki: "3.7.2" } }));
    mkdirSync(path.join(dir, "forwarder"));
    writeFileSync(path.join(dir, "forwarder", "requirements.txt"), "# pins\nrequests==2.31.0\nidna==3.10\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lists every pin per stack with end of life, affecting advisories and changelog", () => {
    const text = generateDependencies(dir);
    expect(text.match(/^## Stack `(\w+)`$/gm)).to.deep.equal(["## Stack `prod`", "## Stack `staging`"]);
    expect(text).to.contain(
      `| Grafana (\`grafana\`) | \`docker.io/grafana/grafana\` | docker.io | \`11.0.0\` | \`${testDigest("grafana:11.0.0")}\` | — | [CVE-2024-9264](https://grafana.com/security/security-advisories/cve-2024-9264/) (critical), [CVE-2025-4123](https://grafana.com/security/security-advisories/cve-2025-4123/) (high) | [release notes](https://github.com/grafana/grafana/releases/tag/v11.0.0) |`,
    );
    expect(text).to.contain("| `16.9-alpine` |");
    expect(text).to.match(/\| PostgreSQL \(`postgres`\) .*\[CVE-2025-8714\]/);
    expect(text).to.match(/\| Promtail \(`promtail`\) .*\*\*2026-03-02\*\*/);
    expect(text.split("\n").filter((l) => l.startsWith("| ") && l.includes("sha256:"))).to.have.length(28);
    expect(text).to.contain("| Node.js | 24 LTS (≥ 24.11) |");
    expect(text).to.contain("| Docker Engine | ≥ 24 |");
    expect(text).to.contain("| requests | 2.31.0 | CVE-2024-35195 (fixed 2.32.0), CVE-2024-47081 (fixed 2.32.4) |");
    expect(text).to.contain("| idna | 3.10 | none known |");
    expect(text).to.not.match(/\d{4}-\d{2}-\d{2}T\d{2}:/);
  });

  it("lists every rule with reason and source, the tested combinations and the migration notes", () => {
    const text = generateCompatibilityMatrix(dir);
    for (const rule of [...COMPATIBILITY_RULES, ...TRANSITION_RULES]) {
      expect(text).to.contain(`(\`${rule.id}\`)`);
      expect(text).to.contain(rule.source);
    }
    expect(text).to.contain("| component | `prod` | `staging` |");
    expect(text).to.contain("| Loki | `3.0.0` | `3.7.2` |");
    expect(text).to.contain("| Promtail | `3.0.0` | — |");
    expect(text).to.contain("| log shipper | promtail | alloy |");
    expect(text).to.contain("### Promtail → Grafana Alloy");
    expect(text).to.contain("### PostgreSQL major upgrade");
  });

  it("is deterministic; --check exits 1 naming stale files and 0 once written", async () => {
    expect(generateDocs(dir)).to.deep.equal(generateDocs(dir));
    expect(staleDocs(dir)).to.deep.equal(["DEPENDENCIES.md", "COMPATIBILITY_MATRIX.md", "renovate.json"]);
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    let captured = "";
    process.stdout.write = ((chunk: string) => ((captured += chunk), true));
    process.stderr.write = ((chunk: string) => ((captured += chunk), true));
    try {
      expect(await runDocs(["--check", "--project-dir", dir])).to.equal(1);
      expect(await runDocs(["--project-dir", dir])).to.equal(0);
      expect(await runDocs(["--check", "--project-dir", dir])).to.equal(0);
      writeFileSync(path.join(dir, "COMPATIBILITY_MATRIX.md"), `${readFileSync(path.join(dir, "COMPATIBILITY_MATRIX.md"), "utf8")}edited\n`);
      expect(await runDocs(["--check", "--project-dir", dir])).to.equal(1);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    expect(captured).to.contain("myoci docs: COMPATIBILITY_MATRIX.md is stale");
    // the first --check ran before any file existed: "missing", not "stale"
    expect(captured.match(/DEPENDENCIES\.md is missing \(no such file in /g)).to.have.length(1);
    expect(captured).not.to.contain("DEPENDENCIES.md is stale");
  });

  it("the committed DEPENDENCIES.md and COMPATIBILITY_MATRIX.md are up to date", () => {
    expect(staleDocs(path.resolve(__dirname, "../.."))).to.deep.equal([]);
  });
});
