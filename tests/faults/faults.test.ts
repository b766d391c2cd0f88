/**
 * The fault suite: bad stack files, bad arguments, disk faults (a full tmpfs and injected I/O errors), kills during a
 * write, concurrent writers and secret echo — each through the real `myoci` process, each asserting the exit code,
 * one clean message, and that every file is intact (byte for byte, mode and owner) with no temp file left.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { testDigest } from "../helpers/stack-fixture";
import { CLI_CASES, CONFIG_CASES } from "./cases";
import {
  canMountTmpfs,
  canRunAsNobody,
  expectCleanFailure,
  makeProject,
  PLANTED_SECRETS,
  PROD_TEXT,
  REPO as REPO_ROOT,
  runMyoci,
  snapshot,
  startMyoci,
  tempFiles,
  type RunResult,
} from "./harness";

const D = testDigest("fault-suite");
const LOKI_DIGEST = testDigest("loki:3.0.0");
const pinLoki = (dir: string, extra: string[] = []) => ["pin", "loki", "3.0.1", "--stack", "prod", "--digest", D, "--project-dir", dir, ...extra];
/** prod after `pin loki 3.0.1 --digest D`: exactly the two scalars changed. */
const pinnedText = (text: string) => text.replace("tag: 3.0.0 # keeps", "tag: 3.0.1 # keeps").replace(LOKI_DIGEST, D);

/** Where the per-stack lock lives (cli/app/stack-lock). */
const stackLockFile = (dir: string, stack: string) => path.join(dir, ".myoci", "locks", `${stack}.lock`);

const projects: string[] = [];
function project(files: Record<string, string | Buffer> = {}): string {
  const dir = makeProject(files);
  projects.push(dir);
  return dir;
}

function expectIntact(dir: string, before: ReturnType<typeof snapshot>): void {
  expect(snapshot(dir)).to.deep.equal(before);
  expect(tempFiles(dir), "temp files").to.deep.equal([]);
}

