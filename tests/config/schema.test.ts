import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { formatConfigIssues, parseStackConfig, SECRET_KEYS, type ConfigIssue } from "../../config/schema";
import { loadStackFile, readRawStackFile } from "../../config/stack-file";
import { PLACEHOLDER_SECRET } from "../../config/stack-file/placeholders";
import { PROJECT_DIR } from "../../program/evaluate";
import { stackFileText } from "../helpers/stack-fixture";

/** The shipped staging config with every secret given as a secret: a valid base to break one field at a time. */
function validRaw(): { values: Record<string, unknown>; secretKeys: Set<string> } {
  const file = readRawStackFile(path.join(PROJECT_DIR, "Pulumi.staging.yaml"));
  const values: Record<string, unknown> = JSON.parse(JSON.stringify(file.values));
  for (const key of SECRET_KEYS) values[key] = PLACEHOLDER_SECRET(key);
  return { values, secretKeys: new Set(SECRET_KEYS) };
}

function issuesFor(change: (raw: { values: Record<string, unknown>; secretKeys: Set<string> }) => void): ConfigIssue[] {
  const raw = validRaw();
  change(raw);
  const result = parseStackConfig(raw, "staging", "Pulumi.staging.yaml");
  return result.ok ? [] : result.issues;
}

const images = (raw: { values: Record<string, unknown> }) => raw.values["images"] as Record<string, Record<string, unknown>>;
const DIGEST = "sha256:191d4fdfb7264f16989f0a57f320872620a5a7c2ceeec6229212c4190ec49b86";

