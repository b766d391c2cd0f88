/**
 * HTTP for the registry client on node:http/https: keep-alive agents, one signal bounding headers and body, no
 * redirects followed (the client decides). Not fetch: loading undici and its WASM parser costs more than the whole
 * registry conversation of a stack.
 */
import * as http from "node:http";
import type * as https from "node:https";

export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  /** A response header (lower-case name), the first value when repeated; null when absent. */
  header(name: string): string | null;
  readonly text: string;
}

/** Where an exchange stopped: before the response head arrived, or while its body was read. */
export class TransportError extends Error {
  constructor(
    readonly stage: "headers" | "body",
    readonly code: string,
    readonly aborted: boolean,
    message: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

export interface TransportOptions {
  /** Sockets per origin (keep-alive). */
  readonly maxSockets: number;
}

export class Transport {
  private readonly httpAgent: http.Agent;
  private httpsAgent: https.Agent | undefined;

  constructor(private readonly options: TransportOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  private agentFor(protocol: string): { request: typeof http.request; agent: http.Agent } {
    if (protocol === "http:") {
      return { request: http.request, agent: this.httpAgent };
    }
    // TLS is loaded only when a registry is reached over HTTPS.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpsModule = require("node:https") as typeof https;
    this.httpsAgent ??= new httpsModule.Agent({ keepAlive: true, maxSockets: this.options.maxSockets });
    return { request: httpsModule.request, agent: this.httpsAgent };
  }

  /** One request; resolves with the status, headers and the whole body, or rejects with a TransportError. */
  exchange(url: string, method: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpAnswer> {
    const target = new URL(url);
    const { request, agent } = this.agentFor(target.protocol);
    return new Promise<HttpAnswer>((resolve, reject) => {
      let stage: "headers" | "body" = "headers";
      let settled = false;
      const fail = (code: string, aborted: boolean, message: string) => {
        if (!settled) {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          reject(new TransportError(stage, code, aborted, message));
        }
      };
      const req = request(target, { method, headers, agent }, (res) => {
        stage = "body";
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error: NodeJS.ErrnoException) => fail(error.code ?? "EPIPE", signal.aborted, error.message));
        res.on("aborted", () => fail("ECONNRESET", signal.aborted, "the connection closed during the body"));
        res.on("end", () => {
          if (settled) {
            return;
          }
          if (!res.complete) {
            fail("ECONNRESET", false, "the connection closed during the body");
            return;
          }
          settled = true;
          signal.removeEventListener("abort", onAbort);
          const status = res.statusCode ?? 0;
          const raw = res.headers;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            header: (name) => {
              const value = raw[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? (value[0] ?? null) : value;
            },
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      });
      const onAbort = () => {
        fail("ABORT_ERR", true, "aborted");
        req.destroy();
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error: NodeJS.ErrnoException) => fail(error.code ?? "ECONNRESET", signal.aborted, error.message));
      req.end();
    });
  }
}
