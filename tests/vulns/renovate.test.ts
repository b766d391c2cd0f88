import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CATALOG, COMPONENT_IDS } from "../../catalog";
import { loadStackFile } from "../../config/stack-file";

const ROOT = path.join(__dirname, "..", "..");
interface Manager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  depNameTemplate: string;
  datasourceTemplate: string;
}
const config = JSON.parse(readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as { customManagers: Manager[]; enabledManagers: string[] };

/** Renovate's `/regex/` file pattern as a JS RegExp. */
const filePattern = (p: string) => new RegExp(p.slice(1, -1));

describe("renovate.json: staging image pins", () => {
  it("has one docker regex manager per catalog component, named after the catalog's registry/repository", () => {
    expect(config.enabledManagers).to.include.members(["npm", "custom.regex"]);
    expect(config.customManagers.map((m) => m.depNameTemplate)).to.deep.equal(
      COMPONENT_IDS.map((id) =>
        CATALOG[id].registry === "docker.io" ? CATALOG[id].repository.replace(/^library\//, "") : `${CATALOG[id].registry}/${CATALOG[id].repository}`,
      ),
    );
    expect(new Set(config.customManagers.map((m) => m.datasourceTemplate))).to.deep.equal(new Set(["docker"]));
  });

  it("matches every pin of Pulumi.staging.yaml exactly once, with its tag and digest, and never the prod file", () => {
    const text = readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    const images = loadStackFile(ROOT, "staging", { placeholderSecrets: true }).images;
    const found: Record<string, { tag: string; digest: string }> = {};
    for (const [i, m] of config.customManagers.entries()) {
      expect(m.managerFilePatterns.some((p) => filePattern(p).test("Pulumi.staging.yaml"))).to.equal(true);
      expect(m.managerFilePatterns.some((p) => filePattern(p).test("Pulumi.prod.yaml"))).to.equal(false);
      const matches = [...text.matchAll(new RegExp(m.matchStrings[0]!, "g"))];
      expect(matches.length).to.be.at.most(1);
      if (matches[0]) found[COMPONENT_IDS[i]!] = { tag: matches[0].groups!.currentValue!, digest: matches[0].groups!.currentDigest! };
    }
    expect(found).to.deep.equal(JSON.parse(JSON.stringify(images)));
  });
});
