/**
 * What NetBird needs in Zitadel, created idempotently through Zitadel's v1 HTTP APIs (still served by v4, marked
 * deprecated): the project, the dashboard and CLI OIDC applications, the IdP-management service user with a
 * client secret and the ORG_USER_MANAGER role, and a human IAM owner to log in with. Modelled on NetBird's
 * installer (netbirdio/netbird infrastructure_files/getting-started-with-zitadel.sh@v0.75.1, the last tag where it
 * ran); request and response shapes from zitadel.com/docs/reference/api/management/zitadel.management.v1.ManagementService.*
 * (ListProjects, AddProject, ListApps, AddOIDCApp, ListUsers, AddMachineUser, GenerateMachineSecret, ListOrgMembers,
 * AddOrgMember, ImportHumanUser) and …/admin/zitadel.admin.v1.AdminService.* (ListIAMMembers, AddIAMMember).
 * Pure: the HTTP transport and the clock are injected.
 */

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}
export type HttpSend = (request: HttpRequest) => Promise<HttpResponse>;

export class ZitadelApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ZitadelApiError";
  }
}

/** The names and URLs the bootstrap creates; everything NetBird's management.json and dashboard need. */
export interface NetbirdIdentitySpec {
  /** https://auth.<domain> */
  readonly apiUrl: string;
  /** https://netbird.<domain> (dashboard redirect URIs) */
  readonly netbirdUrl: string;
  readonly projectName: string;
  readonly serviceUserName: string;
  readonly admin: { readonly userName: string; readonly email: string; readonly password: string };
}

export interface NetbirdIdentity {
  readonly projectId: string;
  readonly dashboardClientId: string;
  readonly cliClientId: string;
  readonly serviceUserId: string;
  readonly idpClientId: string;
  readonly idpClientSecret: string;
  readonly adminUserId: string;
}

export const DASHBOARD_APP = "Dashboard";
export const CLI_APP = "Cli";
/** The org role NetBird's IdP manager needs to read and invite users (installer: add_organization_user_manager). */
export const SERVICE_USER_ROLE = "ORG_USER_MANAGER";

export interface ZitadelClient {
  call<T>(method: HttpRequest["method"], path: string, body?: unknown): Promise<T>;
}

/** A client on `apiUrl` with a bearer token; 4xx/5xx and malformed answers become ZitadelApiError (the token never appears in one). */
export function zitadelClient(apiUrl: string, token: string, send: HttpSend): ZitadelClient {
  const base = apiUrl.replace(/\/+$/, "");
  return {
    async call<T>(method: HttpRequest["method"], path: string, body?: unknown): Promise<T> {
      let response: HttpResponse;
      try {
        response = await send({
          method,
          url: `${base}${path}`,
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new ZitadelApiError(`Zitadel ${method} ${base}${path}: ${redact((error as Error).message, token)}`);
      }
      if (response.status < 200 || response.status >= 300) {
        throw new ZitadelApiError(`Zitadel ${method} ${base}${path}: HTTP ${response.status}: ${redact(errorDetail(response.body), token)}`, response.status);
      }
      try {
        return JSON.parse(response.body === "" ? "{}" : response.body) as T;
      } catch {
        throw new ZitadelApiError(`Zitadel ${method} ${base}${path}: HTTP ${response.status} with a body that is not JSON`, response.status);
      }
    },
  };
}

/** Zitadel's error body is `{ code, message, details }`; keep code and message only, cut short. */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    const parts = [parsed.code, parsed.message].filter((p) => typeof p === "string" || typeof p === "number").map(String);
    if (parts.length > 0) return parts.join(": ").slice(0, 300);
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200) || "(empty body)";
}

function redact(text: string, ...secrets: string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("[secret]"), text);
}

interface ListResult<T> {
  readonly result?: readonly T[];
}
const equals = (field: string, key: string, value: string) => ({ [field]: { [key]: value, method: "TEXT_QUERY_METHOD_EQUALS" } });

