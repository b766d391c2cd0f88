/** How the pack runs (issue 15, #10): its compile cache, settings built once per run, settings typed without casts. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { COMPILE_CACHE_DIR, PACK_COMPILE_CACHE_DIR } from "../offline/compile-cache";
import { PolicyPackServer } from "../offline/server";
import { spawnPack, stopPack } from "../offline/pack-process";
import { policySchema, settingsOf } from "../lib/settings";

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

describe("policy pack at run time", () => {
  it("writes Node's compile cache once loaded, although it is stopped by a signal and never exits normally", async function () {
    this.timeout(120_000);
    const cache = mkdtempSync(path.join(os.tmpdir(), "myoci-p15-pack-cache-"));
    const server = await PolicyPackServer.start({ stack: "prod", env: { NODE_COMPILE_CACHE: cache } });
    try {
      // Written right after the pack is served (the turn of its event loop that reads the records): wait for the
      // number of files to settle.
      let seen = -1;
      for (let waited = 0; waited < 15_000 && (seen <= 0 || filesUnder(cache).length !== seen); waited += 500) {
        seen = filesUnder(cache).length;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await server.stop();
    }
    try {
      expect(filesUnder(cache).length).to.be.greaterThan(50); // the SDK, TypeScript, ts-node, gRPC, protobuf
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("stops a pack that does not serve yet, and every caller of the stop waits for its exit (two exit paths racing leave no orphan)", async function () {
    this.timeout(60_000);
    const pack = spawnPack({ stack: "prod" });
    const exitedWhenResolved = async () => {
      await stopPack(pack.child);
      return pack.child.exitCode !== null || pack.child.signalCode !== null;
    };
    // Right after the spawn, before the pack printed its port: a failed run and an escaping error stop it at once.
    expect(await Promise.all([exitedWhenResolved(), exitedWhenResolved()])).to.deep.equal([true, true]);
    expect(pack.child.signalCode).to.equal("SIGTERM");
    expect(
      await pack.port.then(
        () => "served",
        () => "never served",
      ),
    ).to.equal("never served");
    expect(await exitedWhenResolved()).to.equal(true); // and once more, after it has exited
  });

  it("loads none of zod's ~40 translations in the served pack (zod's English messages only)", async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-b15-zod-"));
    const record = path.join(dir, "loaded.json");
    // In the pack's process: which of zod's locale modules Node compiled; written when the pack is stopped.
    writeFileSync(
      path.join(dir, "preload.js"),
      `const Module = require("node:module"); const compile = Module.prototype._compile; const seen = [];
       Module.prototype._compile = function (content, filename) { if (/zod[\\/]v4[\\/]locales[\\/]/.test(filename)) seen.push(require("node:path").basename(filename)); return compile.call(this, content, filename); };
       process.on("SIGTERM", () => { require("node:fs").writeFileSync(${JSON.stringify(record)}, JSON.stringify(seen)); process.exit(0); });`,
    );
    const server = await PolicyPackServer.start({ stack: "prod", env: { NODE_OPTIONS: `--require ${path.join(dir, "preload.js")}` } });
    try {
      expect((await server.info()).policies.length).to.be.greaterThan(20);
    } finally {
      await server.stop();
    }
    try {
      expect(JSON.parse(readFileSync(record, "utf8"))).to.deep.equal(["en.cjs"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the pack's cache apart from the runner's (V8 rejects code cached with the other's debugger state)", () => {
    expect(path.relative(COMPILE_CACHE_DIR, PACK_COMPILE_CACHE_DIR)).to.equal("policy-pack");
  });

  const schema = policySchema({
    properties: {
      names: { type: "array", items: { type: "string" }, default: ["a"] },
      limit: { type: "integer", default: 3 },
    },
  });
  const args = (config: Record<string, unknown>) => ({ getConfig: <T extends object>() => ({ ...config }) as T });

  it("builds a policy's settings once for the same config, though the SDK hands each call a fresh copy", () => {
    const names = ["x", "y"];
    const first = settingsOf(args({ names }), schema);
    expect(first).to.deep.equal({ names: ["x", "y"], limit: 3 });
    expect(settingsOf(args({ names }), schema)).to.equal(first);
  });

  it("builds them again when the config changes", () => {
    const first = settingsOf(args({ limit: 5 }), schema);
    const second = settingsOf(args({ limit: 6 }), schema);
    expect([first.limit, second.limit]).to.deep.equal([5, 6]);
    expect(settingsOf(args({}), schema)).to.deep.equal({ names: ["a"], limit: 3 });
  });

  it("types every policy's settings from its schema: no cast in the pack or the runner", () => {
    const root = path.join(__dirname, "..");
    const sources = ["policies", "lib", "offline"].flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => path.join(dir, f)),
    );
    const casts = sources.flatMap((file) =>
      readFileSync(path.join(root, file), "utf8")
        .split("\n")
        .flatMap((line, i) => (/\bas never\b|\bas unknown as\b/.test(line) ? [`policy/${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(casts).to.deep.equal([]);
  });
});
