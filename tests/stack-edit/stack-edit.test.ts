import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { ConfigError } from "../../config/schema";
import { editStackFile, editStackText } from "../../config/stack-file/edit";
import { unifiedDiff } from "../../cli/framework/output/diff";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

const lines = (text: string): string[] => text.split("\n");

describe("stack-edit: surgical pin edits", () => {
  const before = stackFileText();

  it("changes only the two pin scalars: every other line is byte-identical (comments, quoting, secure values)", () => {
    const digest = testDigest("loki 3.0.1");
    const after = editStackText(before, { images: { loki: { tag: "3.0.1", digest } } }, "Pulumi.t.yaml");
    const a = lines(before);
    const b = lines(after);
    expect(b).to.have.length(a.length);
    const changed = a.map((line, i) => (line === b[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed).to.have.length(2);
    expect(b[changed[0]!]).to.equal("      tag: 3.0.1 # keeps the 3.0 line with promtail");
    expect(b[changed[1]!]).to.equal(`      digest: ${digest} # keeps the 3.0 line with promtail`);
    expect(after).to.contain("    secure: v1:Zm9vYmFyYmF6:cXV4cXV4cXV4cXV4cXV4cXV4cXV4\n");
    expect(after).to.contain("  myoci:domain: 'example.org'\n");
  });

  it("keeps double quotes, and quotes a plain tag that would read back as a number", () => {
    const quoted = editStackText(before, { images: { forwarderBase: { tag: "3.13-alpine", digest: testDigest("py") } } });
    expect(quoted).to.contain('      tag: "3.13-alpine"\n');
    const numeric = editStackText(before, { images: { postgres: { tag: "16.12", digest: testDigest("pg") } } });
    expect(numeric).to.contain('      tag: "16.12"\n');
    expect((parse(numeric) as { config: Record<string, Record<string, { tag: unknown }>> }).config["myoci:images"]!.postgres!.tag).to.equal("16.12");
  });

  it("replaces one shipper's pin by another in place and switches the scalar", () => {
    const after = editStackText(before, {
      images: { promtail: null, alloy: { tag: "v1.19.2", digest: testDigest("alloy") } },
      scalars: { logShipper: "alloy" },
    });
    const config = (parse(after) as { config: Record<string, unknown> }).config;
    expect(config["myoci:logShipper"]).to.equal("alloy");
    const images = config["myoci:images"] as Record<string, unknown>;
    expect(Object.keys(images)).to.deep.equal([
      "netdata",
      "ntfy",
      "forwarderBase",
      "loki",
      "alloy",
      "grafana",
      "caddy",
      "netbirdManagement",
      "netbirdSignal",
      "netbirdRelay",
      "netbirdDashboard",
      "coturn",
      "zitadel",
      "postgres",
    ]);
    const diff = unifiedDiff(before, after, "a/P.yaml", "b/P.yaml");
    expect(diff.split("\n").filter((l) => /^[-+][^-+]/.test(l))).to.deep.equal([
      "-  myoci:logShipper: promtail",
      "+  myoci:logShipper: alloy",
      "-    promtail:",
      "-      tag: 3.0.0",
      `-      digest: ${testDigest("promtail:3.0.0")}`,
      "+    alloy:",
      "+      tag: v1.19.2",
      `+      digest: ${testDigest("alloy")}`,
    ]);
  });

  it("refuses a missing images map, naming file and key", () => {
    expect(() => editStackText("config:\n  myoci:domain: x.org\n", { images: { loki: { tag: "3.0.0", digest: testDigest("x") } } }, "Pulumi.x.yaml"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains("Pulumi.x.yaml: myoci:images");
  });

  it("prints the same hunks as diff -u", () => {
    const after = editStackText(before, {
      images: { coturn: { tag: "4.7.0", digest: testDigest("coturn") }, netdata: { tag: "v2.10.5", digest: testDigest("nd") } },
    });
    const diff = unifiedDiff(before, after, "a/f", "b/f");
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-diff-"));
    writeFileSync(path.join(dir, "a"), before);
    writeFileSync(path.join(dir, "b"), after);
    const system = spawnSync("diff", ["-u", "a", "b"], { cwd: dir, encoding: "utf8" }).stdout;
    rmSync(dir, { recursive: true, force: true });
    expect(diff.split("\n").slice(2)).to.deep.equal(system.split("\n").slice(2));
    expect(diff.split("\n").filter((l) => l.startsWith("@@"))).to.have.length(2);
    expect(unifiedDiff(before, before, "a", "b")).to.equal("");
  });
});

describe("stack-edit: atomic write", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-edit-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the edit through a temp file + rename", () => {
    const file = path.join(dir, "Pulumi.t.yaml");
    writeFileSync(file, stackFileText());
    const result = editStackFile(file, { images: { loki: { tag: "3.0.1", digest: testDigest("l") } } });
    expect(result.changed).to.equal(true);
    expect(readFileSync(file, "utf8")).to.equal(result.after);
    expect(readdirSync(dir)).to.deep.equal(["Pulumi.t.yaml"]);
    const dry = editStackFile(file, { images: { loki: { tag: "3.0.2", digest: testDigest("m") } } }, { dryRun: true });
    expect(dry.changed).to.equal(true);
    expect(readFileSync(file, "utf8")).to.equal(result.after);
  });

  it("a process SIGKILLed after the temp file is written, before the rename, leaves the old file intact", () => {
    const file = path.join(dir, "Pulumi.t.yaml");
    const original = stackFileText();
    writeFileSync(file, original);
    // The child kills itself at the rename: temp written and fsynced, target not yet replaced.
    const script = `
      const fs = require("node:fs");
      fs.renameSync = () => process.kill(process.pid, "SIGKILL");
      const { editStackFile } = require(${JSON.stringify(path.resolve(__dirname, "../../config/stack-file/edit"))});
      editStackFile(${JSON.stringify(file)}, { images: { loki: { tag: "3.0.1", digest: ${JSON.stringify(testDigest("killed"))} } } });
      process.stdout.write("rename survived");`;
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: path.resolve(__dirname, "../.."),
      encoding: "utf8",
    });
    expect(child.signal).to.equal("SIGKILL");
    expect(child.stdout).to.equal("");
    expect(readFileSync(file, "utf8")).to.equal(original);
    expect(() => parse(readFileSync(file, "utf8")) as unknown).to.not.throw();
    const leftovers = readdirSync(dir).filter((name) => name.endsWith(".tmp"));
    expect(leftovers).to.have.length(1);
    expect(readFileSync(path.join(dir, leftovers[0]!), "utf8")).to.contain(testDigest("killed"));
  });
});
