/**
 * The `myoci` launcher (cli/myoci.js + scripts/compiled.js, copied as they are into a scratch project with a
 * hand-made bin/): which build a run uses, judged by the sources of the command's graph only, and the V8 code cache
 * it keeps for a bundle. Then the bundler's lazy stub (scripts/bundle.js) and a whole `myoci check` that compiles
 * no code from strings.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { stackFileText } from "../helpers/stack-fixture";

const ROOT = path.join(__dirname, "..", "..");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function node(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** Sets a file's mtime `seconds` from now. */
function age(file: string, seconds: number): void {
  const when = new Date(Date.now() + seconds * 1000);
  utimesSync(file, when, when);
}

function write(file: string, text: string, seconds = -60): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  age(file, seconds);
}

const BUNDLE = `"use strict";
// Functions compiled only when they run: what a code cache taken after the run keeps.
function greet(argv) { return "bundle " + argv.join(" "); }
exports.main = async (argv) => { process.stdout.write(greet(argv) + "\\n"); return Number(process.env.MYOCI_TEST_EXIT ?? 0); };
`;

/**
 * A project as `npm run build` leaves it: sources a minute old, the stamp half a minute old, bin/ with the compiled
 * main, check's bundle and the manifest. The TypeScript main (for ts-node) says "ts".
 */
function scratchProject(dir: string): void {
  mkdirSync(path.join(dir, "cli"), { recursive: true });
  mkdirSync(path.join(dir, "scripts"), { recursive: true });
  copyFileSync(path.join(ROOT, "cli", "myoci.js"), path.join(dir, "cli", "myoci.js"));
  copyFileSync(path.join(ROOT, "scripts", "compiled.js"), path.join(dir, "scripts", "compiled.js"));
  write(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022", strict: true } }));
  write(
    path.join(dir, "cli", "main.ts"),
    'export async function main(argv: string[]): Promise<number> { process.stdout.write(`ts ${argv.join(" ")}\\n`); return 0; }\n',
  );
  write(path.join(dir, "cli", "commands", "check.ts"), "export {};\n");
  write(path.join(dir, "components", "other.ts"), "export {};\n");
  for (const file of ["catalog", "config", "program", "policy"]) write(path.join(dir, file, "index.ts"), "export {};\n");
  for (const file of ["index.ts", "platform.ts"]) write(path.join(dir, file), "export {};\n");
  write(path.join(dir, "node_modules", ".package-lock.json"), "{}\n");
  write(path.join(dir, "bin", "cli", "main.js"), 'exports.main = async (argv) => { process.stdout.write(`compiled ${argv.join(" ")}\\n`); return 0; };\n', -30);
  write(path.join(dir, "bin", "cli", "bundle", "check.js"), BUNDLE, -30);
  const sha256 = createHash("sha256").update(BUNDLE).digest("hex");
  const manifest = { bundles: { main: { sources: ["cli/main.ts"] }, check: { sources: ["cli/commands/check.ts", "cli/main.ts"], sha256 } } };
  write(path.join(dir, "bin", "cli", "bundle", "manifest.json"), JSON.stringify(manifest), -30);
  write(path.join(dir, "bin", ".build-stamp"), "built", -30);
}

describe("the myoci launcher: which build runs", function () {
  this.timeout(60_000);
  let dir: string;
  // ts-node and typescript come from this repository's node_modules.
  const env = { NODE_PATH: path.join(ROOT, "node_modules") };
  const myoci = (args: string[]) => node([path.join(dir, "cli", "myoci.js"), ...args], dir, { ...env, NODE_COMPILE_CACHE: path.join(dir, "cache") });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-k15-launcher-"));
    scratchProject(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the command's bundle when the sources of its graph are older than the build", async () => {
    const run = await myoci(["check", "--stack", "prod"]);
    expect(run.stdout).to.equal("bundle check --stack prod\n");
    expect(run.code).to.equal(0);
  });

  it("a newer source outside the command's graph does not send the run to ts-node (no walk over every source)", async () => {
    age(path.join(dir, "components", "other.ts"), 0);
    expect((await myoci(["check"])).stdout).to.equal("bundle check\n");
  });

  it("a newer source of the command's graph runs the TypeScript through ts-node", async () => {
    age(path.join(dir, "cli", "commands", "check.ts"), 0);
    expect((await myoci(["check"])).stdout).to.equal("ts check\n");
  });

  it("a deleted source of the command's graph runs the TypeScript through ts-node", async () => {
    unlinkSync(path.join(dir, "cli", "commands", "check.ts"));
    expect((await myoci(["check"])).stdout).to.equal("ts check\n");
  });

  it("help is answered by the compiled main, judged by main's own graph", async () => {
    age(path.join(dir, "cli", "commands", "check.ts"), 0);
    expect((await myoci(["check", "--help"])).stdout).to.equal("compiled check --help\n");
    expect((await myoci(["--help"])).stdout).to.equal("compiled --help\n");
    age(path.join(dir, "cli", "main.ts"), 0);
    expect((await myoci(["--help"])).stdout).to.equal("ts --help\n");
  });

  it("node_modules installed after the build: the compiled tree, not the bundle that inlines the old packages", async () => {
    age(path.join(dir, "node_modules", ".package-lock.json"), 0);
    expect((await myoci(["check"])).stdout).to.equal("compiled check\n");
  });

  it("a build without a manifest: every source must be older than the build", async () => {
    unlinkSync(path.join(dir, "bin", "cli", "bundle", "manifest.json"));
    expect((await myoci(["check"])).stdout).to.equal("compiled check\n");
    age(path.join(dir, "components", "other.ts"), 0);
    expect((await myoci(["check"])).stdout).to.equal("ts check\n");
  });
});

