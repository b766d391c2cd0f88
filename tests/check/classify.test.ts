/** Pure classification for `myoci check`. Digests are sha256 of test strings, not of any real image. */
import { expect } from "chai";
import { classifyComponent, errorCheck } from "../../cli/app/check/classify";
import { toVersionSet, type ComponentId } from "../../catalog";
import { sha256Digest } from "../helpers/digest";

const d = (text: string) => sha256Digest(text);
const NOW = new Date("2026-11-25T00:00:00Z");

function classify(
  component: ComponentId,
  tag: string,
  tags: string[],
  options: { repointed?: boolean; stack?: Partial<Record<ComponentId, string>>; includePrerelease?: boolean } = {},
) {
  const declared = { tag, digest: d(`${component}:${tag}`) };
  const { versions } = toVersionSet({ ...(options.stack ?? {}), [component]: tag });
  return classifyComponent({
    component,
    declared,
    tags,
    currentDigest: options.repointed ? d(`${component}:${tag}:rebuilt`) : declared.digest,
    versions,
    includePrerelease: options.includePrerelease,
    now: NOW,
  });
}

describe("check classification", () => {
  it("is up to date when nothing newer exists and the digest is unchanged", () => {
    const result = classify("loki", "3.0.0", ["2.9.8", "3.0.0", "latest", "main-abc123", "3.0.0-arm64"]);
    expect(result.status).to.equal("up-to-date");
    expect(result.newest).to.deep.equal({ patch: undefined, minor: undefined, major: undefined });
    expect(result.digestChanged).to.equal(false);
    expect(result.changelog).to.equal("https://github.com/grafana/loki/releases/tag/v3.0.0");
  });

  it("reports a re-pointed tag as digest", () => {
    const result = classify("loki", "3.0.0", ["3.0.0"], { repointed: true });
    expect(result.status).to.equal("digest");
    expect(result.digestChanged).to.equal(true);
    expect(result.currentDigest).to.equal(d("loki:3.0.0:rebuilt"));
  });

  it("finds the newest patch, minor and major, and the highest class wins", () => {
    const result = classify("loki", "3.0.0", ["3.0.0", "3.0.1", "3.0.2", "3.1.0", "3.1.4", "3.2.0", "4.0.1", "4.0.0", "2.9.9"]);
    expect(result.status).to.equal("major");
    expect([result.newest.patch?.tag, result.newest.minor?.tag, result.newest.major?.tag]).to.deep.equal(["3.0.2", "3.2.0", "4.0.1"]);
    expect(result.newest.minor?.changelog).to.equal("https://github.com/grafana/loki/releases/tag/v3.2.0");
    expect(classify("loki", "3.0.0", ["3.0.1"]).status).to.equal("patch");
    expect(classify("loki", "3.0.0", ["3.0.1", "3.1.0"]).status).to.equal("minor");
  });

  it("handles the v prefix and ignores tags without it", () => {
    const result = classify("ntfy", "v2.11.0", ["v2.11.0", "v2.11.1", "2.12.0", "v2.12.0-rc1", "v3.0.0"]);
    expect([result.newest.patch?.tag, result.newest.minor?.tag, result.newest.major?.tag]).to.deep.equal(["v2.11.1", undefined, "v3.0.0"]);
    expect(result.newest.major?.changelog).to.equal("https://github.com/binwiederhier/ntfy/releases/tag/v3.0.0");
  });

  it("moves -alpine only to -alpine, with the same number of components", () => {
    const tags = ["16.9-alpine", "16.10-alpine", "16.11", "17.6-alpine", "17-alpine", "16.10.1-alpine", "16.12-bookworm", "18.1"];
    const result = classify("postgres", "16.9-alpine", tags);
    expect([result.newest.patch?.tag, result.newest.minor?.tag, result.newest.major?.tag]).to.deep.equal(["16.10-alpine", undefined, "17.6-alpine"]);
    const plain = classify("postgres", "16.9", tags);
    expect([plain.newest.patch?.tag, plain.newest.major?.tag]).to.deep.equal(["16.11", "18.1"]);
  });

  it("orders Grafana -security-NN rebuilds after their release and before the next patch", () => {
    const rebuild = classify("grafana", "11.0.5", ["11.0.5", "11.0.5-security-01", "11.0.5-security-02"]);
    expect([rebuild.status, rebuild.newest.patch?.tag]).to.deep.equal(["patch", "11.0.5-security-02"]);
    const next = classify("grafana", "11.0.5-security-01", ["11.0.5-security-01", "11.0.5-security-02", "11.0.6", "11.1.0-security-01", "11.1.0"]);
    expect([next.newest.patch?.tag, next.newest.minor?.tag]).to.deep.equal(["11.0.6", "11.1.0-security-01"]);
  });

  it("offers pre-releases only when asked", () => {
    const tags = ["3.0.0", "3.1.0-rc.1", "3.1.0-rc.2", "3.0.1-beta1"];
    expect(classify("loki", "3.0.0", tags).status).to.equal("up-to-date");
    const pre = classify("loki", "3.0.0", tags, { includePrerelease: true });
    expect([pre.newest.patch?.tag, pre.newest.minor?.tag, pre.newest.minor?.prerelease]).to.deep.equal(["3.0.1-beta1", "3.1.0-rc.2", "rc.2"]);
    const released = classify("loki", "3.0.0", [...tags, "3.1.0"], { includePrerelease: true });
    expect(released.newest.minor?.tag).to.equal("3.1.0");
  });

  it("flags end of life, advisories of the declared version, and candidates that break a rule", () => {
    const stack = { loki: "3.6.1" };
    const result = classify("promtail", "3.6.1", ["3.6.1", "3.6.2", "3.7.0"], { stack });
    expect(result.endOfLife).to.deep.include({ date: "2026-03-02", reached: true, successor: "alloy" });
    expect(result.newest.patch?.breaks).to.deep.equal([]);
    expect(result.newest.minor?.breaks.map((b) => b.rule)).to.deep.equal(["loki-promtail-same-minor", "promtail-last-release-line"]);
    const grafana = classify("grafana", "11.0.0", ["11.0.0", "11.2.10"]);
    expect(grafana.advisories.map((a) => [a.id, a.severity, a.fixedIn])).to.deep.equal([
      ["CVE-2024-9264", "critical", "11.0.5-security-01"],
      ["CVE-2025-4123", "high", "11.2.10"],
    ]);
    expect(classify("loki", "3.0.0", []).endOfLife).to.equal(undefined);
  });

  it("never reports an unchecked component as up to date", () => {
    const declared = { tag: "3.0.0", digest: d("x") };
    const result = errorCheck("loki", declared, "docker.io/grafana/loki: tag list failed: HTTP 500");
    expect(result.status).to.equal("error");
    expect(result.error).to.equal("docker.io/grafana/loki: tag list failed: HTTP 500");
  });
});
