/**
 * A small client for the Registry HTTP API v2 / OCI distribution: tag lists and tag digests.
 * Works with Docker Hub, ghcr.io, quay.io and any v2 registry; `mirrors` sends a registry's requests elsewhere.
 * Errors name the registry and repository — never a credential or token.
 */
import { basicHeader, credentialEnvName, findCredentials, parseChallenge, type AuthChallenge, type BasicCredentials } from "./auth";
import { Limiter } from "./limiter";

/** Resolves a tag to the digest its registry serves now (the index digest for multi-arch images). */
export interface DigestResolver {
  resolveDigest(registry: string, repository: string, tag: string): Promise<string>;
}

/** Lists a repository's tags. */
export interface TagLister {
  listTags(registry: string, repository: string): Promise<string[]>;
}

/** Accept types for a digest HEAD, index types first so multi-arch images answer with their index digest. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface RegistryRequestEvent {
  readonly registry: string;
  readonly method: string;
  readonly url: string;
  readonly status: number | "timeout" | "network-error";
}

export interface RegistryClientOptions {
  /** Registry host → base URL (e.g. `docker.io` → `http://127.0.0.1:5000`): pull-through caches, mirrors, tests. */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** Per-request timeout (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Retries after a 5xx, 429, timeout or network error (default 3). */
  readonly retries?: number;
  /** First backoff delay; doubles each retry (default 500 ms). */
  readonly backoffMs?: number;
  /** A Retry-After longer than this fails at once instead of waiting (default 60 000 ms). */
  readonly maxRetryAfterMs?: number;
  /** Concurrent requests per registry (default 6). */
  readonly concurrency?: number;
  /** Tags per page requested with `?n=` (default 1000). */
  readonly pageSize?: number;
  /** Environment for `MYOCI_REGISTRY_AUTH_<HOST>` and `DOCKER_CONFIG` (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Docker config file with `auths` (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  readonly dockerConfigPath?: string;
  /** Called after every HTTP response or failure (request counting, debugging). */
  readonly onRequest?: (event: RegistryRequestEvent) => void;
}

/** A registry request failed for good. The message names registry and repository, never credentials. */
export class RegistryError extends Error {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`${registry}/${repository}: ${detail}`);
    this.name = "RegistryError";
  }
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The default API endpoint of a registry host. */
export function defaultBaseUrl(registry: string): string {
  return registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`;
}

/** Parses `--registry-mirror HOST=URL` values; throws naming the bad value. */
export function parseMirrorArgs(values: readonly string[]): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    const host = value.slice(0, eq).trim();
    const url = value.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host) || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
      throw new Error(`--registry-mirror "${value}": expected HOST=URL such as docker.io=http://127.0.0.1:5000`);
    }
    mirrors[host] = url.replace(/\/+$/, "");
  }
  return mirrors;
}

