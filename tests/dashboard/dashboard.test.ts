/**
 * The dashboard: its model on a fixture project with exactly one item of each "Needs action" kind, and the
 * page in real headless Chromium (summary rows and counts, flags visible, no JavaScript needed, no console errors).
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { COMPONENT_IDS } from "../../catalog";
import { ACTION_KINDS, buildDashboard, KIND_MARKS, SEVERITY_MARKS, UPDATE_MARKS, writeDashboard, type DashboardOptions } from "../../cli/app/dashboard";
import { computeFindings, readTrivyReport } from "../../cli/app/vulns";
import { loadStackFile } from "../../config/stack-file";
import { ConfigError } from "../../config/schema";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures");
const PROJECT = path.join(FIXTURES, "project");
const CHROMIUM = "/usr/bin/chromium";
const NOW = new Date("2026-11-27T12:00:00Z");
const HOUR = 3600_000;

/** `myoci vulns --json` of the fixture: staging Grafana's critical first seen 2 days ago (overdue), its unrated one now (due in 7 days). */
function vulnsJson(dir: string): string {
  const stacks = ["staging", "prod"].map((stack) => ({ stack, images: loadStackFile(PROJECT, stack, { placeholderSecrets: true }).images }));
  const report = readTrivyReport(path.join(__dirname, "..", "vulns", "fixtures", "trivy-grafana-13.0.2.json"));
  const seen = new Date(NOW.getTime() - 48 * HOUR).toISOString();
  const result = computeFindings({ stacks, reports: [report], state: { firstSeen: { "grafana:CVE-2025-22871": seen } }, now: NOW });
  const file = path.join(dir, "vulns.json");
  writeFileSync(file, JSON.stringify(result));
  return file;
}

/** `myoci drift --json` of staging: everything in sync but Grafana, which runs 13.0.1. */
function driftJson(dir: string): string {
  const images = loadStackFile(PROJECT, "staging", { placeholderSecrets: true }).images;
  const components = COMPONENT_IDS.filter((c) => images[c]).map((component) => {
    const pin = images[component]!;
    const tag = component === "grafana" ? "13.0.1" : pin.tag;
    const name = `myoci-staging-${component}`;
    return {
      component,
      status: component === "grafana" ? "tag" : "in-sync",
      containers: [{ name, tag, digests: [pin.digest], state: "running", health: "healthy" }],
      problems: component === "grafana" ? [`${name} is labelled myoci.version=13.0.1, declared ${pin.tag}`] : [],
    };
  });
  const file = path.join(dir, "drift-staging.json");
  writeFileSync(
    file,
    JSON.stringify({ schemaVersion: 1, command: "drift", exitCode: 1, errors: [], stack: "staging", dockerHost: "unix:///x", inSync: false, components }),
  );
  return file;
}

function allInputs(dir: string): DashboardOptions {
  return {
    projectDir: PROJECT,
    checkJson: path.join(FIXTURES, "check.json"),
    driftJson: [driftJson(dir)],
    vulnsJson: vulnsJson(dir),
    rolloutJson: [path.join(FIXTURES, "rollout-inconclusive.json")],
    now: NOW,
  };
}