describe("fault suite", function () {
  this.timeout(120_000);
  after(() => {
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });

  describe("stack files as users write them (myoci pin)", () => {
    for (const c of CONFIG_CASES) {
      it(`${c.message ? "refuses" : "accepts"} ${c.name}`, async () => {
        const content = c.content(PROD_TEXT);
        const dir = project({ "Pulumi.prod.yaml": content });
        const before = snapshot(dir);
        const result = await runMyoci(pinLoki(dir));
        if (c.message) {
          expectCleanFailure(result, { message: c.message });
          expect(result.stderr).to.contain("Pulumi.prod.yaml");
          expectIntact(dir, before);
        } else {
          expect(result.code, result.stderr).to.equal(0);
          const bytes = typeof content === "string" ? Buffer.from(content) : content;
          expect(readFileSync(path.join(dir, "Pulumi.prod.yaml")).equals(Buffer.from(pinnedText(bytes.toString("utf8"))))).to.equal(true);
          expect(tempFiles(dir)).to.deep.equal([]);
        }
      });
    }
  });

  describe("arguments of every command", () => {
    for (const c of CLI_CASES) {
      it(`${c.name}: exit ${c.code ?? 2}, one clean message, nothing written`, async () => {
        const dir = project();
        const before = snapshot(dir);
        const result = await runMyoci(
          c.args.map((a) => a.replace("DIR", dir)),
          { cwd: dir, timeoutMs: 30_000 },
        );
        expect(result.signal, "finished by itself (no hang)").to.equal(null);
        expectCleanFailure(result, { code: c.code ?? 2, message: c.message, stream: c.stream });
        expectIntact(dir, before);
        expect(existsSync(path.join("/proc", "nope"))).to.equal(false);
      });
    }
  });

  describe("disk faults in the write path", () => {
    // Injected at the system-call layer of the real process (tests/faults/inject.js), for each command that writes.
    const faults: [string, Record<string, unknown>, RegExp][] = [
      [
        "the disk fills after 1 KiB (partial write, then ENOSPC)",
        { op: "write", action: "short", after: 1024 },
        /no space left on the device \(ENOSPC\); the old file is intact/,
      ],
      ["the disk is full (ENOSPC at once)", { op: "write", action: "short", after: 0 }, /ENOSPC/],
      ["the quota is exceeded (EDQUOT)", { op: "write", action: "error", code: "EDQUOT" }, /disk quota exceeded \(EDQUOT\)/],
      ["an I/O error at fsync (EIO)", { op: "fsync", action: "error", code: "EIO" }, /input\/output error \(EIO\); the old file is intact/],
      ["the rename fails (EXDEV)", { op: "rename", action: "error", code: "EXDEV" }, /EXDEV.*the old file is intact/],
      ["the temp file cannot be created (EMFILE)", { op: "open", action: "error", code: "EMFILE" }, /EMFILE/],
    ];
    const commands: [string, (dir: string) => string[], string][] = [
      ["pin", (dir) => pinLoki(dir), "Pulumi.prod.yaml"],
      ["promote", (dir) => ["promote", "--from", "staging", "--to", "prod", "ntfy", "--project-dir", dir], "Pulumi.prod.yaml"],
    ];
    for (const [command, args, file] of commands) {
      for (const [name, fault, message] of faults) {
        it(`${command}: ${name} → exit 2, ${file} intact, no temp file`, async () => {
          const dir = project();
          const before = snapshot(dir);
          const result = await runMyoci(args(dir), { fault });
          expectCleanFailure(result, { message: new RegExp(`cannot write ${dir.replace(/[/.]/g, "\\$&")}/${file.replace(".", "\\.")}: .*${message.source}`) });
          expect(result.stdout).not.to.contain("pinned");
          expect(result.stdout).not.to.contain("promoted from");
          expectIntact(dir, before);
        });
      }
    }

    it("docs: the disk fills while writing DEPENDENCIES.md → exit 2, no partial file", async () => {
      const dir = project();
      const before = snapshot(dir);
      const result = await runMyoci(["docs", "--project-dir", dir], { fault: { op: "write", action: "short", after: 512 } });
      expectCleanFailure(result, { message: /cannot write .*DEPENDENCIES\.md: no space left on the device/ });
      expectIntact(dir, before);
    });

    it("dashboard: the disk fills while writing index.html → exit 2, no partial page", async () => {
      const dir = project();
      const result = await runMyoci(["dashboard", "--out", path.join(dir, "site"), "--project-dir", dir], {
        fault: { op: "write", action: "short", after: 1024 },
      });
      expectCleanFailure(result, { message: /cannot write .*site\/index\.html: no space left on the device/ });
      expect(existsSync(path.join(dir, "site", "index.html"))).to.equal(false);
      expect(tempFiles(path.join(dir, "site"))).to.deep.equal([]);
    });

    it("a real full disk: pin on a nearly full 64 KiB tmpfs keeps the 41 KB stack file whole", async function () {
      if (!canMountTmpfs()) {
        this.skip(); // no mount permission here; the injected ENOSPC cases above cover the same path
      }
      const dir = mkdtempSync(path.join(tmpdir(), "myoci-h11-tmpfs-"));
      expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).status).to.equal(0);
      try {
        const padding = `${"# padding: a stack file with long comments at the top\n".repeat(760)}`;
        const text = padding + PROD_TEXT;
        makeProject({ "Pulumi.prod.yaml": text }, dir);
        expect(statSync(path.join(dir, "Pulumi.prod.yaml")).size).to.be.greaterThan(40_000);
        const before = snapshot(dir);
        const result = await runMyoci(pinLoki(dir));
        expectCleanFailure(result, { message: /cannot write .*Pulumi\.prod\.yaml: no space left on the device \(ENOSPC\); the old file is intact/ });
        expectIntact(dir, before);
        expect(parse(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8"))).to.have.property("config");
      } finally {
        spawnSync("umount", [dir]);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe("permissions (a non-root user, through setpriv)", () => {
      before(function () {
        if (!canRunAsNobody()) {
          this.skip();
        }
      });
      const asNobody = { asUser: ["nobody", "nogroup"] as const };
      it("a read-only (0444) stack file is refused, not replaced, although its directory is writable", async () => {
        const dir = project();
        chmodSync(dir, 0o777);
        chmodSync(path.join(dir, "Pulumi.prod.yaml"), 0o444);
        const before = snapshot(dir);
        const result = await runMyoci(pinLoki(dir), asNobody);
        expectCleanFailure(result, { message: /cannot write .*Pulumi\.prod\.yaml: the file is not writable for this user \(mode 0444\); nothing written/ });
        expectIntact(dir, before);
      });
      it("a stack file in a directory the user may not write is refused before the registry is asked", async () => {
        const dir = project();
        spawnSync("chown", ["-R", "nobody:nogroup", dir]);
        chmodSync(dir, 0o555);
        const before = snapshot(dir);
        const result = await runMyoci(
          ["pin", "loki", "3.0.1", "--stack", "prod", "--project-dir", dir, "--registry-mirror", "docker.io=http://127.0.0.1:9"],
          asNobody,
        );
        expectCleanFailure(result, { message: /cannot write .*Pulumi\.prod\.yaml: .* does not accept new files: permission denied \(EACCES\)/ });
        expect(result.stderr).not.to.contain("could not resolve");
        expectIntact(dir, before);
        chmodSync(dir, 0o755);
      });
      it("the user's own writable file is pinned, keeping its mode", async () => {
        const dir = project();
        spawnSync("chown", ["-R", "nobody:nogroup", dir]);
        chmodSync(path.join(dir, "Pulumi.prod.yaml"), 0o640);
        const result = await runMyoci(pinLoki(dir), asNobody);
        expect(result.code, result.stderr).to.equal(0);
        const stats = statSync(path.join(dir, "Pulumi.prod.yaml"));
        expect(stats.mode & 0o7777).to.equal(0o640);
        expect(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")).to.equal(pinnedText(PROD_TEXT));
      });
    });

    it("root pins another user's file: mode and owner are kept", async () => {
      const dir = project();
      const file = path.join(dir, "Pulumi.prod.yaml");
      chmodSync(file, 0o604);
      if (process.getuid?.() === 0) chownSync(file, 65534, 65534);
      const owner = statSync(file);
      const result = await runMyoci(pinLoki(dir));
      expect(result.code, result.stderr).to.equal(0);
      const after = statSync(file);
      expect([after.mode & 0o7777, after.uid, after.gid]).to.deep.equal([0o604, owner.uid, owner.gid]);
    });
  });

  describe("kill during a write", () => {
    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
      ["SIGHUP", 129],
    ] as const) {
      // The write itself is synchronous: a signal arriving inside it is handled once it has finished (file new,
      // exit 0 or 128+n); one arriving before it ends the run with the file old. Never a partial file or a temp file.
      it(`${signal} while the temp file is written: the file old or new (never partial), no temp, no lock left`, async () => {
        const dir = project();
        const mark = path.join(dir, ".mark");
        const run = startMyoci(pinLoki(dir), { fault: { op: "rename", action: "delay", ms: 1500, mark } });
        await waitFor(() => existsSync(mark));
        run.child.kill(signal);
        const result = await run.done;
        expect(result.signal, "ended by its own handler, not by the signal's default action").to.equal(null);
        expect(result.code, `${result.stdout}${result.stderr}`).to.be.oneOf([0, code]);
        const text = readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
        expect(text).to.equal(result.code === 0 ? pinnedText(PROD_TEXT) : text === PROD_TEXT ? PROD_TEXT : pinnedText(PROD_TEXT));
        expect(tempFiles(dir)).to.deep.equal([]);
        expect(existsSync(stackLockFile(dir, "prod"))).to.equal(false);
      });
    }

    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const) {
      it(`${signal} to a run waiting for the lock: it ends at once (nothing of its own to clean), the holder's lock and change untouched`, async () => {
        const dir = project();
        const mark = path.join(dir, ".mark");
        const holder = startMyoci(pinLoki(dir), { fault: { op: "rename", action: "delay", ms: 2500, mark } });
        await waitFor(() => existsSync(mark));
        const waiting = startMyoci(["pin", "grafana", "12.0.3", "--stack", "prod", "--digest", D, "--project-dir", dir], {
          env: { MYOCI_LOCK_WAIT_MS: "30000" },
        });
        await new Promise((r) => setTimeout(r, 700));
        waiting.child.kill(signal);
        const result = await waiting.done;
        expect(result.signal === signal || result.code === code, JSON.stringify(result)).to.equal(true);
        expect(existsSync(stackLockFile(dir, "prod")), "the holder still holds its lock").to.equal(true);
        expect((await holder.done).code).to.equal(0);
        expect(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")).to.equal(pinnedText(PROD_TEXT));
        expect(tempFiles(dir)).to.deep.equal([]);
      });
    }

    it("SIGKILL before the rename: the old file is intact; the next run removes the dead run's temp file and its lock", async () => {
      const dir = project();
      const mark = path.join(dir, ".mark");
      const run = startMyoci(pinLoki(dir), { fault: { op: "rename", action: "delay", ms: 5000, mark } });
      await waitFor(() => existsSync(mark));
      run.child.kill("SIGKILL");
      await run.done;
      expect(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")).to.equal(PROD_TEXT);
      expect(tempFiles(dir)).to.have.length(1);
      expect(existsSync(stackLockFile(dir, "prod"))).to.equal(true);
      const next = await runMyoci(pinLoki(dir), { env: { MYOCI_LOCK_WAIT_MS: "2000" } });
      expect(next.code, next.stderr).to.equal(0);
      expect(tempFiles(dir)).to.deep.equal([]);
      expect(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")).to.equal(pinnedText(PROD_TEXT));
    });
  });

  describe("concurrent writers", () => {
    it("four pins of one stack at once (each slowed inside its write): every change is kept", async () => {
      const dir = project();
      const changes: [string, string][] = [
        ["loki", "3.0.1"],
        ["grafana", "12.0.3"],
        ["caddy", "2.10.3"],
        ["netdata", "v2.10.5"],
      ];
      const runs = changes.map(([component, tag]) =>
        runMyoci(["pin", component, tag, "--stack", "prod", "--digest", testDigest(`${component}:${tag}`), "--project-dir", dir], {
          fault: { op: "rename", action: "delay", ms: 400 },
          env: { MYOCI_LOCK_WAIT_MS: "30000" },
        }),
      );
      const results = await Promise.all(runs);
      for (const r of results) expect(r.code, r.stderr).to.equal(0);
      const images = (parse(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, Record<string, { tag: string }>> }).config[
        "myoci:images"
      ]!;
      expect(changes.map(([component]) => images[component]!.tag)).to.deep.equal(changes.map(([, tag]) => tag));
    });

    it("a pin and a promote of prod at once: both changes are kept", async () => {
      const dir = project();
      const slow = { fault: { op: "rename", action: "delay", ms: 500 }, env: { MYOCI_LOCK_WAIT_MS: "30000" } };
      const [a, b] = await Promise.all([
        runMyoci(pinLoki(dir), slow),
        runMyoci(["promote", "--from", "staging", "--to", "prod", "ntfy", "--project-dir", dir], slow),
      ]);
      expect([a.code, b.code], a.stderr + b.stderr).to.deep.equal([0, 0]);
      const text = readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
      expect(text).to.contain(`digest: ${D}`);
      expect(text).to.contain(`digest: ${testDigest("ntfy:v2.28.0")}`);
    });

    it("a second run that cannot wait long enough says who holds the lock; exit 2, nothing written", async () => {
      const dir = project();
      const mark = path.join(dir, ".mark");
      const holder = startMyoci(pinLoki(dir), { fault: { op: "rename", action: "delay", ms: 3000, mark } });
      await waitFor(() => existsSync(mark));
      const second = await runMyoci(["pin", "grafana", "12.0.3", "--stack", "prod", "--digest", D, "--project-dir", dir], {
        env: { MYOCI_LOCK_WAIT_MS: "200" },
      });
      expectCleanFailure(second, {
        message: new RegExp(`stack prod is locked by myoci pin loki 3\\.0\\.1 \\(pid ${holder.child.pid} on .+, since .+\\); waited 0\\.2 s`),
      });
      expect((await holder.done).code).to.equal(0);
      expect(readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")).to.equal(pinnedText(PROD_TEXT));
    });
  });

  describe("npm run plan / npm run policy on bad input: exit 2, one message, no pack server left", function () {
    // The runner reads Pulumi.<stack>.yaml from the repository root: fixture stacks there get a unique name.
    const stack = `h11fault${process.pid}`;
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    afterEach(() => rmSync(file, { force: true }));
    const marker = `myoci-fault-${process.pid}`;
    /** Processes (the pack server is one) still carrying this run's marker in their environment. */
    const survivors = (tag: string): number[] =>
      readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/environ`, "latin1").includes(`MYOCI_FAULT_RUN=${tag}\0`);
          } catch {
            return false;
          }
        })
        .map(Number);
    const inputs: [string, string | undefined, string[], string | RegExp][] = [
      [
        "a schema-invalid stack file",
        PROD_TEXT.replace("'example.org'", "NOT_A_DOMAIN"),
        [],
        `Pulumi.${stack}.yaml: myoci:domain = "NOT_A_DOMAIN": expected a lower-case DNS name`,
      ],
      ["invalid YAML", PROD_TEXT.replace("  myoci:domain: 'example.org'", "\tmyoci:domain: x"), [], /\(line 5\) = \(invalid YAML\)/],
      ["an empty stack file", "", [], `Pulumi.${stack}.yaml: (file) = (empty)`],
      [
        "a --config override that breaks the schema",
        PROD_TEXT,
        ["--config", "logShipper=fluentd"],
        'myoci:logShipper = "fluentd": expected "promtail" or "alloy"',
      ],
      ["a --stack that is not a stack name", undefined, ["--stack", "x/../../evil"], '(command line): --stack = "x/../../evil": expected a stack name'],
      [
        "an unreadable --resources file (after the pack server started)",
        PROD_TEXT,
        ["--resources", "/nonexistent/resources.json"],
        "--resources /nonexistent/resources.json: ENOENT",
      ],
    ];
    for (const mode of ["plan", "policy"] as const) {
      for (const [name, content, extra, message] of inputs) {
        if (mode === "plan" && extra[0] === "--resources") continue;
        it(`${mode}: ${name}`, async () => {
          if (content !== undefined) writeFileSync(file, content);
          const tag = `${marker}-${mode}-${inputs.findIndex((i) => i[0] === name)}`;
          const args = extra[0] === "--stack" ? extra : ["--stack", stack, ...extra];
          const result = await new Promise<RunResult>((resolve) => {
            const child = spawn(process.execPath, [path.join(REPO_ROOT, "scripts", "run-ts.js"), "policy/offline/run.ts", mode, ...args], {
              cwd: REPO_ROOT,
              env: { ...process.env, MYOCI_FAULT_RUN: tag },
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
            child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
          });
          expectCleanFailure(result, { message });
          const first = typeof message === "string" ? message : (result.stderr.match(message)?.[0] ?? "");
          expect(result.stderr.split(first).length - 1, "the message once").to.equal(1);
          await new Promise((r) => setTimeout(r, 300));
          expect(survivors(tag), "no pack server left running").to.deep.equal([]);
        });
      }
    }
  });

  describe("secret echo", () => {
    const secretsFile = (text: string) =>
      text.replace(
        "  myoci:domain: 'example.org'",
        `  myoci:domain: 'example.org'\n  myoci:ntfyPassword: ${PLANTED_SECRETS[1]}\n  myoci:turnSecret: ${PLANTED_SECRETS[0]}`,
      );
    const commands: [string, (dir: string) => string[]][] = [
      ["pin", (dir) => pinLoki(dir)],
      ["pin --dry-run", (dir) => pinLoki(dir, ["--dry-run"])],
      ["promote", (dir) => ["promote", "--from", "staging", "--to", "prod", "--project-dir", dir]],
      ["dashboard", (dir) => ["dashboard", "--out", path.join(dir, "site"), "--project-dir", dir]],
      ["vulns", (dir) => ["vulns", "--stack", "prod", "--project-dir", dir]],
      ["docs --check", (dir) => ["docs", "--check", "--project-dir", dir]],
    ];
    for (const [name, args] of commands) {
      it(`${name} on a stack with plain-text secrets: refuses without echoing a value`, async () => {
        const dir = project({ "Pulumi.prod.yaml": secretsFile(PROD_TEXT) });
        const before = snapshot(dir);
        const result: RunResult = await runMyoci(args(dir), { cwd: dir });
        expect(result.code, result.stderr).to.be.oneOf([1, 2]);
        expect(`${result.stdout}${result.stderr}`).to.contain("myoci:ntfyPassword");
        for (const secret of PLANTED_SECRETS) expect(`${result.stdout}${result.stderr}`).not.to.contain(secret);
        expectIntact(dir, before);
      });
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error("timed out waiting for the child to reach the write");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
