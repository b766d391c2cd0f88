import { expect } from "chai";
import { main as runCommand, type CommandStreams } from "../../components/bootstrap/command";
import {
  bootstrapStep,
  fetchSend,
  IDENTITY_KEYS,
  parseBootstrapStdout,
  type BootstrapInputs,
  type BootstrapIo,
} from "../../components/bootstrap/bootstrap-step";
import { ensureNetbirdIdentity, waitForApi, zitadelClient, ZitadelApiError, SERVICE_USER_ROLE } from "../../components/bootstrap/zitadel-api";
import { startZitadelStandin, type ZitadelStandin } from "../helpers/zitadel-standin";

const spec = (url: string) => ({
  apiUrl: url,
  netbirdUrl: "https://netbird.example.org",
  projectName: "NETBIRD",
  serviceUserName: "netbird-service-account",
  admin: { userName: "admin", email: "ops@example.org", password: "a-long-admin-password" },
});

/** A clock that only moves when the code sleeps: retries and timeouts without waiting. */
function fakeTime(): Pick<BootstrapIo, "now" | "sleep"> & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

describe("the Zitadel bootstrap against a local stand-in of Zitadel's v1 API", () => {
  let zitadel: ZitadelStandin;
  beforeEach(async () => {
    zitadel = await startZitadelStandin();
  });
  afterEach(() => zitadel.close());

  it("creates the project, both OIDC apps, the service user with its secret and role, and the human IAM owner", async () => {
    const identity = await ensureNetbirdIdentity(zitadelClient(zitadel.url, zitadel.token, fetchSend), spec(zitadel.url));
    expect(zitadel.projects.map((p) => p.name)).to.deep.equal(["NETBIRD"]);
    expect(identity.projectId).to.equal(zitadel.projects[0]!.id);
    const [dashboard, cli] = zitadel.apps;
    expect([dashboard!.name, cli!.name]).to.deep.equal(["Dashboard", "Cli"]);
    expect(identity.dashboardClientId).to.equal(dashboard!.clientId);
    expect(identity.cliClientId).to.equal(cli!.clientId);
    expect(dashboard!.request).to.deep.include({
      redirectUris: ["https://netbird.example.org/nb-auth", "https://netbird.example.org/nb-silent-auth"],
      postLogoutRedirectUris: ["https://netbird.example.org/"],
      appType: "OIDC_APP_TYPE_USER_AGENT",
      authMethodType: "OIDC_AUTH_METHOD_TYPE_NONE",
      grantTypes: ["OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN"],
      accessTokenType: "OIDC_TOKEN_TYPE_JWT",
      devMode: false,
    });
    expect(cli!.request).to.deep.include({
      redirectUris: ["http://localhost:53000/", "http://localhost:54000/"],
      grantTypes: ["OIDC_GRANT_TYPE_AUTHORIZATION_CODE", "OIDC_GRANT_TYPE_DEVICE_CODE", "OIDC_GRANT_TYPE_REFRESH_TOKEN"],
      devMode: true,
    });
    const service = zitadel.users.find((u) => u.kind === "machine")!;
    expect(service.userName).to.equal("netbird-service-account");
    expect(identity.idpClientId).to.equal("netbird-service-account");
    expect(identity.idpClientSecret).to.match(/^secret-\d+$/);
    expect(zitadel.orgMembers).to.deep.equal([{ userId: service.id, roles: [SERVICE_USER_ROLE] }]);
    const admin = zitadel.users.find((u) => u.kind === "human")!;
    expect(admin.request).to.deep.include({ userName: "admin", password: "a-long-admin-password", passwordChangeRequired: false });
    expect(zitadel.iamMembers).to.deep.equal([{ userId: admin.id, roles: ["IAM_OWNER"] }]);
    expect(zitadel.requests.every((r) => r.authorization === `Bearer ${zitadel.token}`)).to.equal(true);
  });

  it("is idempotent: a second run finds everything by name, creates nothing and returns the same ids", async () => {
    const client = zitadelClient(zitadel.url, zitadel.token, fetchSend);
    const first = await ensureNetbirdIdentity(client, spec(zitadel.url));
    const before = zitadel.requests.length;
    const second = await ensureNetbirdIdentity(client, spec(zitadel.url));
    const creations = zitadel.requests.slice(before).filter((r) => r.method === "POST" && !r.path.endsWith("/_search"));
    expect(creations).to.deep.equal([]);
    expect([zitadel.projects.length, zitadel.apps.length, zitadel.users.length, zitadel.orgMembers.length, zitadel.iamMembers.length]).to.deep.equal([
      1, 2, 2, 1, 1,
    ]);
    const { idpClientSecret: _a, ...firstIds } = first;
    const { idpClientSecret: _b, ...secondIds } = second;
    expect(secondIds).to.deep.equal(firstIds);
  });

  it("turns a 4xx or 5xx into an error naming the call and Zitadel's message, never the token", async () => {
    const client = zitadelClient(zitadel.url, zitadel.token, fetchSend);
    zitadel.failNext(1, 503, `upstream down for ${zitadel.token}`);
    const error = await ensureNetbirdIdentity(client, spec(zitadel.url)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ZitadelApiError);
    expect((error as ZitadelApiError).message).to.equal(`Zitadel POST ${zitadel.url}/management/v1/projects/_search: HTTP 503: 13: upstream down for [secret]`);
    const wrong = zitadelClient(zitadel.url, "not-the-token", fetchSend);
    const denied = await wrong.call("GET", "/auth/v1/users/me").catch((e: unknown) => e);
    expect((denied as ZitadelApiError).status).to.equal(401);
    expect((denied as Error).message).to.equal(`Zitadel GET ${zitadel.url}/auth/v1/users/me: HTTP 401: 16: Errors.Token.Invalid (AUTH-7fs1e)`);
  });

  it("waits through 502s (Caddy before Zitadel) but gives up on a 401 at once, and times out with the last error", async () => {
    const time = fakeTime();
    zitadel.failNext(3, 502, "bad gateway");
    await waitForApi(zitadelClient(zitadel.url, zitadel.token, fetchSend), { timeoutMs: 60_000, intervalMs: 3000, ...time });
    expect(time.slept).to.deep.equal([3000, 3000, 3000]);
    const denied = await waitForApi(zitadelClient(zitadel.url, "wrong", fetchSend), { timeoutMs: 60_000, intervalMs: 3000, ...fakeTime() }).catch(
      (e: unknown) => e,
    );
    expect((denied as ZitadelApiError).status).to.equal(401);
    zitadel.failNext(100, 503, "still starting");
    const late = await waitForApi(zitadelClient(zitadel.url, zitadel.token, fetchSend), { timeoutMs: 9000, intervalMs: 3000, ...fakeTime() }).catch(
      (e: unknown) => e,
    );
    expect((late as Error).message).to.match(/^Zitadel did not answer within 9 s \(last: Zitadel GET .*\/auth\/v1\/users\/me: HTTP 503: 13: still starting\)$/);
  });

  describe("the command `pulumi up` runs (components/bootstrap/command.ts: stdin in, stdout out)", () => {
    const inputs = (url: string): BootstrapInputs => ({
      dockerHost: "unix:///var/run/docker.sock",
      container: "myoci-prod-zitadel",
      patPath: "/zitadel/bootstrap/admin-sa.pat",
      apiUrl: url,
      netbirdUrl: "https://netbird.example.org",
      projectName: "NETBIRD",
      serviceUserName: "netbird-service-account",
      adminUserName: "admin",
      adminEmail: "ops@example.org",
      adminPassword: "a-long-admin-password",
      timeoutSeconds: 30,
    });
    /** One run as the command provider makes it: argv, stdin, PULUMI_COMMAND_STDOUT on an update. */
    async function run(step: string, stdin: string, io: BootstrapIo, previous?: string) {
      const out: string[] = [];
      const err: string[] = [];
      const streams: CommandStreams = {
        stdin,
        env: previous === undefined ? {} : { PULUMI_COMMAND_STDOUT: previous },
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
      };
      const code = await runCommand([step], streams, io);
      return { code, stdout: out.join(""), stderr: err.join("") };
    }

    it("on create reads the PAT from the container once it exists, then prints the ids and the PAT as JSON — never the password", async () => {
      const reads: string[] = [];
      let attempts = 0;
      const io: BootstrapIo = {
        send: fetchSend,
        ...fakeTime(),
        readFile: async (host, container, path) => {
          reads.push(`${host} ${container} ${path}`);
          if (++attempts < 3) throw new Error("HTTP 404: Could not find the file");
          return Buffer.from(`${zitadel.token}\n`);
        },
      };
      const created = await run("create", JSON.stringify(inputs(zitadel.url)), io);
      expect(created).to.deep.include({ code: 0, stderr: "" });
      const outs = parseBootstrapStdout(created.stdout);
      expect(reads).to.have.length(3);
      expect(reads[0]).to.equal("unix:///var/run/docker.sock myoci-prod-zitadel /zitadel/bootstrap/admin-sa.pat");
      expect(outs.projectId).to.equal(zitadel.projects[0]!.id);
      expect(outs.pat).to.equal(zitadel.token);
      expect(outs.dashboardClientId).to.equal(zitadel.apps[0]!.clientId);
      expect(outs.cliClientId).to.equal(zitadel.apps[1]!.clientId);
      expect(created.stdout).not.to.include("a-long-admin-password");
    });

    it("on an update with unchanged identity inputs returns the previous outputs without a request; a changed one is ensured with the PAT from them", async () => {
      const io: BootstrapIo = { send: fetchSend, ...fakeTime(), readFile: async () => Buffer.from(zitadel.token) };
      const previous = (await run("create", JSON.stringify(inputs(zitadel.url)), io)).stdout;
      const before = zitadel.requests.length;
      const noFile: BootstrapIo = { ...io, readFile: async () => Promise.reject(new Error("gone with the old container")) };
      // The timeout and the password are no identity inputs: the same outputs, not one request.
      const same = await run("update", JSON.stringify({ ...inputs(zitadel.url), timeoutSeconds: 99, adminPassword: "another-password" }), noFile, previous);
      expect(same).to.deep.include({ code: 0, stdout: previous });
      expect(zitadel.requests.length).to.equal(before);
      for (const key of IDENTITY_KEYS) {
        const changed = { ...inputs(zitadel.url), [key]: key === "apiUrl" ? `${zitadel.url}/` : "changed" };
        const requestsBefore = zitadel.requests.length;
        const step = await bootstrapStep(changed, parseBootstrapStdout(previous), noFile).catch((e: unknown) => e);
        expect(zitadel.requests.length, key).to.be.greaterThan(requestsBefore);
        expect(step, key).not.to.be.instanceOf(Error);
      }
      const updated = await run("update", JSON.stringify({ ...inputs(zitadel.url), adminEmail: "admin@example.org" }), noFile, previous);
      expect(updated.code).to.equal(0);
      expect(parseBootstrapStdout(updated.stdout)).to.deep.include({ projectId: parseBootstrapStdout(previous).projectId, adminEmail: "admin@example.org" });
    });

    it("fails (exit 1) with the path and container when the PAT never appears, printing nothing on stdout", async () => {
      const io: BootstrapIo = { send: fetchSend, ...fakeTime(), readFile: async () => Promise.reject(new Error("HTTP 404: no such file")) };
      const failed = await run("create", JSON.stringify(inputs(zitadel.url)), io);
      expect(failed).to.deep.equal({
        code: 1,
        stdout: "",
        stderr:
          "zitadel bootstrap (create): Zitadel bootstrap: no PAT at /zitadel/bootstrap/admin-sa.pat in myoci-prod-zitadel after 30 s: HTTP 404: no such file\n",
      });
      expect(zitadel.requests).to.deep.equal([]);
    });

    it("refuses a bad request or step (exit 2) naming the keys at fault, never echoing a value", async () => {
      const io: BootstrapIo = { send: fetchSend, ...fakeTime(), readFile: async () => Buffer.from("unused") };
      const { adminPassword: _password, ...withoutPassword } = inputs(zitadel.url);
      const missing = await run("create", JSON.stringify({ ...withoutPassword, timeoutSeconds: "soon" }), io);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/^zitadel bootstrap \(create\): stdin: adminPassword: .*; timeoutSeconds: .*\n$/);
      expect(missing.stderr).not.to.include("soon");
      const notJson = await run("create", "{ adminPassword: a-long-admin-password", io);
      expect(notJson).to.deep.include({ code: 2, stdout: "" });
      expect(notJson.stderr).to.equal("zitadel bootstrap (create): stdin: not JSON (expected the bootstrap request the program sends)\n");
      expect((await run("destroy", JSON.stringify(inputs(zitadel.url)), io)).code).to.equal(2);
      const badPrevious = await run("update", JSON.stringify(inputs(zitadel.url)), io, '{"pat":"a-secret-pat"}');
      expect(badPrevious.code).to.equal(2);
      expect(badPrevious.stderr).to.match(
        /^zitadel bootstrap \(update\): PULUMI_COMMAND_STDOUT \(the previous run's outputs\): Zitadel bootstrap: its stdout lacks /,
      );
      expect(badPrevious.stderr).not.to.include("a-secret-pat");
      expect(zitadel.requests).to.deep.equal([]);
    });
  });
});
