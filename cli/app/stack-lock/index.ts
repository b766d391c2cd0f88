/**
 * One writer per stack: `pin`, `promote`, `rollout` and `rollback` run their read–change–write of a stack under
 * `<root>/.myoci/locks/<stack>.lock`, created with O_EXCL and holding `{ pid, host, command, since }`.
 * A lock whose pid is dead on this host is taken over; otherwise the caller waits up to `waitMs` and then gets a
 * StackLockedError naming the holder. Nested calls inside `fn` (same async context) re-enter the held lock.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { onExitCleanup, pidAlive } from "../../../config/exit-cleanup";
import { assertStackName } from "../../../config/stack-file";

export interface StackLockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** Random token: release removes the file only while it still holds this token. */
  readonly token: string;
}

export interface StackLockOptions {
  /** Project directory (the folder holding Pulumi.yaml). */
  readonly root: string;
  readonly stack: string;
  /** What holds the lock, for the message a waiting run prints (e.g. "myoci pin loki 3.6.1"). */
  readonly command: string;
  /** How long to wait for a live holder before giving up (default: MYOCI_LOCK_WAIT_MS, else DEFAULT_LOCK_WAIT_MS). */
  readonly waitMs?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 10_000;
const POLL_MS = 50;
/** A lock file without a readable holder (its writer died between create and write) is stale after this long. */
const UNREADABLE_STALE_MS = 5_000;

export class StackLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: StackLockHolder | undefined,
    waitedMs: number,
  ) {
    const who = holder ? `${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : "another run (holder unreadable)";
    super(
      `stack ${path.basename(lockFile, ".lock")} is locked by ${who}; waited ${Math.round(waitedMs / 100) / 10} s. ` +
        `Try again when it has finished, or delete ${lockFile} if that process is gone.`,
    );
    this.name = "StackLockedError";
  }
}

export function stackLockFile(root: string, stack: string): string {
  return path.join(root, ".myoci", "locks", `${stack}.lock`);
}

const held = new AsyncLocalStorage<ReadonlySet<string>>();

function readHolder(file: string): StackLockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Partial<StackLockHolder>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.command === "string" && typeof value.since === "string") {
      return { pid: value.pid, host: value.host, command: value.command, since: value.since, token: String(value.token ?? "") };
    }
  } catch {
    // missing or half-written
  }
  return undefined;
}

/** Whether the lock at `file` belongs to nobody any more (dead pid on this host, or never written and old). */
function isStale(file: string, holder: StackLockHolder | undefined): boolean {
  if (holder) {
    return holder.host === hostname() && !pidAlive(holder.pid);
  }
  try {
    return Date.now() - statSync(file).mtimeMs > UNREADABLE_STALE_MS;
  } catch {
    return false; // gone: the next create attempt decides
  }
}

function tryCreate(file: string, holder: StackLockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return false;
    }
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(file);
    throw error;
  }
  closeSync(fd);
  return true;
}

/**
 * Removes a stale lock. Two runs may see the same stale lock: a second O_EXCL file (`.takeover`) makes only one
 * of them delete it, and only while it still holds the stale holder's token (never a lock taken meanwhile).
 */
function takeOver(file: string, stale: StackLockHolder | undefined): void {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw error;
    }
    // a take-over in progress; a guard left by a killed run is removed once it is old
    try {
      if (Date.now() - statSync(guard).mtimeMs > UNREADABLE_STALE_MS) {
        unlinkSync(guard);
      }
    } catch {
      // already gone
    }
    return;
  }
  try {
    const now = readHolder(file);
    if ((stale === undefined && now === undefined) || (stale !== undefined && now?.token === stale.token)) {
      unlinkSync(file);
    }
  } catch {
    // someone else removed it
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` holding the stack's lock; releases it on return, on error and on SIGINT/SIGTERM. */
export async function withStackLock<T>(options: StackLockOptions, fn: () => Promise<T>): Promise<T> {
  assertStackName(options.stack);
  const file = stackLockFile(path.resolve(options.root), options.stack);
  const current = held.getStore() ?? new Set<string>();
  if (current.has(file)) {
    return fn();
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const token = randomBytes(8).toString("hex");
  const fromEnv = Number(process.env.MYOCI_LOCK_WAIT_MS);
  const waitMs = options.waitMs ?? (Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.MYOCI_LOCK_WAIT_MS !== "" ? fromEnv : DEFAULT_LOCK_WAIT_MS);
  const started = Date.now();
  for (;;) {
    if (tryCreate(file, { pid: process.pid, host: hostname(), command: options.command, since: new Date().toISOString(), token })) {
      break;
    }
    const other = readHolder(file);
    if (isStale(file, other)) {
      takeOver(file, other);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) {
      throw new StackLockedError(file, other, waited);
    }
    await sleep(Math.min(POLL_MS, waitMs - waited));
  }
  const release = (): void => {
    if (readHolder(file)?.token === token) {
      unlinkSync(file);
    }
  };
  const unregister = onExitCleanup(release);
  try {
    return await held.run(new Set([...current, file]), fn);
  } finally {
    unregister();
    release();
  }
}
