import { expect } from "chai";
import { CATALOG, classifyChange, compareTags, parseTag, type ParsedTag } from "../../catalog";

const tag = (component: keyof typeof CATALOG, raw: string): ParsedTag => {
  const result = parseTag(raw, CATALOG[component].tagScheme);
  if (!result.ok) {
    throw new Error(result.reason);
  }
  return result.tag;
};

describe("catalog tag schemes", () => {
  it("parses each scheme's real tags", () => {
    expect(tag("grafana", "11.0.5-security-01")).to.deep.equal({ raw: "11.0.5-security-01", numbers: [11, 0, 5], suffix: "", security: 1 });
    expect(tag("postgres", "16.11-alpine")).to.deep.equal({ raw: "16.11-alpine", numbers: [16, 11], suffix: "alpine", security: 0 });
    expect(tag("ntfy", "v2.27.0").numbers).to.deep.equal([2, 27, 0]);
    expect(tag("caddy", "2.10.2").suffix).to.equal("");
  });

  it("refuses floating, pre-release and off-scheme tags with a reason", () => {
    const reason = (component: keyof typeof CATALOG, raw: string) => {
      const result = parseTag(raw, CATALOG[component].tagScheme);
      return result.ok ? "ok" : result.reason;
    };
    expect(reason("loki", "latest")).to.equal('"latest" is a floating tag that moves with every release');
    expect(reason("netdata", "stable")).to.equal('"stable" is a floating tag that moves with every release');
    expect(reason("ntfy", "2.27.0")).to.equal('"2.27.0" lacks the leading "v" (expected a leading v and 3 numeric parts (e.g. v1.2.3))');
    expect(reason("loki", "v3.0.0")).to.equal('"v3.0.0" has a leading "v" (expected no leading v, 3 numeric parts (e.g. 1.2.3))');
    expect(reason("loki", "3.0.0-rc.1")).to.equal('"3.0.0-rc.1" is a pre-release');
    expect(reason("loki", "3.0")).to.equal('"3.0" does not fit the tag scheme (expected no leading v, 3 numeric parts (e.g. 1.2.3))');
    expect(reason("caddy", "2.10.2-builder")).to.equal(
      '"2.10.2-builder" has suffix "builder" (expected no leading v, 3 numeric parts (e.g. 1.2.3), optional suffix -alpine)',
    );
    expect(reason("loki", "3.0.0-security-01")).to.equal('"3.0.0-security-01" is a security rebuild, which this image does not publish');
  });

  it("orders security rebuilds after their base and classifies steps", () => {
    expect(compareTags(tag("grafana", "11.0.5-security-01"), tag("grafana", "11.0.5"))).to.equal(1);
    expect(compareTags(tag("grafana", "11.0.5-security-01"), tag("grafana", "11.0.6"))).to.equal(-1);
    expect(classifyChange(tag("grafana", "11.0.5"), tag("grafana", "11.0.5-security-01"))).to.equal("security");
    expect(classifyChange(tag("grafana", "11.0.0"), tag("grafana", "11.0.5"))).to.equal("patch");
    expect(classifyChange(tag("grafana", "11.0.0"), tag("grafana", "11.2.0"))).to.equal("minor");
    expect(classifyChange(tag("grafana", "11.0.0"), tag("grafana", "12.0.2"))).to.equal("major");
    expect(classifyChange(tag("grafana", "12.0.2"), tag("grafana", "11.0.0"))).to.equal("downgrade");
    expect(classifyChange(tag("postgres", "16.9-alpine"), tag("postgres", "16.11-alpine"))).to.equal("patch");
    expect(classifyChange(tag("postgres", "16.11-alpine"), tag("postgres", "17.6-alpine"))).to.equal("major");
  });
});
