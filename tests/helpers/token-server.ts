/**
 * A small token server for the registry's `auth: token:` mode: issues RS256 JWTs signed with a self-signed
 * key/cert made by `openssl` (the cert goes into the registry's rootcertbundle and into each token's x5c header).
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";

export interface TokenServerOptions {
  readonly service?: string;
  readonly issuer?: string;
  /** Answer `{ access_token }` instead of `{ token }` (both forms are in use). */
  readonly accessTokenField?: boolean;
  /** Require these Basic credentials (otherwise anonymous pull is allowed). */
  readonly requireLogin?: { readonly username: string; readonly password: string };
  /** Token lifetime in seconds (default 300). */
  readonly expiresIn?: number;
}

export interface TokenRequest {
  readonly scope: string | null;
  readonly service: string | null;
  /** User name of a Basic login, if one was sent. */
  readonly user?: string;
}

export interface RunningTokenServer {
  /** Behaviour, changeable while running. */
  readonly settings: { accessTokenField?: boolean; requireLogin?: { readonly username: string; readonly password: string } };
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certFile: string;
  readonly requests: TokenRequest[];
  /** Every token issued (tests check that none leaks into output). */
  readonly issued: string[];
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export async function startTokenServer(options: TokenServerOptions = {}): Promise<RunningTokenServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-token-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=myoci-test-token-server"],
    { stdio: "ignore" },
  );
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = readFileSync(certFile, "utf8")
    .replace(/-----[^-]+-----/g, "")
    .replace(/\s+/g, "");
  const service = options.service ?? "myoci-test-registry";
  const issuer = options.issuer ?? "myoci-test-token-issuer";
  const requests: TokenRequest[] = [];
  const issued: string[] = [];
  const settings: RunningTokenServer["settings"] = { accessTokenField: options.accessTokenField, requireLogin: options.requireLogin };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scope = url.searchParams.get("scope");
    const authorization = req.headers.authorization;
    let user: string | undefined;
    if (authorization?.startsWith("Basic ")) {
      const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const [name, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      if (settings.requireLogin && (name !== settings.requireLogin.username || password !== settings.requireLogin.password)) {
        requests.push({ scope, service: url.searchParams.get("service"), user: name });
        res.writeHead(401, { "Content-Type": "application/json" }).end('{"details":"bad login"}');
        return;
      }
      user = name;
    }
    requests.push({ scope, service: url.searchParams.get("service"), ...(user !== undefined ? { user } : {}) });
    if (settings.requireLogin && user === undefined) {
      res.writeHead(401, { "Content-Type": "application/json" }).end('{"details":"login required"}');
      return;
    }
    // scope = repository:<name>:<actions>; grant what was asked (a test registry, nothing to protect).
    const access = (scope ?? "")
      .split(" ")
      .map((s) => /^repository:(.+):([a-z,*]+)$/.exec(s))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ type: "repository", name: m[1], actions: (m[2] ?? "").split(",") }));
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({ iss: issuer, sub: user ?? "", aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access }),
    );
    const token = `${header}.${claims}.${b64url(sign("sha256", Buffer.from(`${header}.${claims}`), key))}`;
    issued.push(token);
    const body = settings.accessTokenField
      ? { access_token: token, expires_in: expiresIn }
      : { token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    settings,
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    issued,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
