/**
 * Credentials stay with their registry, server text is redacted, and registry answers are read strictly:
 * against the real docker-registry and token server, and hand-written hostile servers where a real one cannot misbehave.
 */
import { expect } from "chai";
import { CATALOG } from "../../catalog";
import { checkStack } from "../../cli/app/check/run";
import { credentialEnvName, loginMayGoTo, realmEnvName, siteOf } from "../../cli/adapters/registry/auth";
import { RegistryClient, RegistryError, type RegistryClientOptions, type RegistryRequestEvent } from "../../cli/adapters/registry/client";
import { startFaultProxy, type RunningFaultProxy } from "../helpers/fault-proxy";
import { freePort, pushIndex, pushTags, startRegistry, type RunningRegistry } from "../helpers/registry";
import { startTokenServer, type RunningTokenServer } from "../helpers/token-server";
import { startHostileServer, type HostileServer } from "./hostile-server";

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error("expected the promise to reject");
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("registry logins go only to their registry", function () {
  this.timeout(30_000);

  it("allows the registry's own domain over HTTPS, its own host:port, or a realm the user named — nothing else", () => {
    const hub = new URL("https://registry-1.docker.io");
    expect(loginMayGoTo(hub, new URL("https://auth.docker.io/token"))).to.equal(true);
    expect(loginMayGoTo(new URL("https://ghcr.io"), new URL("https://ghcr.io/token"))).to.equal(true);
    expect(loginMayGoTo(new URL("https://registry.gitlab.com"), new URL("https://gitlab.com/jwt/auth"))).to.equal(true);
    expect(loginMayGoTo(new URL("https://quay.io"), new URL("https://quay.io:8443/v2/auth"))).to.equal(true);
    // another domain, plain HTTP, another port over HTTP, look-alikes, user info in the realm
    expect(loginMayGoTo(hub, new URL("https://auth.docker.io.evil.example/token"))).to.equal(false);
    expect(loginMayGoTo(hub, new URL("http://auth.docker.io/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("https://ghcr.io"), new URL("https://evilghcr.io/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("https://a.example.co.uk"), new URL("https://b.co.uk/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("http://127.0.0.1:5000"), new URL("http://127.0.0.1:5001/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("http://127.0.0.1:5000"), new URL("http://localhost:5000/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("https://127.0.0.1:5000"), new URL("https://127.0.0.2/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("https://ghcr.io"), new URL("https://x:y@ghcr.io/token"))).to.equal(false);
    expect(loginMayGoTo(new URL("http://127.0.0.1:5000"), new URL("http://127.0.0.1:5000/token"))).to.equal(true);
    expect(loginMayGoTo(new URL("http://127.0.0.1:5000"), new URL("http://127.0.0.1:5001/token?x=1"), ["http://127.0.0.1:5001/token"])).to.equal(true);
    expect(siteOf("registry-1.docker.io")).to.equal("docker.io");
    expect(siteOf("a.b.example.co.uk")).to.equal("example.co.uk");
  });

  describe("against the real token-auth registry (realm: plain HTTP on another port)", () => {
    let tokens: RunningTokenServer;
    let open: RunningRegistry;
    let secured: RunningRegistry;
    let front: RunningFaultProxy;
    let digest: string;
    before(async () => {
      tokens = await startTokenServer();
      open = await startRegistry();
      digest = (await pushIndex(open.url, "library/caddy", "2.10.2")).digest;
      secured = await startRegistry({
        rootDir: open.rootDir,
        tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile },
      });
      front = await startFaultProxy(secured.url);
    });
    after(async () => {
      await front?.stop();
      await secured?.stop();
      await open?.stop();
      await tokens?.stop();
    });
    beforeEach(() => {
      tokens.requests.length = 0;
      tokens.settings.requireLogin = undefined;
    });
    const client = (env: NodeJS.ProcessEnv) =>
      new RegistryClient({ mirrors: { "docker.io": front.url }, backoffMs: 10, env, dockerConfigPath: "/nonexistent" });

    it("asks a foreign realm for an anonymous token: the login is never sent there", async () => {
      const env = { [credentialEnvName(new URL(front.url).host)]: "robot:s3cret-pass" };
      expect(await client(env).resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(digest);
      expect(tokens.requests).to.have.length(1);
      expect(tokens.requests[0]?.user).to.equal(undefined);
    });

    it("says the login was withheld, and how to trust the realm, when the foreign realm wants one", async () => {
      tokens.settings.requireLogin = { username: "robot", password: "s3cret-pass" };
      const host = new URL(front.url).host;
      const error = await failure(client({ [credentialEnvName(host)]: "robot:s3cret-pass" }).resolveDigest("docker.io", "library/caddy", "2.10.2"));
      expect(error.message).to.equal(
        `docker.io/library/caddy: token service ${new URL(tokens.realm).origin} refused repository:library/caddy:pull (HTTP 401); ` +
          `the login for ${host} was not sent there (not ${host}'s domain over HTTPS): name the realm in ${realmEnvName(host)}=${tokens.realm} to trust it`,
      );
      expect(tokens.requests.map((r) => r.user)).to.deep.equal([undefined]);
      expect(error.message).to.not.include("s3cret");
    });
  });

  describe("against hostile servers", () => {
    let registry: HostileServer;
    let elsewhere: HostileServer;
    before(async () => {
      registry = await startHostileServer();
      elsewhere = await startHostileServer();
    });
    after(async () => {
      await registry?.stop();
      await elsewhere?.stop();
    });
    beforeEach(() => {
      registry.requests.length = 0;
      elsewhere.requests.length = 0;
    });
    const login = () => ({ [credentialEnvName(registry.host)]: "robot:s3cret-pass" });
    const client = (env: NodeJS.ProcessEnv, extra: Partial<RegistryClientOptions> = {}) =>
      new RegistryClient({ mirrors: { "docker.io": registry.url }, backoffMs: 10, retries: 1, env, dockerConfigPath: "/nonexistent", ...extra });
    const tagList = JSON.stringify({ name: "library/caddy", tags: ["2.10.2"] });

    it("never carries a login or token across a redirect to another origin", async () => {
      registry.handler = (req, res, url) => {
        if (req.headers.authorization === undefined) {
          res.writeHead(401, { "WWW-Authenticate": 'Basic realm="registry"' }).end();
        } else {
          res.writeHead(307, { Location: `${elsewhere.url}${url.pathname}${url.search}` }).end();
        }
      };
      elsewhere.handler = (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(tagList);
      expect(await client(login()).listTags("docker.io", "library/caddy")).to.deep.equal(["2.10.2"]);
      expect(registry.requests.map((r) => r.authorization)).to.deep.equal([undefined, basic("robot", "s3cret-pass")]);
      expect(elsewhere.requests).to.deep.equal([{ method: "GET", path: "/v2/library/caddy/tags/list" }]);
    });

    it("sends a named realm the login, but not where that realm redirects", async () => {
      const realm = `${registry.url}/token`;
      registry.handler = (req, res, url) => {
        if (url.pathname === "/token") {
          res.writeHead(307, { Location: `${elsewhere.url}/token${url.search}` }).end();
        } else if (req.headers.authorization !== "Bearer tok-123") {
          res.writeHead(401, { "WWW-Authenticate": `Bearer realm="${realm}",service="hostile"` }).end();
        } else {
          res.writeHead(200, { "Content-Type": "application/json" }).end(tagList);
        }
      };
      elsewhere.handler = (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end('{"token":"tok-123"}');
      expect(await client({ ...login(), [realmEnvName(registry.host)]: realm }).listTags("docker.io", "library/caddy")).to.deep.equal(["2.10.2"]);
      expect(registry.requests.find((r) => r.path === "/token")?.authorization).to.equal(basic("robot", "s3cret-pass"));
      expect(elsewhere.requests).to.deep.equal([{ method: "GET", path: "/token" }]);
    });

    it("redacts the password from a server error that echoes the Authorization header", async () => {
      registry.handler = (req, res) => {
        const authorization = req.headers.authorization;
        if (authorization === undefined) {
          res.writeHead(401, { "WWW-Authenticate": 'Basic realm="registry"' }).end();
          return;
        }
        const decoded = Buffer.from(authorization.slice(6), "base64").toString();
        res
          .writeHead(403, { "Content-Type": "application/json" })
          .end(JSON.stringify({ errors: [{ code: "DENIED", message: `no access for "${authorization}" (${decoded})` }] }));
      };
      const error = await failure(client(login()).listTags("docker.io", "library/caddy"));
      expect(error.message).to.equal('docker.io/library/caddy: tag list failed: HTTP 403 DENIED: no access for "Basic [redacted]" (robot:[redacted])');
      expect(error.message).to.not.include(Buffer.from("robot:s3cret-pass").toString("base64"));
      expect(error.message).to.not.include("s3cret");
    });

    it("names registry and repository for a body that trickles past the timeout, and retries it", async () => {
      registry.handler = (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
        res.write('{"name":"library/caddy","tags":['); // …and the rest never comes
      };
      const started = Date.now();
      const error = await failure(client({}, { timeoutMs: 300 }).listTags("docker.io", "library/caddy"));
      expect(error.message).to.equal(`docker.io/library/caddy: GET ${registry.url}: the answer's body did not arrive within 300 ms after 2 attempts`);
      expect(registry.requests).to.have.length(2);
      expect(Date.now() - started).to.be.below(3000);
    });

    it("stops every request and wait when the run's limit fires", async () => {
      registry.handler = () => undefined; // never answers
      const events: RegistryRequestEvent[] = [];
      const started = Date.now();
      const runLimit = { signal: AbortSignal.timeout(400), seconds: 0.4 };
      const c = client({}, { timeoutMs: 10_000, retries: 3, runLimit, onRequest: (e) => events.push(e) });
      const errors = await Promise.all([failure(c.listTags("docker.io", "library/caddy")), failure(c.resolveDigest("docker.io", "library/caddy", "2.10.2"))]);
      expect(errors.map((e) => e.message)).to.deep.equal([
        "docker.io/library/caddy: stopped: the run's time limit of 0.4 s (--timeout) ran out",
        "docker.io/library/caddy: stopped: the run's time limit of 0.4 s (--timeout) ran out",
      ]);
      expect(Date.now() - started).to.be.below(2000);
      expect(registry.requests).to.have.length(1); // the first request learns the challenge; the second never went out
    });
  });
});

describe("strict registry answers", function () {
  this.timeout(30_000);
  let registry: RunningRegistry;
  let proxy: RunningFaultProxy;
  let digest: string;
  before(async () => {
    registry = await startRegistry();
    await pushTags(registry.url, "library/caddy", ["2.10.0", "2.11.0"]);
    digest = (await pushIndex(registry.url, "library/caddy", "2.10.2")).digest;
    proxy = await startFaultProxy(registry.url);
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  beforeEach(() => proxy.reset());
  const client = (extra: Partial<RegistryClientOptions> = {}) =>
    new RegistryClient({ mirrors: { "docker.io": proxy.url }, env: {}, dockerConfigPath: "/nonexistent", ...extra });

  it('refuses every tag list that is not {"name": …, "tags": [strings]}', async () => {
    const cases: [string, string][] = [
      ["[]", "a JSON array"],
      ["{}", 'an object without "name"'],
      ["null", "null"],
      ['"tags"', "a JSON string"],
      ['{"name":"library/caddy"}', 'an object without "tags"'],
      ['{"name":"library/caddy","tags":null}', '"tags" is null'],
      ['{"name":"library/caddy","tags":{}}', '"tags" is a JSON object'],
      ['{"name":"library/caddy","tags":["2.10.2",1]}', '"tags" holds a non-string'],
      ['{"name":7,"tags":[]}', '"name" is not a string'],
    ];
    for (const [body, shape] of cases) {
      proxy.reset();
      proxy.rules.push({ path: /tags\/list$/, fault: { kind: "status", status: 200, body } });
      const error = await failure(client().listTags("docker.io", "library/caddy"));
      expect(error.message, body).to.equal(
        `docker.io/library/caddy: malformed tag list from ${proxy.url}: expected {"name": …, "tags": [strings]}, got ${shape}`,
      );
    }
  });

  it("flags a tag list that lacks the pinned tag (never up to date), and reports the stack as failed", async () => {
    const images = { caddy: { tag: "2.10.2", digest } };
    for (const tags of [[], ["2.10.0", "2.10.1"]]) {
      proxy.reset();
      proxy.rules.push({ path: /tags\/list$/, fault: { kind: "status", status: 200, body: JSON.stringify({ name: "library/caddy", tags }) } });
      const result = await checkStack({ stack: "t", file: "Pulumi.t.yaml", images, registry: client() });
      const caddy = result.components[0];
      expect(caddy?.status).to.equal("error");
      expect(caddy?.error).to.equal(
        `${CATALOG.caddy.registry}/library/caddy: the tag list (${tags.length} tag${tags.length === 1 ? "" : "s"}) lacks the pinned tag 2.10.2, which resolves: the list is incomplete, newer tags cannot be judged`,
      );
      expect(result.summary).to.deep.equal({ upToDate: 0, updates: 0, errors: 1 });
    }
    // The real list has it: classified normally.
    proxy.reset();
    const real = await checkStack({ stack: "t", file: "Pulumi.t.yaml", images, registry: client() });
    expect(real.components[0]?.status).to.equal("minor");
  });

  it("fails fast, without retries, on a name that does not resolve", async () => {
    const events: RegistryRequestEvent[] = [];
    const started = Date.now();
    const c = new RegistryClient({
      mirrors: { "docker.io": "http://registry.myoci-h15.invalid:5000" },
      env: {},
      dockerConfigPath: "/nonexistent",
      onRequest: (e) => events.push(e),
    });
    const error = await failure(c.listTags("docker.io", "library/caddy"));
    expect(error.message).to.equal(
      "docker.io/library/caddy: GET http://registry.myoci-h15.invalid:5000: registry.myoci-h15.invalid does not resolve (ENOTFOUND); not retried",
    );
    expect(events).to.have.length(1);
    expect(Date.now() - started).to.be.below(1500); // the default backoff alone would be 3.5 s
  });

  it("fails fast, without retries, on a refused connection", async () => {
    const closed = await freePort();
    const events: RegistryRequestEvent[] = [];
    const started = Date.now();
    const c = new RegistryClient({
      mirrors: { "docker.io": `http://127.0.0.1:${closed}` },
      env: {},
      dockerConfigPath: "/nonexistent",
      onRequest: (e) => events.push(e),
    });
    const error = await failure(c.resolveDigest("docker.io", "library/caddy", "2.10.2"));
    expect(error.message).to.equal(`docker.io/library/caddy: HEAD http://127.0.0.1:${closed}: connection refused (ECONNREFUSED); not retried`);
    expect(events.map((e) => e.status)).to.deep.equal(["network-error"]);
    expect(Date.now() - started).to.be.below(1500);
  });
});
