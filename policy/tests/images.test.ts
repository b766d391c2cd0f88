import { expect } from "chai";
import {
  disallowFloatingImageTags,
  enforceCanonicalRepository,
  enforceCompatibleVersions,
  enforceDigestTagBinding,
  requireDigestProvenance,
  requireImageDigest,
  requirePinnedContainerImage,
} from "../policies";
import type { RecordedResource } from "../offline/types";
import { UNKNOWN } from "../../config/unknown";
import {
  changed,
  container,
  find,
  FIXTURE_RECORDS,
  programStack,
  NotApplicable,
  remoteImage,
  replace,
  setLabel,
  stackImages,
  testDigest,
  validate,
  validateStack,
} from "./helpers";
import { LABEL } from "../../catalog";

const pins = stackImages("prod");
const stagingPins = stackImages("staging");
const loki = pins.loki!;
const lokiRef = `docker.io/grafana/loki:3.0.0@${loki.digest}`;
let prod: RecordedResource[];
let staging: RecordedResource[];
let volume: RecordedResource;
let build: RecordedResource;

before(async () => {
  prod = await programStack("prod");
  staging = await programStack("staging");
  volume = find(prod, "docker:index/volume:Volume", "loki");
  build = find(prod, "docker:index/image:Image", "forwarderBase");
});

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
    const r = changed(container(prod, "loki"), (i) => setLabel(i, LABEL.version, "edge"));
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
    const missing = changed(container(prod, "loki"), (i) => (i["labels"] = i["labels"].filter((l: { label: string }) => l.label !== LABEL.digest)));
    expect(await validate(requireImageDigest, missing)).to.deep.equal(["Label myoci.digest is missing: every myoci container records the digest it runs."]);
    const short = changed(container(prod, "loki"), (i) => setLabel(i, LABEL.digest, "sha256:abc"));
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
      `Image docker.io/someone/loki:3.0.0@${loki.digest} (loki-server-image.name) runs Loki from docker.io/someone/loki, but the catalog's canonical repository for loki is docker.io/grafana/loki.`,
    ]);
  });
  it("refuses an image of no catalog repository", async () => {
    const orphan = {
      ...changed(remoteImage(prod, "loki"), (i) => (i["name"] = `quay.io/x/y:1.0.0@${loki.digest}`)),
      urn: "urn:pulumi:prod::myoci::docker:index/remoteImage:RemoteImage::stray",
      opts: {},
    };
    expect(await validateStack(enforceCanonicalRepository, [...prod, orphan])).to.deep.equal([
      `Image quay.io/x/y:1.0.0@${loki.digest} (loki-server-image.name) is not from a catalog repository: quay.io/x/y belongs to no component.`,
    ]);
  });
  it("refuses a tag outside the component's scheme", async () => {
    const r = changed(remoteImage(prod, "loki"), (i) => (i["name"] = lokiRef.replace(":3.0.0@", ":v3.0.0@")));
    expect(await validateStack(enforceCanonicalRepository, replace(prod, r))).to.deep.equal([
      `Image ${lokiRef.replace(":3.0.0@", ":v3.0.0@")} (loki-server-image.name): "v3.0.0" has a leading "v" (expected no leading v, 3 numeric parts (e.g. 1.2.3)).`,
    ]);
  });
});

describe("policy enforce-compatible-versions", () => {
  it("passes the shipped stacks", async () => {
    expect(await validateStack(enforceCompatibleVersions, prod)).to.deep.equal([]);
    expect(await validateStack(enforceCompatibleVersions, staging)).to.deep.equal([]);
  });
  it("refuses Loki 3.0 with Promtail 2.9", async () => {
    const stack = await programStack("prod", { images: { promtail: { tag: "2.9.0", digest: pins.promtail!.digest } } });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "Promtail 2.9.0 and Loki 3.0.0 must share major.minor (2.9 ≠ 3.0). (rule loki-promtail-same-minor)",
    ]);
  });
  it("refuses NetBird management 0.77.0 with signal 0.76.1", async () => {
    const stack = await programStack("staging", { images: { netbirdSignal: pins.netbirdSignal! } });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "NetBird servers must run one version, found management 0.77.0, signal 0.76.1, relay 0.77.0. (rule netbird-one-version)",
    ]);
  });
  it("refuses Zitadel v4 with PostgreSQL 13, unless an exception with a reason is configured", async () => {
    const stack = await programStack("prod", {
      images: { postgres: { tag: "13.22-alpine", digest: pins.postgres!.digest } },
      config: { postgresDataMajor: 13 },
    });
    expect(await validateStack(enforceCompatibleVersions, stack)).to.deep.equal([
      "Zitadel 4.9.2 supports PostgreSQL 14–18, not PostgreSQL 13.22. (rule zitadel-postgres-supported)",
    ]);
    expect(await validateStack(enforceCompatibleVersions, stack, { exceptions: [{ rule: "zitadel-postgres-supported", reason: "test" }] })).to.deep.equal([]);
  });
  it("refuses one component at two versions", async () => {
    const second = { ...changed(container(prod, "loki"), (i) => setLabel(i, LABEL.version, "3.0.1")), urn: "urn:second-loki" };
    expect(await validateStack(enforceCompatibleVersions, [...prod, second])).to.deep.equal([
      "loki runs two versions in one stack (3.0.0 and 3.0.1): one component, one pin.",
    ]);
  });
});

