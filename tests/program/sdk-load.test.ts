/** What evaluating the program loads (issue 15): the Pulumi SDK without TypeScript, which only its closure serialiser uses. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { repoRoot } from "../../config/repo-root";

describe("evaluating the program (npx myoci plan)", function () {
  this.timeout(120_000);

  it("never runs the SDK's TypeScript shim: TypeScript (9 MB) stays unloaded unless something is serialised", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-b15-load-"));
    try {
      // Records who asks Node for `typescript` (ts-node does when the build is stale; the SDK's shim must not).
      const record = path.join(dir, "requests.json");
      writeFileSync(
        path.join(dir, "preload.js"),
        `const Module = require("node:module"); const load = Module._load; const seen = [];
         Module._load = function (request, parent, ...rest) {
           if (request === "typescript" || request.endsWith("typescript-shim")) seen.push({ request, from: parent && parent.filename });
           return load.call(this, request, parent, ...rest);
         };
         process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(record)}, JSON.stringify(seen)));`,
      );
      const root = repoRoot();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "-r",
          path.join(dir, "preload.js"),
          path.join(root, "scripts", "run-ts.js"),
          "policy/offline/run.ts",
          "plan",
          "--stack",
          "prod",
          "--project-dir",
          "tests/fixtures/project",
          "--json",
        ],
        { cwd: root },
      );
      expect((JSON.parse(stdout) as { containers: unknown[] }).containers).to.have.length(14);
      const requests = JSON.parse(readFileSync(record, "utf8")) as { request: string; from?: string }[];
      // The SDK asks for its shim (runtime/closure/parseFunction.js); the shim's own require of typescript never runs.
      expect(requests.some((r) => r.request.endsWith("typescript-shim"))).to.equal(true);
      expect(requests.filter((r) => r.from?.endsWith("typescript-shim.js") === true)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
