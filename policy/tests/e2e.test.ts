/**
 * End to end through the gRPC path the Pulumi CLI uses: the pack served by the SDK's run-policy-pack entry
 * (started once for this file), configured, then Analyze per resource and AnalyzeStack.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { CATALOG, type ComponentId } from "../../catalog";
import { recordProvenance } from "../../config/provenance";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { evaluateProgram } from "../../program/evaluate";
import { UNKNOWN } from "../../config/unknown";
import { checkWithServer, packConfigFor } from "../offline/check";
import { stackConfigEnv } from "../offline/pack-process";
import { checkAllowlistNames, inProject } from "../offline/check";
import { PolicyConfigError, type PackConfig } from "../offline/policy-config";
import { allPolicies } from "../policies";
import { PolicyPackServer } from "../offline/server";
import type { RecordedResource } from "../offline/types";
import { changed, container, find, FIXTURE_RECORDS, FIXTURES, programStack, remoteImage, replace, ROOT, stackImages, testDigest } from "./helpers";

const prodPins = stackImages("prod");

/** The shipped pack config, with the record-reading policies pointed at the fixture records. */
function fixtureConfig(stack: string): PackConfig {
  const config = structuredClone(packConfigFor(stack));
  for (const [name, entry] of Object.entries(config)) {
    for (const key of Object.keys(FIXTURE_RECORDS) as (keyof typeof FIXTURE_RECORDS)[]) {
      if (key in entry.properties) config[name]!.properties[key] = FIXTURE_RECORDS[key];
    }
  }
  return config;
}

