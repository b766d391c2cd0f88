/**
 * The one write path for every file the tools change (stack files, promotion record, state files, docs, dashboard):
 * refuse a file the user may not write, write every byte to a sibling temp file (a short write is an error), fsync
 * it, give it the old file's mode and owner, rename it over the file, fsync the directory. On any failure — and on
 * SIGINT/SIGTERM — the temp file is removed and the old file is intact; temp files of killed runs are swept.
 */
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import * as path from "node:path";
import { onExitCleanup, pidAlive } from "./exit-cleanup";

/** 8 random hex digits for a temp name; node:crypto loads on the first write, so reading commands never load it. */
function randomHex(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("node:crypto") as typeof import("node:crypto")).randomBytes(4).toString("hex");
}

/** A file could not be written; the message names the file and the reason, and says the old file is intact. */
export class FileWriteError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot write ${file}: ${reason}`);
    this.name = "FileWriteError";
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such directory",
  ENOTDIR: "a parent is not a directory",
  EISDIR: "is a directory",
  EIO: "input/output error",
  EFBIG: "file too large",
};

function describe(error: unknown): { reason: string; code?: string } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined) {
    return { reason: `${REASONS[code] ?? (error as Error).message} (${code})`, code };
  }
  return { reason: error instanceof Error ? error.message : String(error) };
}

function fail(file: string, error: unknown, intact: boolean): never {
  if (error instanceof FileWriteError) {
    throw error;
  }
  const { reason, code } = describe(error);
  throw new FileWriteError(file, `${reason}${intact ? "; the old file is intact" : ""}`, code);
}

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Removes temp files of `base` left by runs that were killed (SIGKILL, power loss): their pid is gone. */
function sweepTemps(dir: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP.exec(name);
    if (match && match[1] === base && Number(match[2]) !== process.pid && !pidAlive(Number(match[2]))) {
      try {
        unlinkSync(path.join(dir, name));
      } catch {
        // another run swept it
      }
    }
  }
}

/** The existing file's stats, or undefined for a new file; throws FileWriteError when it may not be replaced. */
function checkTarget(file: string): Stats | undefined {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      return undefined; // a new file (a parent that is not a directory is reported by checkWritable / the open)
    }
    fail(file, error, true);
  }
  if (!stats.isFile()) {
    throw new FileWriteError(file, "not a regular file; nothing written");
  }
  try {
    accessSync(file, constants.W_OK);
  } catch {
    // A rename would replace a read-only file in a writable directory: refuse what the user may not write.
    throw new FileWriteError(
      file,
      `the file is not writable for this user (mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")}); nothing written`,
      "EACCES",
    );
  }
  return stats;
}

/**
 * Checks, before any work, that `file` can be written: its directory exists (or can be created: the nearest
 * existing ancestor is a writable directory) and the file, if present, is a regular file the user may write.
 */
export function checkWritable(file: string): void {
  const absolute = path.resolve(file);
  checkTarget(absolute);
  let dir = path.dirname(absolute);
  for (;;) {
    let stats: Stats | undefined;
    try {
      stats = statSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") {
        fail(absolute, error, false);
      }
    }
    if (stats) {
      if (!stats.isDirectory()) {
        throw new FileWriteError(absolute, `${dir} is not a directory`, "ENOTDIR");
      }
      // A real probe (a directory made and removed): access() says yes to root even on /proc or a read-only mount.
      const probe = path.join(dir, `.myoci-probe-${process.pid}-${randomHex()}`);
      try {
        mkdirSync(probe);
        rmdirSync(probe);
      } catch (error) {
        const { reason, code } = describe(error);
        throw new FileWriteError(absolute, `${dir} does not accept new files: ${reason}; nothing written`, code);
      }
      return;
    }
    if (path.dirname(dir) === dir) {
      throw new FileWriteError(absolute, "no existing parent directory", "ENOENT");
    }
    dir = path.dirname(dir);
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. (Node's recursive mkdir loops forever under
 * /proc, whose ENOENT never turns into EEXIST; this fails at the first level that cannot be made.)
 */
export function makeDirectory(dir: string): void {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      if (!statSync(at).isDirectory()) {
        throw new FileWriteError(absolute, `${at} is not a directory`, "ENOTDIR");
      }
      break;
    } catch (error) {
      if (error instanceof FileWriteError || (error as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(at) === at) {
        fail(absolute, error, false);
      }
      missing.unshift(at);
    }
  }
  for (const at of missing) {
    try {
      mkdirSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        fail(absolute, error, false);
      }
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) {
      throw Object.assign(new Error(`short write: ${offset} of ${bytes.length} bytes`), { code: "ENOSPC" });
    }
    offset += written;
  }
}

/** Replaces `file` with exactly `content` (a string is written as UTF-8), or throws FileWriteError leaving it intact. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  let target = path.resolve(file);
  try {
    target = realpathSync(target); // a symlinked file: replace what it points to, keep the link
  } catch {
    // new file
  }
  const old = checkTarget(target);
  const dir = path.dirname(target);
  const base = path.basename(target);
  sweepTemps(dir, base);
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const temp = path.join(dir, `.${base}.${process.pid}.${randomHex()}.tmp`);
  let fd: number | undefined;
  const removeTemp = (): void => {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      fd = undefined;
    }
    try {
      unlinkSync(temp);
    } catch {
      // never created, or renamed
    }
  };
  const unregister = onExitCleanup(removeTemp);
  try {
    fd = openSync(temp, "wx", old ? 0o600 : 0o666); // a new file gets the umask's mode, as any editor's would
    writeAll(fd, bytes);
    if (old) {
      fchmodSync(fd, old.mode & 0o7777);
      if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) {
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // only root may give a file away; a user's own file keeps the user's ownership anyway
        }
      }
    }
    fsyncSync(fd);
    if (fstatSync(fd).size !== bytes.length) {
      throw Object.assign(new Error(`the temp file holds ${fstatSync(fd).size} of ${bytes.length} bytes`), { code: "EIO" });
    }
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (error) {
    removeTemp();
    unregister();
    fail(target, error, true);
  }
  unregister();
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // directories cannot be fsynced on every file system; the rename itself is atomic
  }
}
