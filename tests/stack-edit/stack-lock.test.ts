import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { StackLockedError, stackLockFile, withStackLock } from "../../cli/app/stack-lock";

const REPO = path.resolve(__dirname, "../..");

/** A pid that is certainly dead: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("stack lock", function () {
  this.timeout(30_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "myoci-lock-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("holds <root>/.myoci/locks/<stack>.lock with pid, host, command and since while fn runs; removes it after", async () => {
    const file = stackLockFile(root, "staging");
    expect(file).to.equal(path.join(root, ".myoci", "locks", "staging.lock"));
    const seen = await withStackLock(
      { root, stack: "staging", command: "myoci pin loki 3.6.1" },
      async () => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>,
    );
    expect(seen).to.include({ pid: process.pid, host: hostname(), command: "myoci pin loki 3.6.1" });
    expect(Date.parse(String(seen.since))).to.be.closeTo(Date.now(), 5_000);
    expect(existsSync(file)).to.equal(false);
  });

  it("a second run waits up to waitMs, then throws StackLockedError naming the holder", async () => {
    let release!: () => void;
    const holding = withStackLock({ root, stack: "prod", command: "myoci promote --from staging --to prod" }, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const error = await withStackLock({ root, stack: "prod", command: "myoci pin", waitMs: 300 }, async () => "ran").catch((e: unknown) => e);
    expect(Date.now() - started).to.be.at.least(290);
    expect(error).to.be.instanceOf(StackLockedError);
    expect((error as Error).message).to.match(
      new RegExp(`^stack prod is locked by myoci promote --from staging --to prod \\(pid ${process.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT`),
    );
    expect((error as Error).message).to.contain(stackLockFile(root, "prod"));
    // a run that waits long enough gets the lock once the holder is done
    const later = withStackLock({ root, stack: "prod", command: "myoci pin", waitMs: 5_000 }, async () => "ran after release");
    setTimeout(() => release(), 100);
    await holding;
    expect(await later).to.equal("ran after release");
  });

  it("serialises runs in one process: fn bodies never overlap", async () => {
    const events: string[] = [];
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        withStackLock({ root, stack: "s", command: `run ${n}` }, async () => {
          events.push(`start ${n}`);
          await new Promise((r) => setTimeout(r, 30));
          events.push(`end ${n}`);
        }),
      ),
    );
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i + 1]).to.equal(events[i]!.replace("start", "end"));
    }
  });

  it("re-enters a lock its own async context holds (promote inside rollout)", async () => {
    const result = await withStackLock({ root, stack: "s", command: "outer" }, () =>
      withStackLock({ root, stack: "s", command: "inner", waitMs: 100 }, async () => "nested"),
    );
    expect(result).to.equal("nested");
  });

  it("releases the lock when fn throws", async () => {
    await withStackLock({ root, stack: "s", command: "x" }, async () => {
      throw new Error("boom");
    }).catch(() => undefined);
    expect(existsSync(stackLockFile(root, "s"))).to.equal(false);
  });

  it("takes over the lock of a dead pid on this host; never the lock of a live pid or another host", async () => {
    const file = stackLockFile(root, "s");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), command: "killed pin", since: "2026-01-01T00:00:00Z", token: "t" }));
    expect(await withStackLock({ root, stack: "s", command: "x", waitMs: 200 }, async () => "took over")).to.equal("took over");

    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: "other-host.example", command: "pin elsewhere", since: "2026-01-01T00:00:00Z", token: "t" }));
    const other = await withStackLock({ root, stack: "s", command: "x", waitMs: 150 }, async () => "ran").catch((e: unknown) => e);
    expect((other as Error).message).to.contain("locked by pin elsewhere");
    expect(existsSync(file)).to.equal(true);
  });

  it("a half-written lock (no holder) is waited for, not broken at once", async () => {
    const file = stackLockFile(root, "s");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "");
    const error = await withStackLock({ root, stack: "s", command: "x", waitMs: 150 }, async () => "ran").catch((e: unknown) => e);
    expect((error as Error).message).to.contain("locked by another run (holder unreadable)");
  });

  it("refuses a stack that is not a stack name (the lock path stays inside .myoci/locks)", async () => {
    for (const stack of ["x/../../evil", "..", "a/b", "", ".hidden"]) {
      const error = await withStackLock({ root, stack, command: "x" }, async () => "ran").catch((e: unknown) => e);
      expect((error as Error).message, stack).to.contain("expected a stack name");
    }
  });

  it("a holder killed by SIGTERM removes its lock on the way out", async () => {
    const script = `
      const { withStackLock } = require(${JSON.stringify(path.join(REPO, "cli/app/stack-lock"))});
      withStackLock({ root: ${JSON.stringify(root)}, stack: "s", command: "child" }, () => {
        process.stdout.write("locked\\n");
        return new Promise(() => setInterval(() => undefined, 1000));
      });`;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    expect(existsSync(stackLockFile(root, "s"))).to.equal(true);
    const code = await new Promise<number | null>((resolve) => {
      child.on("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    expect(code).to.equal(143);
    expect(existsSync(stackLockFile(root, "s"))).to.equal(false);
  });
});
