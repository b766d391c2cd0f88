/**
 * A private podman (own storage, runc, cgroupfs — see ../shared/reference/container-engine.md) with its
 * Docker-compatible API on a unix socket, for tests against real containers. Everything is removed by stop().
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Podman {
  /** `unix:///…/api.sock` — a docker host URL for the API service. */
  readonly dockerHost: string;
  /** The global options and environment of this instance, for another process's `podman` (e.g. the scripted pulumi). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Runs `podman <args>` with this instance's storage and config; returns stdout (trimmed). */
  podman(args: readonly string[]): Promise<string>;
  /**
   * Builds a busybox image from a rootfs tar (`podman import`); `marker` goes to /marker so two images differ.
   * Returns the image reference.
   */
  importBusybox(reference: string, marker: string): Promise<string>;
  stop(): Promise<void>;
}

const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
# conmon of every exec (healthchecks) otherwise lingers 300 s after the command ended.
exit_command_delay = 2
`;

/** Whether this machine has what the helper needs (podman, runc, a static busybox). */
export function podmanAvailable(): boolean {
  return ["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"].every((p) => existsSync(p));
}

export async function startPodman(): Promise<Podman> {
  // Short base path: the API socket path must stay under the 108-byte unix socket limit.
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-pd-"));
  const conf = path.join(dir, "containers.conf");
  // Network definitions live in /etc/containers/networks unless told otherwise: shared by every podman on the
  // machine (and wiped by another instance's `system reset`). This instance keeps its own.
  writeFileSync(conf, `${CONTAINERS_CONF}[network]\nnetwork_config_dir = "${path.join(dir, "networks")}"\n`);
  const env = { ...process.env, CONTAINERS_CONF: conf, XDG_RUNTIME_DIR: path.join(dir, "xdg"), TMPDIR: dir };
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  const base = ["--root", path.join(dir, "root"), "--runroot", path.join(dir, "runroot"), "--tmpdir", path.join(dir, "tmp")];
  const podman = async (args: readonly string[]): Promise<string> => {
    try {
      const { stdout } = await run("podman", [...base, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return stdout.trim();
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(" ")}: ${(e.stderr ?? e.message).trim()}`);
    }
  };
  const socket = path.join(dir, "api.sock");
  const service: ChildProcess = spawn("podman", [...base, "system", "service", "--time", "0", `unix://${socket}`], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  service.stderr!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (service.exitCode !== null || Date.now() > deadline) {
      service.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`podman system service did not open ${socket}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dockerHost: `unix://${socket}`,
    argv: base,
    env: { CONTAINERS_CONF: conf, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR, TMPDIR: dir },
    podman,
    async importBusybox(reference, marker) {
      const rootfs = path.join(dir, `rootfs-${marker.replace(/\W/g, "_")}`);
      mkdirSync(path.join(rootfs, "bin"), { recursive: true });
      copyFileSync("/bin/busybox", path.join(rootfs, "bin", "busybox"));
      chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
      for (const applet of ["sh", "sleep", "true", "false", "cat"]) {
        symlinkSync("busybox", path.join(rootfs, "bin", applet));
      }
      writeFileSync(path.join(rootfs, "marker"), `${marker}\n`);
      const tar = `${rootfs}.tar`;
      await run("tar", ["-C", rootfs, "-cf", tar, "."]);
      await podman(["import", "--quiet", tar, reference]);
      return reference;
    },
    async stop() {
      try {
        const ids = await podman(["ps", "-aq"]);
        if (ids !== "") {
          await podman(["rm", "-f", "-t", "0", ...ids.split("\n")]);
        }
      } finally {
        if (service.exitCode === null) {
          const exited = new Promise((resolve) => service.once("exit", resolve));
          service.kill("SIGTERM");
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          if (service.exitCode === null) {
            service.kill("SIGKILL");
          }
        }
        // Storage holds root-owned overlay mounts only while containers run; they are removed above.
        await run("podman", [...base, "system", "reset", "--force"], { env }).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
