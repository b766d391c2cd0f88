import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StackFilePins } from "../../cli/adapters/pulumi-engine/stack-pins";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

describe("myoci:postgresMigration in the stack file", () => {
  it("is added, changed and removed touching only its own lines (comments, quoting, blank lines stay)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h17-pins-"));
    try {
      const file = path.join(dir, "Pulumi.staging.yaml");
      const text = stackFileText();
      writeFileSync(file, text);
      const pins = new StackFilePins(dir);
      pins.setPostgresMigration("staging", { from: 16, to: 17 });
      const lines = text.split("\n");
      const config = lines.indexOf("config:");
      expect(readFileSync(file, "utf8")).to.equal(
        [...lines.slice(0, config + 1), "  myoci:postgresMigration:", "    from: 16", "    to: 17", ...lines.slice(config + 1)].join("\n"),
      );
      pins.setPostgresMigration("staging", { from: 16, to: 18 });
      expect(readFileSync(file, "utf8")).to.contain("  myoci:postgresMigration:\n    from: 16\n    to: 18\n  myoci:dockerHost:");
      pins.setPostgresMigration("staging", null);
      expect(readFileSync(file, "utf8")).to.equal(text);
      pins.setPostgresMigration("staging", null); // absent: nothing to do
      expect(readFileSync(file, "utf8")).to.equal(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const inStackFile = (text: string, write: (pins: StackFilePins) => void): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-s10-pins-"));
    try {
      writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
      write(new StackFilePins(dir));
      return readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const commented = stackFileText().replace(
    "  myoci:postgresDataMajor: 16\n",
    '  myoci:postgresDataMajor: 16\n  "myoci:postgresMigration":   # pending major upgrade\n\n    from: 16   # the data volume\n    to: 17\n  # next: the secrets\n',
  );

  it("a changed migration keeps the key's quoting, comments and blank lines: only the changed value differs", () => {
    const after = inStackFile(commented, (pins) => pins.setPostgresMigration("staging", { from: 16, to: 18 }));
    expect(after).to.equal(commented.replace("    to: 17\n", "    to: 18\n"));
  });

  it("a removed migration takes exactly its own lines (its inner comment and blank line); the next key's comment stays", () => {
    const after = inStackFile(commented, (pins) => pins.setPostgresMigration("staging", null));
    expect(after).to.equal(stackFileText().replace("  myoci:postgresDataMajor: 16\n", "  myoci:postgresDataMajor: 16\n  # next: the secrets\n"));
  });

  it("an unchanged migration leaves the file byte-identical", () => {
    expect(inStackFile(commented, (pins) => pins.setPostgresMigration("staging", { from: 16, to: 17 }))).to.equal(commented);
  });

  it("a CRLF stack file keeps CRLF on every line the rollout writes (pins and migration)", () => {
    const crlf = stackFileText().replace(/\n/g, "\r\n");
    const digest = testDigest("grafana 12.0.3");
    const after = inStackFile(crlf, (pins) => {
      pins.write("staging", { grafana: { tag: "12.0.3", digest } });
      pins.setPostgresMigration("staging", { from: 16, to: 17 });
    });
    expect(after.replace(/\r\n/g, "")).to.not.contain("\n");
    expect(after).to.contain("\r\n  myoci:postgresMigration:\r\n    from: 16\r\n    to: 17\r\n  myoci:dockerHost:");
    expect(after).to.contain(`      tag: 12.0.3\r\n      digest: ${digest}\r\n`);
  });

  it("a pin write keeps every byte outside the changed scalars (comments, quoting, secure values)", () => {
    const text = stackFileText();
    const digest = testDigest("loki 3.0.1");
    const after = inStackFile(text, (pins) => pins.write("staging", { loki: { tag: "3.0.1", digest } }));
    const old = /      tag: 3\.0\.0 # keeps the 3\.0 line with promtail\n      digest: (sha256:[0-9a-f]{64})/.exec(text)![1]!;
    expect(after).to.equal(
      text.replace(
        `      tag: 3.0.0 # keeps the 3.0 line with promtail\n      digest: ${old}`,
        `      tag: 3.0.1 # keeps the 3.0 line with promtail\n      digest: ${digest}`,
      ),
    );
  });
});