describe("the myoci launcher: a bundle's V8 code cache", function () {
  this.timeout(60_000);
  let dir: string;
  let cacheRoot: string;
  const myoci = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    node([path.join(dir, "cli", "myoci.js"), ...args], dir, { NODE_PATH: path.join(ROOT, "node_modules"), NODE_COMPILE_CACHE: cacheRoot, ...env });
  /** The bundle's cache files (Node puts them in a folder per Node version and V8 flags). */
  const cacheFiles = (): string[] =>
    (existsSync(cacheRoot) ? readdirSync(cacheRoot, { recursive: true, encoding: "utf8" }) : [])
      .filter((name) => path.basename(name).startsWith("bundle-check-"))
      .map((name) => path.join(cacheRoot, name));

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-k15-cache-"));
    cacheRoot = path.join(dir, "cache");
    scratchProject(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a complete run leaves the cache (this user's only, named by the bundle's hash, size and mtime); the next run uses it", async () => {
    expect((await myoci(["check"])).stdout).to.equal("bundle check\n");
    const files = cacheFiles();
    expect(files).to.have.length(1);
    const bundle = statSync(path.join(dir, "bin", "cli", "bundle", "check.js"));
    const sha256 = createHash("sha256").update(BUNDLE).digest("hex");
    expect(path.basename(files[0]!)).to.equal(`bundle-check-${sha256.slice(0, 32)}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}.complete`);
    const first = statSync(files[0]!);
    expect(first.mode & 0o777).to.equal(0o600);
    expect((await myoci(["check"])).stdout).to.equal("bundle check\n");
    // Accepted: not written again.
    expect(statSync(files[0]!).ino).to.equal(first.ino);
    expect(statSync(files[0]!).mtimeMs).to.equal(first.mtimeMs);
  });

  it("a run that stops early (exit 2) keeps a partial cache; the first complete run replaces it", async () => {
    expect((await myoci(["check"], { MYOCI_TEST_EXIT: "2" })).code).to.equal(2);
    expect(cacheFiles().map((file) => path.extname(file))).to.deep.equal([".partial"]);
    expect((await myoci(["check"])).code).to.equal(0);
    expect(cacheFiles().map((file) => path.extname(file))).to.deep.equal([".complete"]);
  });

  it("a corrupt cache is rejected by V8 and replaced; the run's output is unchanged", async () => {
    await myoci(["check"]);
    const [file] = cacheFiles();
    writeFileSync(file!, Buffer.alloc(4096, 7));
    expect((await myoci(["check", "--x"])).stdout).to.equal("bundle check --x\n");
    expect(readFileSync(file!).equals(Buffer.alloc(4096, 7))).to.equal(false);
  });

  it("a cache file another user owns is never loaded (it is code): the run writes its own", async function () {
    if (process.getuid?.() !== 0) this.skip(); // chown needs root
    await myoci(["check"]);
    const [file] = cacheFiles();
    chownSync(file!, 65534, 65534);
    expect((await myoci(["check"])).stdout).to.equal("bundle check\n");
    expect(statSync(file!).uid).to.equal(0);
  });

  it("with Node's compile cache disabled, no cache is written", async () => {
    expect((await myoci(["check"], { NODE_DISABLE_COMPILE_CACHE: "1" })).stdout).to.equal("bundle check\n");
    expect(cacheFiles()).to.deep.equal([]);
  });
});

