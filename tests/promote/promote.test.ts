import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { promote } from "../../cli/app/promote";
import { run as runPromote } from "../../cli/commands/promote";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

const STAGING_TAGS = { ntfy: "v2.28.0", loki: "3.7.2", grafana: "13.0.2" };

describe("myoci promote", () => {
  let dir: string;
  let prodFile: string;
  const prodText = stackFileText();
  const stagingText = stackFileText({ logShipper: "alloy", tags: STAGING_TAGS });
  const pin = (component: string, tag: string) => ({ tag, digest: testDigest(`${component}:${tag}`) });

  const record = (images: Record<string, { tag: string; digest: string }>, recordedAt = "2026-11-26T10:00:00Z") =>
    `# record\nentries:\n  - kind: verified\n    stack: staging\n    recordedAt: ${recordedAt}\n    images:\n${Object.entries(images)
      .map(([c, p]) => `      ${c}:\n        tag: "${p.tag}"\n        digest: ${p.digest}`)
      .join("\n")}\n`;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-promote-"));
    prodFile = path.join(dir, "Pulumi.prod.yaml");
    writeFileSync(prodFile, prodText);
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stagingText);
    writeFileSync(path.join(dir, "promotions.yaml"), record({ ntfy: pin("ntfy", "v2.28.0"), alloy: pin("alloy", "v1.19.2"), loki: pin("loki", "3.7.2") }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const request = (components: string[], extra: { dryRun?: boolean; switchLogShipper?: boolean } = {}) => ({
    projectDir: dir,
    from: "staging",
    to: "prod",
    components,
    ...extra,
  });

  it("copies a verified pin that staging runs; only its two scalars change", async () => {
    const outcome = await promote(request(["ntfy"]));
    expect(outcome.messages).to.deep.equal([]);
    expect(outcome.exitCode).to.equal(0);
    expect(outcome.promoted).to.deep.equal(["ntfy"]);
    const after = readFileSync(prodFile, "utf8").split("\n");
    const changed = prodText
      .split("\n")
      .map((line, i) => (line === after[i] ? null : [line, after[i]]))
      .filter((x) => x !== null);
    expect(changed).to.deep.equal([
      ["      tag: v2.27.0", "      tag: v2.28.0"],
      [`      digest: ${testDigest("ntfy:v2.27.0")}`, `      digest: ${testDigest("ntfy:v2.28.0")}`],
    ]);
    expect(outcome.output).to.contain(`  ntfy: v2.27.0 → v2.28.0@${testDigest("ntfy:v2.28.0")}`);
  });

  it("refuses a component staging has not verified, naming component and digest; writes nothing", async () => {
    const outcome = await promote(request(["ntfy", "grafana"]));
    expect(outcome.exitCode).to.equal(1);
    expect(outcome.messages).to.deep.equal([`refused: grafana 13.0.2@${testDigest("grafana:13.0.2")}: stack staging has not verified this digest`]);
    expect(readFileSync(prodFile, "utf8")).to.equal(prodText);
  });

  it("refuses when staging verified another digest than it pins now", async () => {
    writeFileSync(path.join(dir, "promotions.yaml"), record({ ntfy: { tag: "v2.28.0", digest: testDigest("older build") } }));
    const outcome = await promote(request(["ntfy"]));
    expect(outcome.exitCode).to.equal(1);
    expect(outcome.messages[0]).to.equal(
      `refused: ntfy v2.28.0@${testDigest("ntfy:v2.28.0")}: stack staging has not verified this digest; the latest digest it verified is v2.28.0@${testDigest("older build")} (2026-11-26T10:00:00Z)`,
    );
  });

  it("refuses promoting Alloy into a Promtail stack without --switch-log-shipper", async () => {
    for (const components of [["alloy"], []]) {
      const outcome = await promote(request(components));
      expect(outcome.exitCode).to.equal(1);
      expect(outcome.messages[0]).to.contain(
        'refused: Pulumi.prod.yaml: myoci:logShipper = "promtail": promoting alloy v1.19.2 means switching the log shipper',
      );
    }
    expect(readFileSync(prodFile, "utf8")).to.equal(prodText);
  });

  it("refuses a verified Loki 3.7 while prod still ships with Promtail (compatibility rule)", async () => {
    const outcome = await promote(request(["loki"]));
    expect(outcome.exitCode).to.equal(1);
    expect(outcome.messages).to.include(
      "refused: Pulumi.prod.yaml: loki-promtail-same-minor: Promtail 3.0.0 and Loki 3.7.2 must share major.minor (3.0 ≠ 3.7).",
    );
  });

  it("--switch-log-shipper: sets logShipper, replaces the promtail pin by staging's verified alloy pin, keeps the rest", async () => {
    const dry = await promote(request(["loki"], { switchLogShipper: true, dryRun: true }));
    expect(dry.exitCode).to.equal(0);
    expect(dry.written).to.equal(false);
    expect(readFileSync(prodFile, "utf8")).to.equal(prodText);
    const outcome = await promote(request(["loki"], { switchLogShipper: true }));
    expect(outcome.messages).to.deep.equal([]);
    expect(outcome.exitCode).to.equal(0);
    expect(outcome.promoted).to.deep.equal(["loki", "alloy"]);
    const config = (parse(readFileSync(prodFile, "utf8")) as { config: Record<string, unknown> }).config;
    expect(config["myoci:logShipper"]).to.equal("alloy");
    const images = config["myoci:images"] as Record<string, { tag: string; digest: string }>;
    expect(images.promtail).to.equal(undefined);
    expect(images.alloy).to.deep.equal(pin("alloy", "v1.19.2"));
    expect(images.loki).to.deep.equal(pin("loki", "3.7.2"));
    expect(images.grafana).to.deep.equal(pin("grafana", "12.0.2"));
    expect(config["myoci:postgresPassword"]).to.deep.equal({ secure: "v1:YmF6YmF6YmF6:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" });
  });

  it("CLI: exit 2 for an unknown component, 1 when refused, 0 when promoted", async () => {
    const argv = (...rest: string[]) => ["--from", "staging", "--to", "prod", "--project-dir", dir, ...rest];
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    let captured = "";
    process.stdout.write = (chunk: string) => ((captured += chunk), true);
    process.stderr.write = (chunk: string) => ((captured += chunk), true);
    try {
      expect(await runPromote(argv("nope"))).to.equal(2);
      expect(await runPromote(argv("grafana"))).to.equal(1);
      expect(await runPromote(argv("ntfy"))).to.equal(0);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    expect(captured).to.contain("myoci:images.nope: unknown component");
    expect(captured).to.contain("Pulumi.prod.yaml: promoted from staging:");
  });
});
