import { expect } from "chai";
import { disallowFloatingImageTags, enforceCanonicalRepository, enforceCompatibleVersions, requireImageDigest } from "../policies";
import { changed, container, find, fixtureStack, NotApplicable, remoteImage, replace, setLabel, stackImages, validate, validateStack } from "./helpers";

const prod = fixtureStack("prod");
const staging = fixtureStack("staging");
const pins = stackImages("prod");
const loki = pins.loki!;
const lokiRef = `docker.io/grafana/loki:3.0.0@${loki.digest}`;
const volume = find(prod, "docker:index/volume:Volume", "loki");
const build = find(prod, "docker:index/image:Image", "forwarderbase");

describe("policy disallow-floating-image-tags", () => {
  it("passes the compliant RemoteImage, Image and Container", async () => {
    expect(await validate(disallowFloatingImageTags, remoteImage(prod, "loki"))).to.deep.equal([]);
    expect(await validate(disallowFloatingImageTags, build)).to.deep.equal([]);
    expect(await validate(disallowFloatingImageTags, container(prod, "loki"))).to.deep.equal([]);
  });
  it("does not apply to volumes", async () => {
    let error: unknown;
    await validate(disallowFloatingImageTags, volume).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(NotApplicable);
  });
  it("refuses :latest", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:latest@${loki.digest}`));
    expect(await validate(disallowFloatingImageTags, r)).to.deep.equal([
      `Image docker.io/grafana/loki:latest@${loki.digest} (name) uses the floating tag "latest": pin a release tag and its digest.`,
    ]);
  });
  it("refuses a reference without a tag", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = `docker.io/grafana/loki@${loki.digest}`));
    expect(await validate(disallowFloatingImageTags, r)).to.deep.equal([
      `Image docker.io/grafana/loki@${loki.digest} (name) has no tag: pin a release tag and its digest.`,
    ]);
  });
  it("refuses a floating build base image (case-insensitive)", async () => {
    const r = changed(build, (i) => (i["build"].args.BASE_IMAGE = "python:Stable"));
    expect(await validate(disallowFloatingImageTags, r)).to.deep.equal([
      `Image python:Stable (build.args.BASE_IMAGE) uses the floating tag "Stable": pin a release tag and its digest.`,
    ]);
  });
  it("refuses a floating version label on a container", async () => {
    const r = changed(container(prod, "loki"), (i) => setLabel(i, "myoci.version", "edge"));
    expect(await validate(disallowFloatingImageTags, r)).to.deep.equal([`Label myoci.version="edge" is a floating tag: pin a release tag and its digest.`]);
  });
  it("takes the floating tag list from policy config", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:lts@${loki.digest}`));
    expect(await validate(disallowFloatingImageTags, r)).to.deep.equal([]);
    expect(await validate(disallowFloatingImageTags, r, { floatingTags: ["lts"] })).to.have.length(1);
  });
});

