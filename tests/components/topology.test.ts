import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluateProgram, type EvaluationResult, type RecordedResource } from "../../program/evaluate";
import { stackFileText } from "../helpers/stack-fixture";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";

/** Networks a container joins, by the Network resource whose `name` it names. */
function networksOf(result: EvaluationResult, container: RecordedResource): RecordedResource[] {
  const names = (container.inputs["networksAdvanced"] as { name: string }[]).map((n) => n.name);
  return names.map((name) => {
    const network = result.resources.find((r) => r.type === NETWORK && r.inputs["name"] === name);
    if (!network) throw new Error(`${container.name} joins unknown network ${name}`);
    return network;
  });
}

const ports = (container: RecordedResource) => (container.inputs["ports"] as { ip: string; external: number; protocol: string }[] | undefined) ?? [];

describe("network topology (Docker publishes no port of a container only on internal networks, moby/moby#36174)", function () {
  this.timeout(60000);
  const results: Record<string, EvaluationResult> = {};
  let dir = "";

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-topology-"));
    for (const shipper of ["promtail", "alloy"] as const) {
      writeFileSync(path.join(dir, `Pulumi.${shipper}.yaml`), stackFileText({ logShipper: shipper }));
      results[shipper] = await evaluateProgram({ stack: shipper, projectDir: dir });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const shipper of ["promtail", "alloy"]) {
    it(`attaches every container that publishes a port to a network that is not internal (${shipper})`, () => {
      const result = results[shipper]!;
      const publishing = result.resources.filter((r) => r.type === CONTAINER && ports(r).length > 0);
      expect(publishing.length).to.be.greaterThan(8);
      for (const container of publishing) {
        const outside = networksOf(result, container).filter((n) => n.inputs["internal"] !== true);
        expect(
          outside.map((n) => n.inputs["name"]),
          String(container.inputs["name"]),
        ).to.not.be.empty;
      }
    });
  }

  it("keeps Loki, Netdata and the log shipper on 127.0.0.1 through the loopback network, and PostgreSQL unpublished on internal only", () => {
    const result = results["alloy"]!;
    const container = (service: string) => result.resources.find((r) => r.type === CONTAINER && r.inputs["name"] === `myoci-alloy-${service}`)!;
    for (const service of ["loki", "netdata", "alloy"]) {
      const c = container(service);
      expect(ports(c).map((p) => p.ip)).to.satisfy((ips: string[]) => ips.length > 0 && ips.every((ip) => ip === "127.0.0.1"));
      expect(networksOf(result, c).map((n) => n.inputs["name"])).to.include("myoci-alloy-loopback");
    }
    const postgres = container("postgres");
    expect(ports(postgres)).to.deep.equal([]);
    expect(networksOf(result, postgres).map((n) => [n.inputs["name"], n.inputs["internal"]])).to.deep.equal([["myoci-alloy-internal", true]]);
  });
});
