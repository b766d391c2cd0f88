import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { toVersionSet } from "../../catalog";
import { classifyComponent } from "../../cli/app/check/classify";
import { buildReport } from "../../cli/app/check/run";
import {
  deliver,
  headerValue,
  notifyCheckResults,
  notifyFindings,
  notifyRolloutResult,
  readSentState,
  targetFromConfig,
  type NtfyTarget,
} from "../../cli/app/notify";
import { computeFindings } from "../../cli/app/vulns";
import { fixtureText } from "../helpers/fixture-project";
import { startHttpRecorder, type HttpRecorder } from "../helpers/http-recorder";
import { sha256Digest } from "../helpers/digest";

const OWN_DIGEST = sha256Digest("myoci test: grafana 11.0.0 stand-in");
const PASSWORD = "n7fy-test-pässword-do-not-print";
const fast = { retries: 2, backoffMs: 20, timeoutMs: 2000 };

function grafanaFindings(now: string) {
  return computeFindings({
    stacks: [{ stack: "prod", images: { grafana: { tag: "11.0.0", digest: OWN_DIGEST } } }],
    state: { firstSeen: {} },
    now: new Date(now),
  }).findings;
}

describe("notify: ntfy delivery", () => {
  let server: HttpRecorder;
  let dir: string;
  let target: NtfyTarget;
  beforeEach(async () => {
    server = await startHttpRecorder();
    dir = mkdtempSync(path.join(tmpdir(), "myoci-notify-"));
    target = { url: server.url, topic: "myoci-ops", user: "ops", password: PASSWORD };
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const options = () => ({ projectDir: dir, targets: { prod: target, staging: target }, send: fast, now: new Date("2026-11-25T12:00:00Z") });

  it("posts each finding with title, priority by severity, tags, markdown, click link and basic auth", async () => {
    const outcome = await notifyFindings(grafanaFindings("2026-11-25T12:00:00Z"), options());
    expect(outcome).to.deep.equal({ sent: ["vuln:prod:grafana:CVE-2024-9264", "vuln:prod:grafana:CVE-2025-4123"], skipped: [], errors: [] });
    expect(server.requests).to.have.length(2);
    const [critical, high] = server.requests;
    expect(critical!.method).to.equal("POST");
    expect(critical!.path).to.equal("/myoci-ops");
    expect(critical!.headers.title).to.equal("[prod] grafana 11.0.0: CVE-2024-9264 critical");
    expect(critical!.headers.priority).to.equal("5");
    expect(high!.headers.priority).to.equal("4");
    expect(critical!.headers.tags).to.equal("warning,critical,prod,grafana");
    expect(critical!.headers.markdown).to.equal("yes");
    expect(critical!.headers.click).to.equal("https://grafana.com/security/security-advisories/cve-2024-9264/");
    expect(critical!.headers.authorization).to.equal(`Basic ${Buffer.from(`ops:${PASSWORD}`).toString("base64")}`);
    expect(critical!.body).to.contain("**CVE-2024-9264** (critical) affects **grafana** `11.0.0` on stack **prod**.");
    expect(critical!.body).to.contain("- Respond by: 2026-11-26 00:00 UTC (first seen 2026-11-25 00:00 UTC)");
    expect(critical!.body).to.contain("- Fixed in: 11.0.5-security-01");
  });

  it("sends nothing again for unchanged findings, and once more when a finding becomes overdue", async () => {
    await notifyFindings(grafanaFindings("2026-11-25T12:00:00Z"), options());
    const again = await notifyFindings(grafanaFindings("2026-11-25T13:00:00Z"), options());
    expect(again).to.deep.equal({ sent: [], skipped: ["vuln:prod:grafana:CVE-2024-9264", "vuln:prod:grafana:CVE-2025-4123"], errors: [] });
    expect(server.requests).to.have.length(2);
    const overdue = await notifyFindings(grafanaFindings("2026-11-26T01:00:00Z"), options());
    expect(overdue.sent).to.deep.equal(["vuln:prod:grafana:CVE-2024-9264"]);
    expect(server.requests).to.have.length(3);
    expect(server.requests[2]!.headers.title).to.equal("[prod] grafana 11.0.0: CVE-2024-9264 critical OVERDUE");
    expect(server.requests[2]!.headers.tags).to.equal("rotating_light,critical,prod,grafana");
  });

  it("retries 5xx and dropped connections with backoff, then succeeds", async () => {
    server.failNext(1, 503);
    server.failNext(1, "drop");
    const outcome = await notifyRolloutResult(
      { stack: "staging", outcome: "succeeded", finishedAt: "2026-11-25T10:00:00Z", components: [{ component: "grafana", from: "13.0.1", to: "13.0.2" }] },
      options(),
    );
    expect(outcome.errors).to.deep.equal([]);
    expect(server.requests.map((r) => r.status)).to.deep.equal([503, "dropped", 200]);
    expect(server.requests[2]!.headers.title).to.equal("[staging] rollout succeeded: grafana 13.0.2");
    expect(server.requests[2]!.headers.priority).to.equal("3");
    expect(server.requests[2]!.headers.click).to.equal("https://github.com/grafana/grafana/releases/tag/v13.0.2");
    expect(server.requests[2]!.body).to.contain("- grafana: `13.0.1` → `13.0.2`");
  });

  // A server or proxy that echoes the request puts the Authorization header (base64 of user:password) in its error.
  const basic = Buffer.from(`ops:${PASSWORD}`).toString("base64");
  const echoes: [string, string][] = [
    ["the Authorization header line", `you sent Authorization: Basic ${basic}`],
    ["the base64 pair alone in JSON", `{"error":"bad auth","auth":"${basic}"}`],
    ["the base64 pair without padding", `auth=${basic.replace(/=+$/, "")}`],
    ["the URL-encoded password", `form: user=ops&pw=${encodeURIComponent(PASSWORD)}`],
    ["the password in a header dump", `headers: {"authorization":"Basic ${basic}"}`],
  ];
  for (const [what, body] of echoes) {
    it(`never prints the credentials a 4xx answer echoes: ${what}`, async () => {
      server.failNext(1, 401, body);
      const outcome = await notifyRolloutResult({ stack: "staging", outcome: "succeeded", finishedAt: "2026-11-25T10:00:00Z", components: [] }, options());
      expect(outcome.errors).to.have.length(1);
      expect(outcome.errors[0]).to.match(/HTTP 401: .*\[redacted\]/);
      for (const form of [PASSWORD, basic, basic.replace(/=+$/, ""), encodeURIComponent(PASSWORD)]) {
        expect(outcome.errors[0]).not.to.contain(form);
      }
    });
  }

  it("reports a persistent failure without the password, keeping the record of what was already sent", async () => {
    const stateFile = path.join(dir, ".myoci", "notified.json");
    const findings = grafanaFindings("2026-11-25T12:00:00Z");
    await notifyFindings(findings.slice(0, 1), options());
    server.failNext(3, 500, `{"error":"upstream said ${PASSWORD}"}`);
    const outcome = await notifyFindings(findings, options());
    expect(outcome.sent).to.deep.equal([]);
    expect(outcome.skipped).to.deep.equal(["vuln:prod:grafana:CVE-2024-9264"]);
    expect(outcome.errors).to.deep.equal([
      `ntfy ${server.url}/myoci-ops failed for "[prod] grafana 11.0.0: CVE-2025-4123 high" after 3 attempts: HTTP 500: {"error":"upstream said [redacted]"}`,
    ]);
    expect(server.requests).to.have.length(4);
    expect(Object.keys(readSentState(stateFile))).to.deep.equal(["vuln:prod:grafana:CVE-2024-9264"]);
    expect(readFileSync(stateFile, "utf8")).not.to.contain(PASSWORD);
  });

  it("does not retry a refused login and says where the credentials come from", async () => {
    server.failNext(1, 401, '{"code":40101,"http":401,"error":"unauthorized"}');
    const outcome = await deliver(new Map([["prod", [{ key: "k", fingerprint: "f", title: "t", body: "b", priority: 3 as const, tags: [] }]]]), options());
    expect(server.requests).to.have.length(1);
    expect(outcome.errors[0]).to.equal(
      `ntfy ${server.url}/myoci-ops refused "t": HTTP 401: {"code":40101,"http":401,"error":"unauthorized"} (check myoci:notify.ntfyUser and MYOCI_NTFY_PASSWORD)`,
    );
    expect(existsSync(path.join(dir, ".myoci", "notified.json"))).to.equal(false);
  });

  it("encodes a non-ASCII title as RFC 2047 so any header value is valid", async () => {
    expect(headerValue("plain ASCII")).to.equal("plain ASCII");
    const encoded = headerValue("grafana 13.0.1 → 13.0.2");
    expect(encoded).to.equal(`=?UTF-8?B?${Buffer.from("grafana 13.0.1 → 13.0.2").toString("base64")}?=`);
  });

  it("notifies check results per component with an update, priority from advisories, click to the changelog", async () => {
    const tags = ["11.0.0", "11.0.1", "11.0.2", "11.1.0", "12.0.0"];
    const declared = { tag: "11.0.0", digest: OWN_DIGEST };
    const grafana = classifyComponent({
      component: "grafana",
      declared,
      tags,
      currentDigest: OWN_DIGEST,
      versions: toVersionSet({ grafana: "11.0.0" }).versions,
      now: new Date("2026-11-25T12:00:00Z"),
    });
    const upToDate = classifyComponent({
      component: "caddy",
      declared: { tag: "2.11.3", digest: OWN_DIGEST },
      tags: ["2.11.3"],
      currentDigest: OWN_DIGEST,
      versions: toVersionSet({ caddy: "2.11.3" }).versions,
    });
    const report = buildReport([{ stack: "prod", file: "Pulumi.prod.yaml", components: [grafana, upToDate], summary: { upToDate: 1, updates: 1, errors: 0 } }]);
    const outcome = await notifyCheckResults(report, options());
    expect(outcome.sent).to.deep.equal(["check:prod:grafana"]);
    const request = server.requests[0]!;
    expect(request.headers.title).to.equal("[prod] grafana 11.0.0: patch 11.0.2, minor 11.1.0, major 12.0.0 (security)"); // 12.0.0 fixes CVE-2024-9264
    expect(request.headers.priority).to.equal("5"); // CVE-2024-9264 is critical
    expect(request.headers.click).to.equal("https://github.com/grafana/grafana/releases/tag/v11.0.2");
    expect(request.body).to.contain("- advisory **CVE-2024-9264** (critical)");
    const again = await notifyCheckResults(report, options());
    expect(again.sent).to.deep.equal([]);
    expect(server.requests).to.have.length(1);
  });
});

describe("notify: target from stack config", () => {
  const base = { stack: "prod", file: "Pulumi.prod.yaml" };
  it("names the missing config key, and the missing password variable without any value", () => {
    expect(() => targetFromConfig({ ...base, notify: undefined }, {})).to.throw("Pulumi.prod.yaml: myoci:notify is not set");
    expect(() => targetFromConfig({ ...base, notify: { ntfyUrl: "https://ntfy.example.org", topic: "ops", ntfyUser: "ops" } }, {})).to.throw(
      'Pulumi.prod.yaml: myoci:notify.ntfyUser is "ops" but MYOCI_NTFY_PASSWORD is not set in the environment',
    );
    expect(
      targetFromConfig({ ...base, notify: { ntfyUrl: "https://ntfy.example.org", topic: "ops", ntfyUser: "ops" } }, { MYOCI_NTFY_PASSWORD: "pw" }),
    ).to.deep.equal({
      url: "https://ntfy.example.org",
      topic: "ops",
      user: "ops",
      password: "pw",
    });
  });

  it("sends to the topic named in the stack file, reading the password from the environment", async () => {
    const server = await startHttpRecorder();
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-notify-cfg-"));
    try {
      const staging = fixtureText("Pulumi.staging.yaml");
      writeFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        `${staging.trimEnd()}\n  myoci:notify:\n    ntfyUrl: ${server.url}\n    topic: myoci-staging\n    ntfyUser: ops\n`,
      );
      const outcome = await notifyRolloutResult(
        {
          stack: "staging",
          outcome: "rolled-back",
          finishedAt: "2026-11-25T11:00:00Z",
          components: [{ component: "loki", from: "3.7.1", to: "3.7.2" }],
          detail: "loki health probe failed 3 times",
        },
        { projectDir: dir, env: { MYOCI_NTFY_PASSWORD: PASSWORD }, send: fast },
      );
      expect(outcome.errors).to.deep.equal([]);
      expect(server.requests.map((r) => [r.path, r.headers.priority, r.headers.authorization])).to.deep.equal([
        ["/myoci-staging", "4", `Basic ${Buffer.from(`ops:${PASSWORD}`).toString("base64")}`],
      ]);
      expect(server.requests[0]!.body).to.contain("loki health probe failed 3 times");
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
