import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { buildDashboard, writeDashboard } from "../../cli/lib/dashboard";
import { computeFindings, readTrivyReport } from "../../cli/lib/vulns";
import { loadStackFile } from "../../config/stack-file";
import { ConfigError } from "../../config/schema";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures");
const CHROMIUM = "/usr/bin/chromium";
// Both stacks pin 14 components: 15 in the catalog minus the log shipper each does not run.
const EXPECTED_ROWS = 28;
const NOW = new Date("2026-11-27T12:00:00Z");

function vulnsJson(dir: string): string {
  const stacks = ["staging", "prod"].map((stack) => ({ stack, images: loadStackFile(ROOT, stack, { placeholderSecrets: true }).images }));
  const report = readTrivyReport(path.join(__dirname, "..", "vulns", "fixtures", "trivy-grafana-13.0.2.json"));
  const result = computeFindings({ stacks, reports: [report], state: { firstSeen: { "grafana:CVE-2025-22871": "2026-11-25T20:00:00.000Z" } }, now: NOW });
  const file = path.join(dir, "vulns.json");
  writeFileSync(file, JSON.stringify(result));
  return file;
}

describe("dashboard: rows", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "myoci-dash-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("joins declared pins, drift, check, end of life, advisories and the promotion record", () => {
    const { rows } = buildDashboard({
      projectDir: ROOT,
      checkJson: path.join(FIXTURES, "check.json"),
      driftJson: [path.join(FIXTURES, "drift-staging.json")],
      vulnsJson: vulnsJson(dir),
      now: NOW,
    });
    expect(rows).to.have.length(EXPECTED_ROWS);
    const grafana = rows.find((r) => r.stack === "staging" && r.component === "grafana")!;
    expect(grafana.declared.tag).to.equal("13.0.2");
    expect(grafana.running).to.deep.equal({
      tags: ["13.0.1"],
      status: "tag",
      problems: ["myoci-staging-grafana is labelled myoci.version=13.0.1, declared 13.0.2"],
    });
    expect(grafana.updates).to.deep.equal({ status: "minor", patch: "13.0.3", minor: "13.1.0", major: undefined, error: undefined });
    expect(grafana.advisories.map((a) => `${a.id} ${a.state}`)).to.deep.equal(["CVE-2025-22871 overdue", "GHSA-xxxx-unrated-example open"]);
    expect(grafana.nextDeadline).to.equal("2026-11-26T20:00:00.000Z");
    expect(grafana.lastRollout).to.equal(null); // staging has no verified entry yet
    const netdataStaging = rows.find((r) => r.stack === "staging" && r.component === "netdata")!;
    expect(netdataStaging.running).to.deep.equal({ tags: [], status: "missing", problems: [] });
    expect(netdataStaging.updates).to.deep.equal({ status: "not checked", error: undefined });
    const promtail = rows.find((r) => r.stack === "prod" && r.component === "promtail")!;
    expect(promtail.running).to.equal(null);
    expect(promtail.updates).to.equal(null);
    expect(promtail.endOfLife).to.deep.equal({ date: "2026-03-02", reached: true, successor: "alloy" });
    expect(promtail.lastRollout).to.deep.equal({ kind: "adopted", recordedAt: "2026-11-25T00:00:00Z", tag: "3.0.0", current: true });
  });

  it("refuses a check file of another shape, naming file, key and value, and writes nothing", () => {
    const bad = path.join(dir, "check.json");
    writeFileSync(
      bad,
      JSON.stringify({
        schemaVersion: 1,
        checkedAt: "x",
        stacks: [{ stack: "prod", components: [{ component: "grafana", declared: { tag: "1", digest: "d" }, status: "newer", newest: {} }] }],
      }),
    );
    expect(() => buildDashboard({ projectDir: ROOT, checkJson: bad, now: NOW }))
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains('check.json: stacks.0.components.0.status = "newer"');
  });
});

