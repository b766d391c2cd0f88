/** renovate.json as generated from the catalog: what its managers match and which tags its versioning accepts. */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CATALOG, COMPONENT_IDS, parseTag, type TagScheme } from "../../catalog";
import { generateRenovateConfig, renovateVersioning } from "../../cli/app/docs/renovate";
import { loadStackFile } from "../../config/stack-file";

const ROOT = path.join(__dirname, "..", "..");
interface Manager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  depNameTemplate: string;
  registryUrlTemplate: string;
  datasourceTemplate: string;
  versioningTemplate: string;
}
interface PackageRule {
  matchManagers?: string[];
  matchDepNames?: string[];
  groupName?: string;
  groupSlug?: string;
}
const config = JSON.parse(readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as {
  customManagers: Manager[];
  enabledManagers: string[];
  packageRules: PackageRule[];
};

/** Renovate's `/regex/` file pattern as a JS RegExp. */
const filePattern = (p: string) => new RegExp(p.slice(1, -1));
/** A `regex:` versioning template as the JS RegExp Renovate compiles (named groups are the same syntax). */
const versioning = (template: string) => new RegExp(template.replace(/^regex:/, ""));

describe("renovate.json (generated from the catalog)", () => {
  it("is the committed file, byte for byte (npx myoci docs --check fails otherwise)", () => {
    expect(readFileSync(path.join(ROOT, "renovate.json"), "utf8")).to.equal(generateRenovateConfig());
  });

  it("has one docker regex manager per catalog component; depName without the registry host, which is the registry URL", () => {
    expect(config.enabledManagers).to.include.members(["npm", "github-actions", "custom.regex"]);
    expect(config.customManagers.map((m) => `${m.registryUrlTemplate} ${m.depNameTemplate}`)).to.deep.equal(
      COMPONENT_IDS.map((id) =>
        CATALOG[id].registry === "docker.io"
          ? `https://index.docker.io ${CATALOG[id].repository.replace(/^library\//, "")}`
          : `https://${CATALOG[id].registry} ${CATALOG[id].repository}`,
      ),
    );
    expect(config.customManagers.find((m) => m.depNameTemplate === "zitadel/zitadel")?.registryUrlTemplate).to.equal("https://ghcr.io");
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

  it("accepts exactly the tags the catalog's tag scheme accepts, for every component", () => {
    const candidates = [
      ...["1.2.3", "v1.2.3", "1.2", "v1.2", "16.11", "16.11-alpine", "3.12-alpine", "2.11.3-alpine", "v2.12.0-rc1", "12.0.2-security-01"],
      ...["12.0.2-security-7", "1.2.3-beta1", "latest", "1.2.3.4", "01.2.3", "3.12-slim", "v4.13.1", "4.13.1", "2.28.0", "v3.6.0", "1.10.0"],
    ];
    for (const id of COMPONENT_IDS) {
      const scheme = CATALOG[id].tagScheme;
      const regex = versioning(config.customManagers[COMPONENT_IDS.indexOf(id)]!.versioningTemplate);
      for (const tag of candidates) {
        expect(regex.test(tag), `${id} ${tag}`).to.equal(parseTag(tag, scheme).ok);
      }
    }
  });

  it("keeps a variant apart (compatibility) and counts a -security-NN rebuild and a two-part second number as Renovate's build and patch", () => {
    const groups = (scheme: TagScheme, tag: string) => ({ ...versioning(renovateVersioning(scheme)).exec(tag)?.groups });
    expect(groups(CATALOG.grafana.tagScheme, "12.0.2-security-01")).to.deep.equal({ major: "12", minor: "0", patch: "2", build: "01" });
    expect(groups(CATALOG.postgres.tagScheme, "16.11-alpine")).to.deep.equal({ major: "16", patch: "11", compatibility: "-alpine" });
    expect(groups(CATALOG.postgres.tagScheme, "16.11")).to.deep.equal({ major: "16", patch: "11", compatibility: undefined });
    expect(() => renovateVersioning({ vPrefix: false, parts: 4, suffixes: [""] })).to.throw(/4 numeric parts/);
  });

  it("groups the components the catalog says are released together, and nothing else by image", () => {
    const imageGroups = config.packageRules.filter((r) => r.matchManagers?.includes("custom.regex") && r.groupName !== undefined);
    expect(imageGroups.map((r) => [r.groupSlug, r.matchDepNames])).to.deep.equal([
      ["loki-promtail-same-minor", ["grafana/loki", "grafana/promtail"]],
      ["netbird-one-version", ["netbirdio/management", "netbirdio/signal", "netbirdio/relay"]],
    ]);
  });
});