describe("policy require-image-digest", () => {
  it("passes the compliant RemoteImage, Image and Container", async () => {
    expect(await validate(requireImageDigest, remoteImage(prod, "loki"))).to.deep.equal([]);
    expect(await validate(requireImageDigest, build)).to.deep.equal([]);
    expect(await validate(requireImageDigest, container(prod, "loki"))).to.deep.equal([]);
  });
  it("refuses a reference without a digest", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = "docker.io/grafana/loki:3.0.0"));
    expect(await validate(requireImageDigest, r)).to.deep.equal([
      "Image docker.io/grafana/loki:3.0.0 (name) has no digest: append @sha256:<64 lower-case hex digits> (the multi-arch index digest).",
    ]);
  });
  it("refuses an upper-case digest", async () => {
    const upper = `sha256:${loki.digest.slice(7).toUpperCase()}`;
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:3.0.0@${upper}`));
    expect(await validate(requireImageDigest, r)).to.deep.equal([
      `Image docker.io/grafana/loki:3.0.0@${upper} (name) has digest "${upper}", which is not sha256: followed by 64 lower-case hex digits.`,
    ]);
  });
  it("refuses a container without or with a malformed digest label", async () => {
    const missing = changed(container(prod, "loki"), (i) => (i["labels"] = i["labels"].filter((l: { label: string }) => l.label !== "myoci.digest")));
    expect(await validate(requireImageDigest, missing)).to.deep.equal(["Label myoci.digest is missing: every myoci container records the digest it runs."]);
    const short = changed(container(prod, "loki"), (i) => setLabel(i, "myoci.digest", "sha256:abc"));
    expect(await validate(requireImageDigest, short)).to.deep.equal(['Label myoci.digest="sha256:abc" is not sha256: followed by 64 lower-case hex digits.']);
  });
});

describe("policy enforce-canonical-repository", () => {
  it("passes the shipped stacks' images", async () => {
    expect(await validateStack(enforceCanonicalRepository, prod)).to.deep.equal([]);
    expect(await validateStack(enforceCanonicalRepository, staging)).to.deep.equal([]);
  });
  it("refuses a component's image from another repository (found through its container)", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = `docker.io/someone/loki:3.0.0@${loki.digest}`));
    expect(await validateStack(enforceCanonicalRepository, replace(prod, r))).to.deep.equal([
      `Image docker.io/someone/loki:3.0.0@${loki.digest} (loki-image.name) runs Loki from docker.io/someone/loki, but the catalog's canonical repository for loki is docker.io/grafana/loki.`,
    ]);
  });
  it("refuses an image of no catalog repository", async () => {
    const orphan = {
      ...changed(remoteImage(prod, "loki"), (i) => (i["name"] = `quay.io/x/y:1.0.0@${loki.digest}`)),
      urn: "urn:pulumi:prod::myoci::docker:index/remoteImage:RemoteImage::stray",
      opts: {},
    };
    expect(await validateStack(enforceCanonicalRepository, [...prod, orphan])).to.deep.equal([
      `Image quay.io/x/y:1.0.0@${loki.digest} (loki-image.name) is not from a catalog repository: quay.io/x/y belongs to no component.`,
    ]);
  });
  it("refuses a tag outside the component's scheme", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = lokiRef.replace(":3.0.0@", ":v3.0.0@")));
    expect(await validateStack(enforceCanonicalRepository, replace(prod, r))).to.deep.equal([
      `Image ${lokiRef.replace(":3.0.0@", ":v3.0.0@")} (loki-image.name): "v3.0.0" has a leading "v" (expected no leading v, 3 numeric parts (e.g. 1.2.3)).`,
    ]);
  });
});

describe("policy enforce-compatible-versions", () => {
  it("passes the shipped stacks", async () => {
    expect(await validateStack(enforceCompatibleVersions, prod)).to.deep.equal([]);
    expect(await validateStack(enforceCompatibleVersions, staging)).to.deep.equal([]);
  });
  it("refuses Loki 3.0 with Promtail 2.9", async () => {
    const stack = fixtureStack("prod", { promtail: { tag: "2.9.0", digest: pins.promtail!.digest } });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "Promtail 2.9.0 and Loki 3.0.0 must share major.minor (2.9 ≠ 3.0). (rule loki-promtail-same-minor)",
    ]);
  });
  it("refuses NetBird management 0.77.0 with signal 0.76.1", async () => {
    const stack = fixtureStack("staging", { netbirdSignal: pins.netbirdSignal! });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "NetBird servers must run one version, found management 0.77.0, signal 0.76.1, relay 0.77.0. (rule netbird-one-version)",
    ]);
  });
  it("refuses Zitadel v4 with PostgreSQL 13, unless an exception with a reason is configured", async () => {
    const stack = fixtureStack("prod", { postgres: { tag: "13.22-alpine", digest: pins.postgres!.digest } });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "Zitadel 4.9.2 supports PostgreSQL 14–18, not PostgreSQL 13.22. (rule zitadel-postgres-supported)",
    ]);
    expect(await validateStack(enforceCompatibleVersions, stack, { exceptions: [{ rule: "zitadel-postgres-supported", reason: "test" }] })).to.deep.equal([]);
  });
  it("refuses one component at two versions", async () => {
    const second = { ...changed(container(prod, "loki"), (i) => setLabel(i, "myoci.version", "3.0.1")), urn: "urn:second-loki" };
    expect(await validateStack(enforceCompatibleVersions, [...prod, second])).to.deep.equal([
      "loki runs two versions in one stack (3.0.0 and 3.0.1): one component, one pin.",
    ]);
  });
});
