/**
 * A local stand-in for the parts of Zitadel's v1 HTTP API the bootstrap calls, answering with the documented
 * shapes (zitadel.com/docs/reference/api/management/zitadel.management.v1.ManagementService.{ListProjects,AddProject,
 * ListApps,AddOIDCApp,ListUsers,AddMachineUser,GenerateMachineSecret,ListOrgMembers,AddOrgMember,ImportHumanUser},
 * …/admin/zitadel.admin.v1.AdminService.{ListIAMMembers,AddIAMMember}, …/auth/zitadel.auth.v1.AuthService.GetMyUser):
 * `{ details, result: [...] }` for searches, `{ id | userId | appId+clientId, details }` for creations, errors as
 * `{ code, message, details }`. It keeps what was created, so a second run can find it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface StandinRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string;
  readonly body: unknown;
}

export interface ZitadelStandin {
  readonly url: string;
  readonly token: string;
  readonly requests: StandinRequest[];
  readonly projects: { id: string; name: string }[];
  readonly apps: { id: string; projectId: string; name: string; clientId: string; request: Record<string, unknown> }[];
  readonly users: { id: string; userName: string; kind: "machine" | "human"; request: Record<string, unknown> }[];
  readonly orgMembers: { userId: string; roles: string[] }[];
  readonly iamMembers: { userId: string; roles: string[] }[];
  /** Answer the next `times` requests with `status` and a Zitadel error body. */
  failNext(times: number, status: number, message: string): void;
  close(): Promise<void>;
}

const details = () => ({ sequence: "1", creationDate: "2026-12-01T00:00:00Z", changeDate: "2026-12-01T00:00:00Z", resourceOwner: "100" });
const listDetails = (n: number) => ({ totalResult: String(n), processedSequence: "1", viewTimestamp: "2026-12-01T00:00:00Z" });

export async function startZitadelStandin(token = "pat-of-the-first-instance"): Promise<ZitadelStandin> {
  let next = 300000000000000000;
  const id = () => String(next++);
  const state: Omit<ZitadelStandin, "url" | "token" | "failNext" | "close"> = {
    requests: [],
    projects: [],
    apps: [],
    users: [],
    orgMembers: [],
    iamMembers: [],
  };
  const failures: { status: number; message: string }[] = [];
  const nameOf = (body: Record<string, unknown>, query: string, key: string): string | undefined =>
    ((body["queries"] as Record<string, Record<string, string>>[] | undefined) ?? []).map((q) => q[query]?.[key]).find((v) => v !== undefined);

  const route = (method: string, path: string, body: Record<string, unknown>): [number, unknown] => {
    let m: RegExpExecArray | null;
    if (method === "GET" && path === "/auth/v1/users/me") {
      return [200, { user: { id: "99", userName: "myoci-bootstrap", machine: { name: "myoci bootstrap" } } }];
    }
    if (method === "POST" && path === "/management/v1/projects/_search") {
      const name = nameOf(body, "nameQuery", "name");
      const result = state.projects.filter((p) => p.name === name).map((p) => ({ id: p.id, details: details(), name: p.name, state: "PROJECT_STATE_ACTIVE" }));
      return [200, { details: listDetails(result.length), result }];
    }
    if (method === "POST" && path === "/management/v1/projects") {
      const project = { id: id(), name: String(body["name"]) };
      state.projects.push(project);
      return [200, { id: project.id, details: details() }];
    }
    if ((m = /^\/management\/v1\/projects\/(\d+)\/apps\/_search$/.exec(path)) && method === "POST") {
      const name = nameOf(body, "nameQuery", "name");
      const result = state.apps
        .filter((a) => a.projectId === m![1] && a.name === name)
        .map((a) => ({
          id: a.id,
          details: details(),
          state: "APP_STATE_ACTIVE",
          name: a.name,
          oidcConfig: { clientId: a.clientId, appType: a.request["appType"] },
        }));
      return [200, { details: listDetails(result.length), result }];
    }
    if ((m = /^\/management\/v1\/projects\/(\d+)\/apps\/oidc$/.exec(path)) && method === "POST") {
      if (!state.projects.some((p) => p.id === m![1])) return [404, { code: 5, message: "Project not found (PROJECT-3n8fs)" }];
      const app = { id: id(), projectId: m[1]!, name: String(body["name"]), clientId: `${id()}@netbird`, request: body };
      state.apps.push(app);
      return [200, { appId: app.id, details: details(), clientId: app.clientId, clientSecret: "", noneCompliant: false, complianceProblems: [] }];
    }
    if (method === "POST" && path === "/management/v1/users/_search") {
      const userName = nameOf(body, "userNameQuery", "userName");
      const result = state.users
        .filter((u) => u.userName === userName)
        .map((u) => ({ id: u.id, details: details(), state: "USER_STATE_ACTIVE", userName: u.userName }));
      return [200, { details: listDetails(result.length), result }];
    }
    if (method === "POST" && (path === "/management/v1/users/machine" || path === "/management/v1/users/human/_import")) {
      const userName = String(body["userName"]);
      if (state.users.some((u) => u.userName === userName)) return [409, { code: 6, message: "User already exists (COMMAND-k2unb)" }];
      const user = { id: id(), userName, kind: path.endsWith("machine") ? ("machine" as const) : ("human" as const), request: body };
      state.users.push(user);
      return [200, { userId: user.id, details: details() }];
    }
    if ((m = /^\/management\/v1\/users\/(\d+)\/secret$/.exec(path)) && method === "PUT") {
      const user = state.users.find((u) => u.id === m![1]);
      if (!user) return [404, { code: 5, message: "User not found" }];
      return [200, { clientId: user.userName, clientSecret: `secret-${id()}`, details: details() }];
    }
    for (const [prefix, members] of [
      ["/management/v1/orgs/me/members", state.orgMembers],
      ["/admin/v1/members", state.iamMembers],
    ] as const) {
      if (method === "POST" && path === `${prefix}/_search`) {
        const userId = ((body["queries"] as { userIdQuery?: { userId?: string } }[] | undefined) ?? [])[0]?.userIdQuery?.userId;
        const result = members.filter((x) => x.userId === userId).map((x) => ({ userId: x.userId, details: details(), roles: x.roles }));
        return [200, { details: listDetails(result.length), result }];
      }
      if (method === "POST" && path === prefix) {
        members.push({ userId: String(body["userId"]), roles: [...(body["roles"] as string[])] });
        return [200, { details: details() }];
      }
    }
    return [404, { code: 5, message: `Not Found: ${method} ${path}` }];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      const path = req.url ?? "";
      state.requests.push({ method: req.method ?? "", path, authorization: String(req.headers.authorization ?? ""), body });
      const failure = failures.shift();
      let status: number;
      let answer: unknown;
      if (failure) {
        [status, answer] = [failure.status, { code: 13, message: failure.message, details: [] }];
      } else if (req.headers.authorization !== `Bearer ${token}`) {
        [status, answer] = [401, { code: 16, message: "Errors.Token.Invalid (AUTH-7fs1e)", details: [] }];
      } else {
        [status, answer] = route(req.method ?? "", path, body);
      }
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...state,
    url: `http://127.0.0.1:${port}`,
    token,
    failNext: (times, status, message) => {
      for (let i = 0; i < times; i++) failures.push({ status, message });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