/** As if `myoci pin` had resolved these test pins: a provenance file with the fixture records and theirs. */
function resolvedBy(config: PackConfig, pins: Record<string, { tag: string; digest: string }>): PackConfig {
  const dir = mkdtempSync(path.join(tmpdir(), "myoci-h12-provenance-"));
  temps.push(dir);
  const file = path.join(dir, "provenance.yaml");
  copyFileSync(path.join(FIXTURES, "provenance.yaml"), file);
  recordProvenance(
    file,
    Object.entries(pins).map(([component, pin]) => ({
      component: component as ComponentId,
      ...pin,
      origin: "registry" as const,
      tool: "pin" as const,
      registry: CATALOG[component as ComponentId].registry,
      repository: `${CATALOG[component as ComponentId].registry}/${CATALOG[component as ComponentId].repository}`,
      resolvedAt: "2026-11-26T00:00:00Z",
    })),
  );
  const copy = structuredClone(config);
  for (const name of ["require-digest-provenance", "enforce-digest-tag-binding"]) copy[name]!.properties["provenanceFile"] = file;
  return copy;
}

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
    server = await PolicyPackServer.start({ stack: "prod", stackConfig: stackConfigEnv(FIXTURES, "prod") });
  });
  after(async () => {
    await server?.stop();
  });

  /** Mandatory findings as "policy: message". */
  async function mandatory(stack: string, resources: readonly RecordedResource[], config: PackConfig = fixtureConfig(stack)): Promise<string[]> {
    const report = await checkWithServer(server, stack, resources, config);
    expect(report.passed).to.equal(report.mandatory === 0);
    return report.findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`);
  }

  it("reports the pack and all its policies over GetAnalyzerInfo", async () => {
    const info = await server.info();
    expect(info.name).to.equal("myoci");
    expect(info.version).to.equal("0.2.0");
    expect(info.policies.map((p) => p.name)).to.deep.equal(allPolicies.map((p) => p.name));
    expect(info.policies.find((p) => p.name === "warn-end-of-life")?.enforcementLevel).to.equal("advisory");
  });

  it("passes the shipped stacks as the program declares them (prod: Promtail's end of life is advisory only)", async () => {
    for (const stack of ["staging", "prod"]) {
      const resources = await programStack(stack);
      const report = await checkWithServer(server, stack, resources, withNow(fixtureConfig(stack), "2026-11-25T12:00:00Z"));
      expect(report.mandatory, `${stack}: ${JSON.stringify(report.findings)}`).to.equal(0);
      expect(report.findings.map((f) => `${f.level} ${f.policy} ${f.resource?.name}`)).to.deep.equal(
        stack === "prod" ? ["advisory warn-end-of-life promtail-agent-container"] : [],
      );
    }
  });

  it("refuses :latest", async () => {
    const base = await programStack("prod");
    const stack = replace(
      base,
      changed(remoteImage(base, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:latest@${prodPins.loki!.digest}`)),
    );
    const found = await mandatory("prod", stack);
    expect(found[0]).to.equal(
      `disallow-floating-image-tags: Image docker.io/grafana/loki:latest@${prodPins.loki!.digest} (name) uses the floating tag "latest": pin a release tag and its digest.`,
    );
    // The digest the project knows as 3.0.0, now called latest: every record-reading policy says so too.
    expect(found.map((f) => f.split(":")[0])).to.deep.equal([
      "disallow-floating-image-tags",
      "enforce-digest-tag-binding",
      "require-digest-provenance",
      "require-verified-promotion",
    ]);
  });

  it("refuses a missing digest and an upper-case digest", async () => {
    const base = await programStack("prod");
    const missing = replace(
      base,
      changed(remoteImage(base, "loki"), (i) => (i["name"] = "docker.io/grafana/loki:3.0.0")),
    );
    expect(await mandatory("prod", missing)).to.deep.equal([
      "require-image-digest: Image docker.io/grafana/loki:3.0.0 (name) has no digest: append @sha256:<64 lower-case hex digits> (the multi-arch index digest).",
      `require-pinned-container-image: myoci-prod-loki runs image "sha256-of:docker.io/grafana/loki:3.0.0@${prodPins.loki!.digest}", not the pinned Loki 3.0.0 @ ${prodPins.loki!.digest}: set image to the pinned RemoteImage's imageId (or the pinned reference).`,
    ]);
    const upper = `sha256:${prodPins.loki!.digest.slice(7).toUpperCase()}`;
    const upperStack = replace(
      base,
      changed(remoteImage(base, "loki"), (i) => (i["name"] = `docker.io/grafana/loki:3.0.0@${upper}`)),
    );
    expect(await mandatory("prod", upperStack)).to.deep.equal([
      `require-image-digest: Image docker.io/grafana/loki:3.0.0@${upper} (name) has digest "${upper}", which is not sha256: followed by 64 lower-case hex digits.`,
      `require-pinned-container-image: myoci-prod-loki runs image "sha256-of:docker.io/grafana/loki:3.0.0@${prodPins.loki!.digest}", not the pinned Loki 3.0.0 @ ${prodPins.loki!.digest}: set image to the pinned RemoteImage's imageId (or the pinned reference).`,
    ]);
  });

  it("refuses a wrong repository", async () => {
    const base = await programStack("prod");
    const stack = replace(
      base,
      changed(remoteImage(base, "grafana"), (i) => (i["name"] = `docker.io/bitnami/grafana:12.0.2@${prodPins.grafana!.digest}`)),
    );
    expect(await mandatory("prod", stack)).to.deep.equal([
      `enforce-canonical-repository: Image docker.io/bitnami/grafana:12.0.2@${prodPins.grafana!.digest} (grafana-server-image.name) runs Grafana from docker.io/bitnami/grafana, but the catalog's canonical repository for grafana is docker.io/grafana/grafana.`,
      `require-pinned-container-image: myoci-prod-grafana runs image "sha256-of:docker.io/grafana/grafana:12.0.2@${prodPins.grafana!.digest}", not the pinned Grafana 12.0.2 @ ${prodPins.grafana!.digest}: set image to the pinned RemoteImage's imageId (or the pinned reference).`,
    ]);
  });

  it("refuses Loki 3.x with Promtail 2.9", async () => {
    const images = { promtail: { tag: "2.9.0", digest: testDigest("e2e promtail 2.9.0") } };
    expect(await mandatory("prod", await programStack("prod", { images }), resolvedBy(fixtureConfig("prod"), images))).to.deep.equal([
      "enforce-version-transitions: Promtail 3.0.0 → 2.9.0 is a downgrade from stack prod's previous deployment (tests/fixtures/project/promotions.yaml, 2026-11-25T00:00:00Z): acknowledge it in policy config (acknowledgedDowngrades, with a reason) if it is intended.",
      `require-verified-promotion: Promtail 2.9.0 @ ${images.promtail.digest} was never run and verified on staging: not in staging's stack outputs nor in promotions.yaml (verified on staging or adopted by prod). Roll it out on staging first, then promote it.`,
      "enforce-compatible-versions: Promtail 2.9.0 and Loki 3.0.0 must share major.minor (2.9 ≠ 3.0). (rule loki-promtail-same-minor)",
    ]);
  });

  it("refuses NetBird management 0.77.0 with signal 0.76.1", async () => {
    // prod's signal pin (its own tag and digest, known to the project): only the version rule is broken.
    expect(await mandatory("staging", await programStack("staging", { images: { netbirdSignal: prodPins.netbirdSignal! } }))).to.deep.equal([
      "enforce-compatible-versions: NetBird servers must run one version, found management 0.77.0, signal 0.76.1, relay 0.77.0. (rule netbird-one-version)",
    ]);
  });

  it("refuses Zitadel v4 with PostgreSQL 13", async () => {
    const images = { postgres: { tag: "13.22-alpine", digest: testDigest("e2e postgres 13.22") } };
    const stack = await programStack("staging", { images, config: { postgresDataMajor: 13 } });
    expect(await mandatory("staging", stack, resolvedBy(fixtureConfig("staging"), images))).to.deep.equal([
      "enforce-compatible-versions: Zitadel 4.13.1 supports PostgreSQL 14–18, not PostgreSQL 13.22. (rule zitadel-postgres-supported)",
    ]);
  });

  it("refuses a privileged container, a read-write Docker socket and Loki on 0.0.0.0:3100", async () => {
    const base = await programStack("prod");
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
      "disallow-writable-host-mounts: myoci-prod-promtail binds the host path /var/run/docker.sock read-write (volumes[1] → /var/run/docker.sock), inside /var/run: mount it read-only or use a named volume.",
      "require-readonly-docker-socket: myoci-prod-promtail mounts the Docker socket /var/run/docker.sock read-write (volumes[1] → /var/run/docker.sock): mount it with readOnly = true.",
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
    const base = await programStack("prod");
    const stack = replace(
      base,
      changed(find(base, "docker:index/volume:Volume", "postgres"), (_, r) => (r.opts["protect"] = false)),
    );
    expect(await mandatory("prod", stack)).to.deep.equal([
      "require-protected-data-volumes: Volume myoci-prod-postgres-var-lib-postgresql-data-pg16 holds PostgreSQL data but is not protected: set protect (and retainOnDelete) so no update or destroy can delete it.",
    ]);
  });

  it("refuses a prod digest staging never ran (and passes it on staging, where the gate is disabled)", async () => {
    const digest = testDigest("e2e grafana never on staging");
    const prodStack = await programStack("prod", { images: { grafana: { tag: "12.0.2", digest } } });
    expect(await mandatory("prod", prodStack, resolvedBy(fixtureConfig("prod"), { grafana: { tag: "12.0.2", digest } }))).to.deep.equal([
      `require-verified-promotion: Grafana 12.0.2 @ ${digest} was never run and verified on staging: not in staging's stack outputs nor in promotions.yaml (verified on staging or adopted by prod). Roll it out on staging first, then promote it.`,
    ]);
    const onStaging = { grafana: { tag: "13.0.2", digest } };
    expect(await mandatory("staging", await programStack("staging", { images: onStaging }), resolvedBy(fixtureConfig("staging"), onStaging))).to.deep.equal([]);
  });

  it("refuses a critical advisory past its deadline, and an accepted risk that has expired", async () => {
    const grafana11 = { tag: "11.0.0", digest: testDigest("e2e grafana 11.0.0") };
    const stack = await programStack("staging", { images: { grafana: grafana11 } });
    const staging = resolvedBy(fixtureConfig("staging"), { grafana: grafana11 });
    const overdue =
      "disallow-overdue-vulnerabilities: myoci-staging-grafana runs Grafana 11.0.0, affected by CVE-2024-9264 (critical), overdue since 2026-11-26T00:00:00.000Z: update to a fixed version (11.0.5-security-01, 11.1.6, 11.2.1) or accept the risk with a reason and an expiry.";
    expect(await mandatory("staging", stack, withNow(staging, "2026-11-25T23:00:00Z"))).to.deep.equal([]);
    expect(await mandatory("staging", stack, withNow(staging, "2026-11-26T01:00:00Z"))).to.deep.equal([overdue]);
    const acceptance = { id: "CVE-2024-9264", reason: "DuckDB is not on PATH in the image", expires: "2026-11-28" };
    expect(await mandatory("staging", stack, withNow(staging, "2026-11-27T00:00:00Z", [acceptance]))).to.deep.equal([]);
    expect(await mandatory("staging", stack, withNow(staging, "2026-11-28T00:00:00Z", [acceptance]))).to.deep.equal([
      `${overdue} The risk acceptance of CVE-2024-9264 ("DuckDB is not on PATH in the image") expired on 2026-11-28.`,
    ]);
  });
});

