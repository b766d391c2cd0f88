import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { existsSync } from "node:fs";
import { readRawStackFile } from "../../config/stack-file";
import { main as runBootstrapCommand } from "../../components/bootstrap/command";
import { parseBootstrapStdout, type BootstrapIo } from "../../components/bootstrap/bootstrap-step";
import { BOOTSTRAP_INTERPRETER } from "../../components/bootstrap/zitadel-bootstrap";
import { repoRoot } from "../../config/repo-root";
import { SECRET_KEYS } from "../../config/schema";
import { evaluateProgram, type EvaluationResult, type RecordedResource } from "../../program/evaluate";
import { stackFileText } from "../helpers/stack-fixture";

const DATA_STORE_KEY = Buffer.alloc(32, 7).toString("base64");
const NTFY_PASSWORD = "the-ntfy-publisher-password";

/** The fixture stack with every secret set to a known value (keys without `myoci:`). */
function fixtureConfig(): { values: Record<string, unknown>; secretKeys: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-"));
  try {
    writeFileSync(path.join(dir, "Pulumi.fixture.yaml"), stackFileText());
    const raw = readRawStackFile(path.join(dir, "Pulumi.fixture.yaml"));
    const secrets: Record<string, string> = Object.fromEntries(SECRET_KEYS.map((k) => [k, `fixture-secret-value-for-${k}`]));
    secrets["zitadelMasterkey"] = "fixture-masterkey-of-32-chars-ok";
    secrets["netbirdDataStoreKey"] = DATA_STORE_KEY;
    secrets["ntfyPassword"] = NTFY_PASSWORD;
    return { values: { ...raw.values, ...secrets }, secretKeys: [...SECRET_KEYS] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byName = (result: EvaluationResult, name: string): RecordedResource => {
  const found = result.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const upload = (r: RecordedResource, file: string): string =>
  (r.inputs["uploads"] as { file: string; content: string }[]).find((u) => u.file === file)!.content;
const env = (r: RecordedResource): Record<string, string> =>
  Object.fromEntries((r.inputs["envs"] as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

describe("NetBird's identity wiring under Pulumi mocks (fixture stack)", function () {
  this.timeout(120000);
  let result: EvaluationResult;
  before(async () => {
    result = await evaluateProgram({ stack: "fixture", rawConfig: fixtureConfig() });
  });

  it("puts the stack's data-store key into management.json, so a replacement never generates a new one", () => {
    const management = JSON.parse(upload(byName(result, "netbird-management-container"), "/etc/netbird/management.json")) as Record<string, unknown>;
    expect(management["DataStoreEncryptionKey"]).to.equal(DATA_STORE_KEY);
    expect(byName(result, "netbird-management-container").secretPaths).to.include("uploads.0.content");
  });

  it("wires the bootstrap's generated ids into management.json and the dashboard, none hard-coded", () => {
    // What the command printed (under mocks: stand-in ids, program/evaluate.ts).
    const outputs = parseBootstrapStdout(String(byName(result, "zitadel-bootstrap-command").state["stdout"]));
    const id = (key: keyof typeof outputs) => outputs[key];
    const management = JSON.parse(upload(byName(result, "netbird-management-container"), "/etc/netbird/management.json")) as {
      HttpConfig: Record<string, unknown>;
      IdpManagerConfig: { ManagerType: string; ClientConfig: Record<string, unknown>; ExtraConfig: Record<string, unknown> };
      DeviceAuthorizationFlow: { Provider: string; ProviderConfig: Record<string, unknown> };
      PKCEAuthorizationFlow: { ProviderConfig: Record<string, unknown> };
    };
    expect(management.HttpConfig).to.deep.include({ AuthAudience: id("dashboardClientId"), AuthClientID: id("dashboardClientId") });
    expect(management.IdpManagerConfig).to.deep.equal({
      ManagerType: "zitadel",
      ClientConfig: {
        Issuer: "https://auth.example.org",
        TokenEndpoint: "https://auth.example.org/oauth/v2/token",
        ClientID: id("idpClientId"),
        ClientSecret: id("idpClientSecret"),
        GrantType: "client_credentials",
      },
      ExtraConfig: { ManagementEndpoint: "https://auth.example.org/management/v1" },
    });
    expect(management.DeviceAuthorizationFlow).to.deep.equal({
      Provider: "hosted",
      ProviderConfig: { Audience: id("cliClientId"), ClientID: id("cliClientId"), Scope: "openid" },
    });
    expect(management.PKCEAuthorizationFlow.ProviderConfig).to.deep.include({ Audience: id("cliClientId"), ClientID: id("cliClientId") });
    expect(JSON.stringify(management)).not.to.include('"netbird"');
    const dashboard = env(byName(result, "netbird-dashboard-container"));
    expect([dashboard["AUTH_CLIENT_ID"], dashboard["AUTH_AUDIENCE"], dashboard["AUTH_AUTHORITY"]]).to.deep.equal([
      id("dashboardClientId"),
      id("dashboardClientId"),
      "https://auth.example.org",
    ]);
  });

  it("orders the first up: Postgres → Zitadel → Caddy → bootstrap → management, with waits long enough for a first init", () => {
    const urn = (name: string) => byName(result, name).urn;
    const zitadel = urn("zitadel-server-container");
    const caddy = urn("caddy-proxy-container");
    const bootstrap = byName(result, "zitadel-bootstrap");
    const command = byName(result, "zitadel-bootstrap-command");
    // The command itself waits for both (a component's dependsOn is not its children's).
    expect(command.opts.dependsOn).to.include.members([zitadel, caddy]);
    expect(command.opts.parent).to.equal(bootstrap.urn);
    expect(byName(result, "netbird-management-container").opts.dependsOn).to.include.members([zitadel, caddy, bootstrap.urn]);
    expect(byName(result, "zitadel-server-container").opts.dependsOn).to.include(urn("postgres-server-container"));
    expect(byName(result, "zitadel-server-container").inputs["waitTimeout"]).to.equal(420);
    expect(byName(result, "netbird-management-container").inputs["waitTimeout"]).to.equal(240);
    expect(JSON.parse(String(command.inputs["stdin"]))).to.deep.include({ timeoutSeconds: 600 });
  });

  it("gives the bootstrap the PAT Zitadel's first instance writes, and keeps its request and output secrets that are never logged", () => {
    const zitadel = byName(result, "zitadel-server-container");
    const command = byName(result, "zitadel-bootstrap-command");
    const zitadelEnv = env(zitadel);
    expect(command.type).to.equal("command:local:Command");
    expect(JSON.parse(String(command.inputs["stdin"]))).to.deep.include({
      dockerHost: "unix:///var/run/docker.sock",
      container: "myoci-fixture-zitadel",
      patPath: zitadelEnv["ZITADEL_FIRSTINSTANCE_PATPATH"],
      apiUrl: "https://auth.example.org",
      netbirdUrl: "https://netbird.example.org",
      adminEmail: "ops@example.org",
      adminPassword: "fixture-secret-value-for-zitadelAdminPassword",
    });
    expect(zitadelEnv).to.deep.include({ ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_USERNAME: "myoci-bootstrap" });
    expect(zitadel.inputs["volumes"]).to.deep.include({ volumeName: "myoci-fixture-zitadel-bootstrap", containerPath: "/zitadel/bootstrap", readOnly: false });
    expect(command.secretPaths).to.include("stdin");
    // stdout holds the PAT and the client secret: a secret input does not make an output secret (pulumi-go-provider
    // marks an output secret only for a secret input of the same name), so the option is what encrypts it in the state.
    expect(command.opts.additionalSecretOutputs).to.include.members(["stdout"]);
    expect(command.inputs).to.deep.include({ interpreter: [...BOOTSTRAP_INTERPRETER], create: "create", update: "update", logging: "none" });
    // The interpreter's relative paths name this repository's files (the provider runs it in the program's directory).
    for (const file of BOOTSTRAP_INTERPRETER.slice(1)) expect(existsSync(path.join(repoRoot(), file)), file).to.equal(true);
    expect(JSON.stringify(command.inputs)).not.to.include("__provider");
  });

  it("runs the command on the program's own request as an update would: unchanged identity → the previous outputs, no request", async () => {
    const command = byName(result, "zitadel-bootstrap-command");
    const previous = String(command.state["stdout"]);
    const requests: string[] = [];
    const io: BootstrapIo = {
      send: async (request) => (requests.push(request.url), { status: 503, body: "{}" }),
      readFile: async () => Promise.reject(new Error("no container here")),
      now: () => 0,
      sleep: async () => undefined,
    };
    const printed: string[] = [];
    const streams = (stdin: string) => ({ stdin, env: { PULUMI_COMMAND_STDOUT: previous }, stdout: (t: string) => printed.push(t), stderr: () => undefined });
    expect(await runBootstrapCommand(["update"], streams(String(command.inputs["stdin"])), io)).to.equal(0);
    expect(printed.join("").trim()).to.equal(previous);
    expect(requests).to.deep.equal([]);
    const moved = JSON.stringify({ ...JSON.parse(String(command.inputs["stdin"])), netbirdUrl: "https://vpn.example.org", timeoutSeconds: 1 });
    await runBootstrapCommand(["update"], streams(moved), {
      ...io,
      now: (() => {
        let t = 0;
        return () => (t += 2000);
      })(),
    });
    expect(requests[0]).to.equal("https://auth.example.org/auth/v1/users/me");
  });

  it("gives coturn the host's public address (external-ip) instead of letting it report its bridge address", () => {
    const conf = upload(byName(result, "netbird-coturn-container"), "/etc/coturn/turnserver.conf");
    expect(conf.split("\n")).to.include("external-ip=192.0.2.10");
  });

  it("declares the ntfy publisher in server.yml with a bcrypt hash the system's crypt(3) accepts, access to its topic only", () => {
    const yml = upload(byName(result, "ntfy-server-container"), "/etc/ntfy/server.yml");
    const lines = yml.split("\n");
    const users = lines[lines.indexOf("auth-users:") + 1]!;
    const match = /^ {2}- "myoci:(\$2a\$10\$[./A-Za-z0-9]{53}):user"$/.exec(users);
    expect(match, users).to.not.equal(null);
    expect(lines[lines.indexOf("auth-access:") + 1]).to.equal('  - "myoci:myoci:rw"');
    expect(yml).not.to.include(NTFY_PASSWORD);
    const hash = match![1]!;
    const again = execFileSync("python3", ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", NTFY_PASSWORD, hash])
      .toString()
      .trim();
    expect(again).to.equal(hash);
    expect(byName(result, "ntfy-server-container").secretPaths).to.include("uploads.0.content");
  });
});
