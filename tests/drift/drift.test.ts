/**
 * `myoci drift` against real containers: a private podman's Docker-compatible API, images pushed to a local
 * docker-registry and pulled back by digest (so RepoDigests are real), containers labelled as the components label them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { requiredComponents } from "../../config/schema";
import { DockerApiError, DockerClient, parseDockerHost, sshDialArgs } from "../../cli/adapters/docker-api/client";
import { classifyDrift, detectDrift, formatReport } from "../../cli/app/drift";
import { containerName, LABEL, ownerLabels, type ComponentId, type ImagePin } from "../../catalog";
import { startLocalRegistry, type LocalRegistry } from "../helpers/local-registry";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";
import { sha256Digest } from "../helpers/digest";
import { DEFAULT_TAGS } from "../helpers/stack-fixture";

const exec = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");
const fakeDigest = (seed: string): string => sha256Digest(seed);

describe("drift: docker host parsing", () => {
  it("parses unix, ssh and tcp hosts and builds the ssh dial-stdio argv", () => {
    expect(parseDockerHost("unix:///var/run/docker.sock")).to.deep.equal({ kind: "unix", socketPath: "/var/run/docker.sock" });
    const ssh = parseDockerHost("ssh://deploy@oci.example.org:2222");
    expect(ssh).to.deep.equal({ kind: "ssh", user: "deploy", host: "oci.example.org", port: 2222 });
    expect(sshDialArgs(ssh as Extract<typeof ssh, { kind: "ssh" }>)).to.deep.equal([
      "-o",
      "BatchMode=yes",
      "-p",
      "2222",
      "--",
      "deploy@oci.example.org",
      "docker",
      "system",
      "dial-stdio",
    ]);
    expect(parseDockerHost("tcp://127.0.0.1:2375")).to.deep.equal({ kind: "tcp", host: "127.0.0.1", port: 2375 });
    expect(() => parseDockerHost("http://example.org")).to.throw(DockerApiError, /expected unix:/);
  });

  it("classifies without an engine: worst problem wins", () => {
    const declared = { tag: "3.0.0", digest: fakeDigest("a") };
    const c = { name: "x", id: "1", tag: "3.0.1", digests: [fakeDigest("b")], state: "running", health: "unhealthy" };
    const result = classifyDrift("loki", declared, [c]);
    expect(result.status).to.equal("digest");
    expect(result.problems).to.have.length(3);
    expect(classifyDrift("loki", declared, [{ ...c, digests: [declared.digest] }]).status).to.equal("tag");
    expect(classifyDrift("loki", declared, [{ ...c, digests: [declared.digest], tag: "3.0.0", state: "exited", health: undefined }]).status).to.equal(
      "unhealthy",
    );
    expect(classifyDrift("loki", declared, []).status).to.equal("missing");
  });
});

describe("drift: real containers through podman's Docker API", function () {
  this.timeout(180_000);
  let registry: LocalRegistry;
  let engine: Podman;
  let digestA: string;
  let digestB: string;
  let projectDir: string;
  const stack = `t${process.pid}`;

  before(async function () {
    if (!podmanAvailable()) {
      throw new Error("podman, runc and busybox-static are required (apt-get install -y podman runc busybox-static)");
    }
    registry = await startLocalRegistry();
    engine = await startPodman();
    const pushAndPull = async (marker: string): Promise<string> => {
      const local = await engine.importBusybox(`localhost/myoci-bb-${marker}:1`, marker);
      const digestFile = path.join(os.tmpdir(), `myoci-digest-${process.pid}-${marker}`);
      await engine.podman(["push", "--quiet", "--tls-verify=false", "--digestfile", digestFile, local, `${registry.host}/test/bb:${marker}`]);
      const digest = readFileSync(digestFile, "utf8").trim();
      rmSync(digestFile);
      await engine.podman(["pull", "--quiet", "--tls-verify=false", `${registry.host}/test/bb@${digest}`]);
      return digest;
    };
    digestA = await pushAndPull("a");
    digestB = await pushAndPull("b");
    const runContainer = async (component: ComponentId, version: string, digest: string, health?: string) => {
      const labels = { ...ownerLabels(stack, component), [LABEL.version]: version };
      const args = ["run", "-d", "--name", containerName(stack, component)];
      for (const [key, value] of Object.entries(labels)) {
        args.push("--label", `${key}=${value}`);
      }
      if (health) {
        args.push("--health-cmd", health, "--health-retries", "1", "--health-interval", "1h");
      }
      args.push(`${registry.host}/test/bb@${digest}`, "/bin/sleep", "600");
      await engine.podman(args);
      if (health) {
        // No systemd timers here: run the healthcheck once by hand (exit 1 when it fails).
        await engine.podman(["healthcheck", "run", containerName(stack, component)]).catch(() => undefined);
      }
    };
    await runContainer("loki", "3.0.0", digestA, "/bin/true"); // in sync, healthy
    await runContainer("grafana", "12.0.2", digestB); // another digest
    await runContainer("netdata", "v2.10.3", digestA); // another tag
    await runContainer("ntfy", "v2.27.0", digestA, "/bin/false"); // unhealthy
    // caddy: declared, no container → missing
    await runContainer("promtail", "3.0.0", digestA); // not declared (the stack runs alloy)
    // A stack in sync, and (for the stack above) a container of another stack that must be ignored.
    await engine.podman([
      "run",
      "-d",
      "--name",
      "in-sync-loki",
      "--label",
      `${LABEL.stack}=${stack}ok`,
      "--label",
      `${LABEL.component}=loki`,
      "--label",
      `${LABEL.version}=3.0.0`,
      `${registry.host}/test/bb@${digestA}`,
      "/bin/sleep",
      "600",
    ]);
    await engine.podman([
      "run",
      "-d",
      "--name",
      "other-stack",
      "--label",
      `${LABEL.stack}=elsewhere`,
      "--label",
      `${LABEL.component}=caddy`,
      `${registry.host}/test/bb@${digestA}`,
      "/bin/sleep",
      "600",
    ]);

    // A full, valid stack file for the CLI: tested pins as above, the rest pinned to digests nothing runs.
    projectDir = mkdtempSync(path.join(os.tmpdir(), "myoci-drift-"));
    const tags = DEFAULT_TAGS;
    const digests: Record<string, string> = { loki: digestA, grafana: digestA, netdata: digestA, ntfy: digestA };
    const lines = requiredComponents("alloy").map((c) => `    ${c}:\n      tag: ${JSON.stringify(tags[c])}\n      digest: ${digests[c] ?? fakeDigest(c)}`);
    writeFileSync(
      path.join(projectDir, `Pulumi.${stack}.yaml`),
      `config:\n  myoci:dockerHost: unix:///nonexistent/docker.sock\n  myoci:domain: example.org\n  myoci:acmeEmail: ops@example.org\n  myoci:publicIp: 192.0.2.10\n  myoci:logShipper: alloy\n  myoci:postgresDataMajor: 16\n  myoci:images:\n${lines.join("\n")}\n`,
    );
  });

  after(async () => {
    await engine?.stop();
    await registry?.stop();
    if (projectDir) {
      rmSync(projectDir, { recursive: true, force: true });
    }
  });

  const declared = (): Partial<Record<ComponentId, ImagePin>> => ({
    loki: { tag: "3.0.0", digest: digestA },
    grafana: { tag: "12.0.2", digest: digestA },
    netdata: { tag: "v2.10.4", digest: digestA },
    ntfy: { tag: "v2.27.0", digest: digestA },
    caddy: { tag: "2.10.2", digest: digestB },
  });

  it("sees in sync, another digest, another tag, unhealthy, missing and an undeclared container", async () => {
    expect(digestA).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(digestA).to.not.equal(digestB);
    const client = new DockerClient(engine.dockerHost);
    try {
      const report = await detectDrift(client, stack, declared());
      const byComponent = Object.fromEntries(report.components.map((c) => [c.component, c]));
      expect(report.components.map((c) => [c.component, c.status])).to.deep.equal([
        ["netdata", "tag"],
        ["ntfy", "unhealthy"],
        ["loki", "in-sync"],
        ["grafana", "digest"],
        ["caddy", "missing"],
      ]);
      expect(byComponent.loki!.containers[0]!.health).to.equal("healthy");
      expect(byComponent.loki!.containers[0]!.digests).to.include(digestA);
      expect(byComponent.grafana!.containers[0]!.digests).to.include(digestB);
      expect(byComponent.grafana!.containers[0]!.digests).to.not.include(digestA);
      expect(byComponent.grafana!.problems[0]).to.equal(
        `${containerName(stack, "grafana")} runs ${byComponent.grafana!.containers[0]!.digests.map((d) => d.slice(0, 19)).join(", ")}, declared ${digestA.slice(0, 19)}`,
      );
      expect(byComponent.netdata!.problems).to.deep.equal([`${containerName(stack, "netdata")} is labelled ${LABEL.version}=v2.10.3, declared v2.10.4`]);
      expect(byComponent.ntfy!.problems).to.deep.equal([`${containerName(stack, "ntfy")} healthcheck reports unhealthy`]);
      expect(report.undeclared.map((u) => [u.component, u.name])).to.deep.equal([["promtail", containerName(stack, "promtail")]]);
      expect(report.inSync).to.equal(false);
      expect(formatReport(report)).to.contain("drift: 5 of 6");

      const inSync = await detectDrift(client, `${stack}ok`, { loki: { tag: "3.0.0", digest: digestA } });
      expect(inSync.components.map((c) => [c.component, c.status])).to.deep.equal([["loki", "in-sync"]]);
      expect(inSync.undeclared).to.have.length(0);
      expect(inSync.inSync).to.equal(true);
    } finally {
      client.close();
    }
  });

  it("CLI: --json report and exit 1 on drift; exit 2 when the engine cannot be reached", async () => {
    const cli = path.join(REPO, "cli", "myoci.js");
    const result = await exec("node", [cli, "drift", "--stack", stack, "--json", "--docker-host", engine.dockerHost, "--project-dir", projectDir]).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(1);
    const report = JSON.parse(result.stdout) as { components: { component: string; status: string }[]; undeclared: { component: string }[] };
    const statuses = Object.fromEntries(report.components.map((c) => [c.component, c.status]));
    expect(statuses).to.deep.include({ loki: "in-sync", grafana: "digest", netdata: "tag", ntfy: "unhealthy", caddy: "missing", zitadel: "missing" });
    expect(report.components).to.have.length(14);
    expect(report.undeclared.map((u) => u.component)).to.deep.equal(["promtail"]);

    const unreachable = await exec("node", [cli, "drift", "--stack", stack, "--project-dir", projectDir]).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(unreachable.code).to.equal(2);
    expect(unreachable.stderr).to.contain("unix:///nonexistent/docker.sock");
  });
});
