/**
 * A tiny health-endpoint image for the probe tests, built from a busybox rootfs (`podman import`, no pulls):
 * busybox httpd serves /cgi-bin/health, a shell CGI answering 200 in tag "good" and 500 in tag "bad".
 */
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Podman } from "./podman";

const run = promisify(execFile);

export const HEALTH_PATH = "/cgi-bin/health";
export const HEALTH_IMAGE = "localhost/myoci-health";

/** Builds `localhost/myoci-health:<tag>`; the CGI answers `status`. */
export async function importHealthImage(podman: Podman, tag: "good" | "bad"): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-health-"));
  try {
    const rootfs = path.join(dir, "rootfs");
    mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    mkdirSync(path.join(rootfs, "www", "cgi-bin"), { recursive: true });
    copyFileSync("/bin/busybox", path.join(rootfs, "bin", "busybox"));
    chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
    for (const applet of ["sh", "httpd", "echo", "printf"]) {
      symlinkSync("busybox", path.join(rootfs, "bin", applet));
    }
    const status = tag === "good" ? "200 OK" : "500 Internal Server Error";
    const body = tag === "good" ? "ok" : "database unreachable";
    const cgi = path.join(rootfs, "www", "cgi-bin", "health");
    writeFileSync(cgi, `#!/bin/sh\nprintf 'Status: ${status}\\r\\nContent-Type: text/plain\\r\\n\\r\\n${body}\\n'\n`);
    chmodSync(cgi, 0o755);
    const tar = path.join(dir, "rootfs.tar");
    await run("tar", ["-C", rootfs, "-cf", tar, "."]);
    const reference = `${HEALTH_IMAGE}:${tag}`;
    await podman.podman(["import", "--quiet", tar, reference]);
    return reference;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the image with httpd on 127.0.0.1:<hostPort>. */
export async function runHealthContainer(podman: Podman, name: string, reference: string, hostPort: number): Promise<void> {
  await podman.podman(["run", "-d", "--name", name, "-p", `127.0.0.1:${hostPort}:8080`, reference, "/bin/httpd", "-f", "-p", "8080", "-h", "/www"]);
}

/** A port nobody listens on right now (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
