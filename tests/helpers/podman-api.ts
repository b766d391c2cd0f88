/**
 * A small Docker Engine API client over a unix socket (podman's compatible service), for the rehearsal: JSON
 * requests, archive upload/download (tar), and podman's libpod healthcheck run (podman 4.3 runs healthchecks
 * from systemd timers, which a machine without systemd does not have; the test runs the declared check itself).
 */
import * as http from "node:http";

export interface ApiAnswer {
  readonly status: number;
  readonly body: Buffer;
}

export class DockerApi {
  constructor(
    private readonly socketPath: string,
    private readonly version = "v1.41",
  ) {}

  raw(method: string, path: string, body?: Buffer, contentType = "application/json", timeoutMs = 60_000): Promise<ApiAnswer> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { socketPath: this.socketPath, method, path, headers: body ? { "Content-Type": contentType, "Content-Length": body.length } : {}, timeout: timeoutMs },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (c: Buffer) => chunks.push(c));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
        },
      );
      request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      request.on("error", reject);
      if (body) request.write(body);
      request.end();
    });
  }

  /** A JSON request under the compat API version; throws with the engine's message on a non-2xx answer. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.raw(method, `/${this.version}${path}`, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(`${method} ${path}: HTTP ${answer.status} ${answer.body.toString().trim()}`);
    }
    const text = answer.body.toString();
    return (text.trim() === "" ? undefined : JSON.parse(text)) as T;
  }

  /** PUT /containers/{id}/archive?path=… — what the docker provider does for `uploads`. */
  async putArchive(container: string, dir: string, tar: Buffer): Promise<void> {
    const answer = await this.raw(
      "PUT",
      `/${this.version}/containers/${encodeURIComponent(container)}/archive?path=${encodeURIComponent(dir)}`,
      tar,
      "application/x-tar",
    );
    if (answer.status !== 200) throw new Error(`archive upload to ${container}:${dir}: HTTP ${answer.status} ${answer.body.toString()}`);
  }

  /** GET /containers/{id}/archive?path=file — the file's bytes (first tar entry). */
  async getFile(container: string, file: string): Promise<Buffer> {
    const answer = await this.raw("GET", `/${this.version}/containers/${encodeURIComponent(container)}/archive?path=${encodeURIComponent(file)}`);
    if (answer.status !== 200) throw new Error(`archive read of ${container}:${file}: HTTP ${answer.status}`);
    return readFirstTarEntry(answer.body);
  }

  /**
   * Runs a command in the container as Docker runs a healthcheck: `CMD` args exec'd as an array, `CMD-SHELL`
   * through `/bin/sh -c`. Returns the exit code (-1 on timeout). Used instead of the engine's own run because
   * podman 4.3's compat API splits `CMD` arguments at spaces (`["CMD","sh","-c","exit 3"]` is stored as
   * `… "-c","exit","3"`), which Docker does not.
   */
  async execHealthTest(container: string, test: readonly string[], timeoutMs = 5000): Promise<{ exitCode: number; output: string }> {
    const [kind, ...args] = test;
    const cmd = kind === "CMD-SHELL" ? ["/bin/sh", "-c", args.join(" ")] : kind === "CMD" ? args : [kind!, ...args];
    const { Id } = await this.json<{ Id: string }>("POST", `/containers/${encodeURIComponent(container)}/exec`, {
      AttachStdout: true,
      AttachStderr: true,
      Cmd: cmd,
    });
    const started = this.raw(
      "POST",
      `/${this.version}/exec/${Id}/start`,
      Buffer.from(JSON.stringify({ Detach: false, Tty: false })),
      "application/json",
      timeoutMs,
    ).catch(() => undefined);
    const answer = await started;
    const state = await this.json<{ ExitCode: number | null; Running: boolean }>("GET", `/exec/${Id}/json`);
    const output = (answer?.body.toString() ?? "").replace(/[\0-\x08]/g, "");
    return { exitCode: state.Running || state.ExitCode === null ? -1 : state.ExitCode, output };
  }

  /** Runs the container's healthcheck once as the engine stored it (libpod API); returns the resulting status. */
  async runHealthcheck(container: string): Promise<string> {
    const answer = await this.raw("GET", `/v4.0.0/libpod/containers/${encodeURIComponent(container)}/healthcheck`);
    const parsed = JSON.parse(answer.body.toString() || "{}") as { Status?: string; cause?: string; message?: string };
    return parsed.Status ?? `error: ${parsed.message ?? parsed.cause ?? answer.status}`;
  }
}

/** A ustar archive of regular files (absolute paths become relative names), mode and owner as given. */
export function tarOf(files: readonly { path: string; content: Buffer | string; mode?: number; uid?: number; gid?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const content = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
    const name = file.path.replace(/^\/+/, "");
    const header = Buffer.alloc(512);
    let prefix = "";
    let base = name;
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf("/", 155);
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
    }
    const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
    header.write(base, 0, 100);
    header.write(octal(file.mode ?? 0o644, 8), 100);
    header.write(octal(file.uid ?? 0, 8), 108);
    header.write(octal(file.gid ?? 0, 8), 116);
    header.write(octal(content.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write("        ", 148);
    header.write("0", 156);
    header.write("ustar\u000000", 257);
    header.write(prefix, 345, 155);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(octal(sum, 7) + " ", 148);
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function readFirstTarEntry(tar: Buffer): Buffer {
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156]!);
    if (type === "0" || type === "\0") return Buffer.from(tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error("no regular file in the archive");
}