/** A URL without user info, for messages. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

export class RegistryClient implements DigestResolver, TagLister {
  private readonly mirrors: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly concurrency: number;
  private readonly pageSize: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly limiters = new Map<string, Limiter>();
  /** registry + scope → bearer token */
  private readonly tokens = new Map<string, CachedToken>();
  /** registry → its Bearer challenge, so later repositories fetch a token without a 401 round trip first */
  private readonly challenges = new Map<string, AuthChallenge>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.mirrors = options.mirrors ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.concurrency = options.concurrency ?? 6;
    this.pageSize = options.pageSize ?? 1000;
    this.env = options.env ?? process.env;
  }

  /** The base URL requests for a registry go to (its mirror, if any). */
  baseUrl(registry: string): string {
    return (this.mirrors[registry] ?? defaultBaseUrl(registry)).replace(/\/+$/, "");
  }

  /** Every tag of a repository, following `Link: <…>; rel="next"` pages. */
  async listTags(registry: string, repository: string): Promise<string[]> {
    const base = this.baseUrl(registry);
    let url: string | undefined = `${base}/v2/${repository}/tags/list?n=${this.pageSize}`;
    const seen = new Set<string>();
    const tags: string[] = [];
    while (url !== undefined) {
      if (seen.has(url) || seen.size >= 10_000) {
        throw new RegistryError(registry, repository, "tag list pagination does not end (a Link repeats)");
      }
      seen.add(url);
      const response = await this.request(registry, repository, "GET", url, { Accept: "application/json" });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new RegistryError(registry, repository, `malformed tag list (not JSON) from ${safeUrl(base)}`);
      }
      const page = (body as { tags?: unknown } | null)?.tags;
      if (page !== null && page !== undefined && !(Array.isArray(page) && page.every((t) => typeof t === "string"))) {
        throw new RegistryError(registry, repository, `malformed tag list (expected {"tags": [strings]}) from ${safeUrl(base)}`);
      }
      tags.push(...(page ?? []));
      url = this.nextLink(registry, repository, response.headers.get("link"), url);
    }
    return tags;
  }

  /** Digest of a tag by HEAD (never GET): the index digest for multi-arch images. */
  async resolveDigest(registry: string, repository: string, tag: string): Promise<string> {
    const url = `${this.baseUrl(registry)}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
    const response = await this.request(registry, repository, "HEAD", url, { Accept: MANIFEST_ACCEPT });
    await response.arrayBuffer();
    const digest = response.headers.get("docker-content-digest");
    if (digest === null || !DIGEST.test(digest)) {
      throw new RegistryError(
        registry,
        repository,
        `wrong digest header for tag ${tag}: Docker-Content-Digest ${digest === null ? "is missing" : `"${digest.slice(0, 80)}" is not sha256:<64 hex>`}`,
      );
    }
    return digest;
  }

  private nextLink(registry: string, repository: string, header: string | null, current: string): string | undefined {
    if (header === null) {
      return undefined;
    }
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
    if (!match) {
      return undefined;
    }
    const next = new URL(match[1] ?? "", current);
    if (next.origin !== new URL(current).origin) {
      // Never send this registry's token to another host.
      throw new RegistryError(registry, repository, `tag list Link points to another host (${next.origin})`);
    }
    return next.toString();
  }

  private limiter(registry: string): Limiter {
    let limiter = this.limiters.get(registry);
    if (!limiter) {
      limiter = new Limiter(this.concurrency);
      this.limiters.set(registry, limiter);
    }
    return limiter;
  }

  /** Logins are looked up by registry name (`docker.io`), or by the mirror's host:port when the registry is mirrored. */
  credentialHost(registry: string): string {
    const mirror = this.mirrors[registry];
    return mirror === undefined ? registry : new URL(mirror).host;
  }

  private credentials(registry: string): BasicCredentials | undefined {
    return findCredentials(this.credentialHost(registry), { env: this.env, dockerConfigPath: this.options.dockerConfigPath });
  }

  /** One registry request with auth, retries and backoff; resolves with a 2xx response or throws RegistryError. */
  private async request(registry: string, repository: string, method: string, url: string, headers: Record<string, string>): Promise<Response> {
    const scope = `repository:${repository}:pull`;
    let authTried = false;
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.authorizationFor(registry, repository, scope);
      const response = await this.send(registry, repository, method, url, { ...headers, ...(authorization ? { Authorization: authorization } : {}) }, attempt);
      if (response === "retry") {
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if (response.status === 401 && !authTried) {
        await response.arrayBuffer();
        const challenge = parseChallenge(response.headers.get("www-authenticate"));
        if (!challenge || (challenge.scheme !== "bearer" && challenge.scheme !== "basic")) {
          throw new RegistryError(registry, repository, `unauthorized (HTTP 401) without a usable WWW-Authenticate challenge`, 401);
        }
        this.challenges.set(registry, challenge);
        this.tokens.delete(`${registry} ${scope}`);
        authTried = true;
        attempt--; // an auth round trip is not a retry
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < this.retries) {
        await response.arrayBuffer();
        await sleep(this.retryDelay(registry, repository, response, attempt));
        continue;
      }
      if (response.ok) {
        return response;
      }
      throw new RegistryError(registry, repository, await describeFailure(method, response), response.status);
    }
  }

  private retryDelay(registry: string, repository: string, response: Response, attempt: number): number {
    const header = response.headers.get("retry-after");
    if (header !== null) {
      const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - Date.now();
      if (Number.isFinite(seconds)) {
        if (seconds > this.maxRetryAfterMs) {
          throw new RegistryError(
            registry,
            repository,
            `rate limited (HTTP ${response.status}); Retry-After ${header} exceeds the ${this.maxRetryAfterMs / 1000} s limit`,
            response.status,
          );
        }
        return Math.max(0, seconds);
      }
    }
    return this.backoffMs * 2 ** attempt;
  }

  /** Sends once; "retry" after a timeout or network error while retries remain. */
  private async send(
    registry: string,
    repository: string,
    method: string,
    url: string,
    headers: Record<string, string>,
    attempt: number,
  ): Promise<Response | "retry"> {
    return this.limiter(registry).run(async () => {
      try {
        const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: "follow" });
        this.options.onRequest?.({ registry, method, url, status: response.status });
        return response;
      } catch (error) {
        const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
        this.options.onRequest?.({ registry, method, url, status: timedOut ? "timeout" : "network-error" });
        if (attempt < this.retries) {
          return "retry";
        }
        const cause = timedOut ? `no answer within ${this.timeoutMs} ms` : `connection failed (${connectionCause(error)})`;
        throw new RegistryError(
          registry,
          repository,
          `${method} ${safeUrl(new URL(url).origin)}: ${cause} after ${attempt + 1} attempt${attempt === 0 ? "" : "s"}`,
        );
      }
    });
  }

  /** The Authorization header for a request: cached or fresh bearer token, or Basic credentials. */
  private async authorizationFor(registry: string, repository: string, scope: string): Promise<string | undefined> {
    const challenge = this.challenges.get(registry);
    if (!challenge) {
      return undefined;
    }
    if (challenge.scheme === "basic") {
      const credentials = this.credentials(registry);
      if (!credentials) {
        throw new RegistryError(
          registry,
          repository,
          `the registry asks for a login: set ${credentialEnvName(this.credentialHost(registry))}=user:password or log in with docker login`,
          401,
        );
      }
      return basicHeader(credentials);
    }
    const key = `${registry} ${scope}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) {
      return `Bearer ${cached.token}`;
    }
    const token = await this.fetchToken(registry, repository, challenge, scope);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private async fetchToken(registry: string, repository: string, challenge: AuthChallenge, scope: string): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (realm === undefined || !/^https?:\/\//.test(realm)) {
      throw new RegistryError(registry, repository, "Bearer challenge without an http(s) realm", 401);
    }
    const tokenUrl = new URL(realm);
    tokenUrl.searchParams.set("scope", scope);
    if (challenge.params.service !== undefined) {
      tokenUrl.searchParams.set("service", challenge.params.service);
    }
    const credentials = this.credentials(registry);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (credentials) {
      headers.Authorization = basicHeader(credentials);
    }
    let response: Response | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      try {
        response = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        if (attempt === this.retries) {
          throw new RegistryError(registry, repository, `token service ${tokenUrl.origin} did not answer (${(error as Error).name})`);
        }
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < this.retries) {
        await response.arrayBuffer();
        await sleep(this.retryDelay(registry, repository, response, attempt));
        continue;
      }
      break;
    }
    if (!response || !response.ok) {
      throw new RegistryError(
        registry,
        repository,
        `token service ${tokenUrl.origin} refused ${scope} (HTTP ${response?.status ?? "?"})${credentials ? " with the configured credentials" : "; set credentials if the repository is private"}`,
        response?.status,
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new RegistryError(registry, repository, `token service ${tokenUrl.origin} answered malformed JSON`);
    }
    const token = typeof body.token === "string" && body.token !== "" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "") {
      throw new RegistryError(registry, repository, `token service ${tokenUrl.origin} answered without token or access_token`);
    }
    // Registries default to 60 s; renew 10 s early.
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
    return { token, expiresAt: Date.now() + Math.max(lifetime - 10, 1) * 1000 };
  }
}

