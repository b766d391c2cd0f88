/**
 * A small client for the Registry HTTP API v2 / OCI distribution: tag lists and tag digests, at the request floor.
 * Per registry the auth challenge is learned once (the first request goes alone; its 401 carries the challenge), per
 * repository one token is fetched before its requests and shared by them, and an image costs one HEAD and one
 * tag-list page. Works with Docker Hub, ghcr.io, quay.io and any v2 registry; `mirrors` sends a registry's requests
 * elsewhere. Errors name the registry and repository; server text is redacted; credentials and tokens never appear.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { DIGEST_PATTERN } from "../../../catalog/reference";
import { serverText, type Credential } from "../../framework/redact";
import {
  basicHeader,
  credentialEnvName,
  findCredentials,
  loginMayGoTo,
  namedRealms,
  parseChallenge,
  realmEnvName,
  type AuthChallenge,
  type BasicCredentials,
} from "./auth";
import { retryableStatus, withRetry, type RetryPolicy } from "../http-retry";
import { Limiter } from "./limiter";
import { Transport, TransportError, type HttpAnswer } from "./transport";

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

const MAX_REDIRECTS = 5;

export interface RegistryRequestEvent {
  /** `registry` for the registry API, `token` for its token service. */
  readonly kind: "registry" | "token";
  readonly registry: string;
  readonly method: string;
  readonly url: string;
  readonly status: number | "timeout" | "network-error";
}

export interface RegistryClientOptions {
  /** Registry host → base URL (e.g. `docker.io` → `http://127.0.0.1:5000`): pull-through caches, mirrors, tests. */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** Per-attempt timeout, headers and body (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Retries after a 5xx, 429, timeout or dropped connection (default 3); never after DNS or refused connections. */
  readonly retries?: number;
  /** First backoff delay; doubles each retry (default 500 ms). */
  readonly backoffMs?: number;
  /** A Retry-After longer than this fails at once instead of waiting (default 60 000 ms). */
  readonly maxRetryAfterMs?: number;
  /** Concurrent requests per registry (default 6). */
  readonly concurrency?: number;
  /** Tags per page requested with `?n=` (default 1000). */
  readonly pageSize?: number;
  /** Environment for `MYOCI_REGISTRY_AUTH_<HOST>`, `MYOCI_REGISTRY_TOKEN_REALM_<HOST>` (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Docker config file with `auths` (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  readonly dockerConfigPath?: string;
  /** The whole run's limit (`--timeout`): when it fires every request and wait stops with an error. */
  readonly runLimit?: { readonly signal: AbortSignal; readonly seconds: number };
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

/** One exchange: the final response (after redirects) with its whole body, and the URL that gave it. */
interface Answer {
  readonly response: HttpAnswer;
  readonly url: string;
}

/** Why an attempt got no answer. `dns` and `refused` are final; the others may be retried. */
type NoAnswer = { readonly failed: "timeout" | "body-timeout" | "dns" | "refused" | "network" | "run-limit"; readonly cause: string };

const FINAL_FAILURES = new Set<NoAnswer["failed"]>(["dns", "refused", "run-limit"]);

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

/** What a tags/list body is instead of `{"name": string, "tags": [strings]}`, in a few words (no server text). */
function tagListShape(body: unknown): string | undefined {
  if (body === null || typeof body !== "object") {
    return body === null ? "null" : `a JSON ${typeof body}`;
  }
  if (Array.isArray(body)) {
    return "a JSON array";
  }
  const { name, tags } = body as { name?: unknown; tags?: unknown };
  if (typeof name !== "string") {
    return name === undefined ? 'an object without "name"' : '"name" is not a string';
  }
  if (!Array.isArray(tags)) {
    return tags === undefined ? 'an object without "tags"' : `"tags" is ${tags === null ? "null" : `a JSON ${typeof tags}`}`;
  }
  return tags.every((t) => typeof t === "string") ? undefined : '"tags" holds a non-string';
}

const isRedirect = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

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
  /** endpoint (base URL) → its challenge (null: anonymous), learned once; pending while the first request is out. */
  private readonly challenges = new Map<string, Promise<AuthChallenge | null>>();
  /** registry + scope → bearer token, shared while it is being fetched. */
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  /** hostname → its DNS lookup, once per run, so a name that does not resolve fails every request at once. */
  private readonly lookups = new Map<string, Promise<void>>();
  /** Credentials and tokens seen in this run: removed from any server text before it is printed. */
  private readonly secrets: Credential[] = [];
  private readonly transport: Transport;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.mirrors = options.mirrors ?? {};
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.concurrency = options.concurrency ?? 6;
    this.pageSize = options.pageSize ?? 1000;
    this.env = options.env ?? process.env;
    this.transport = new Transport({ maxSockets: this.concurrency });
  }

