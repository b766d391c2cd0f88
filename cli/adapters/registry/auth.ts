/**
 * Registry credentials and auth challenges. Credentials come from the environment
 * (`MYOCI_REGISTRY_AUTH_<HOST>=user:password`) or Docker's config file (`auths.<host>.auth`, base64 user:password).
 * A login stays with its registry: `loginMayGoTo` decides which token realms may receive it.
 * Nothing here ever formats a credential or token into a message.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** `ghcr.io` → `MYOCI_REGISTRY_AUTH_GHCR_IO`; `127.0.0.1:5000` → `MYOCI_REGISTRY_AUTH_127_0_0_1_5000`. */
export function credentialEnvName(host: string): string {
  return `MYOCI_REGISTRY_AUTH_${host.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** `MYOCI_REGISTRY_TOKEN_REALM_<HOST>`: token realms (comma-separated URLs) the user trusts with HOST's login. */
export function realmEnvName(host: string): string {
  return `MYOCI_REGISTRY_TOKEN_REALM_${host.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Host names under which Docker's config file may store a registry's login. */
function dockerConfigKeys(host: string): string[] {
  if (host === "docker.io" || host === "registry-1.docker.io" || host === "index.docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io", "https://registry-1.docker.io"];
  }
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

function splitUserPass(value: string): BasicCredentials | undefined {
  const colon = value.indexOf(":");
  return colon > 0 ? { username: value.slice(0, colon), password: value.slice(colon + 1) } : undefined;
}

export interface CredentialSources {
  readonly env: NodeJS.ProcessEnv;
  /** Path of Docker's config.json (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  readonly dockerConfigPath?: string;
}

export function defaultDockerConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json");
}

/** Credentials for a registry host, or undefined (anonymous). A malformed entry is ignored, never echoed. */
export function findCredentials(host: string, sources: CredentialSources): BasicCredentials | undefined {
  const fromEnv = sources.env[credentialEnvName(host)];
  if (fromEnv !== undefined && fromEnv !== "") {
    const parsed = splitUserPass(fromEnv);
    if (!parsed) {
      throw new Error(`${credentialEnvName(host)} is set but is not in the form user:password`);
    }
    return parsed;
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(sources.dockerConfigPath ?? defaultDockerConfigPath(sources.env), "utf8"));
  } catch {
    return undefined; // no (readable) Docker config: anonymous
  }
  const auths = (config as { auths?: Record<string, { auth?: unknown }> } | null)?.auths;
  if (!auths || typeof auths !== "object") {
    return undefined;
  }
  for (const key of dockerConfigKeys(host)) {
    const auth = auths[key]?.auth;
    if (typeof auth === "string" && auth !== "") {
      return splitUserPass(Buffer.from(auth, "base64").toString("utf8"));
    }
  }
  return undefined;
}

export interface AuthChallenge {
  readonly scheme: string; // lower case: "bearer" | "basic" | …
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (quoted or token values). */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null) {
    return undefined;
  }
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) {
    return undefined;
  }
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?\s*/g;
  let param: RegExpExecArray | null;
  while ((param = pattern.exec(match[2] ?? "")) !== null) {
    params[(param[1] ?? "").toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : (param[3] ?? "");
  }
  return { scheme: (match[1] ?? "").toLowerCase(), params };
}

export function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

/** Second-level labels under which a two-letter country code is a public suffix (`co.uk`, `com.au`, …). */
const COUNTRY_SECOND_LEVEL = new Set(["ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"]);

/**
 * The registrable domain of a host, approximated without the public-suffix list: the last two labels, three under
 * `co.uk`-style suffixes; an IP address or a one-label name is only itself.
 */
export function siteOf(hostname: string): string {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (isIP(host) !== 0) {
    return host;
  }
  const labels = host.split(".");
  const suffixLength = labels.length >= 3 && (labels.at(-1) ?? "").length === 2 && COUNTRY_SECOND_LEVEL.has(labels.at(-2) ?? "") ? 3 : 2;
  return labels.slice(-suffixLength).join(".");
}

/** Realm URLs named in `MYOCI_REGISTRY_TOKEN_REALM_<HOST>` (each compared without its query). */
export function namedRealms(host: string, env: NodeJS.ProcessEnv): string[] {
  return (env[realmEnvName(host)] ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "")
    .map((value) => withoutQuery(value));
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

/**
 * May the login for the registry at `endpoint` go to the token realm `realm`? Only to a realm of the registry's own
 * domain over HTTPS (Docker Hub: registry-1.docker.io → auth.docker.io), to the registry's own host:port, or to a
 * realm the user named; never over plain HTTP to another host:port, never to another domain.
 */
export function loginMayGoTo(endpoint: URL, realm: URL, named: readonly string[] = []): boolean {
  if (named.includes(`${realm.origin}${realm.pathname}`)) {
    return true;
  }
  if (realm.username !== "" || realm.password !== "") {
    return false;
  }
  if (realm.protocol === "https:") {
    return siteOf(realm.hostname) === siteOf(endpoint.hostname);
  }
  return realm.protocol === "http:" && endpoint.protocol === "http:" && realm.host === endpoint.host;
}
