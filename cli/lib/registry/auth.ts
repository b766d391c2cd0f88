/**
 * Registry credentials and auth challenges. Credentials come from the environment
 * (`MYOCI_REGISTRY_AUTH_<HOST>=user:password`) or Docker's config file (`auths.<host>.auth`, base64 user:password).
 * Nothing here ever formats a credential or token into a message.
 */
import { readFileSync } from "node:fs";
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