describe("policy pack: what it sees is what pulumi preview would send", function () {
  this.timeout(120_000);
  const key = (urn: string) => {
    const [qualified, name] = [urn.split("::")[2]!, urn.split("::")[3]!];
    return `${qualified.split("$").pop()}::${name}`;
  };
  const counts = (keys: readonly string[]) => {
    const byType: Record<string, number> = {};
    for (const k of keys) byType[k.split("::")[0]!] = (byType[k.split("::")[0]!] ?? 0) + 1;
    return byType;
  };
  for (const stack of ["staging", "prod"]) {
    it(`${stack}: every resource the program registers (types, names, counts), and nothing else`, async () => {
      const { resources, registered } = await evaluateProgram({ stack, projectDir: FIXTURES });
      const sent = resources.map((r) => `${r.type}::${r.name}`).sort();
      expect(sent).to.deep.equal(registered.map(key).sort());
      expect(new Set(resources.map((r) => r.urn)).size).to.equal(resources.length);
      // The hand-made model this replaces collapsed these: one URN per Netdata volume, both networks.
      const byType = counts(sent);
      const networks = new Set(resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.inputs["name"]));
      for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
        for (const n of c.inputs["networksAdvanced"] as { name: string }[]) expect(networks, `${c.name} → ${n.name}`).to.include(n.name);
      }
      expect(resources.filter((r) => r.type === "docker:index/volume:Volume" && r.name.startsWith("netdata-"))).to.have.length(3);
      expect(byType["docker:index/container:Container"]).to.equal(Object.keys(stackImages(stack)).length);
    });
  }
});

