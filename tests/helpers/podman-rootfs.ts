/**
 * Root filesystems for images that cannot be pulled here, made from this machine's Debian programs: a static
 * busybox with its applets, binaries copied with the shared libraries `ldd` names, whole folders (a Python
 * standard library, PostgreSQL's share and lib), files and folders with owners. `podman import` or `podman build`
 * turns them into images (see ../shared/reference/container-engine.md).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export const BUSYBOX = "/bin/busybox";

/** The applets the stand-ins, entrypoints and the catalog's healthchecks call. */
export const BUSYBOX_APPLETS = [
  "sh",
  "awk",
  "cat",
  "chmod",
  "chown",
  "cut",
  "echo",
  "env",
  "false",
  "grep",
  "head",
  "id",
  "ls",
  "mkdir",
  "nc",
  "printf",
  "rm",
  "sed",
  "sleep",
  "tail",
  "test",
  "touch",
  "tr",
  "true",
  "wc",
  "wget",
  "[",
] as const;

/** Shared libraries of an ELF file (absolute paths), including the dynamic loader; none for a static one. */
export function sharedLibraries(file: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return []; // "not a dynamic executable"
  }
  return out
    .split("\n")
    .map((line) => /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
}

export class Rootfs {
  private readonly copied = new Set<string>();

  constructor(readonly dir: string) {
    for (const d of ["bin", "etc", "tmp", "usr/bin", "usr/local/bin", "var/run", "run"]) mkdirSync(path.join(dir, d), { recursive: true });
    chmodSync(path.join(dir, "tmp"), 0o1777);
    writeFileSync(path.join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
    writeFileSync(path.join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    // glibc's resolver (static busybox, Go's cgo-less resolver reads it too).
    writeFileSync(path.join(dir, "etc/nsswitch.conf"), "hosts: files dns\n");
  }

  private at(p: string): string {
    return path.join(this.dir, p);
  }

  busybox(applets: readonly string[] = BUSYBOX_APPLETS): this {
    copyFileSync(BUSYBOX, this.at("bin/busybox"));
    chmodSync(this.at("bin/busybox"), 0o755);
    for (const applet of applets) {
      if (!existsSync(this.at(`bin/${applet}`))) symlinkSync("busybox", this.at(`bin/${applet}`));
    }
    return this;
  }

  /** Copies one host file to the same path (or `to`), and every shared library it needs. */
  binary(hostPath: string, to = hostPath): this {
    this.copyFile(hostPath, to, 0o755);
    this.libraries(hostPath);
    return this;
  }

  private libraries(file: string): void {
    for (const lib of sharedLibraries(file)) {
      if (!this.copied.has(lib)) this.copyFile(lib, lib, 0o755);
    }
  }

  private copyFile(from: string, to: string, mode: number): void {
    mkdirSync(path.dirname(this.at(to)), { recursive: true });
    copyFileSync(from, this.at(to));
    chmodSync(this.at(to), mode);
    this.copied.add(to);
  }

  /** Copies a host folder to the same path; the shared objects inside bring their libraries along. */
  tree(hostDir: string, filter: (source: string) => boolean = () => true): this {
    cpSync(hostDir, this.at(hostDir), { recursive: true, dereference: false, filter });
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && /\.so(\.|$)/.test(entry.name) && filter(full)) this.libraries(full);
      }
    };
    walk(hostDir);
    return this;
  }

  file(p: string, content: string, mode = 0o644): this {
    mkdirSync(path.dirname(this.at(p)), { recursive: true });
    writeFileSync(this.at(p), content);
    chmodSync(this.at(p), mode);
    return this;
  }

  symlink(p: string, target: string): this {
    mkdirSync(path.dirname(this.at(p)), { recursive: true });
    symlinkSync(target, this.at(p));
    return this;
  }

  folder(p: string, mode = 0o755, uid = 0, gid = 0): this {
    mkdirSync(this.at(p), { recursive: true });
    chmodSync(this.at(p), mode);
    chownSync(this.at(p), uid, gid);
    return this;
  }

  user(name: string, uid: number, gid: number, home = "/nonexistent"): this {
    const append = (file: string, line: string) => writeFileSync(this.at(file), line, { flag: "a" });
    append("etc/passwd", `${name}:x:${uid}:${gid}:${name}:${home}:/bin/sh\n`);
    append("etc/group", `${name}:x:${gid}:\n`);
    return this;
  }

  /** Size in bytes (for the docs' figures). */
  size(): number {
    let total = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) total += statSync(full).size;
      }
    };
    walk(this.dir);
    return total;
  }
}
