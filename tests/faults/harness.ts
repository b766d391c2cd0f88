/**
 * The fault suite's harness: a fixture project in a temp folder, the real `myoci` process (cli/myoci.js, as
 * `npx myoci` runs it) with optional fault injection, and the checks every case makes: exit code, one clean
 * message (no stack trace), files intact byte for byte, no temp file left, no secret echoed.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

export const REPO = path.resolve(__dirname, "../..");
export const MYOCI = path.join(REPO, "cli", "myoci.js");
export const INJECT = path.join(__dirname, "inject.js");

/** Plain-text secret values planted in fixtures: none of them may ever appear in any output. */
export const PLANTED_SECRETS = ["planted-grafana-password-7f3a", "planted-ntfy-password-91c2", "cGxhbnRlZC1iYXNlNjQ="] as const;

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** JSON fault for tests/faults/inject.js (see there). */
  readonly fault?: Record<string, unknown>;
  /** Run as another user: ["nobody", "nogroup"] through setpriv. */
  readonly asUser?: readonly [string, string];
  readonly timeoutMs?: number;
}

function command(args: readonly string[], options: RunOptions): { file: string; argv: string[] } {
  const node = [...(options.fault ? ["--require", INJECT] : []), MYOCI, ...args];
  return options.asUser
    ? { file: "setpriv", argv: [`--reuid=${options.asUser[0]}`, `--regid=${options.asUser[1]}`, "--clear-groups", process.execPath, ...node] }
    : { file: process.execPath, argv: node };
}

function environment(options: RunOptions): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", ...(options.fault ? { MYOCI_FAULT: JSON.stringify(options.fault) } : {}), ...options.env };
}

/** Runs `myoci <args>` to completion. */
export function runMyoci(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { file, argv } = command(args, options);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd ?? REPO, env: environment(options), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Starts `myoci <args>` and hands back the child (for kill-during-write cases). */
export function startMyoci(args: readonly string[], options: RunOptions = {}) {
  const { file, argv } = command(args, options);
  const child = spawn(file, argv, { cwd: options.cwd ?? REPO, env: environment(options), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<RunResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Whether this process may mount a tmpfs (root in a privileged container or on a host). */
export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) {
    return false;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "myoci-h11-mnt-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).status === 0;
  if (mounted) {
    spawnSync("umount", [dir]);
  }
  return mounted;
}

export function canRunAsNobody(): boolean {
  return process.getuid?.() === 0 && spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "true"]).status === 0;
}

export const PROD_TEXT = stackFileText();
export const STAGING_TEXT = stackFileText({ logShipper: "alloy", tags: { ntfy: "v2.28.0", loki: "3.7.2", grafana: "13.0.2" } });
export const pinOf = (component: string, tag: string) => ({ tag, digest: testDigest(`${component}:${tag}`) });

/** promotions.yaml in which staging verified these pins. */
export function recordText(images: Record<string, { tag: string; digest: string }>): string {
  const lines = Object.entries(images).map(([c, p]) => `      ${c}:\n        tag: "${p.tag}"\n        digest: ${p.digest}`);
  return `# record\nentries:\n  - kind: verified\n    stack: staging\n    recordedAt: 2026-11-26T10:00:00Z\n    images:\n${lines.join("\n")}\n`;
}

/** A project folder: Pulumi.yaml, Pulumi.prod.yaml, Pulumi.staging.yaml, promotions.yaml (+ `files`). */
export function makeProject(files: Record<string, string | Buffer> = {}, dir = mkdtempSync(path.join(tmpdir(), "myoci-fault-"))): string {
  const all: Record<string, string | Buffer> = {
    "Pulumi.yaml": readFileSync(path.join(REPO, "Pulumi.yaml")),
    "Pulumi.prod.yaml": PROD_TEXT,
    "Pulumi.staging.yaml": STAGING_TEXT,
    "promotions.yaml": recordText({ ntfy: pinOf("ntfy", "v2.28.0"), loki: pinOf("loki", "3.7.2") }),
    ...files,
  };
  for (const [name, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** Every file under `dir` (except .myoci/) with its bytes and mode: compare before and after a run. */
export function snapshot(dir: string): Map<string, { bytes: string; mode: number; uid: number }> {
  const out = new Map<string, { bytes: string; mode: number; uid: number }>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".myoci") walk(full);
      } else if (entry.isFile()) {
        const stats = statSync(full);
        out.set(path.relative(dir, full), { bytes: readFileSync(full).toString("base64"), mode: stats.mode, uid: stats.uid });
      }
    }
  };
  walk(dir);
  return out;
}

/** Temp files of the write path left in `dir`. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".tmp"));
}

/** The checks every failing case makes. */
export function expectCleanFailure(result: RunResult, expected: { code?: number; message: RegExp | string; stream?: "stdout" | "stderr" }): void {
  const output = `${result.stdout}\n${result.stderr}`;
  const text = expected.stream === "stdout" ? result.stdout : result.stderr;
  expect(result.code, output).to.equal(expected.code ?? 2);
  if (typeof expected.message === "string") {
    expect(text, output).to.contain(expected.message);
    expectOnce(text, expected.message);
  } else {
    expect(text, output).to.match(expected.message);
    const flags = expected.message.flags.includes("g") ? expected.message.flags : `${expected.message.flags}g`;
    expect(text.match(new RegExp(expected.message.source, flags))?.length, `the message once\n${output}`).to.equal(1);
  }
  expect(output, "no stack trace").not.to.match(/^\s+at .+[:(].*\d+:\d+\)?$/m);
  expect(output, "no uncaught-error dump").not.to.match(/\b(TypeError|ReferenceError|RangeError|SyntaxError)\b|node:internal/);
  for (const secret of PLANTED_SECRETS) {
    expect(output, "no secret echoed").not.to.contain(secret);
  }
}

/** The message appears exactly once (not repeated by a second handler). */
export function expectOnce(text: string, fragment: string): void {
  expect(text.split(fragment).length - 1, text).to.equal(1);
}
