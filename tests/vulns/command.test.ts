import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { run } from "../../cli/commands/vulns";
import { copyFixtureProject } from "../helpers/fixture-project";
import { startHttpRecorder } from "../helpers/http-recorder";

const FIXTURES = path.join(__dirname, "fixtures");

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = "";
  let stderr = "";
  process.stdout.write = (chunk: string) => ((stdout += chunk), true);
  process.stderr.write = (chunk: string) => ((stderr += chunk), true);
  try {
    return { code: await run(argv), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe("myoci vulns (command)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-vulns-"));
    copyFixtureProject(["Pulumi.staging.yaml", "Pulumi.prod.yaml"], dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const reports = ["--trivy", path.join(FIXTURES, "trivy-postgres-16.11-alpine.json"), "--trivy", path.join(FIXTURES, "trivy-grafana-13.0.2.json")];

  it("joins the Trivy reports to both stacks' pins, records first sightings and exits 1 while nothing is overdue", async () => {
    const { code, stdout } = await capture(["--project-dir", dir, "--offline", "--json", ...reports]);
    expect(code).to.equal(1);
    const result = JSON.parse(stdout) as { findings: { stack: string; id: string }[]; newKeys: string[] };
    // postgres 16.11-alpine is pinned by both stacks (3 advisories with a deadline + 1 low each); grafana's digest by staging only.
    expect(result.findings.filter((f) => f.stack === "prod").map((f) => f.id)).to.have.members(["CVE-2025-9230", "CVE-2025-47907", "CVE-2025-26519"]);
    expect(result.findings.filter((f) => f.stack === "staging")).to.have.length(5);
    const state = JSON.parse(readFileSync(path.join(dir, "vulns-state.json"), "utf8")) as { firstSeen: Record<string, string> };
    expect(Object.keys(state.firstSeen)).to.deep.equal(result.newKeys);
    expect(result.newKeys).to.have.length(5);
  });

  it("reads a risk acceptance from the committed file and reports the finding it covers as accepted", async () => {
    await capture(["--project-dir", dir, "--offline", "--json", ...reports]); // first sightings recorded, as above
    writeFileSync(
      path.join(dir, "risk-acceptances.yaml"),
      "acceptances:\n  - id: CVE-2025-22871\n    reason: Grafana sits behind Caddy, which rejects bare-LF chunked bodies\n    expires: 2099-01-01\n",
    );
    const text = await capture(["--project-dir", dir, "--offline", "--stack", "staging", ...reports]);
    expect(text.stdout).to.contain("accepted  staging/grafana 13.0.2  CVE-2025-22871 (critical)");
    expect(text.stdout).to.contain("accepted until 2099-01-01: Grafana sits behind Caddy");
    expect(text.stdout).to.match(/0 overdue, 3 open, 1 accepted, 1 without deadline\nOSV: offline, no snapshot \(run npx myoci vulns --refresh\)\n$/);
  });

  it("refuses a malformed report with exit 2, naming the file, and writes no state", async () => {
    const { code, stderr } = await capture(["--project-dir", dir, "--trivy", path.join(FIXTURES, "trivy-bad-severity.json")]);
    expect(code).to.equal(2);
    expect(stderr).to.contain('trivy-bad-severity.json: Results.0.Vulnerabilities.0.Severity = "SEVERE"');
    expect(existsSync(path.join(dir, "vulns-state.json"))).to.equal(false);
  });

  it("--notify exits 2 when ntfy keeps failing, after printing the findings", async () => {
    const server = await startHttpRecorder();
    try {
      const staging = readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
      writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `${staging.trimEnd()}\n  myoci:notify:\n    ntfyUrl: ${server.url}\n    topic: myoci-staging\n`);
      server.failNext(10, 502);
      const { code, stdout, stderr } = await capture([
        "--project-dir",
        dir,
        "--stack",
        "staging",
        "--notify",
        "--offline",
        "--trivy",
        path.join(FIXTURES, "trivy-grafana-13.0.2.json"),
      ]);
      expect(code).to.equal(2);
      expect(stdout).to.contain("CVE-2025-22871 (critical)");
      expect(stderr).to.contain(
        `notify error: ntfy ${server.url}/myoci-staging failed for "[staging] grafana 13.0.2: CVE-2025-22871 critical" after 4 attempts: HTTP 502`,
      );
      expect(server.requests).to.have.length(4);
    } finally {
      await server.close();
    }
  }).timeout(20000);
});
