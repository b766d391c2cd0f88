import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readRawStackFile } from "../../config/stack-file";
// The loader Pulumi's dynamic-provider host uses (a dependency of @pulumi/pulumi).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string) => unknown;
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
    const bootstrap = byName(result, "zitadel-bootstrap");
    const id = (key: string) => String(bootstrap.state[key]);
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
    expect(bootstrap.opts.dependsOn).to.include.members([zitadel, caddy]);
    expect(byName(result, "netbird-management-container").opts.dependsOn).to.include.members([zitadel, caddy, bootstrap.urn]);
    expect(byName(result, "zitadel-server-container").opts.dependsOn).to.include(urn("postgres-server-container"));
    expect(byName(result, "zitadel-server-container").inputs["waitTimeout"]).to.equal(420);
    expect(byName(result, "netbird-management-container").inputs["waitTimeout"]).to.equal(240);
    expect(bootstrap.inputs["timeoutSeconds"]).to.equal(600);
  });

  it("gives the bootstrap the PAT Zitadel's first instance writes, and keeps the admin password a secret", () => {
    const zitadel = byName(result, "zitadel-server-container");
    const bootstrap = byName(result, "zitadel-bootstrap");
    const zitadelEnv = env(zitadel);
    expect(bootstrap.inputs).to.deep.include({
      dockerHost: "unix:///var/run/docker.sock",
      container: "myoci-fixture-zitadel",
      patPath: zitadelEnv["ZITADEL_FIRSTINSTANCE_PATPATH"],
      apiUrl: "https://auth.example.org",
      netbirdUrl: "https://netbird.example.org",
      adminEmail: "ops@example.org",
    });
    expect(zitadelEnv).to.deep.include({ ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_USERNAME: "myoci-bootstrap" });
    expect(zitadel.inputs["volumes"]).to.deep.include({ volumeName: "myoci-fixture-zitadel-bootstrap", containerPath: "/zitadel/bootstrap", readOnly: false });
    expect(bootstrap.secretPaths).to.include("adminPassword");
    // The provider is serialized into the inputs (as the engine stores it) and loads the way Pulumi's dynamic-provider
    // host loads it (@pulumi/pulumi cmd/dynamic-provider: requireFromString(serialized).handler()).
    const serialized = String(bootstrap.inputs["__provider"]);
    expect(serialized).to.include("ensureNetbirdIdentity");
    const provider = (requireFromString(serialized) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
    expect(typeof provider.create).to.equal("function");
  });

  it("runs the serialized provider's diff as the engine would: unchanged inputs → no change (a second up is a no-op)", async () => {
    const bootstrap = byName(result, "zitadel-bootstrap");
    const provider = (requireFromString(String(bootstrap.inputs["__provider"])) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
    const olds = bootstrap.state;
    expect(await provider.diff!("id", olds, bootstrap.inputs)).to.deep.include({ changes: false });
    expect(await provider.diff!("id", olds, { ...bootstrap.inputs, netbirdUrl: "https://vpn.example.org" })).to.deep.include({ changes: true, replaces: [] });
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
