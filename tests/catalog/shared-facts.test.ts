/** The facts check, docs, notify, the dashboard, drift, trivy and the policy pack each computed themselves, once. */
import { expect } from "chai";
import { CATALOG, changelogUrl, digestOfRepoDigest, endOfLifeState } from "../../catalog";
import { sha256Digest } from "../helpers/digest";

describe("catalog: shared facts", () => {
  it("changelogUrl fills {tag} with the tag as pinned and {version} with its numbers", () => {
    expect(changelogUrl("netdata", "v2.8.4")).to.equal("https://github.com/netdata/netdata/releases/tag/v2.8.4");
    expect(changelogUrl("grafana", "11.0.5-security-01")).to.equal("https://github.com/grafana/grafana/releases/tag/v11.0.5");
    expect(changelogUrl("postgres", "16.11-alpine")).to.equal("https://www.postgresql.org/docs/release/16.11/");
  });

  it("endOfLifeState: reached from the catalog's date on, with the successor; nothing for a component without one", () => {
    const date = CATALOG.promtail.endOfLife!.date;
    const day = 24 * 3600 * 1000;
    expect(endOfLifeState("promtail", new Date(Date.parse(date) - day))).to.include({ date, reached: false, successor: "alloy" });
    expect(endOfLifeState("promtail", new Date(Date.parse(date)))).to.include({ date, reached: true });
    expect(endOfLifeState("grafana", new Date())).to.equal(undefined);
  });

  it("digestOfRepoDigest takes the digest after the @ of a repo digest, and nothing else", () => {
    const digest = sha256Digest("myoci n10");
    expect(digestOfRepoDigest(`docker.io/grafana/grafana@${digest}`)).to.equal(digest);
    expect(digestOfRepoDigest(`docker.io/grafana/grafana@${digest.toUpperCase()}`)).to.equal(undefined);
    expect(digestOfRepoDigest(digest)).to.equal(undefined);
  });
});
