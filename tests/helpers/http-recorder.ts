/**
 * A local HTTP server that records every request (method, path, headers, body) and answers 200 — or fails the
 * next N requests with a given status, or drops their connections. Stands in for ntfy in notification tests.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Status answered, or "dropped" when the connection was destroyed. */
  readonly status: number | "dropped";
}

export interface HttpRecorder {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Fail the next `times` requests with `status` (or drop the connection). */
  failNext(times: number, status: number | "drop", body?: string): void;
  close(): Promise<void>;
}

export async function startHttpRecorder(): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const failures: { status: number | "drop"; body: string }[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const failure = failures.shift();
      const base = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      if (failure?.status === "drop") {
        requests.push({ ...base, status: "dropped" });
        req.socket.destroy();
        return;
      }
      const status = failure?.status ?? 200;
      requests.push({ ...base, status });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(failure ? failure.body : JSON.stringify({ id: `msg${requests.length}`, event: "message" }));
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(times, status, body = '{"code":50001,"http":500,"error":"server error"}') {
      for (let i = 0; i < times; i++) failures.push({ status, body });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
