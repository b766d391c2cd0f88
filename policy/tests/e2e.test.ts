/**
 * End to end through the gRPC path the Pulumi CLI uses: the pack served by the SDK's run-policy-pack entry
 * (started once for this file), configured, then Analyze per resource and AnalyzeStack.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { evaluateProgram } from "../../program/evaluate";
import { checkWithServer, packConfigFor, stackConfigEnv } from "../offline/check";
import type { PackConfig } from "../offline/policy-config";
import { PolicyPackServer } from "../offline/server";
import type { RecordedResource } from "../offline/types";
import { changed, container, find, fixtureStack, remoteImage, replace, ROOT, stackImages, testDigest } from "./helpers";

const prodPins = stackImages("prod");
const stagingPins = stackImages("staging");

function withNow(config: PackConfig, now: string, acceptances?: unknown[]): PackConfig {
  const copy = structuredClone(config);
  for (const name of ["warn-end-of-life", "warn-open-vulnerabilities", "disallow-overdue-vulnerabilities"]) {
    copy[name]!.properties["now"] = now;
  }
  if (acceptances) copy["disallow-overdue-vulnerabilities"]!.properties["acceptances"] = acceptances;
  return copy;
}

describe("policy pack end to end (gRPC, as the Pulumi CLI serves it)", function () {
  this.timeout(120_000);
  let server: PolicyPackServer;

  before(async () => {
    server = await PolicyPackServer.start({ stack: "prod", stackConfig: stackConfigEnv(ROOT, "prod") });
  });
  after(async () => {
    await server?.stop();
  });

  /** Mandatory findings as "policy: message". */
  async function mandatory(stack: string, resources: readonly RecordedResource[], config: PackConfig = packConfigFor(stack)): Promise<string[]> {
    const report = await checkWithServer(server, stack, resources, config);
    expect(report.passed).to.equal(report.mandatory === 0);
    return report.findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`);
  }

  it("reports the pack and its 19 policies over GetAnalyzerInfo", async () => {
    const info = await server.info();
    expect(info.name).to.equal("myoci");
    expect(info.version).to.equal("0.2.0");
    expect(info.policies).to.have.length(19);
    expect(info.policies.find((p) => p.name === "warn-end-of-life")?.enforcementLevel).to.equal("advisory");
  });

  it("passes the shipped stacks as the program declares them (prod: Promtail's end of life is advisory only)", async () => {
    for (const stack of ["staging", "prod"]) {
      const { resources } = await evaluateProgram({ stack });
      const report = await checkWithServer(server, stack, resources, withNow(packConfigFor(stack), "2026-11-25T12:00:00Z"));
      expect(report.mandatory, `${stack}: ${JSON.stringify(report.findings)}`).to.equal(0);
      expect(report.findings.map((f) => `${f.level} ${f.policy} ${f.resource?.name}`)).to.deep.equal(
        stack === "prod" ? ["advisory warn-end-of-life promtail-agent-container"] : [],
      );
    }
  });

  it("refuses :latest", async () => {
    const stack = replace(
      fixtureStack("prod"),
      changed(remoteImage(fixtureStack("prod"), "loki"), (i) => (i["name"] = `docker.io/grafana/loki:latest@${prodPins.loki!.digest}`)),
    );
    expect(await mandatory("prod", stack)).to.deep.equal([
      `disallow-floating-image-tags: Image docker.io/grafana/loki:latest@${prodPins.loki!.digest} (name) uses the floating tag "latest": pin a release tag and its digest.`,
    ]);
  });

  it("refuses a missing digest and an upper-case digest", async () => {
    const base = fixtureStack("prod");
    const missing = replace(
      base,
      changed(remoteImage(base, "loki"), (i) => (i["name"] = "docker.io/grafana/loki:3.0.0")),
    );
    expect(await mandatory("prod", missing)).to.deep.equal([
      "require-image-digest: Image docker.io/grafana/loki:3.0.0 (name) has no digest: append @sha256:<64 lower-case hex digits> (the multi-arch index digest).",
    ]);
    const upper = `sha256:${prodPins.loki!.digest.slice(7).toUpperCase()}`;
    const upperStack = replace(
      base,
      changed(remoteImage(base, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:3.0.0@${upper}`)),
    );
    expect(await mandatory("prod", upperStack)).to.deep.equal([
      `require-image-digest: Image docker.io/grafana/loki:3.0.0@${upper} (name) has digest "${upper}", which is not sha256: followed by 64 lower-case hex digits.`,
    ]);
  });

  it("refuses a wrong repository", async () => {
    const base = fixtureStack("prod");
    const stack = replace(
      base,
      changed(remoteImage(base, "grafana"), (i) => (i["name"] = `docker.io/bitnami/grafana:12.0.2@${prodPins.grafana!.digest}`)),
    );
    expect(await mandatory("prod", stack)).to.deep.equal([
      `enforce-canonical-repository: Image docker.io/bitnami/grafana:12.0.2@${prodPins.grafana!.digest} (grafana-image.name) runs Grafana from docker.io/bitnami/grafana, but the catalog's canonical repository for grafana is docker.io/grafana/grafana.`,
    ]);
  });

  it("refuses Loki 3.x with Promtail 2.9", async () => {
    expect(await mandatory("prod", fixtureStack("prod", { promtail: { tag: "2.9.0", digest: prodPins.promtail!.digest } }))).to.deep.equal([
      "enforce-compatible-versions: Promtail 2.9.0 and Loki 3.0.0 must share major.minor (2.9 ≠ 3.0). (rule loki-promtail-same-minor)",
    ]);
  });

  it("refuses NetBird management 0.77.0 with signal 0.76.1", async () => {
    expect(await mandatory("staging", fixtureStack("staging", { netbirdSignal: prodPins.netbirdSignal! }))).to.deep.equal([
      "enforce-compatible-versions: NetBird servers must run one version, found management 0.77.0, signal 0.76.1, relay 0.77.0. (rule netbird-one-version)",
    ]);
  });

  it("refuses Zitadel v4 with PostgreSQL 13", async () => {
    expect(await mandatory("staging", fixtureStack("staging", { postgres: { tag: "13.22-alpine", digest: stagingPins.postgres!.digest } }))).to.deep.equal([
      "enforce-compatible-versions: Zitadel 4.13.1 supports PostgreSQL 14–18, not PostgreSQL 13.22. (rule zitadel-postgres-supported)",
    ]);
  });

  it("refuses a privileged container, a read-write Docker socket and Loki on 0.0.0.0:3100", async () => {
    const base = fixtureStack("prod");
    expect(
      await mandatory(
        "prod",
        replace(
          base,
          changed(container(base, "grafana"), (i) => (i["privileged"] = true)),
        ),
      ),
    ).to.deep.equal([
      "disallow-privileged-containers: myoci-prod-grafana runs privileged (full access to the host): drop privileged and add only the capabilities it needs.",
    ]);
    const rw = changed(
      container(base, "promtail"),
      (i) => (i["volumes"].find((v: { hostPath?: string }) => v.hostPath === "/var/run/docker.sock").readOnly = false),
    );
    expect(await mandatory("prod", replace(base, rw))).to.deep.equal([
      "require-readonly-docker-socket: myoci-prod-promtail mounts the Docker socket /var/run/docker.sock read-write at /var/run/docker.sock: mount it with readOnly = true.",
    ]);
    expect(
      await mandatory(
        "prod",
        replace(
          base,
          changed(container(base, "loki"), (i) => (i["ports"][0].ip = "0.0.0.0")),
        ),
      ),
    ).to.deep.equal([
      "disallow-public-ports: myoci-prod-loki publishes 0.0.0.0:3100/tcp (container port 3100) beyond the host: bind it to 127.0.0.1 or allowlist it with a reason.",
    ]);
  });

  it("refuses an unprotected Postgres volume (protect travels in the Analyze options)", async () => {
    const base = fixtureStack("prod");
    const stack = replace(
      base,
      changed(find(base, "docker:index/volume:Volume", "postgres"), (_, r) => (r.opts["protect"] = false)),
    );
    expect(await mandatory("prod", stack)).to.deep.equal([
      "require-protected-data-volumes: Volume myoci-prod-postgres-data holds PostgreSQL data but is not protected: set protect (and retainOnDelete) so no update or destroy can delete it.",
    ]);
  });

  it("refuses a prod digest staging never ran (and passes it on staging, where the gate is disabled)", async () => {
    const digest = testDigest("e2e grafana never on staging");
    const prodStack = fixtureStack("prod", { grafana: { tag: "12.0.2", digest } });
    expect(await mandatory("prod", prodStack)).to.deep.equal([
      `require-verified-promotion: Grafana 12.0.2 @ ${digest} was never run and verified on staging: not in staging's stack outputs nor in promotions.yaml (verified on staging or adopted by prod). Roll it out on staging first, then promote it.`,
    ]);
    expect(await mandatory("staging", fixtureStack("staging", { grafana: { tag: "13.0.2", digest } }))).to.deep.equal([]);
  });

  it("refuses a critical advisory past its deadline, and an accepted risk that has expired", async () => {
    const stack = fixtureStack("staging", { grafana: { tag: "11.0.0", digest: prodPins.grafana!.digest } });
    const overdue =
      "disallow-overdue-vulnerabilities: myoci-staging-grafana runs Grafana 11.0.0, affected by CVE-2024-9264 (critical), overdue since 2026-11-26T00:00:00.000Z: update to a fixed version (11.0.5-security-01, 11.1.6, 11.2.1) or accept the risk with a reason and an expiry.";
    expect(await mandatory("staging", stack, withNow(packConfigFor("staging"), "2026-11-25T23:00:00Z"))).to.deep.equal([]);
    expect(await mandatory("staging", stack, withNow(packConfigFor("staging"), "2026-11-26T01:00:00Z"))).to.deep.equal([overdue]);
    const acceptance = { id: "CVE-2024-9264", reason: "DuckDB is not on PATH in the image", expires: "2026-11-28" };
    expect(await mandatory("staging", stack, withNow(packConfigFor("staging"), "2026-11-27T00:00:00Z", [acceptance]))).to.deep.equal([]);
    expect(await mandatory("staging", stack, withNow(packConfigFor("staging"), "2026-11-28T00:00:00Z", [acceptance]))).to.deep.equal([
      `${overdue} The risk acceptance of CVE-2024-9264 ("DuckDB is not on PATH in the image") expired on 2026-11-28.`,
    ]);
  });
});