async function findOne<T>(client: ZitadelClient, path: string, query: unknown, what: string): Promise<T | undefined> {
  const found = (await client.call<ListResult<T>>("POST", path, { query: { limit: 2 }, queries: [query] })).result ?? [];
  if (found.length > 1) {
    throw new ZitadelApiError(`Zitadel: more than one ${what}; remove the extra one so the bootstrap knows which to use`);
  }
  return found[0];
}

function required(value: string | undefined, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ZitadelApiError(`Zitadel: the answer for ${what} has no id`);
  }
  return value;
}

async function ensureProject(client: ZitadelClient, name: string): Promise<string> {
  const existing = await findOne<{ id: string }>(client, "/management/v1/projects/_search", equals("nameQuery", "name", name), `project named ${name}`);
  if (existing) return required(existing.id, `project ${name}`);
  return required((await client.call<{ id?: string }>("POST", "/management/v1/projects", { name })).id, `new project ${name}`);
}

interface OidcAppSpec {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly deviceCode: boolean;
  readonly devMode: boolean;
}

/** A user-agent app with PKCE (auth method NONE), JWT access tokens with role assertion: the installer's create_new_application. */
export function oidcAppRequest(spec: OidcAppSpec): Record<string, unknown> {
  return {
    name: spec.name,
    redirectUris: [...spec.redirectUris],
    postLogoutRedirectUris: [...spec.postLogoutRedirectUris],
    responseTypes: ["OIDC_RESPONSE_TYPE_CODE"],
    grantTypes: spec.deviceCode
      ? ["OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_DEVICE_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN"]
      : ["OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN"],
    appType: "OIDC_APP_TYPE_USER_AGENT",
    authMethodType: "OIDC_AUTH_METHOD_TYPE_NONE",
    version: "OIDC_VERSION_1_0",
    devMode: spec.devMode,
    accessTokenType: "OIDC_TOKEN_TYPE_JWT",
    accessTokenRoleAssertion: true,
    skipNativeAppSuccessPage: true,
  };
}

async function ensureOidcApp(client: ZitadelClient, projectId: string, spec: OidcAppSpec): Promise<string> {
  const appsPath = `/management/v1/projects/${encodeURIComponent(projectId)}/apps`;
  const existing = await findOne<{ id: string; oidcConfig?: { clientId?: string } }>(
    client,
    `${appsPath}/_search`,
    equals("nameQuery", "name", spec.name),
    `application named ${spec.name}`,
  );
  if (existing) {
    if (!existing.oidcConfig?.clientId) {
      throw new ZitadelApiError(`Zitadel: application ${spec.name} exists but is not an OIDC application`);
    }
    return existing.oidcConfig.clientId;
  }
  return required((await client.call<{ clientId?: string }>("POST", `${appsPath}/oidc`, oidcAppRequest(spec))).clientId, `new application ${spec.name}`);
}

async function ensureMachineUser(client: ZitadelClient, userName: string): Promise<string> {
  const existing = await findOne<{ id: string }>(
    client,
    "/management/v1/users/_search",
    equals("userNameQuery", "userName", userName),
    `user named ${userName}`,
  );
  if (existing) return required(existing.id, `user ${userName}`);
  const created = await client.call<{ userId?: string }>("POST", "/management/v1/users/machine", {
    userName,
    name: "NetBird IdP management",
    description: "NetBird management reads and invites users (created by myoci)",
    accessTokenType: "ACCESS_TOKEN_TYPE_JWT",
  });
  return required(created.userId, `new user ${userName}`);
}

async function ensureMember(client: ZitadelClient, membersPath: string, userId: string, roles: readonly string[]): Promise<void> {
  const existing = await findOne<{ userId: string; roles?: readonly string[] }>(
    client,
    `${membersPath}/_search`,
    { userIdQuery: { userId } },
    `membership of user ${userId}`,
  );
  if (existing && roles.every((role) => existing.roles?.includes(role))) return;
  if (existing) {
    await client.call("PUT", `${membersPath}/${encodeURIComponent(userId)}`, { roles: [...new Set([...(existing.roles ?? []), ...roles])] });
    return;
  }
  await client.call("POST", membersPath, { userId, roles: [...roles] });
}

