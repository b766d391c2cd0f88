/** The provenance record (config/provenance.ts): written by the tools that resolve digests, checked by the pack. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { pinComponent, type DigestResolver } from "../../cli/app/pin";
import { ConfigError } from "../../config/schema";
import { originOf, provenancePath, readProvenance, recordProvenance, registryResolution } from "../../config/provenance";
import { startLocalRegistry, type LocalRegistry } from "../../tests/helpers/local-registry";
import { stackFileText, testDigest } from "../../tests/helpers/stack-fixture";
import { requireDigestProvenance } from "../policies";
import { programStack, validateStack } from "./helpers";

/** HEAD on the manifest of the local registry, as the registry client does. */
class HeadResolver implements DigestResolver {
  constructor(private readonly registry: LocalRegistry) {}
  async resolveDigest(_registry: string, repository: string, tag: string): Promise<string> {
    const response = await fetch(`${this.registry.url}/v2/${repository}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json" },
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    return response.headers.get("docker-content-digest")!;
  }
}

describe("provenance record", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h12-provenance-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("appends records once (an exact repeat is skipped), keeping the header", () => {
    const file = path.join(dir, "provenance.yaml");
    const record = registryResolution("loki", { tag: "3.0.1", digest: testDigest("loki 3.0.1") }, "rollout", "application/vnd.oci.image.index.v1+json");
    recordProvenance(file, [record]);
    recordProvenance(file, [record]);
    expect(readProvenance(file)).to.deep.equal([record]);
    expect(readFileSync(file, "utf8")).to.match(/^# Provenance of every pinned tag \+ digest/);
    expect(originOf(readProvenance(file), "loki", "3.0.1", record.digest)?.mediaType).to.equal("application/vnd.oci.image.index.v1+json");
    expect(originOf(readProvenance(file), "loki", "3.0.2", record.digest)).to.equal(undefined);
  });

  it("refuses an invalid record, naming file and key, and writes nothing", () => {
    const file = path.join(dir, "provenance.yaml");
    let error: ConfigError | undefined;
    try {
      recordProvenance(file, [{ ...registryResolution("loki", { tag: "3.0.1", digest: "sha256:abc" }, "pin") }]);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.message).to.contain("provenance.yaml");
    expect(error?.message).to.contain("records[new 0].digest");
    expect(() => readFileSync(file)).to.throw();
  });

  describe("written by myoci pin, accepted by the pack", () => {
    let registry: LocalRegistry;
    before(async () => (registry = await startLocalRegistry()));
    after(async () => registry?.stop());

    it("a digest pin resolved records registry, time and tool; a hand-given --digest records nothing", async () => {
      writeFileSync(path.join(dir, "Pulumi.t.yaml"), stackFileText());
      const digest = await registry.pushTinyImage("grafana/loki", "3.0.1", "h12 loki 3.0.1 layer");
      const outcome = await pinComponent({ projectDir: dir, stack: "t", component: "loki", tag: "3.0.1" }, new HeadResolver(registry));
      expect(outcome.exitCode).to.equal(0);
      const [record] = readProvenance(provenancePath(dir));
      expect(record).to.include({ component: "loki", tag: "3.0.1", digest, origin: "registry", tool: "pin", registry: "docker.io" });
      expect(Date.parse(record!.resolvedAt)).to.be.closeTo(Date.now(), 60_000);
      await pinComponent({ projectDir: dir, stack: "t", component: "grafana", tag: "12.0.2", digest: testDigest("hand typed") }, new HeadResolver(registry));
      expect(readProvenance(provenancePath(dir))).to.have.length(1);

      const stack = await programStack("prod", { images: { loki: { tag: "3.0.1", digest } } });
      const file = path.relative(path.resolve(__dirname, "..", ".."), provenancePath(dir));
      const messages = await validateStack(requireDigestProvenance, stack, { provenanceFile: file });
      expect(messages.some((m) => m.startsWith("Loki 3.0.1"))).to.equal(false);
      expect(messages.some((m) => m.startsWith("Grafana 12.0.2"))).to.equal(true);
    });
  });
});