describe("the bundler's lazy stub (zod's locales)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), "myoci-k15-bundle-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the 40-odd locale modules out of the bundle; z.locales still loads them, with the same names, on first use", async () => {
    const entry = path.join(dir, "entry.js");
    writeFileSync(
      entry,
      `const { z } = require(${JSON.stringify(require.resolve("zod"))});
exports.main = () => {
  const names = Object.keys(z.locales);
  const before = Object.keys(require.cache).filter((f) => f.includes("locales")).length;
  z.config(z.locales.de());
  const message = z.string().safeParse(1).error.issues[0].message;
  return JSON.stringify({ names, before, message });
};
`,
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundle } = require("../../scripts/bundle") as { bundle: (root: string, entry: string, extra: string[], out: string) => string[] };
    const out = path.join(dir, "bundle.js");
    bundle(ROOT, entry, [], out);
    const text = readFileSync(out, "utf8");
    expect(text).to.not.include('locales/de.cjs": {');
    expect(text).to.include('"node_modules/zod/v4/locales/index.cjs": { lazy:');
    expect(text).to.include('"node_modules/zod/v4/locales/en.cjs": { deps:'); // zod's own default, imported by zod
    const run = await node(["-e", `process.stdout.write(require(${JSON.stringify(out)}).main())`], dir);
    const result = JSON.parse(run.stdout) as { names: string[]; before: number; message: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(result.names).to.deep.equal(Object.keys((require("zod") as typeof import("zod")).z.locales));
    expect(result.before).to.equal(1); // only en.cjs until a locale is asked for
    expect(result.message).to.match(/^Ungültige Eingabe/);
  });
});

describe("start-up work a `myoci check` run does not do", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-k15-check-"));
    writeFileSync(path.join(dir, "Pulumi.fixture.yaml"), stackFileText());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles no code from strings (zod's JIT is off: its `new Function` per schema is never cached)", async () => {
    // Counts `new Function(...)` and `Function(...)` from any module loaded after the preload.
    const preload = path.join(dir, "count-functions.js");
    writeFileSync(
      preload,
      `const Native = Function; let count = 0;
globalThis.Function = new Proxy(Native, { construct(t, a) { count++; return Reflect.construct(t, a); }, apply(t, self, a) { count++; return Reflect.apply(t, self, a); } });
process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(path.join(dir, "count.txt"))}, String(count)));
`,
    );
    // A refused mirror: the stack file is read and validated in full, then every lookup fails fast (exit 2).
    const mirror = "http://127.0.0.1:9";
    const run = await node(
      [
        "-r",
        preload,
        path.join(ROOT, "cli", "myoci.js"),
        "check",
        "--stack",
        "fixture",
        "--json",
        "--registry-mirror",
        `docker.io=${mirror}`,
        "--registry-mirror",
        `ghcr.io=${mirror}`,
      ],
      dir,
    );
    expect(run.code, run.stderr).to.equal(2);
    expect((JSON.parse(run.stdout) as { stacks: { components: unknown[] }[] }).stacks[0]!.components).to.have.length.greaterThan(10);
    expect(readFileSync(path.join(dir, "count.txt"), "utf8")).to.equal("0");
  });

  it("loads no node:crypto to read (config/atomic-write needs it only to write)", async () => {
    const out = path.join(dir, "compiled");
    mkdirSync(out, { recursive: true });
    for (const name of ["atomic-write", "exit-cleanup"]) {
      const source = readFileSync(path.join(ROOT, "config", `${name}.ts`), "utf8");
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
      writeFileSync(path.join(out, `${name}.js`), js);
    }
    const probe = `const m = require(${JSON.stringify(path.join(out, "atomic-write.js"))});
const loaded = () => process.moduleLoadList.includes("NativeModule crypto");
const before = loaded();
m.writeFileAtomic(${JSON.stringify(path.join(dir, "written.txt"))}, "x");
process.stdout.write(JSON.stringify({ before, after: loaded() }));`;
    // A file, not `node -e`: -e itself loads node:crypto (its \`crypto\` global).
    writeFileSync(path.join(dir, "probe.js"), probe);
    const run = await node([path.join(dir, "probe.js")], dir);
    expect(JSON.parse(run.stdout), run.stderr).to.deep.equal({ before: false, after: true });
  });
});