describe("policy require-pinned-container-image", () => {
  it("passes every container of both shipped stacks (the RemoteImage's id, the forwarder's build)", async () => {
    expect(await validateStack(requirePinnedContainerImage, prod)).to.deep.equal([]);
    expect(await validateStack(requirePinnedContainerImage, staging)).to.deep.equal([]);
  });
  it("refuses a container whose image is another image while labels and RemoteImage stay pinned", async () => {
    const evil = changed(container(prod, "grafana"), (i) => (i["image"] = "docker.io/evil/grafana:latest"));
    expect(await validateStack(requirePinnedContainerImage, replace(prod, evil))).to.deep.equal([
      `myoci-prod-grafana runs image "docker.io/evil/grafana:latest", not the pinned Grafana 12.0.2 @ ${pins.grafana!.digest}: set image to the pinned RemoteImage's imageId (or the pinned reference).`,
    ]);
  });
  it("refuses another component's RemoteImage id, and accepts the pinned reference itself", async () => {
    const loki = remoteImage(prod, "loki");
    const swapped = changed(container(prod, "grafana"), (i) => (i["image"] = loki.state["imageId"]));
    expect(await validateStack(requirePinnedContainerImage, replace(prod, swapped))).to.have.length(1);
    const literal = changed(container(prod, "grafana"), (i) => (i["image"] = `docker.io/grafana/grafana:12.0.2@${pins.grafana!.digest}`));
    expect(await validateStack(requirePinnedContainerImage, replace(prod, literal))).to.deep.equal([]);
  });
  it("decides in a preview from the image's dependency on the pinned RemoteImage", async () => {
    const preview = await programStack("prod", { preview: true });
    const grafana = container(preview, "grafana");
    expect(grafana.inputs["image"]).to.equal(UNKNOWN);
    expect(await validateStack(requirePinnedContainerImage, preview)).to.deep.equal([]);
    const other = changed(
      grafana,
      (_, r) => ((r as unknown as { propertyDependencies: Record<string, string[]> }).propertyDependencies = { image: [remoteImage(preview, "loki").urn] }),
    );
    expect(await validateStack(requirePinnedContainerImage, replace(preview, other))).to.have.length(1);
  });
});

describe("policy enforce-digest-tag-binding", () => {
  it("passes the shipped stacks against the fixture records", async () => {
    expect(await validateStack(enforceDigestTagBinding, prod, FIXTURE_RECORDS)).to.deep.equal([]);
    expect(await validateStack(enforceDigestTagBinding, staging, FIXTURE_RECORDS)).to.deep.equal([]);
  });
  it("refuses Grafana 12.0.2 pinned with the digest of 13.0.2 (a digest the project knows for another tag), in staging too", async () => {
    const digest = stagingPins.grafana!.digest;
    const stack = await programStack("prod", { images: { grafana: { tag: "12.0.2", digest } } });
    const messages = await validateStack(enforceDigestTagBinding, stack, FIXTURE_RECORDS);
    expect(messages).to.deep.equal([
      `Grafana 12.0.2 @ ${digest}: the project knows this digest as grafana 13.0.2 (tests/fixtures/project/Pulumi.staging.yaml and 1 more), not as grafana 12.0.2. A digest of another tag runs another version than the stack says.`,
    ]);
    const onStaging = await programStack("staging", { images: { grafana: { tag: "12.0.2", digest: pins.grafana!.digest } } });
    expect(await validateStack(enforceDigestTagBinding, onStaging, FIXTURE_RECORDS)).to.have.length(0);
    const wrongOnStaging = await programStack("staging", { images: { grafana: { tag: "13.0.1", digest } } });
    expect(await validateStack(enforceDigestTagBinding, wrongOnStaging, FIXTURE_RECORDS)).to.have.length(1);
  });
  it("refuses one digest pinned under two components", async () => {
    const stack = await programStack("prod", { images: { netbirdSignal: { tag: "0.76.1", digest: pins.netbirdManagement!.digest } } });
    const messages = await validateStack(enforceDigestTagBinding, stack, FIXTURE_RECORDS);
    expect(messages[0]).to.equal(
      `${pins.netbirdManagement!.digest} is pinned for netbirdManagement 0.76.1 and netbirdSignal 0.76.1: one digest is one image, so at least one of these pins is wrong.`,
    );
  });
  it("accepts a digest under two tags of one component only when the tags are configured as aliases", async () => {
    const stack = await programStack("prod", { images: { grafana: { tag: "12.0.2", digest: stagingPins.grafana!.digest } } });
    const aliases = [{ component: "grafana", tags: ["12.0.2", "13.0.2"], reason: "test: one image under two tags" }];
    expect(await validateStack(enforceDigestTagBinding, stack, { ...FIXTURE_RECORDS, aliases })).to.deep.equal([]);
  });
});

describe("policy require-digest-provenance", () => {
  it("passes the shipped pins (seeded from the reference file)", async () => {
    expect(await validateStack(requireDigestProvenance, prod, FIXTURE_RECORDS)).to.deep.equal([]);
    expect(await validateStack(requireDigestProvenance, staging, FIXTURE_RECORDS)).to.deep.equal([]);
  });
  it("refuses a hand-typed digest no tool ever resolved", async () => {
    const digest = testDigest("hand-typed grafana digest");
    const stack = await programStack("staging", { images: { grafana: { tag: "13.0.2", digest } } });
    expect(await validateStack(requireDigestProvenance, stack, FIXTURE_RECORDS)).to.deep.equal([
      `Grafana 13.0.2 @ ${digest} has no provenance in tests/fixtures/project/provenance.yaml: no tool resolved this pair. Pin it with npx myoci pin grafana 13.0.2 (which resolves the digest from the registry and records it).`,
    ]);
  });
});
