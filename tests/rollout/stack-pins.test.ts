import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StackFilePins } from "../../cli/adapters/pulumi-engine/stack-pins";
import { stackFileText } from "../helpers/stack-fixture";

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
});