async function ensureHumanAdmin(client: ZitadelClient, admin: NetbirdIdentitySpec["admin"]): Promise<string> {
  const existing = await findOne<{ id: string }>(
    client,
    "/management/v1/users/_search",
    equals("userNameQuery", "userName", admin.userName),
    `user named ${admin.userName}`,
  );
  if (existing) return required(existing.id, `user ${admin.userName}`);
  const created = await client.call<{ userId?: string }>("POST", "/management/v1/users/human/_import", {
    userName: admin.userName,
    profile: { firstName: "Platform", lastName: "Admin" },
    email: { email: admin.email, isEmailVerified: true },
    password: admin.password,
    passwordChangeRequired: false,
  });
  return required(created.userId, `new user ${admin.userName}`);
}

/**
 * Creates what is missing and finds what exists (by name), so a second run changes nothing. The service user's
 * secret can only be read when generated: a run always generates a fresh one (Zitadel overwrites the old).
 */
export async function ensureNetbirdIdentity(client: ZitadelClient, spec: NetbirdIdentitySpec): Promise<NetbirdIdentity> {
  const projectId = await ensureProject(client, spec.projectName);
  const netbird = spec.netbirdUrl.replace(/\/+$/, "");
  const dashboardClientId = await ensureOidcApp(client, projectId, {
    name: DASHBOARD_APP,
    redirectUris: [`${netbird}/nb-auth`, `${netbird}/nb-silent-auth`],
    postLogoutRedirectUris: [`${netbird}/`],
    deviceCode: false,
    devMode: !netbird.startsWith("https://"),
  });
  const cliClientId = await ensureOidcApp(client, projectId, {
    name: CLI_APP,
    redirectUris: ["http://localhost:53000/", "http://localhost:54000/"],
    postLogoutRedirectUris: ["http://localhost:53000/"],
    deviceCode: true,
    // http://localhost redirects need Zitadel's dev mode (installer: create_new_application … "true" "true").
    devMode: true,
  });
  const serviceUserId = await ensureMachineUser(client, spec.serviceUserName);
  const secret = await client.call<{ clientId?: string; clientSecret?: string }>("PUT", `/management/v1/users/${encodeURIComponent(serviceUserId)}/secret`, {});
  const idpClientId = required(secret.clientId, `the client id of ${spec.serviceUserName}`);
  const idpClientSecret = required(secret.clientSecret, `the client secret of ${spec.serviceUserName}`);
  await ensureMember(client, "/management/v1/orgs/me/members", serviceUserId, [SERVICE_USER_ROLE]);
  const adminUserId = await ensureHumanAdmin(client, spec.admin);
  await ensureMember(client, "/admin/v1/members", adminUserId, ["IAM_OWNER"]);
  return { projectId, dashboardClientId, cliClientId, serviceUserId, idpClientId, idpClientSecret, adminUserId };
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Waits until Zitadel answers `GET /auth/v1/users/me` with the token (installer: wait_api) — through Caddy, so the
 * certificate and the route work too. Retries network errors and 5xx/404 (Caddy before its upstream is up); a 401 or 403
 * is final (a wrong token does not get better).
 */
export async function waitForApi(client: ZitadelClient, options: WaitOptions): Promise<void> {
  const deadline = options.now() + options.timeoutMs;
  for (;;) {
    try {
      await client.call("GET", "/auth/v1/users/me");
      return;
    } catch (error) {
      const status = (error as ZitadelApiError).status;
      if (status === 401 || status === 403) throw error;
      if (options.now() >= deadline) {
        throw new ZitadelApiError(`Zitadel did not answer within ${Math.round(options.timeoutMs / 1000)} s (last: ${(error as Error).message})`, status);
      }
    }
    await options.sleep(options.intervalMs);
  }
}
