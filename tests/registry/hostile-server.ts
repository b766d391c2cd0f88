/**
 * A registry-shaped HTTP server on 127.0.0.1 whose answers a test writes by hand: foreign token realms, redirects,
 * echoed Authorization headers, bodies that trickle, odd tag lists. Records every request with its Authorization.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
}

export interface HostileServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly host: string;
  readonly requests: SeenRequest[];
  /** Answers the next requests; replace it between tests. */
  handler: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;
  stop(): Promise<void>;
}

export async function startHostileServer(handler: HostileServer["handler"] = (_req, res) => res.writeHead(404).end()): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const state: HostileServer = { url: "", host: "", requests: [], handler, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hostile");
    state.requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
    });
    state.handler(req, res, url);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  });
}
