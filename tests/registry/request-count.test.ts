/**
 * Requests at the limit, counted from the proxy's log and the token server's log: a whole stack of images costs one
 * HEAD and one tag-list page per image, one 401 per registry (the challenge, learned once) and, on a token registry,
 * one token per repository, fetched before that repository's requests and shared by them.
 */
import { expect } from "chai";
import { CATALOG, COMPONENT_IDS, type ComponentId, type ImagePin } from "../../catalog";
import { checkStack } from "../../cli/app/check/run";
import { credentialEnvName, realmEnvName } from "../../cli/adapters/registry/auth";
import { RegistryClient } from "../../cli/adapters/registry/client";
import { startFaultProxy, type RunningFaultProxy } from "../helpers/fault-proxy";
import { pushIndex, startRegistry, type RunningRegistry } from "../helpers/registry";
import { DEFAULT_TAGS } from "../helpers/stack-fixture";
import { startTokenServer, type RunningTokenServer } from "../helpers/token-server";

describe("registry requests at the limit (a whole stack, counted from the proxy log)", function () {
  this.timeout(60_000);
  let open: RunningRegistry;
  let tokens: RunningTokenServer;
  let secured: RunningRegistry;
  let openProxy: RunningFaultProxy;
  let securedProxy: RunningFaultProxy;
  const images: Partial<Record<ComponentId, ImagePin>> = {};
  const repositories = new Set<string>();

  before(async () => {
    open = await startRegistry();
    // Every catalog component at its fixture tag: 15 images, 15 repositories, two registry names (docker.io, ghcr.io).
    for (const component of COMPONENT_IDS) {
      const tag = DEFAULT_TAGS[component];
      if (tag === undefined) {
        continue;
      }
      const { repository } = CATALOG[component];
      images[component] = { tag, digest: (await pushIndex(open.url, repository, tag)).digest };
      repositories.add(repository);
    }
    tokens = await startTokenServer();
    secured = await startRegistry({
      rootDir: open.rootDir,
      tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile },
    });
    openProxy = await startFaultProxy(open.url);
    securedProxy = await startFaultProxy(secured.url);
  });
  after(async () => {
    await openProxy?.stop();
    await securedProxy?.stop();
    await secured?.stop();
    await open?.stop();
    await tokens?.stop();
  });
  beforeEach(() => {
    openProxy.reset();
    securedProxy.reset();
    tokens.requests.length = 0;
    tokens.settings.requireLogin = undefined;
  });

  // One mirror for both registry names, as an operator's pull-through cache would be: one challenge to learn.
  const check = (url: string, env: NodeJS.ProcessEnv = {}) =>
    checkStack({
      stack: "fixture",
      file: "Pulumi.fixture.yaml",
      images,
      registry: new RegistryClient({ mirrors: { "docker.io": url, "ghcr.io": url }, env, dockerConfigPath: "/nonexistent" }),
    });

  it("costs exactly one HEAD and one tag list per image on an open registry", async () => {
    const count = Object.keys(images).length;
    const result = await check(openProxy.url);
    expect(result.summary.errors).to.equal(0);
    expect(count).to.equal(15);
    const log = openProxy.requests.map((r) => `${r.status} ${r.method}`);
    expect(log.filter((l) => l === "200 HEAD")).to.have.length(count);
    expect(log.filter((l) => l === "200 GET")).to.have.length(count);
    expect(log).to.have.length(2 * count);
  });

  it("on a token registry: 2 requests per image + one 401 for the registry, one token per repository", async () => {
    const count = Object.keys(images).length;
    const result = await check(securedProxy.url);
    expect(result.summary.errors).to.equal(0);
    const log = securedProxy.requests.map((r) => `${r.status} ${r.method} ${r.path}`);
    const unauthorized = log.filter((l) => l.startsWith("401 "));
    // The endpoint's challenge is learned once, from its first request (docker.io and ghcr.io share this mirror).
    expect(unauthorized).to.have.length(1);
    expect(log.filter((l) => l.startsWith("200 HEAD /v2/") && l.includes("/manifests/"))).to.have.length(count);
    expect(log.filter((l) => l.startsWith("200 GET /v2/") && l.endsWith("/tags/list"))).to.have.length(count);
    expect(log).to.have.length(2 * count + 1);
    // One token per repository, never two (the HEAD and the tag list share the one being fetched).
    expect(tokens.requests.map((r) => r.scope).sort()).to.deep.equal([...repositories].map((r) => `repository:${r}:pull`).sort());
  });

  it("with a login for a named realm: the same counts, every token request authenticated", async () => {
    const count = Object.keys(images).length;
    tokens.settings.requireLogin = { username: "robot", password: "s3cret-pass" };
    const host = new URL(securedProxy.url).host;
    const result = await check(securedProxy.url, { [credentialEnvName(host)]: "robot:s3cret-pass", [realmEnvName(host)]: tokens.realm });
    expect(result.summary.errors).to.equal(0);
    expect(securedProxy.requests).to.have.length(2 * count + 1);
    expect(tokens.requests).to.have.length(repositories.size);
    expect(new Set(tokens.requests.map((r) => r.user))).to.deep.equal(new Set(["robot"]));
  });
});
