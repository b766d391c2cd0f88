/**
 * A minimal Docker Engine API client (read-only GETs) over the transports a stack's `dockerHost` names:
 * unix:///path (HTTP over the socket), ssh://user@host[:port] (HTTP over the stdio of
 * `ssh user@host docker system dial-stdio`, as the docker CLI does) and tcp://host:port (plain HTTP).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import { Duplex } from "node:stream";

/** API version requested; Docker Engine ≥ 24 and podman's compatible service both answer it. */
export const API_VERSION = "v1.41";

export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "DockerApiError";
  }
}

export interface DockerClientOptions {
  readonly timeoutMs?: number;
  /** ssh binary (tests, or a wrapper); default `ssh`. */
  readonly sshCommand?: string;
}

/** Parsed docker host; the ssh form keeps user, host and port apart for the ssh argv. */
export type DockerHost =
  { kind: "unix"; socketPath: string } | { kind: "ssh"; user: string; host: string; port?: number } | { kind: "tcp"; host: string; port: number };

export function parseDockerHost(url: string): DockerHost {
  let match = /^unix:\/\/(\/\S+)$/.exec(url);
  if (match) {
    return { kind: "unix", socketPath: match[1]! };
  }
  match = /^ssh:\/\/([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(url);
  if (match) {
    return { kind: "ssh", user: match[1]!, host: match[2]!, port: match[3] === undefined ? undefined : Number(match[3]) };
  }
  match = /^tcp:\/\/([A-Za-z0-9.-]+):(\d{1,5})$/.exec(url);
  if (match) {
    return { kind: "tcp", host: match[1]!, port: Number(match[2]) };
  }
  throw new DockerApiError(`docker host ${JSON.stringify(url)}: expected unix:///path/to/docker.sock, ssh://user@host[:port] or tcp://host:port`);
}

/** The ssh argv that opens a raw connection to the remote engine (BatchMode: never prompt). */
export function sshDialArgs(host: Extract<DockerHost, { kind: "ssh" }>): string[] {
  return [
    "-o",
    "BatchMode=yes",
    ...(host.port === undefined ? [] : ["-p", String(host.port)]),
    "--",
    `${host.user}@${host.host}`,
    "docker",
    "system",
    "dial-stdio",
  ];
}

/** An agent whose one connection is the stdio of an ssh process (kept alive for every request of the client). */
class SshAgent extends http.Agent {
  private readonly children: ChildProcess[] = [];
  private stderr = "";
  /** Settles when the newest ssh process has exited (or failed to start): its exit code and ssh's own message. */
  private ended: Promise<{ code: number | null; message: string }> = Promise.resolve({ code: 0, message: "" });

  constructor(
    private readonly command: string,
    private readonly args: string[],
  ) {
    super({ keepAlive: true, maxSockets: 1 });
  }

  private get destination(): string {
    return this.args.filter((a) => a.includes("@")).join(" ");
  }

  override createConnection(_options: unknown, callback?: (error: Error | null, socket: Duplex) => void): Duplex {
    const child = spawn(this.command, this.args, { stdio: ["pipe", "pipe", "pipe"] });
    this.children.push(child);
    this.stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    this.ended = new Promise((resolve) => {
      child.on("error", (error: NodeJS.ErrnoException) => {
        const message =
          error.code === "ENOENT"
            ? `the SSH client ${JSON.stringify(this.command)} is not installed (${error.message}); install OpenSSH's client (e.g. apt-get install openssh-client)`
            : `ssh: ${error.message}`;
        stream.destroy(new DockerApiError(message));
        resolve({ code: null, message });
      });
      // "close": stderr is read to its end, so ssh's own message (e.g. "Could not resolve hostname …") is complete.
      child.on("close", (code) => {
        const own = this.stderr.trim();
        const message = code !== 0 && code !== null ? `ssh ${this.destination} exited with ${code}${own !== "" ? `: ${own}` : ""}` : "";
        if (message !== "") stream.destroy(new DockerApiError(message));
        resolve({ code, message });
      });
    });
    // http expects these socket methods; a pipe has no Nagle or keep-alive probes to tune.
    Object.assign(stream, { setNoDelay: () => stream, setKeepAlive: () => stream, setTimeout: () => stream, ref: () => stream, unref: () => stream });
    callback?.(null, stream);
    return stream;
  }

  /**
   * Why the connection broke, in ssh's own words: http sees only "socket hang up" when ssh's stdout closes, which
   * happens before ssh's exit is known. Waits up to `waitMs` for the exit.
   */
  async explain(waitMs = 2000): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    const ended = await Promise.race([this.ended, timeout]);
    clearTimeout(timer);
    return ended?.message !== "" ? ended?.message : undefined;
  }

  override destroy(): void {
    super.destroy();
    for (const child of this.children) {
      child.kill();
    }
  }
}

export class DockerClient {
  private readonly host: DockerHost;
  private readonly agent: SshAgent | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly url: string,
    options: DockerClientOptions = {},
  ) {
    this.host = parseDockerHost(url);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.agent = this.host.kind === "ssh" ? new SshAgent(options.sshCommand ?? "ssh", sshDialArgs(this.host)) : undefined;
  }

  /** GET `/v1.41<path>` and parse JSON; non-2xx → DockerApiError with the engine's message. */
  get<T>(path: string): Promise<T> {
    const base: http.RequestOptions =
      this.host.kind === "unix"
        ? { socketPath: this.host.socketPath }
        : this.host.kind === "tcp"
          ? { host: this.host.host, port: this.host.port }
          : { agent: this.agent, host: "docker" };
    return new Promise<T>((resolve, reject) => {
      const request = http.request(
        { ...base, method: "GET", path: `/${API_VERSION}${path}`, headers: { Host: "docker", Accept: "application/json" } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              let detail = body.trim();
              try {
                detail = (JSON.parse(body) as { message?: string }).message ?? detail;
              } catch {
                // not JSON: keep the text
              }
              reject(new DockerApiError(`${this.url}: GET ${path}: HTTP ${status}: ${detail.slice(0, 300)}`, status));
              return;
            }
            try {
              resolve(JSON.parse(body) as T);
            } catch {
              reject(new DockerApiError(`${this.url}: GET ${path}: malformed JSON`));
            }
          });
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy(new DockerApiError(`${this.url}: GET ${path}: no answer within ${this.timeoutMs} ms`)));
      request.on("error", (error) => {
        if (error instanceof DockerApiError) {
          reject(error);
          return;
        }
        // Over ssh, a broken pipe says nothing: report ssh's own message when it has one.
        void (this.agent?.explain() ?? Promise.resolve(undefined)).then((own) =>
          reject(new DockerApiError(`${this.url}: GET ${path}: ${own ?? error.message}`)),
        );
      });
      request.end();
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}

/** The parts of the Engine API answers that drift reads. */
export interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly ImageID: string;
  readonly Labels: Readonly<Record<string, string>> | null;
  readonly State: string;
}

export interface ContainerInspect {
  readonly Id: string;
  readonly Name: string;
  readonly Image: string;
  readonly State: { readonly Status: string; readonly Running: boolean; readonly Health?: { readonly Status: string } | null };
  readonly Config: { readonly Image: string; readonly Labels: Readonly<Record<string, string>> | null };
}

export interface ImageInspect {
  readonly Id: string;
  readonly RepoDigests: readonly string[] | null;
  readonly RepoTags: readonly string[] | null;
}

export function listContainers(client: DockerClient, labels: readonly string[]): Promise<ContainerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: labels }));
  return client.get<ContainerSummary[]>(`/containers/json?all=true&filters=${filters}`);
}

export function inspectContainer(client: DockerClient, id: string): Promise<ContainerInspect> {
  return client.get<ContainerInspect>(`/containers/${encodeURIComponent(id)}/json`);
}

export function inspectImage(client: DockerClient, id: string): Promise<ImageInspect> {
  return client.get<ImageInspect>(`/images/${encodeURIComponent(id)}/json`);
}