describe("npm run policy (the offline runner as CI calls it)", function () {
  this.timeout(180_000);
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, "scripts", "run-ts.js"), path.join(ROOT, "policy", "offline", "run.ts"), ...args],
        { cwd: ROOT },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "myoci-policy-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 on the shipped prod stack, printing the advisory finding grouped under its resource", async () => {
    const { code, stdout } = await run(["policy", "--stack", "prod"]);
    expect(code).to.equal(0);
    expect(stdout).to.contain(
      "myoci-prod-promtail  (docker:index/container:Container promtail-agent-container)\n  [advisory] warn-end-of-life: myoci-prod-promtail runs Promtail, end of life since 2026-03-02.",
    );
    expect(stdout.trim().split("\n").pop()).to.equal("PASSED: no mandatory violation.");
  });

  it("exits 1 on a broken resource list and reports it as JSON", async () => {
    const base = fixtureStack("prod");
    const file = path.join(dir, "broken.json");
    writeFileSync(
      file,
      JSON.stringify(
        replace(
          base,
          changed(container(base, "grafana"), (i) => (i["privileged"] = true)),
        ),
      ),
    );
    const { code, stdout } = await run(["policy", "--stack", "prod", "--resources", file, "--json"]);
    expect(code).to.equal(1);
    const report = JSON.parse(stdout) as { passed: boolean; mandatory: number; findings: { policy: string; level: string; resource: { name: string } }[] };
    expect(report.passed).to.equal(false);
    expect(report.mandatory).to.equal(1);
    expect(report.findings.filter((f) => f.level === "mandatory").map((f) => [f.policy, f.resource.name])).to.deep.equal([
      ["disallow-privileged-containers", "grafana-container"],
    ]);
  });

  it("exits 2 naming the problem for an unknown stack", async () => {
    const { code, stderr } = await run(["policy", "--stack", "nope"]);
    expect(code).to.equal(2);
    expect(stderr).to.contain('Pulumi.nope.yaml for stack "nope"');
  });
});
