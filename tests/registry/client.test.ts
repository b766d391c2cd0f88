/** RegistryClient against a real registry (Debian's docker-registry), a real token server, and a fault proxy. */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { credentialEnvName, findCredentials, parseChallenge, realmEnvName } from "../../cli/adapters/registry/auth";
import { parseMirrorArgs, RegistryClient, RegistryError, type RegistryRequestEvent } from "../../cli/adapters/registry/client";
import { startFaultProxy, type RunningFaultProxy } from "../helpers/fault-proxy";
import { pushImage, pushIndex, pushTags, startRegistry, type RunningRegistry } from "../helpers/registry";
import { startTokenServer, type RunningTokenServer } from "../helpers/token-server";

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error("expected the promise to reject");
}

describe("registry client (real docker-registry)", function () {
  this.timeout(30_000);
  let registry: RunningRegistry;
  let proxy: RunningFaultProxy;
  const caddyTags = ["2.10.0", "2.10.1", "2.11.0", "2.10.2-alpine", "2.11.1-alpine", "2.10.2-builder", "3.0.0"];
  let indexDigest: string;
  let platformDigests: string[];
  let dockerDigest: string;

  before(async () => {
    registry = await startRegistry();
    await pushTags(registry.url, "library/caddy", caddyTags);
    const index = await pushIndex(registry.url, "library/caddy", "2.10.2");
    indexDigest = index.digest;
    platformDigests = index.platforms.map((p) => p.digest);
    dockerDigest = (await pushImage(registry.url, "grafana/loki", "3.0.0", { docker: true })).digest;
    proxy = await startFaultProxy(registry.url);
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  beforeEach(() => proxy.reset());

  const client = (extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}, events?: RegistryRequestEvent[]) =>
    new RegistryClient({
      mirrors: { "docker.io": proxy.url },
      backoffMs: 10,
      env: {},
      dockerConfigPath: "/nonexistent",
      onRequest: (e) => events?.push(e),
      ...extra,
    });

  it("lists every tag and resolves the multi-arch index digest by HEAD (not a platform digest)", async () => {
    const c = client();
    const tags = await c.listTags("docker.io", "library/caddy");
    expect([...tags].sort()).to.deep.equal([...caddyTags, "2.10.2", "2.10.2-amd64-only", "2.10.2-arm64-only"].sort());
    const digest = await c.resolveDigest("docker.io", "library/caddy", "2.10.2");
    expect(digest).to.equal(indexDigest);
    expect(platformDigests).to.not.include(digest);
    expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(["GET /v2/library/caddy/tags/list", "HEAD /v2/library/caddy/manifests/2.10.2"]);
  });

  it("resolves a Docker v2 single manifest's digest", async () => {
    expect(await client().resolveDigest("docker.io", "grafana/loki", "3.0.0")).to.equal(dockerDigest);
  });

  it("follows Link rel=next pages", async () => {
    proxy.paginateTags = 3;
    try {
      const tags = await client({ pageSize: 3 }).listTags("docker.io", "library/caddy");
      expect(tags).to.have.length(10);
      expect(new Set(tags).size).to.equal(10);
      expect(proxy.requests.map((r) => r.query)).to.deep.equal(["?n=3", "?last=2.10.2&n=3", "?last=2.10.2-arm64-only&n=3", "?last=2.11.1-alpine&n=3"]);
    } finally {
      proxy.paginateTags = undefined;
    }
  });

  it("names registry and repository for an unknown repository (404 NAME_UNKNOWN)", async () => {
    const error = await failure(client().listTags("docker.io", "nope/missing"));
    expect(error.message).to.equal("docker.io/nope/missing: tag list failed: HTTP 404 NAME_UNKNOWN: repository name not known to registry");
    const head = await failure(client().resolveDigest("docker.io", "library/caddy", "9.9.9"));
    expect(head.message).to.equal("docker.io/library/caddy: manifest HEAD failed: HTTP 404 (tag or repository not found)");
  });

  it("fails clearly on 401 without a challenge, with one request", async () => {
    proxy.rules.push({ path: /tags\/list$/, fault: { kind: "status", status: 401 } });
    const error = await failure(client().listTags("docker.io", "library/caddy"));
    expect(error.message).to.equal("docker.io/library/caddy: unauthorized (HTTP 401) without a usable WWW-Authenticate challenge");
    expect(proxy.requests).to.have.length(1);
  });

  it("waits for Retry-After on 429, then succeeds", async () => {
    proxy.rules.push({ path: /manifests/, fault: { kind: "status", status: 429, headers: { "Retry-After": "1" } }, times: 1 });
    const started = Date.now();
    expect(await client().resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(indexDigest);
    expect(proxy.requests.map((r) => r.status)).to.deep.equal([429, 200]);
    const gap = (proxy.requests[1]?.at ?? 0) - (proxy.requests[0]?.at ?? 0);
    expect(gap).to.be.at.least(950);
    expect(Date.now() - started).to.be.below(3000);
  });

  it("gives up at once when Retry-After exceeds the limit", async () => {
    proxy.rules.push({ path: /manifests/, fault: { kind: "status", status: 429, headers: { "Retry-After": "3600" } } });
    const error = await failure(client().resolveDigest("docker.io", "library/caddy", "2.10.2"));
    expect(error.message).to.equal("docker.io/library/caddy: rate limited (HTTP 429); Retry-After 3600 exceeds the 60 s limit");
    expect(proxy.requests).to.have.length(1);
  });

  it("retries 500 with backoff, then succeeds", async () => {
    proxy.rules.push({ path: /tags\/list$/, fault: { kind: "status", status: 500, body: "{}" }, times: 2 });
    const tags = await client().listTags("docker.io", "library/caddy");
    expect(tags).to.have.length(10);
    expect(proxy.requests.map((r) => r.status)).to.deep.equal([500, 500, 200]);
  });

  it("reports a persistent 500 after the retries", async () => {
    proxy.rules.push({ path: /tags\/list$/, fault: { kind: "status", status: 503, body: "{}" } });
    const error = await failure(client({ retries: 2 }).listTags("docker.io", "library/caddy"));
    expect(error.message).to.equal("docker.io/library/caddy: tag list failed: HTTP 503 server error, retries exhausted");
    expect(error.status).to.equal(503);
    expect(proxy.requests).to.have.length(3);
  });

  it("times out a hanging server and names it", async () => {
    proxy.rules.push({ path: /manifests/, fault: { kind: "hang" } });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 200, retries: 1 }).resolveDigest("docker.io", "library/caddy", "2.10.2"));
    expect(error.message).to.equal(`docker.io/library/caddy: HEAD ${proxy.url}: no answer within 200 ms after 2 attempts`);
    expect(proxy.requests.map((r) => r.status)).to.deep.equal(["hang", "hang"]);
    expect(Date.now() - started).to.be.within(400, 2000);
  });

  it("rejects a malformed JSON tag list", async () => {
    proxy.rules.push({ path: /tags\/list$/, fault: { kind: "malformed-json" } });
    const error = await failure(client().listTags("docker.io", "library/caddy"));
    expect(error.message).to.equal(`docker.io/library/caddy: malformed tag list (not JSON) from ${proxy.url}`);
  });

  it("rejects a wrong Docker-Content-Digest header", async () => {
    proxy.rules.push({ path: /manifests/, fault: { kind: "wrong-digest", value: "sha256:abc" } });
    const error = await failure(client().resolveDigest("docker.io", "library/caddy", "2.10.2"));
    expect(error.message).to.equal('docker.io/library/caddy: wrong digest header for tag 2.10.2: Docker-Content-Digest "sha256:abc" is not sha256:<64 hex>');
  });

  it("keeps to the per-registry concurrency limit", async () => {
    proxy.rules.push({ path: /manifests/, fault: { kind: "delay", ms: 100 } });
    const c = client({ concurrency: 2 });
    const digests = await Promise.all(Array.from({ length: 6 }, () => c.resolveDigest("docker.io", "library/caddy", "2.10.2")));
    expect(new Set(digests)).to.deep.equal(new Set([indexDigest]));
    expect(proxy.requests).to.have.length(6);
    expect(proxy.maxInFlight).to.equal(2);
  });

  describe("token auth (registry auth: token + our token server)", () => {
    let tokens: RunningTokenServer;
    let secured: RunningRegistry;
    let front: RunningFaultProxy;
    before(async () => {
      tokens = await startTokenServer();
      // Same storage as the open registry: filled there, read here through token auth.
      secured = await startRegistry({
        rootDir: registry.rootDir,
        tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile },
      });
      front = await startFaultProxy(secured.url);
    });
    after(async () => {
      await front?.stop();
      await secured?.stop();
      await tokens?.stop();
    });
    beforeEach(() => {
      front.reset();
      tokens.requests.length = 0;
      tokens.settings.accessTokenField = false;
      tokens.settings.requireLogin = undefined;
    });
    const securedClient = (env: NodeJS.ProcessEnv = {}, dockerConfigPath = "/nonexistent") =>
      new RegistryClient({ mirrors: { "docker.io": front.url }, backoffMs: 10, env, dockerConfigPath });

    it("answers 401 with a Bearer challenge without a token", async () => {
      const response = await fetch(`${secured.url}/v2/library/caddy/tags/list`);
      expect(response.status).to.equal(401);
      const challenge = parseChallenge(response.headers.get("www-authenticate"));
      expect(challenge).to.deep.equal({ scheme: "bearer", params: { realm: tokens.realm, service: tokens.service, scope: "repository:library/caddy:pull" } });
    });

    it("fetches one anonymous token per repository, caches it, and skips the 401 for the next repository", async () => {
      const c = securedClient();
      expect(await c.resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(indexDigest);
      expect((await c.listTags("docker.io", "library/caddy")).length).to.equal(10);
      expect(await c.resolveDigest("docker.io", "grafana/loki", "3.0.0")).to.equal(dockerDigest);
      expect(tokens.requests).to.deep.equal([
        { scope: "repository:library/caddy:pull", service: tokens.service },
        { scope: "repository:grafana/loki:pull", service: tokens.service },
      ]);
      expect(front.requests.map((r) => `${r.status} ${r.method} ${r.path}`)).to.deep.equal([
        "401 HEAD /v2/library/caddy/manifests/2.10.2",
        "200 HEAD /v2/library/caddy/manifests/2.10.2",
        "200 GET /v2/library/caddy/tags/list",
        "200 HEAD /v2/grafana/loki/manifests/3.0.0",
      ]);
    });

    it("accepts access_token instead of token", async () => {
      tokens.settings.accessTokenField = true;
      expect(await securedClient().resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(indexDigest);
    });

    it("sends credentials from MYOCI_REGISTRY_AUTH_<HOST> to a token service the user named, never into errors", async () => {
      tokens.settings.requireLogin = { username: "robot", password: "s3cret-pass" };
      const host = new URL(front.url).host;
      // The test realm is plain HTTP on another port: it gets the login only because the user names it.
      const trust = { [realmEnvName(host)]: tokens.realm };
      expect(await securedClient({ [credentialEnvName(host)]: "robot:s3cret-pass", ...trust }).resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(
        indexDigest,
      );
      expect(tokens.requests.map((r) => r.user)).to.deep.equal(["robot"]);
      const bad = await failure(
        securedClient({ [credentialEnvName(host)]: "robot:wrong-pass", ...trust }).resolveDigest("docker.io", "library/caddy", "2.10.2"),
      );
      expect(bad.message).to.equal(
        `docker.io/library/caddy: token service ${new URL(tokens.realm).origin} refused repository:library/caddy:pull (HTTP 401) with the configured credentials`,
      );
      expect(bad.message).to.not.include("wrong-pass");
      const none = await failure(securedClient().resolveDigest("docker.io", "library/caddy", "2.10.2"));
      expect(none.message).to.include("set credentials if the repository is private");
      for (const token of tokens.issued) {
        expect(bad.message + none.message).to.not.include(token);
      }
    });

    it("reads the Docker config file's auths", async () => {
      tokens.settings.requireLogin = { username: "dockeruser", password: "from-config" };
      const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-dockercfg-"));
      try {
        const file = path.join(dir, "config.json");
        const host = new URL(front.url).host;
        writeFileSync(file, JSON.stringify({ auths: { [host]: { auth: Buffer.from("dockeruser:from-config").toString("base64") } } }));
        expect(await securedClient({ [realmEnvName(host)]: tokens.realm }, file).resolveDigest("docker.io", "library/caddy", "2.10.2")).to.equal(indexDigest);
        expect(tokens.requests.map((r) => r.user)).to.deep.equal(["dockeruser"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("registry auth helpers", () => {
  it("parses challenges with quoted and bare values", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/caddy:pull"')).to.deep.equal({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/caddy:pull" },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).to.deep.equal({ scheme: "basic", params: { realm: "Registry Realm" } });
    expect(parseChallenge(null)).to.equal(undefined);
  });

  it("finds Docker Hub logins under index.docker.io and prefers the environment", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-dockercfg-"));
    try {
      const file = path.join(dir, "config.json");
      writeFileSync(file, JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw").toString("base64") } } }));
      expect(findCredentials("docker.io", { env: {}, dockerConfigPath: file })).to.deep.equal({ username: "hub", password: "pw" });
      expect(findCredentials("ghcr.io", { env: {}, dockerConfigPath: file })).to.equal(undefined);
      expect(findCredentials("docker.io", { env: { MYOCI_REGISTRY_AUTH_DOCKER_IO: "envuser:a:b" }, dockerConfigPath: file })).to.deep.equal({
        username: "envuser",
        password: "a:b",
      });
      expect(() => findCredentials("docker.io", { env: { MYOCI_REGISTRY_AUTH_DOCKER_IO: "nocolon" }, dockerConfigPath: file })).to.throw(
        "MYOCI_REGISTRY_AUTH_DOCKER_IO is set but is not in the form user:password",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses --registry-mirror values and refuses bad ones", () => {
    expect(parseMirrorArgs(["docker.io=http://127.0.0.1:5000/", "ghcr.io=https://mirror.example.org"])).to.deep.equal({
      "docker.io": "http://127.0.0.1:5000",
      "ghcr.io": "https://mirror.example.org",
    });
    expect(() => parseMirrorArgs(["docker.io"])).to.throw('--registry-mirror "docker.io": expected HOST=URL');
    expect(() => parseMirrorArgs(["docker.io=ftp://x"])).to.throw("expected HOST=URL");
  });
});