describe("policy pack in preview (unknown outputs, as pulumi preview sends them)", function () {
  this.timeout(120_000);
  let server: PolicyPackServer;
  before(async () => {
    server = await PolicyPackServer.start({ stack: "prod" });
  });
  after(async () => {
    await server?.stop();
  });

  it("every policy decides from the literal inputs: no policy is skipped for an unknown value", async () => {
    const preview = await programStack("prod", { preview: true });
    expect(container(preview, "grafana").inputs["image"]).to.equal(UNKNOWN);
    const report = await checkWithServer(server, "prod", preview, withNow(fixtureConfig("prod"), "2026-11-25T12:00:00Z"));
    expect(report.findings.filter((f) => /during preview/.test(f.message))).to.deep.equal([]);
    expect(report.findings.filter((f) => f.level === "mandatory").map((f) => f.policy)).to.deep.equal(
      (await checkWithServer(server, "prod", await programStack("prod"), withNow(fixtureConfig("prod"), "2026-11-25T12:00:00Z"))).findings
        .filter((f) => f.level === "mandatory")
        .map((f) => f.policy),
    );
    const privileged = replace(
      preview,
      changed(container(preview, "grafana"), (i) => (i["privileged"] = true)),
    );
    const broken = await checkWithServer(server, "prod", privileged, fixtureConfig("prod"));
    expect(broken.findings.filter((f) => f.policy === "disallow-privileged-containers").map((f) => f.resource?.name)).to.deep.equal([
      "grafana-server-container",
    ]);
  });
});

describe("policy config as Pulumi reads it", () => {
  it("--project-dir: the records the pack reads are the project's (relative paths resolved there, absolute ones kept)", () => {
    const shipped = packConfigFor("prod", writeTemp({ "require-verified-promotion": { recordFile: "/srv/records/promotions.yaml" } }));
    const moved = inProject(shipped, "/work/other");
    expect(moved["enforce-version-transitions"]!.properties["recordFile"]).to.equal("/work/other/promotions.yaml");
    expect(moved["enforce-digest-tag-binding"]!.properties["stackFiles"]).to.equal("/work/other");
    expect(moved["require-digest-provenance"]!.properties["provenanceFile"]).to.equal("/work/other/provenance.yaml");
    expect(moved["warn-open-vulnerabilities"]!.properties["stateFile"]).to.equal("/work/other/vulns-state.json");
    expect(moved["disallow-overdue-vulnerabilities"]!.properties["acceptanceFile"]).to.equal("/work/other/risk-acceptances.yaml");
    expect(moved["require-verified-promotion"]!.properties["recordFile"]).to.equal("/srv/records/promotions.yaml");
    expect(shipped["enforce-version-transitions"]!.properties["recordFile"]).to.equal("promotions.yaml");
  });
  it("accepts Pulumi's all key for every level not set by name", () => {
    const config = packConfigFor("prod", writeTemp({ all: "advisory", "require-memory-limit": "mandatory" }));
    expect(config["require-healthcheck"]!.enforcementLevel).to.equal("advisory");
    expect(config["require-memory-limit"]!.enforcementLevel).to.equal("mandatory");
    expect(packConfigFor("prod", writeTemp({ all: { enforcementLevel: "disabled" } }))["warn-end-of-life"]!.enforcementLevel).to.equal("disabled");
  });
  it("refuses an allowlist entry naming no component, naming file and key", () => {
    const file = writeTemp({ "disallow-dangerous-capabilities": { allowed: [{ component: "grafanna", capabilities: ["NET_ADMIN"], reason: "typo" }] } });
    let error: PolicyConfigError | undefined;
    try {
      packConfigFor("prod", file);
    } catch (e) {
      error = e as PolicyConfigError;
    }
    expect(error?.file).to.equal(file);
    expect(error?.problems[0]).to.match(/^disallow-dangerous-capabilities\.allowed\[0\]\.component = "grafanna": expected one of "netdata", /);
  });
  it("refuses an allowlist entry for a component the program runs no container of", async () => {
    const config = packConfigFor("prod", writeTemp({ "disallow-host-namespaces": { allowed: [{ component: "alloy", namespace: "pidMode", reason: "x" }] } }));
    expect(() => checkAllowlistNames(config, [], "p.json")).to.throw(PolicyConfigError);
    let error: PolicyConfigError | undefined;
    try {
      checkAllowlistNames(config, await programStack("prod"), "p.json");
    } catch (e) {
      error = e as PolicyConfigError;
    }
    expect(error?.message).to.contain('disallow-host-namespaces.allowed[0].component = "alloy": no container of this stack runs that component');
  });
});