describe("dashboard: model", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "myoci-dash-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lists one item of each kind, most urgent kind first, and counts them", () => {
    const { model } = buildDashboard(allInputs(dir));
    expect(model.counts).to.deep.equal(Object.fromEntries(ACTION_KINDS.map((k) => [k, 1])));
    expect(model.actions.map((a) => `${a.kind} ${a.stack}/${a.component}`)).to.deep.equal([
      "needs-person prod/caddy",
      "overdue staging/grafana",
      "due-soon staging/grafana",
      "drift staging/grafana",
      "error prod/coturn",
      "rule prod/netbirdManagement",
      "end-of-life prod/promtail",
      "promote prod/ntfy",
    ]);
    const overdue = model.actions[1]!;
    expect(overdue).to.include({ what: "CVE-2025-22871 (critical)", severity: "critical", deadline: "2026-11-26T12:00:00.000Z" });
    expect(model.actions[7]!.next).to.equal("`npx myoci promote --from staging --to prod ntfy`");
    // Staging beside prod; the table sorted by urgency.
    expect(model.stacks).to.deep.equal(["staging", "prod"]);
    expect(model.rows.slice(0, 3).map((r) => r.component)).to.deep.equal(["caddy", "grafana", "coturn"]);
    expect(model.cells).to.equal(28);
  });

  it("carries every flag check reports: re-pointed tag, broken rules, changelog links", () => {
    const { model } = buildDashboard(allInputs(dir));
    const grafana = model.rows.find((r) => r.component === "grafana")!.cells["staging"]!;
    expect(grafana.updates?.candidates.map((c) => `${c.kind} ${c.tag} ${c.changelog} ${c.breaks.map((b) => b.rule).join(",")}`)).to.deep.equal([
      "patch 13.0.3 https://github.com/grafana/grafana/releases/tag/v13.0.3 ",
      "minor 13.1.0 https://github.com/grafana/grafana/releases/tag/v13.1.0 grafana-loki-datasource",
    ]);
    expect(model.rows.find((r) => r.component === "caddy")!.cells["staging"]!.updates).to.include({ status: "digest", repointed: true });
  });

  it("computes offline what it can: rules, end of life, ready to promote, versions staging runs ahead", () => {
    const { model } = buildDashboard({ projectDir: PROJECT, now: NOW });
    expect(model.counts).to.include({ rule: 1, "end-of-life": 1, promote: 1, drift: 0, error: 0, "needs-person": 0 });
    const grafanaProd = model.rows.find((r) => r.component === "grafana")!.cells["prod"]!;
    expect(grafanaProd.fromSource).to.deep.equal({ from: "staging", tag: "13.0.2", change: "major", verified: false });
    expect(grafanaProd.running).to.equal(null);
    expect(grafanaProd.updates).to.equal(null);
  });

  it("gives every kind, severity and update class its own shape and word, not only a colour", () => {
    const marks = [...Object.values(KIND_MARKS), ...Object.entries(SEVERITY_MARKS).map(([word, shape]) => [shape, word]), ...Object.values(UPDATE_MARKS)];
    const words = marks.map(([, word]) => word);
    // One word may name two things (error); each shape names one thing.
    const shapes = new Map<string, Set<string>>();
    for (const [shape, word] of marks) shapes.set(shape, (shapes.get(shape) ?? new Set()).add(word));
    expect([...shapes].filter(([, w]) => w.size > 1)).to.deep.equal([]);
    expect(new Set(words).size).to.equal(words.length - 1);
  });

  it("refuses a check file of another shape, naming file, key and value", () => {
    const bad = path.join(dir, "check.json");
    const component = { component: "grafana", declared: { tag: "1", digest: "d" }, status: "newer", newest: {} };
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, checkedAt: "x", stacks: [{ stack: "prod", components: [component] }] }));
    expect(() => buildDashboard({ projectDir: PROJECT, checkJson: bad, now: NOW }))
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

  async function open(file: string, on: BrowserContext = context): Promise<{ page: Page; errors: string[] }> {
    const page = await on.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => !r.url().startsWith("file://") && errors.push(`external request ${r.url()}`));
    await page.goto(`file://${file}`);
    return { page, errors };
  }

  const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ").trim()));

  async function assertSummary(page: Page): Promise<void> {
    expect(await page.locator("#needs-action-title").innerText()).to.equal("Needs action (8)");
    for (const kind of ACTION_KINDS) {
      expect(await page.locator(`#needs-action ul.counts li[data-kind="${kind}"] .count`).innerText(), kind).to.equal("1");
    }
    expect(await page.$$eval("#actions tbody tr", (rows) => rows.map((r) => r.getAttribute("data-kind")))).to.deep.equal([...ACTION_KINDS]);
    const rows = await texts(page, "#actions tbody tr");
    expect(rows[0]).to.match(/^⚑ needs a person prod \/ caddy rollout inconclusive/);
    expect(rows[1]).to.equal(
      "‼ overdue staging / grafana ◆ critical CVE-2025-22871 (critical) since 2026-11-26 12:00 UTC update grafana on staging (npx myoci pin / npx myoci rollout) or accept the risk in risk-acceptances.yaml",
    );
    expect(rows[2]).to.contain("◷ due soon staging / grafana ◇ unrated");
    expect(rows[3]).to.contain("≠ drift staging / grafana myoci-staging-grafana is labelled myoci.version=13.0.1, declared 13.0.2");
    expect(rows[4]).to.contain("✕ error prod / coturn not checked: docker.io/coturn/coturn: no answer within 30000 ms");
    expect(rows[5]).to.contain("⊘ breaks a rule prod / netbirdManagement breaks netbird-one-version");
    expect(rows[6]).to.contain("† end of life prod / promtail end of life since 2026-03-02; successor: alloy");
    expect(rows[7]).to.equal(
      "⇒ ready to promote prod / ntfy v2.28.0 verified on staging 2026-11-26; prod runs v2.27.0 npx myoci promote --from staging --to prod ntfy",
    );
    // The needs-action section comes first, above the table.
    const [summaryTop, tableTop] = await Promise.all(
      ["#needs-action", "#components"].map((s) => page.locator(s).evaluate((e) => e.getBoundingClientRect().top)),
    );
    expect(summaryTop).to.be.below(tableTop!);
  }

  it("shows the summary's rows and counts, every flag without hovering, staging beside prod, no console errors", async () => {
    const { html } = buildDashboard(allInputs(dir));
    const { page, errors } = await open(writeDashboard(path.join(dir, "site"), html));
    await assertSummary(page);
    expect(await texts(page, "#components thead th")).to.deep.equal(["Component", "staging", "prod"]);
    expect((await texts(page, "#components tbody th strong")).slice(0, 3)).to.deep.equal(["caddy", "grafana", "coturn"]);
    const grafana = page.locator('#components tr[data-component="grafana"] td[data-stack="staging"]');
    // innerText is what is rendered: visible without hovering.
    const shown = (await grafana.innerText()).replace(/\s+/g, " ");
    for (const text of [
      "↗ patch 13.0.3",
      "↑ minor 13.1.0",
      "⊘ 13.1.0 breaks grafana-loki-datasource",
      "≠ drift tag",
      "◆ critical CVE-2025-22871 overdue since",
    ]) {
      expect(shown).to.contain(text);
    }
    expect(await grafana.locator("a.changelog").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))).to.deep.equal([
      "https://github.com/grafana/grafana/releases/tag/v13.0.3",
      "https://github.com/grafana/grafana/releases/tag/v13.1.0",
    ]);
    expect(await page.locator('#components tr[data-component="caddy"] td[data-stack="staging"] .flag').innerText()).to.contain("↻ tag re-pointed");
    // Nothing is only in a tooltip.
    expect(await page.locator("[title]").count()).to.equal(0);
    expect(errors).to.deep.equal([]);
  });

  it("needs no JavaScript: the same summary with scripts off", async () => {
    const { html } = buildDashboard(allInputs(dir));
    const plain = await launch("profile-nojs", false);
    const { page, errors } = await open(writeDashboard(path.join(dir, "plain"), html), plain);
    expect(await page.locator("script").count()).to.equal(0);
    await assertSummary(page);
    expect(errors).to.deep.equal([]);
    await plain.close();
  });

  it("without inputs says what is unknown and still marks what it computed", async () => {
    const { html } = buildDashboard({ projectDir: PROJECT, now: NOW });
    const { page } = await open(writeDashboard(path.join(dir, "offline"), html));
    expect(await texts(page, "#sources li.src-unknown strong")).to.deep.equal(["Updates", "Running versions", "Rollouts"]);
    expect(
      await page.locator("#components .k-promote, #components .k-rule, #components .k-end-of-life, #components .up-major, #components .up-minor").count(),
    ).to.be.above(5);
    expect(await page.locator('#components tr[data-component="grafana"] td[data-stack="prod"] .from-source').innerText()).to.equal(
      "staging runs ⇈ major 13.0.2, not verified there yet",
    );
  });

  // The committed docs/dashboard.png is refreshed with MYOCI_UPDATE_SCREENSHOT=1; otherwise the shot goes to a temp dir.
  it("screenshots the dashboard of the repository's own stacks", async () => {
    const { html } = buildDashboard({ projectDir: ROOT });
    const { page, errors } = await open(writeDashboard(path.join(dir, "repo"), html));
    const shot = process.env["MYOCI_UPDATE_SCREENSHOT"] === "1" ? path.join(ROOT, "docs", "dashboard.png") : path.join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(errors).to.deep.equal([]);
    expect(readFileSync(shot).subarray(1, 4).toString("latin1")).to.equal("PNG");
    expect(statSync(shot).size).to.be.below(600_000);
  });
});