describe("stack config validation", () => {
  it("accepts the shipped stacks", () => {
    for (const stack of ["staging", "prod"]) {
      const config = loadStackFile(PROJECT_DIR, stack, { placeholderSecrets: true });
      expect(config.stack).to.equal(stack);
      expect(Object.keys(config.images)).to.have.length(14);
    }
  });

  const cases: { name: string; change: Parameters<typeof issuesFor>[0]; key: string; value: string; expected: string }[] = [
    {
      name: "missing digest",
      change: (r) => delete images(r)["loki"]!["digest"],
      key: "myoci:images.loki.digest",
      value: "(missing)",
      expected: "expected a string sha256:<64 lower-case hex digits>",
    },
    {
      name: "short digest",
      change: (r) => (images(r)["loki"]!["digest"] = "sha256:191d4fdf"),
      key: "myoci:images.loki.digest",
      value: '"sha256:191d4fdf"',
      expected: "expected sha256: followed by 64 lower-case hex digits",
    },
    {
      name: "upper-case digest",
      change: (r) => (images(r)["loki"]!["digest"] = DIGEST.toUpperCase().replace("SHA256", "sha256")),
      key: "myoci:images.loki.digest",
      value: JSON.stringify(DIGEST.toUpperCase().replace("SHA256", "sha256")),
      expected: "expected sha256: followed by 64 lower-case hex digits",
    },
    {
      name: "latest tag",
      change: (r) => (images(r)["loki"]!["tag"] = "latest"),
      key: "myoci:images.loki.tag",
      value: '"latest"',
      expected: '"latest" is a floating tag that moves with every release',
    },
    {
      name: "tag off the scheme",
      change: (r) => (images(r)["ntfy"]!["tag"] = "2.28.0"),
      key: "myoci:images.ntfy.tag",
      value: '"2.28.0"',
      expected: '"2.28.0" lacks the leading "v" (expected a leading v and 3 numeric parts (e.g. v1.2.3))',
    },
    {
      name: "unknown component",
      change: (r) => (images(r)["traefik"] = { tag: "3.0.0", digest: DIGEST }),
      key: "myoci:images.traefik",
      value: JSON.stringify({ tag: "3.0.0", digest: DIGEST }),
      expected:
        "expected a known component, not an unknown one (known: netdata, ntfy, forwarderBase, loki, promtail, alloy, grafana, caddy, netbirdManagement, netbirdSignal, netbirdRelay, netbirdDashboard, coturn, zitadel, postgres)",
    },
    {
      name: "extra field in a pin",
      change: (r) => (images(r)["loki"]!["registry"] = "quay.io"),
      key: "myoci:images.loki",
      value: JSON.stringify({ tag: "3.7.2", digest: DIGEST, registry: "quay.io" }),
      expected: "expected only tag and digest, not registry",
    },
    {
      name: "bad host URL",
      change: (r) => (r.values["dockerHost"] = "http://oci.example.org"),
      key: "myoci:dockerHost",
      value: '"http://oci.example.org"',
      expected: "expected unix:///path/to/docker.sock, ssh://user@host[:port] or tcp://host:port",
    },
    {
      name: "ssh host without user",
      change: (r) => (r.values["dockerHost"] = "ssh://oci.example.org"),
      key: "myoci:dockerHost",
      value: '"ssh://oci.example.org"',
      expected: "expected unix:///path/to/docker.sock, ssh://user@host[:port] or tcp://host:port",
    },
    {
      name: "negative memory",
      change: (r) => (r.values["limits"] = { grafana: { memoryMb: -512 } }),
      key: "myoci:limits.grafana.memoryMb",
      value: "-512",
      expected: "expected at least 16 MiB",
    },
    {
      name: "memory limit for an unknown component",
      change: (r) => (r.values["limits"] = { redis: { memoryMb: 64 } }),
      key: "myoci:limits.redis",
      value: '{"memoryMb":64}',
      expected:
        "expected a known component (known: netdata, ntfy, forwarderBase, loki, promtail, alloy, grafana, caddy, netbirdManagement, netbirdSignal, netbirdRelay, netbirdDashboard, coturn, zitadel, postgres)",
    },
    {
      name: "secret given in plain text",
      change: (r) => r.secretKeys.delete("grafanaAdminPassword"),
      key: "myoci:grafanaAdminPassword",
      value: "(plain text)",
      expected: "expected a Pulumi secret, never plain text: pulumi config set --secret myoci:grafanaAdminPassword --stack staging",
    },
    {
      name: "missing secret",
      change: (r) => delete r.values["turnSecret"],
      key: "myoci:turnSecret",
      value: "(missing)",
      expected: "expected a secret: pulumi config set --secret myoci:turnSecret --stack staging",
    },
    {
      name: "masterkey of the wrong length",
      change: (r) => (r.values["zitadelMasterkey"] = "too-short"),
      key: "myoci:zitadelMasterkey",
      value: "[secret]",
      expected: "expected exactly 32 characters (Zitadel's masterkey)",
    },
    {
      name: "unknown log shipper",
      change: (r) => (r.values["logShipper"] = "fluentbit"),
      key: "myoci:logShipper",
      value: '"fluentbit"',
      expected: 'expected "promtail" or "alloy"',
    },
    {
      name: "domain with upper case",
      change: (r) => (r.values["domain"] = "Example.ORG"),
      key: "myoci:domain",
      value: '"Example.ORG"',
      expected: "expected a lower-case DNS name such as example.org",
    },
    {
      name: "bad e-mail",
      change: (r) => (r.values["acmeEmail"] = "ops-at-example"),
      key: "myoci:acmeEmail",
      value: '"ops-at-example"',
      expected: "expected an e-mail address for ACME registration",
    },
    {
      name: "unknown config key",
      change: (r) => (r.values["grafanaVersion"] = "11.0.0"),
      key: "myoci:grafanaVersion",
      value: '"11.0.0"',
      expected: "expected a known config key (see Pulumi.yaml)",
    },
    {
      name: "missing pin for a running component",
      change: (r) => delete images(r)["caddy"],
      key: "myoci:images.caddy",
      value: "(missing)",
      expected: "expected a { tag, digest } pin for Caddy",
    },
    {
      name: "pin for the log shipper not in use",
      change: (r) => (images(r)["promtail"] = { tag: "3.0.0", digest: DIGEST }),
      key: "myoci:images.promtail",
      value: JSON.stringify({ tag: "3.0.0", digest: DIGEST }),
      expected: 'expected no promtail pin while logShipper is "alloy"',
    },
    {
      name: "migration not from the data major",
      change: (r) => (r.values["postgresMigration"] = { from: 15, to: 17 }),
      key: "myoci:postgresMigration.from",
      value: "15",
      expected: "expected the major the data volume holds (postgresDataMajor = 16)",
    },
    {
      name: "registry mirror that is not a URL",
      change: (r) => (r.values["registryMirrors"] = { "docker.io": "mirror" }),
      key: "myoci:registryMirrors.docker.io",
      value: '"mirror"',
      expected: "expected a URL such as http://127.0.0.1:5000",
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const issues = issuesFor(c.change);
      expect(issues, JSON.stringify(issues)).to.have.length(1);
      expect(issues[0]!.file).to.equal("Pulumi.staging.yaml");
      expect(issues[0]!.key).to.equal(c.key);
      expect(issues[0]!.value).to.equal(c.value);
      expect(issues[0]!.expected).to.equal(c.expected);
    });
  }

  it("reports every problem at once, secrets never by value", () => {
    const issues = issuesFor((r) => {
      images(r)["loki"]!["tag"] = "latest";
      r.values["dockerHost"] = "ftp://x";
      r.values["zitadelMasterkey"] = "my-real-masterkey";
      r.secretKeys.delete("telegramBotToken");
      r.values["telegramBotToken"] = "123:ABC-real-token";
    });
    expect(issues.map((i) => i.key)).to.deep.equal(["myoci:dockerHost", "myoci:images.loki.tag", "myoci:zitadelMasterkey", "myoci:telegramBotToken"]);
    const message = formatConfigIssues(issues);
    expect(message).to.match(/^Invalid stack config \(4 problems\):/);
    expect(message).not.to.include("my-real-masterkey");
    expect(message).not.to.include("123:ABC-real-token");
  });

  it("reads a stack file's secure values as secrets and names the file on broken YAML", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-config-"));
    writeFileSync(
      path.join(dir, "Pulumi.x.yaml"),
      "config:\n  myoci:grafanaAdminPassword:\n    secure: v1:abc:def\n  docker:host: unix:///var/run/docker.sock\n",
    );
    const raw = readRawStackFile(path.join(dir, "Pulumi.x.yaml"));
    expect([...raw.secretKeys]).to.deep.equal(["grafanaAdminPassword"]);
    writeFileSync(path.join(dir, "Pulumi.y.yaml"), "config:\n  myoci:domain: [unclosed\n");
    expect(() => loadStackFile(dir, "y")).to.throw(/Pulumi\.y\.yaml: \(line \d+\)/);
  });

  it("offline, a secret given as a --config value is validated, not replaced by its placeholder (as the program evaluation keeps it)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-s10-placeholder-"));
    try {
      writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackFileText());
      const given = loadStackFile(dir, "staging", { placeholderSecrets: true, overrides: { grafanaAdminPassword: "given-admin-password" } });
      expect(given.secrets.grafanaAdminPassword.value).to.equal("given-admin-password");
      expect(given.secrets.postgresPassword.value).to.equal(PLACEHOLDER_SECRET("postgresPassword"));
      expect(() => loadStackFile(dir, "staging", { placeholderSecrets: true, overrides: { grafanaAdminPassword: "short" } }))
        .to.throw("Pulumi.staging.yaml: myoci:grafanaAdminPassword = [secret]: expected at least 12 characters")
        .with.property("message")
        .that.does.not.contain("short");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
