/**
 * Reads one file out of a container through the Docker Engine API archive endpoint
 * (`GET /containers/{id}/archive?path=…`, an uncompressed tar) on the stack's dockerHost — the same transports as
 * cli/adapters/docker-api (unix socket, ssh + `docker system dial-stdio`, tcp), whose host parsing it reuses.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import { Duplex } from "node:stream";
import { API_VERSION, DockerApiError, parseDockerHost, sshDialArgs } from "../../cli/adapters/docker-api/client";

/** The first regular file in a tar stream (ustar: 512-byte headers, octal size at 124, type flag at 156). */
export function firstFileOfTar(tar: Buffer): Buffer {
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    if (type === "0" || type === "\0") {
      if (start + size > tar.length) throw new DockerApiError("archive: the tar stream ends inside the file");
      return tar.subarray(start, start + size);
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
  throw new DockerApiError("archive: no regular file in the tar stream");
}

export interface ReadFileOptions {
  readonly timeoutMs?: number;
  readonly sshCommand?: string;
}

/** The file's content; a missing file or container is a DockerApiError with status 404. */
export function readContainerFile(dockerHost: string, container: string, filePath: string, options: ReadFileOptions = {}): Promise<Buffer> {
  const host = parseDockerHost(dockerHost);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const requestPath = `/${API_VERSION}/containers/${encodeURIComponent(container)}/archive?path=${encodeURIComponent(filePath)}`;
  const what = `${dockerHost}: ${filePath} in ${container}`;
  let base: http.RequestOptions;
  let cleanup = (): void => undefined;
  if (host.kind === "unix") {
    base = { socketPath: host.socketPath };
  } else if (host.kind === "tcp") {
    base = { host: host.host, port: host.port };
  } else {
    const child = spawn(options.sshCommand ?? "ssh", sshDialArgs(host), { stdio: ["pipe", "pipe", "ignore"] });
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    Object.assign(stream, { setNoDelay: () => stream, setKeepAlive: () => stream, setTimeout: () => stream, ref: () => stream, unref: () => stream });
    base = { createConnection: () => stream };
    cleanup = () => child.kill();
  }
  return new Promise<Buffer>((resolve, reject) => {
    const request = http.request({ ...base, method: "GET", path: requestPath, headers: { Host: "docker" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        cleanup();
        const body = Buffer.concat(chunks);
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          let detail = body.toString("utf8").trim();
          try {
            detail = (JSON.parse(detail) as { message?: string }).message ?? detail;
          } catch {
            // not JSON
          }
          reject(new DockerApiError(`${what}: HTTP ${status}: ${detail.slice(0, 200)}`, status));
          return;
        }
        try {
          resolve(firstFileOfTar(body));
        } catch (error) {
          reject(new DockerApiError(`${what}: ${(error as Error).message}`));
        }
      });
    });
    request.setTimeout(timeoutMs, () => request.destroy(new DockerApiError(`${what}: no answer within ${timeoutMs} ms`)));
    request.on("error", (error) => {
      cleanup();
      reject(error instanceof DockerApiError ? error : new DockerApiError(`${what}: ${error.message}`));
    });
    request.end();
  });
}
