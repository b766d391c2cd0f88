import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDataStoreKey, parseStackConfig, placeholderSecret, SECRET_KEYS, type ConfigIssue } from "../../config/schema";
import { readRawStackFile } from "../../config/stack-file";
import { stackFileText } from "../helpers/stack-fixture";

/** The fixture stack with every secret given as a secret: a base to break one value at a time. */
function issuesFor(change: (values: Record<string, unknown>) => void): ConfigIssue[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-"));
  try {
    writeFileSync(path.join(dir, "Pulumi.fixture.yaml"), stackFileText());
    const raw = readRawStackFile(path.join(dir, "Pulumi.fixture.yaml"));
    const values: Record<string, unknown> = { ...raw.values };
    for (const key of SECRET_KEYS) values[key] = placeholderSecret(key);
    change(values);
    const result = parseStackConfig({ values, secretKeys: new Set(SECRET_KEYS) }, "fixture", "Pulumi.fixture.yaml");
    return result.ok ? [] : result.issues;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("identity and VPN config: the keys that must survive a replacement", () => {
  it("accepts the fixture with every secret's offline stand-in", () => {
    expect(issuesFor(() => undefined)).to.deep.equal([]);
  });

  it("requires netbirdDataStoreKey as base64 of exactly 32 bytes, naming the key, never the value", () => {
    for (const bad of ["not base64 at all", Buffer.alloc(16).toString("base64"), Buffer.alloc(33).toString("base64")]) {
      expect(issuesFor((v) => (v["netbirdDataStoreKey"] = bad))).to.deep.equal([
        {
          file: "Pulumi.fixture.yaml",
          key: "myoci:netbirdDataStoreKey",
          value: "[secret]",
          expected: "expected base64 of 32 random bytes: openssl rand -base64 32",
        },
      ]);
    }
    expect(issuesFor((v) => delete v["netbirdDataStoreKey"])[0]).to.deep.include({
      key: "myoci:netbirdDataStoreKey",
      expected: "expected a secret: pulumi config set --secret myoci:netbirdDataStoreKey --stack fixture",
    });
    expect(isDataStoreKey(Buffer.alloc(32, 255).toString("base64"))).to.equal(true);
  });

  it("requires zitadelAdminPassword (at least 12 characters) and publicIp (an IPv4 address)", () => {
    expect(issuesFor((v) => (v["zitadelAdminPassword"] = "short"))).to.deep.equal([
      { file: "Pulumi.fixture.yaml", key: "myoci:zitadelAdminPassword", value: "[secret]", expected: "expected at least 12 characters" },
    ]);
    expect(issuesFor((v) => (v["publicIp"] = "netbird.example.org"))).to.deep.equal([
      {
        file: "Pulumi.fixture.yaml",
        key: "myoci:publicIp",
        value: '"netbird.example.org"',
        expected: "expected the host's public IPv4 address (coturn's external-ip), e.g. 203.0.113.10",
      },
    ]);
    expect(issuesFor((v) => delete v["publicIp"]).map((i) => [i.key, i.value])).to.deep.equal([["myoci:publicIp", "(missing)"]]);
  });
});