  /** The base URL requests for a registry go to (its mirror, if any). */
  baseUrl(registry: string): string {
    return (this.mirrors[registry] ?? defaultBaseUrl(registry)).replace(/\/+$/, "");
  }

  /** Every tag of a repository, following `Link: <…>; rel="next"` pages; anything but `{"name", "tags": [strings]}` fails. */
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
      const answer = await this.request(registry, repository, "GET", url, { Accept: "application/json" });
      let body: unknown;
      try {
        body = JSON.parse(answer.response.text);
      } catch {
        throw new RegistryError(registry, repository, `malformed tag list (not JSON) from ${safeUrl(base)}`);
      }
      const wrong = tagListShape(body);
      if (wrong !== undefined) {
        throw new RegistryError(registry, repository, `malformed tag list from ${safeUrl(base)}: expected {"name": …, "tags": [strings]}, got ${wrong}`);
      }
      tags.push(...(body as { tags: string[] }).tags);
      url = this.nextLink(registry, repository, answer.response.header("link"), answer.url);
    }
    return tags;
  }

  /** Digest of a tag by HEAD (never GET): the index digest for multi-arch images. */
  async resolveDigest(registry: string, repository: string, tag: string): Promise<string> {
    const url = `${this.baseUrl(registry)}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
    const { response } = await this.request(registry, repository, "HEAD", url, { Accept: MANIFEST_ACCEPT });
    const digest = response.header("docker-content-digest");
    if (digest === null || !DIGEST_PATTERN.test(digest)) {
      throw new RegistryError(
        registry,
        repository,
        `wrong digest header for tag ${tag}: Docker-Content-Digest ${digest === null ? "is missing" : `"${this.redact(digest.slice(0, 80))}" is not sha256:<64 hex>`}`,
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
      throw new RegistryError(registry, repository, `tag list Link points to another host (${this.redact(safeUrl(next.origin))})`);
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
    const credentials = findCredentials(this.credentialHost(registry), { env: this.env, dockerConfigPath: this.options.dockerConfigPath });
    if (credentials && !this.secrets.some((s) => s.password === credentials.password && s.username === credentials.username)) {
      this.secrets.push({ username: credentials.username, password: credentials.password });
    }
    return credentials;
  }

  /** Server-provided text as one printable line, every credential and token of this run removed. */
  private redact(text: string): string {
    return serverText(text, this.secrets, 300);
  }

  /**
   * One registry request with auth, retries and backoff; resolves with a 2xx answer or throws RegistryError.
   * The first request to a registry goes out alone and anonymous: its answer tells the others the challenge.
   */
  private async request(registry: string, repository: string, method: string, url: string, headers: Record<string, string>): Promise<Answer> {
    const scope = `repository:${repository}:pull`;
    const endpoint = this.baseUrl(registry);
    let settle: ((challenge: AuthChallenge | null) => void) | undefined;
    if (!this.challenges.has(endpoint)) {
      this.challenges.set(endpoint, new Promise((resolve) => (settle = resolve)));
    }
    let authRetried = false;
    try {
      return await withRetry<Answer>(this.retryPolicy(registry, repository), async (attempt) => {
        const authorization = settle ? undefined : await this.authorizationFor(registry, repository, scope);
        const sent = await this.send(registry, repository, method, url, authorization ? { ...headers, Authorization: authorization } : headers);
        if ("failed" in sent) {
          const error = new RegistryError(registry, repository, this.noAnswerMessage(method, url, sent, attempt));
          if (FINAL_FAILURES.has(sent.failed)) {
            throw error;
          }
          return { retry: error };
        }
        const { response } = sent;
        const retryable = retryableStatus(response.status);
        if (settle && !retryable) {
          settle(response.status === 401 ? usableChallenge(response) : null);
          settle = undefined;
        }
        if (response.status === 401 && !authRetried) {
          const challenge = usableChallenge(response);
          if (!challenge) {
            throw new RegistryError(registry, repository, `unauthorized (HTTP 401) without a usable WWW-Authenticate challenge`, 401);
          }
          this.challenges.set(endpoint, Promise.resolve(challenge));
          await this.forgetToken(registry, scope, authorization);
          authRetried = true;
          return { again: true }; // an auth round trip is not a retry
        }
        if (response.ok) {
          return { done: sent };
        }
        const failure = new RegistryError(registry, repository, this.describeFailure(method, sent, registry, authorization), response.status);
        if (!retryable) {
          throw failure;
        }
        return { retry: failure, retryAfter: response.header("retry-after"), tooLong: this.tooLong(registry, repository, response.status) };
      });
    } finally {
      settle?.(null); // the first request failed without an answer: the others find out for themselves
    }
  }

  /** Drops a cached token that the registry refused (not one a sibling request fetched since). */
  private async forgetToken(registry: string, scope: string, used: string | undefined): Promise<void> {
    const key = `${registry} ${scope}`;
    const cached = this.tokens.get(key);
    if (cached && used !== undefined && `Bearer ${(await cached.catch(() => undefined))?.token}` === used && this.tokens.get(key) === cached) {
      this.tokens.delete(key);
    }
  }

  /** The shared retry loop's policy for one repository's requests (its sleep ends at the run's limit). */
  private retryPolicy(registry: string, repository: string): RetryPolicy {
    return { retries: this.retries, backoffMs: this.backoffMs, maxRetryAfterMs: this.maxRetryAfterMs, sleep: (ms) => this.sleep(registry, repository, ms) };
  }

  /** The error for a Retry-After beyond the limit. */
  private tooLong(registry: string, repository: string, status: number): (header: string, limitMs: number) => RegistryError {
    return (header, limitMs) =>
      new RegistryError(
        registry,
        repository,
        `rate limited (HTTP ${status}); Retry-After ${this.redact(header.slice(0, 40))} exceeds the ${limitMs / 1000} s limit`,
        status,
      );
  }

  private runOver(): boolean {
    return this.options.runLimit?.signal.aborted === true;
  }

  private runLimitMessage(): string {
    return `stopped: the run's time limit of ${this.options.runLimit?.seconds ?? 0} s (--timeout) ran out`;
  }

  /** Waits, unless the run's limit fires first. */
  private async sleep(registry: string, repository: string, ms: number): Promise<void> {
    const signal = this.options.runLimit?.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
    if (this.runOver()) {
      throw new RegistryError(registry, repository, this.runLimitMessage());
    }
  }

  /** Resolves a host name once per run; a name that does not resolve (or hangs) fails fast, without retries. */
  private resolveHost(hostname: string): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0 || host === "localhost") {
      return Promise.resolve();
    }
    let pending = this.lookups.get(host);
    if (!pending) {
      const limit = Math.min(this.timeoutMs, 5000);
      pending = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(Object.assign(new Error(`no DNS answer within ${limit} ms`), { code: "DNS_TIMEOUT" })), limit);
        lookup(host).then(
          () => (clearTimeout(timer), resolve()),
          (error: unknown) => (clearTimeout(timer), reject(error as Error)),
        );
      });
      this.lookups.set(host, pending);
    }
    return pending;
  }

  /**
   * One attempt: headers and the whole body within the per-attempt timeout. Redirects are followed by hand, and an
   * Authorization header never crosses to another origin.
   */
  private send(
    registry: string,
    repository: string,
    method: string,
    url: string,
    headers: Record<string, string>,
    kind: "registry" | "token" = "registry",
  ): Promise<Answer | NoAnswer> {
    return this.limiter(registry).run(async () => {
      if (this.runOver()) {
        return { failed: "run-limit", cause: this.runLimitMessage() };
      }
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = this.options.runLimit ? AbortSignal.any([timeout, this.options.runLimit.signal]) : timeout;
      let current = url;
      let currentHeaders = headers;
      try {
        await this.resolveHost(new URL(current).hostname);
        for (let hop = 0; ; hop++) {
          const response = await this.transport.exchange(current, method, currentHeaders, signal);
          this.options.onRequest?.({ kind, registry, method, url: current, status: response.status });
          const location = response.header("location");
          if (!isRedirect(response.status) || location === null) {
            return { response, url: current };
          }
          const next = new URL(location, current);
          if (hop >= MAX_REDIRECTS || (next.protocol !== "https:" && next.protocol !== "http:")) {
            throw new RegistryError(registry, repository, `${method} ${safeUrl(new URL(url).origin)}: too many or bad redirects`);
          }
          if (next.origin !== new URL(current).origin) {
            // A login or token is for this registry only: never sent across a redirect to another origin.
            currentHeaders = Object.fromEntries(Object.entries(currentHeaders).filter(([name]) => name.toLowerCase() !== "authorization"));
          }
          current = next.toString();
        }
      } catch (error) {
        if (error instanceof RegistryError) {
          throw error;
        }
        const noAnswer = this.classifyFailure(error, timeout);
        this.options.onRequest?.({
          kind,
          registry,
          method,
          url: current,
          status: noAnswer.failed === "timeout" || noAnswer.failed === "body-timeout" ? "timeout" : "network-error",
        });
        return noAnswer;
      }
    });
  }

  private classifyFailure(error: unknown, timeout: AbortSignal): NoAnswer {
    if (this.runOver()) {
      return { failed: "run-limit", cause: this.runLimitMessage() };
    }
    if (timeout.aborted) {
      const stage = error instanceof TransportError ? error.stage : "headers";
      return stage === "body" ? { failed: "body-timeout", cause: "the body" } : { failed: "timeout", cause: "no answer" };
    }
    const code = connectionCode(error);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || code === "EAI_FAIL" || code === "DNS_TIMEOUT") {
      return { failed: "dns", cause: code === "DNS_TIMEOUT" ? (error as Error).message : code };
    }
    if (code === "ECONNREFUSED") {
      return { failed: "refused", cause: code };
    }
    return { failed: "network", cause: code };
  }

  private noAnswerMessage(method: string, url: string, failure: NoAnswer, attempt: number): string {
    if (failure.failed === "run-limit") {
      return failure.cause;
    }
    const target = new URL(url);
    const attempts = `after ${attempt + 1} attempt${attempt === 0 ? "" : "s"}`;
    switch (failure.failed) {
      case "dns":
        return `${method} ${safeUrl(target.origin)}: ${target.hostname} does not resolve (${failure.cause}); not retried`;
      case "refused":
        return `${method} ${safeUrl(target.origin)}: connection refused (${failure.cause}); not retried`;
      case "timeout":
        return `${method} ${safeUrl(target.origin)}: no answer within ${this.timeoutMs} ms ${attempts}`;
      case "body-timeout":
        return `${method} ${safeUrl(target.origin)}: the answer's body did not arrive within ${this.timeoutMs} ms ${attempts}`;
      default:
        return `${method} ${safeUrl(target.origin)}: connection failed (${this.redact(failure.cause)}) ${attempts}`;
    }
  }

  /** The Authorization header for a request: the registry's challenge (learned once), then a token or Basic login. */
  private async authorizationFor(registry: string, repository: string, scope: string): Promise<string | undefined> {
    const challenge = await this.challenges.get(this.baseUrl(registry));
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
    let pending = this.tokens.get(key);
    if (pending) {
      const cached = await pending;
      if (cached.expiresAt > Date.now()) {
        return `Bearer ${cached.token}`;
      }
      if (this.tokens.get(key) !== pending) {
        return this.authorizationFor(registry, repository, scope);
      }
    }
    pending = this.fetchToken(registry, repository, challenge, scope);
    this.tokens.set(key, pending);
    return `Bearer ${(await pending).token}`;
  }

  private async fetchToken(registry: string, repository: string, challenge: AuthChallenge, scope: string): Promise<CachedToken> {
    const realm = challenge.params.realm;
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(realm ?? "");
    } catch {
      throw new RegistryError(registry, repository, "Bearer challenge without an http(s) realm", 401);
    }
    if (tokenUrl.protocol !== "https:" && tokenUrl.protocol !== "http:") {
      throw new RegistryError(registry, repository, "Bearer challenge without an http(s) realm", 401);
    }
    const realmName = this.redact(safeUrl(tokenUrl.origin));
    tokenUrl.searchParams.set("scope", scope);
    if (challenge.params.service !== undefined) {
      tokenUrl.searchParams.set("service", challenge.params.service);
    }
    const credentialHost = this.credentialHost(registry);
    const credentials = this.credentials(registry);
    const endpoint = new URL(this.baseUrl(registry));
    const sendLogin = credentials !== undefined && loginMayGoTo(endpoint, tokenUrl, namedRealms(credentialHost, this.env));
    const headers: Record<string, string> = { Accept: "application/json" };
    if (credentials && sendLogin) {
      headers.Authorization = basicHeader(credentials);
    }
    const withheld =
      credentials && !sendLogin
        ? `; the login for ${credentialHost} was not sent there (not ${credentialHost}'s domain over HTTPS): name the realm in ${realmEnvName(credentialHost)}=${safeUrl(`${tokenUrl.origin}${tokenUrl.pathname}`)} to trust it`
        : "";
    const refused = (status: number) =>
      new RegistryError(
        registry,
        repository,
        `token service ${realmName} refused ${scope} (HTTP ${status})${sendLogin ? " with the configured credentials" : withheld !== "" ? withheld : "; set credentials if the repository is private"}`,
        status,
      );
    const answer = await withRetry<Answer>(this.retryPolicy(registry, repository), async (attempt) => {
      const sent = await this.send(registry, repository, "GET", tokenUrl.toString(), headers, "token");
      if ("failed" in sent) {
        const error = new RegistryError(registry, repository, `token service: ${this.noAnswerMessage("GET", tokenUrl.toString(), sent, attempt)}`);
        if (FINAL_FAILURES.has(sent.failed)) {
          throw error;
        }
        return { retry: error };
      }
      const { status } = sent.response;
      if (retryableStatus(status)) {
        return { retry: refused(status), retryAfter: sent.response.header("retry-after"), tooLong: this.tooLong(registry, repository, status) };
      }
      return { done: sent };
    });
    if (!answer.response.ok) {
      throw refused(answer.response.status);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(answer.response.text) as typeof body;
    } catch {
      throw new RegistryError(registry, repository, `token service ${realmName} answered malformed JSON`);
    }
    const token = typeof body?.token === "string" && body.token !== "" ? body.token : body?.access_token;
    if (typeof token !== "string" || token === "") {
      throw new RegistryError(registry, repository, `token service ${realmName} answered without token or access_token`);
    }
    this.secrets.push({ token });
    // Registries default to 60 s; renew 10 s early.
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
    return { token, expiresAt: Date.now() + Math.max(lifetime - 10, 1) * 1000 };
  }

  /** "HTTP 404 NAME_UNKNOWN: repository name not known to registry" from an error response, redacted. */
  private describeFailure(method: string, answer: Answer, registry: string, authorization: string | undefined): string {
    const { response } = answer;
    let detail = "";
    if (method !== "HEAD") {
      try {
        const body = JSON.parse(answer.response.text) as { errors?: { code?: unknown; message?: unknown }[] };
        const first = body.errors?.[0];
        if (first && typeof first.code === "string") {
          detail = ` ${first.code.slice(0, 60)}${typeof first.message === "string" ? `: ${first.message.slice(0, 200)}` : ""}`;
        }
      } catch {
        // no JSON error body
      }
    }
    if (detail === "" && response.status === 404) {
      detail = method === "HEAD" ? " (tag or repository not found)" : " (repository not found)";
    }
    if (response.status === 429) {
      detail += " rate limited, retries exhausted";
    } else if (response.status >= 500) {
      detail += " server error, retries exhausted";
    } else if (response.status === 401 && authorization?.startsWith("Bearer ")) {
      detail += ` with a token for the repository${this.credentials(registry) ? "" : "; set credentials if the repository is private"}`;
    }
    return this.redact(`${method === "HEAD" ? "manifest HEAD" : "tag list"} failed: HTTP ${response.status}${detail}`);
  }
}

/** A Bearer or Basic challenge from a 401, or null. */
function usableChallenge(response: HttpAnswer): AuthChallenge | null {
  const challenge = parseChallenge(response.header("www-authenticate"));
  return challenge && (challenge.scheme === "bearer" || challenge.scheme === "basic") ? challenge : null;
}

/** ECONNREFUSED, ENOTFOUND, … from a failed exchange or lookup. */
function connectionCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : (error as Error).message;
}
