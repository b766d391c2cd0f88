/**
 * An HTTP proxy in front of the real test registry: forwards requests, counts them, and injects faults
 * (status codes with or without headers, a hang, a malformed tag list, a wrong Docker-Content-Digest).
 * It can also paginate tag lists Docker Hub-style (`?n=` + `Link: <…>; rel="next"`), which distribution 2.8
 * itself ignores for tags: the tags still come from the real registry, only split into pages here.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

export type Fault =
  | { readonly kind: "status"; readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  | { readonly kind: "hang" }
  | { readonly kind: "malformed-json" }
  | { readonly kind: "wrong-digest"; readonly value: string }
  /** Forward after a pause (makes concurrency observable). */
  | { readonly kind: "delay"; readonly ms: number };

export interface FaultRule {
  readonly method?: string;
  /** Matches the request path (without query). */
  readonly path: RegExp;
  readonly fault: Fault;
  /** Inject this many times, then pass through (default: always). */
  times?: number;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number | "hang";
  readonly at: number;
}

export interface RunningFaultProxy {
  readonly url: string;
  readonly port: number;
  readonly requests: ProxiedRequest[];
  readonly rules: FaultRule[];
  /** Page size for tag lists (undefined: pass the registry's answer through). */
  paginateTags?: number;
  /** Requests being answered right now, and the most at once since the last reset. */
  inFlight: number;
  maxInFlight: number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string, options: { rules?: FaultRule[]; paginateTags?: number } = {}): Promise<RunningFaultProxy> {
  const target = new URL(upstream);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const state: RunningFaultProxy = {
    url: "",
    port: 0,
    requests,
    rules: options.rules ?? [],
    paginateTags: options.paginateTags,
    inFlight: 0,
    maxInFlight: 0,
    reset() {
      requests.length = 0;
      state.maxInFlight = 0;
      state.rules.length = 0;
    },
    stop: async () => undefined,
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const method = req.method ?? "GET";
    const record = (status: number | "hang") => requests.push({ method, path: url.pathname, query: url.search, status, at: Date.now() });
    const rule = state.rules.find(
      (r) => (r.method === undefined || r.method === method) && r.path.test(url.pathname) && (r.times === undefined || r.times > 0),
    );
    if (rule && rule.times !== undefined) {
      rule.times--;
    }
    const fault = rule?.fault;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on("close", () => state.inFlight--);
    if (fault?.kind === "status") {
      record(fault.status);
      res.writeHead(fault.status, { "Content-Type": "application/json", ...(fault.headers ?? {}) }).end(method === "HEAD" ? undefined : (fault.body ?? ""));
      return;
    }
    if (fault?.kind === "hang") {
      record("hang");
      return; // never answer; the socket is destroyed on stop
    }
    if (fault?.kind === "malformed-json") {
      record(200);
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"name":"x","tags":["1.0.0",');
      return;
    }
    const paginate = state.paginateTags !== undefined && method === "GET" && /\/tags\/list$/.test(url.pathname);
    const upstreamPath = paginate ? url.pathname : (req.url ?? "/");
    const delay = fault?.kind === "delay" ? fault.ms : 0;
    const forward = http.request(
      { host: target.hostname, port: target.port, method, path: upstreamPath, headers: { ...req.headers, host: target.host } },
      (upstreamRes) => {
        const headers = { ...upstreamRes.headers };
        if (fault?.kind === "wrong-digest") {
          headers["docker-content-digest"] = fault.value;
        }
        if (!paginate || upstreamRes.statusCode !== 200) {
          record(upstreamRes.statusCode ?? 0);
          res.writeHead(upstreamRes.statusCode ?? 502, headers);
          upstreamRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on("end", () => {
          const all = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; tags: string[] };
          const sorted = [...all.tags].sort();
          const size = Math.min(Number(url.searchParams.get("n") ?? state.paginateTags), state.paginateTags ?? Infinity);
          const last = url.searchParams.get("last");
          const from = last === null ? 0 : sorted.findIndex((t) => t > last);
          const page = from === -1 ? [] : sorted.slice(from, from + size);
          const out: Record<string, string> = { "content-type": "application/json" };
          if (from !== -1 && from + size < sorted.length) {
            out.link = `<${url.pathname}?last=${encodeURIComponent(page[page.length - 1] ?? "")}&n=${size}>; rel="next"`;
          }
          record(200);
          res.writeHead(200, out).end(JSON.stringify({ name: all.name, tags: page }));
        });
      },
    );
    forward.on("error", () => {
      record(502);
      res.writeHead(502).end();
    });
    setTimeout(() => req.pipe(forward), delay);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  });
}