/** ECONNREFUSED, "bad port", … from a fetch failure (undici puts the reason in `cause`). */
function connectionCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") {
    return cause.code;
  }
  return typeof cause?.message === "string" ? cause.message : (error as Error).message;
}

/** "HTTP 404 NAME_UNKNOWN: repository name not known to registry" from an error response (codes only, no echo of headers). */
async function describeFailure(method: string, response: Response): Promise<string> {
  let detail = "";
  if (method !== "HEAD") {
    try {
      const body = (await response.json()) as { errors?: { code?: unknown; message?: unknown }[] };
      const first = body.errors?.[0];
      if (first && typeof first.code === "string") {
        detail = ` ${first.code}${typeof first.message === "string" ? `: ${first.message.slice(0, 200)}` : ""}`;
      }
    } catch {
      // no JSON error body
    }
  } else {
    await response.arrayBuffer();
  }
  if (detail === "" && response.status === 404) {
    detail = method === "HEAD" ? " (tag or repository not found)" : " (repository not found)";
  }
  if (response.status === 429) {
    detail += " rate limited, retries exhausted";
  } else if (response.status >= 500) {
    detail += " server error, retries exhausted";
  }
  return `${method === "HEAD" ? "manifest HEAD" : "tag list"} failed: HTTP ${response.status}${detail}`;
}
