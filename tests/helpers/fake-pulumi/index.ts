/**
 * Test side of the scripted `pulumi` (main.ts): a backend folder with stacks, cues and the invocation log, the
 * environment that puts the scripted CLI first on PATH, and `npx myoci` run as a user runs it — a child process in
 * its own process group, so a test can send SIGINT to the group as a terminal's Ctrl-C does.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");
export const FAKE_PULUMI_BIN = path.join(__dirname, "bin");

export interface Invocation {
  readonly argv: string[];
  readonly pid: number;
  readonly pgid: number;
  readonly parentPgid: number;
  readonly signals: string[];
  readonly exit: number;
  readonly startedAt: string;
  readonly endedAt: string;
}

export interface FakeCue {
  readonly command: string;
  readonly stack?: string;
  readonly nth?: number;
  readonly fail?: string;
  readonly sleepMs?: number;
  readonly lockedBy?: string;
}

export interface FakeUpdate {
  version: number;
  kind: string;
  startTime: string;
  endTime?: string;
  message: string;
  environment: Record<string, string>;
  config: Record<string, { value: string; secret: boolean }>;
  result: string;
}

export interface FakeBackendState {
  url: string;
  user: string;
  stacks: Record<string, { updates: FakeUpdate[]; outputs: Record<string, unknown> }>;
  containers?: Record<string, Record<string, { name: string; port: number }>>;
  healthImages?: Record<string, string>;
  podman?: { argv: string[]; env: Record<string, string> };
  deployFiles?: { stack: string; component: string; file: string; values: Record<string, string> }[];
}

export class FakePulumi {
  readonly home: string;

  constructor(state: FakeBackendState) {
    this.home = mkdtempSync(path.join(os.tmpdir(), "myoci-h17-pulumi-"));
    mkdirSync(path.join(this.home, "locks"));
    this.write(state);
  }

  /** A successful update #1 of `pins` (what the stack runs before the test). */
  static deployedUpdate(pins: Record<string, { tag: string; digest: string }>): { updates: FakeUpdate[]; outputs: Record<string, unknown> } {
    const at = "2026-11-30T12:00:00.000Z";
    return {
      updates: [
        {
          version: 1,
          kind: "update",
          startTime: at,
          endTime: at,
          message: "",
          environment: {},
          config: { "myoci:images": { value: JSON.stringify(pins), secret: false } },
          result: "succeeded",
        },
      ],
      outputs: { images: Object.fromEntries(Object.entries(pins).map(([c, p]) => [c, { image: `${c}:${p.tag}@${p.digest}`, ...p }])) },
    };
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${FAKE_PULUMI_BIN}:${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      FAKE_PULUMI_HOME: this.home,
      FAKE_PULUMI_NODE: process.execPath,
    };
  }

  state(): FakeBackendState {
    return JSON.parse(readFileSync(path.join(this.home, "backend.json"), "utf8")) as FakeBackendState;
  }

  write(state: FakeBackendState): void {
    writeFileSync(path.join(this.home, "backend.json"), JSON.stringify(state, null, 2));
  }

  cue(...cues: FakeCue[]): void {
    writeFileSync(path.join(this.home, "cues.json"), JSON.stringify(cues));
  }

  /** Finished invocations, in the order they ended. */
  invocations(): Invocation[] {
    const log = path.join(this.home, "invocations.jsonl");
    return existsSync(log)
      ? readFileSync(log, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Invocation)
      : [];
  }

  /** Commands as words, `--non-interactive` left out: e.g. "stack select --stack h17-staging". */
  commands(): string[] {
    return this.invocations().map((i) => i.argv.filter((a) => a !== "--non-interactive").join(" "));
  }

  /** Resolves when an invocation whose argv starts with `words` has started. */
  async started(words: string[], timeoutMs = 60_000): Promise<void> {
    const log = path.join(this.home, "started.jsonl");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
      if (lines.some((l) => words.every((w, i) => (JSON.parse(l) as { argv: string[] }).argv[i] === w))) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`pulumi ${words.join(" ")} did not start within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface MyociRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** SIGINT to the whole process group, as a terminal's Ctrl-C. */
  interrupt(): void;
}

/**
 * `npx myoci <args>` from the repository root, in a process group of its own (a terminal's foreground job);
 * `direct`: `node cli/myoci.js <args>` instead (myoci alone in the job, as an installed `myoci` runs).
 */
export function runMyoci(args: readonly string[], env: NodeJS.ProcessEnv, options: { direct?: boolean } = {}): MyociRun {
  const [command, argv] = options.direct === true ? [process.execPath, [path.join(ROOT, "cli", "myoci.js"), ...args]] : ["npx", ["myoci", ...args]];
  const child = spawn(command, argv, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    done,
    interrupt: () => {
      if (child.pid !== undefined) {
        process.kill(-child.pid, "SIGINT");
      }
    },
  };
}

/**
 * `localhost/myoci-h17-probe:<kind>`: busybox httpd whose /www answers the catalog's probe paths of Netdata
 * (/api/v1/info) and the NetBird dashboard (/) with 200 ("good"), or has no files, so every path is 404 ("bad").
 */
export async function importProbeImage(podman: { podman(args: readonly string[]): Promise<string> }, kind: "good" | "bad"): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h17-probe-"));
  try {
    const rootfs = path.join(dir, "rootfs");
    mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    mkdirSync(path.join(rootfs, "www", "api", "v1"), { recursive: true });
    copyFileSync("/bin/busybox", path.join(rootfs, "bin", "busybox"));
    chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
    symlinkSync("busybox", path.join(rootfs, "bin", "httpd"));
    if (kind === "good") {
      writeFileSync(path.join(rootfs, "www", "index.html"), "dashboard\n");
      writeFileSync(path.join(rootfs, "www", "api", "v1", "info"), '{"version":"test"}\n');
    }
    execFileSync("tar", ["-C", rootfs, "-cf", path.join(dir, "rootfs.tar"), "."]);
    const reference = `localhost/myoci-h17-probe:${kind}`;
    await podman.podman(["import", "--quiet", path.join(dir, "rootfs.tar"), reference]);
    return reference;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