describe("dashboard: in headless Chromium", function () {
  if (!existsSync(CHROMIUM)) {
    it.skip(`needs ${CHROMIUM}`);
    return;
  }
  this.timeout(60000);
  let dir: string;
  let context: BrowserContext;
  /** A fresh profile each: no state from any other run. */
  const launch = (profile: string, javaScriptEnabled = true) =>
    chromium.launchPersistentContext(path.join(dir, profile), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 800 },
      javaScriptEnabled,
    });
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-dash-ui-"));
    context = await launch("profile");
  });
  after(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string) {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => !r.url().startsWith("file://") && errors.push(`external request ${r.url()}`));
    await page.goto(`file://${file}`);
    return { page, errors };
  }

  const column = (page: import("playwright-core").Page, index: number) =>
    page.$$eval(`#components tbody tr td:nth-child(${index})`, (tds) => tds.map((td) => (td as HTMLElement).innerText.trim()));

  it("loads without console errors, holds one row per pinned component, and sorts on header clicks", async () => {
    const { html } = buildDashboard({
      projectDir: ROOT,
      checkJson: path.join(FIXTURES, "check.json"),
      driftJson: [path.join(FIXTURES, "drift-staging.json")],
      vulnsJson: vulnsJson(dir),
      now: NOW,
    });
    const file = writeDashboard(path.join(dir, "site"), html);
    const { page, errors } = await open(file);
    expect(await page.locator("#components tbody tr").count()).to.equal(EXPECTED_ROWS);
    expect(await column(page, 1)).to.deep.equal([...Array(14).fill("prod"), ...Array(14).fill("staging")]);

    await page.getByRole("button", { name: "Component" }).click();
    expect(await page.getAttribute("#components th:nth-child(2)", "aria-sort")).to.equal("ascending");
    const ascending = (await column(page, 2)).map((t) => t.split(/\s/)[0] ?? "");
    expect(ascending.slice(0, 3)).to.deep.equal(["alloy", "caddy", "caddy"]);
    expect(ascending).to.deep.equal([...ascending].sort((a, b) => a.localeCompare(b)));

    await page.getByRole("button", { name: "Component" }).click();
    expect(await page.getAttribute("#components th:nth-child(2)", "aria-sort")).to.equal("descending");
    expect((await column(page, 2)).slice(0, 2).map((t) => t.split(/\s/)[0] ?? "")).to.deep.equal(["zitadel", "zitadel"]);

    await page.getByRole("button", { name: "Next deadline" }).click();
    const deadlines = await column(page, 8);
    expect(deadlines[0]).to.equal("overdue since 2026-11-26 20:00 UTC");
    expect(await page.locator("#components tbody tr").first().locator("td").nth(1).textContent()).to.match(/^grafana/);
    expect(deadlines.filter((d) => d === "none")).to.have.length(EXPECTED_ROWS - 1);
    expect(errors).to.deep.equal([]);
  });

  it("is a plain readable table without JavaScript", async () => {
    const { html } = buildDashboard({ projectDir: ROOT, now: NOW });
    const file = writeDashboard(path.join(dir, "plain"), html);
    const plain = await launch("profile-nojs", false);
    const page = await plain.newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator("#components th button").count()).to.equal(0); // the script did not run
    expect(await page.locator("#components tbody tr").count()).to.equal(EXPECTED_ROWS);
    expect(await page.locator("#components th").allTextContents()).to.deep.equal([
      "Stack",
      "Component",
      "Declared",
      "Running",
      "Updates",
      "End of life",
      "Advisories",
      "Next deadline",
      "Last rollout",
    ]);
    expect(await page.locator("#components tbody tr").first().locator("td").nth(3).textContent()).to.equal("unknown");
    expect(await page.locator("#components tbody tr").first().locator("td").nth(4).textContent()).to.equal("not checked");
    await plain.close();
  });

  // The committed docs/dashboard.png is refreshed with MYOCI_UPDATE_SCREENSHOT=1; otherwise the shot goes to a temp dir.
  it("screenshots the dashboard of the repository's own stacks", async () => {
    const { html } = buildDashboard({ projectDir: ROOT });
    const file = writeDashboard(path.join(dir, "repo"), html);
    const { page, errors } = await open(file);
    const shot = process.env["MYOCI_UPDATE_SCREENSHOT"] === "1" ? path.join(ROOT, "docs", "dashboard.png") : path.join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(errors).to.deep.equal([]);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString("latin1")).to.equal("PNG");
    expect(statSync(shot).size).to.be.below(400_000);
  });
});
