/**
 * An OSV API stand-in on 127.0.0.1 (port 0) serving real OSV records from tests/vulns/fixtures/osv/:
 * POST /v1/querybatch (every record with an affected entry for the queried package — a superset of osv.dev's
 * version match, so the client's own range judgement is what decides — paged by `pageSize` with next_page_token)
 * and GET /v1/vulns/{id}. Faults on demand: the next N requests answer a status, or hang (a timeout).
 */
import { readdirSync, readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import * as path from "node:path";

export const OSV_FIXTURES = path.join(__dirname, "fixtures", "osv");

interface Entry {
  readonly id: string;
  readonly text: string;
  readonly packages: readonly string[];
}

export interface OsvRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

export interface OsvStandIn {
  readonly url: string;
  readonly requests: OsvRequest[];
  /** Answer the next `times` requests with `status` (and a body), or never ("hang"). */
  failNext(times: number, fault: number | "hang", body?: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startOsvStandIn(options: { pageSize?: number; files?: readonly string[] } = {}): Promise<OsvStandIn> {
  const pageSize = options.pageSize ?? 100;
  const files = options.files ?? readdirSync(OSV_FIXTURES).filter((f) => f.endsWith(".json"));
  const entries: Entry[] = files.map((file) => {
    const text = readFileSync(path.join(OSV_FIXTURES, file), "utf8");
    const record = JSON.parse(text) as { id: string; affected?: { package?: { ecosystem: string; name: string } }[] };
    return { id: record.id, text, packages: (record.affected ?? []).map((a) => `${a.package?.ecosystem}/${a.package?.name}`) };
  });
  const requests: OsvRequest[] = [];
  const faults: { fault: number | "hang"; body: string; headers: Record<string, string> }[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", body });
      const fault = faults.shift();
      if (fault?.fault === "hang") return; // the client's timeout ends it
      if (fault) {
        res.writeHead(fault.fault, { "content-type": "text/plain", ...fault.headers }).end(fault.body);
        return;
      }
      const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (req.method === "POST" && req.url === "/v1/querybatch") {
        const { queries } = JSON.parse(body) as { queries: { package: { ecosystem: string; name: string }; version: string; page_token?: string }[] };
        const results = queries.map((q) => {
          const ids = entries
            .filter((e) => e.packages.includes(`${q.package.ecosystem}/${q.package.name}`))
            .map((e) => e.id)
            .sort();
          const start = q.page_token !== undefined ? Number(q.page_token) : 0;
          const page = ids.slice(start, start + pageSize).map((id) => ({ id, modified: "2026-11-30T00:00:00Z" }));
          return start + pageSize < ids.length ? { vulns: page, next_page_token: String(start + pageSize) } : page.length > 0 ? { vulns: page } : {};
        });
        json(200, { results });
        return;
      }
      const match = /^\/v1\/vulns\/([^/?]+)$/.exec(req.url ?? "");
      const entry = match ? entries.find((e) => e.id === decodeURIComponent(match[1]!)) : undefined;
      if (req.method === "GET" && entry) {
        res.writeHead(200, { "content-type": "application/json" }).end(entry.text);
        return;
      }
      json(404, { code: 5, message: "Bug not found." });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(times, fault, body = "", headers = {}) {
      for (let i = 0; i < times; i++) faults.push({ fault, body, headers });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