const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
function writeTemp(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), "myoci-h12-config-"));
  temps.push(dir);
  const file = path.join(dir, "policy.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

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

  it("exits 0 on the fixture prod stack (--project-dir), printing the advisory finding grouped under its resource", async () => {
    const { code, stdout } = await run(["policy", "--stack", "prod", "--project-dir", FIXTURES]);
    expect(code).to.equal(0);
    expect(stdout).to.contain(
      "myoci-prod-promtail  (docker:index/container:Container promtail-agent-container)\n  [advisory] warn-end-of-life: myoci-prod-promtail runs Promtail, end of life since 2026-03-02.",
    );
    expect(stdout.trim().split("\n").pop()).to.equal("PASSED: no mandatory violation.");
  });

  it("exits 1 on a broken resource list and reports it as JSON", async () => {
    const base = await programStack("prod");
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
    const { code, stdout } = await run(["policy", "--stack", "prod", "--resources", file, "--json", "--project-dir", FIXTURES]);
    expect(code).to.equal(1);
    const report = JSON.parse(stdout) as { passed: boolean; mandatory: number; findings: { policy: string; level: string; resource: { name: string } }[] };
    expect(report.passed).to.equal(false);
    expect(report.mandatory).to.equal(1);
    expect(report.findings.filter((f) => f.level === "mandatory").map((f) => [f.policy, f.resource.name])).to.deep.equal([
      ["disallow-privileged-containers", "grafana-server-container"],
    ]);
  });

  it("--preview: the fixture prod stack as a preview sends it (unknown image ids) passes, no policy skipped", async () => {
    const { code, stdout } = await run(["policy", "--stack", "prod", "--preview", "--json", "--project-dir", FIXTURES]);
    const report = JSON.parse(stdout) as { passed: boolean; findings: { message: string }[] };
    expect(code).to.equal(0);
    expect(report.passed).to.equal(true);
    expect(report.findings.filter((f) => /during preview/.test(f.message))).to.deep.equal([]);
  });

  it("exits 2 naming file, key and value for an allowlist entry that names no component", async () => {
    const file = path.join(dir, "typo.json");
    writeFileSync(
      file,
      JSON.stringify({ "disallow-dangerous-capabilities": { allowed: [{ component: "grafanna", capabilities: ["NET_ADMIN"], reason: "typo" }] } }),
    );
    const { code, stderr } = await run(["policy", "--stack", "prod", "--policy-config", file, "--project-dir", FIXTURES]);
    expect(code).to.equal(2);
    expect(stderr).to.contain(`Invalid policy config ${file}`);
    expect(stderr).to.contain('disallow-dangerous-capabilities.allowed[0].component = "grafanna": expected one of "netdata"');
  });

  it("exits 2 naming the problem for an unknown stack", async () => {
    const { code, stderr } = await run(["policy", "--stack", "nope"]);
    expect(code).to.equal(2);
    expect(stderr).to.contain('Pulumi.nope.yaml for stack "nope"');
  });
});
