import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { allPolicies } from "../policies";
import { loadPackConfig, resolvePackConfig, PolicyConfigError } from "../offline/policy-config";

const VERBS = ["disallow", "require", "enforce", "warn"];

describe("policy pack: every policy", () => {
  it("has a kebab-case name starting with an allowed verb, unique", () => {
    const names = allPolicies.map((p) => p.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const name of names) {
      expect(name, name).to.match(/^[a-z]+(-[a-z]+)+$/);
      expect(VERBS, name).to.include(name.split("-")[0]);
    }
  });
  it("has a full-sentence description ending with a period", () => {
    for (const p of allPolicies) {
      expect(p.description, p.name).to.match(/^[A-Z][^\n]{20,}\.$/);
    }
  });
  it("has the default enforcement level of the issue: warn-* advisory, the rest mandatory", () => {
    for (const p of allPolicies) {
      expect(p.enforcementLevel, p.name).to.equal(p.name.startsWith("warn-") ? "advisory" : "mandatory");
    }
    expect(allPolicies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).to.deep.equal(["warn-end-of-life", "warn-open-vulnerabilities"]);
  });
  it("declares a default for every config property", () => {
    for (const p of allPolicies) {
      for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
        expect(typeof schema === "object" && schema.default !== undefined, `${p.name}.${key}`).to.equal(true);
      }
    }
  });
  it("is listed in policy/index.ts only through the explicit list, and the pack never branches on the stack name", () => {
    const index = readFileSync(path.join(__dirname, "..", "index.ts"), "utf8");
    expect(index).to.contain('new PolicyPack("myoci", { policies: allPolicies })');
    for (const p of allPolicies) {
      const source = readFileSync(path.join(__dirname, "..", "policies", `${p.name}.ts`), "utf8");
      expect(source, p.name).not.to.match(/getStack\(|PULUMI_NODEJS_STACK|=== "prod"|=== "staging"/);
    }
  });
});

describe("policy config files", () => {
  it("the shipped staging and prod configs are valid; the promotion gate is off for staging only", () => {
    const staging = loadPackConfig(path.join(__dirname, "..", "config", "staging.json"), allPolicies);
    const prod = loadPackConfig(path.join(__dirname, "..", "config", "prod.json"), allPolicies);
    expect(staging["require-verified-promotion"]!.enforcementLevel).to.equal("disabled");
    expect(prod["require-verified-promotion"]!.enforcementLevel).to.equal("mandatory");
    expect(prod["require-verified-promotion"]!.properties).to.deep.equal({ recordFile: "promotions.yaml", verifiedOn: "staging", targetStack: "prod" });
  });
  it("applies defaults: levels from the policies, properties from the schemas", () => {
    const config = resolvePackConfig({ "warn-end-of-life": "mandatory" }, allPolicies, "x.json");
    expect(config["warn-end-of-life"]).to.deep.equal({ enforcementLevel: "mandatory", properties: { now: "" } });
    expect(config["require-restart-policy"]).to.deep.equal({ enforcementLevel: "mandatory", properties: { allowed: ["unless-stopped", "always"] } });
  });
  it("reports every problem at once, naming file, policy, key and value", () => {
    let error: PolicyConfigError | undefined;
    try {
      resolvePackConfig(
        {
          "no-such-policy": "mandatory",
          "warn-end-of-life": "sometimes",
          "require-memory-limit": { minimumMb: "lots" },
          "disallow-overdue-vulnerabilities": { acceptances: [{ id: "CVE-1", expires: "soon" }] },
          "require-image-digest": { extra: 1 },
        },
        allPolicies,
        "bad.json",
      );
    } catch (e) {
      error = e as PolicyConfigError;
    }
    expect(error?.problems).to.deep.equal([
      "no-such-policy: unknown policy (known: all, " + allPolicies.map((p) => p.name).join(", ") + ")",
      "require-image-digest: takes no properties besides enforcementLevel (given: extra)",
      'warn-end-of-life.enforcementLevel = "sometimes": expected one of advisory, mandatory, remediate, disabled',
      "disallow-overdue-vulnerabilities.acceptances[0].reason: missing (required)",
      'disallow-overdue-vulnerabilities.acceptances[0].expires = "soon": expected to match ^\\d{4}-\\d{2}-\\d{2}',
      'require-memory-limit.minimumMb = "lots": expected integer',
    ]);
    expect(error?.message).to.match(/^Invalid policy config bad\.json \(6 problems\):/);
  });
});
