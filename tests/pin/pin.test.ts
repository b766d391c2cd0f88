import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { pinComponent, type DigestResolver } from "../../cli/app/pin";
import { startLocalRegistry, type LocalRegistry } from "../helpers/local-registry";
import { stackFileText, testDigest } from "../helpers/stack-fixture";

const exec = promisify(execFile);

/** Resolves through a real registry over HTTP: HEAD on the manifest, Docker-Content-Digest (repository mapped to the test's). */
class HeadResolver implements DigestResolver {
  readonly calls: string[] = [];
  constructor(private readonly registry: LocalRegistry) {}
  async resolveDigest(registry: string, repository: string, tag: string): Promise<string> {
    this.calls.push(`${registry}/${repository}:${tag}`);
    const response = await fetch(`${this.registry.url}/v2/${repository}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json" },
    });
    if (response.status !== 200) {
      throw new Error(`HTTP ${response.status}`);
    }
    return response.headers.get("docker-content-digest")!;
  }
}

describe("myoci pin", function () {
  this.timeout(60_000);
  let registry: LocalRegistry;
  let dir: string;
  let file: string;
  const original = stackFileText();

  before(async () => {
    registry = await startLocalRegistry();
  });
  after(async () => registry?.stop());
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-pin-"));
    file = path.join(dir, "Pulumi.t.yaml");
    writeFileSync(file, original);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves the digest from the registry and writes only the pin's scalars", async () => {
    const digest = await registry.pushTinyImage("grafana/loki", "3.0.1", "loki 3.0.1 layer");
    const resolver = new HeadResolver(registry);
    const outcome = await pinComponent({ projectDir: dir, stack: "t", component: "loki", tag: "3.0.1" }, resolver);
    expect(outcome.messages).to.deep.equal([]);
    expect(outcome.exitCode).to.equal(0);
    expect(resolver.calls).to.deep.equal(["docker.io/grafana/loki:3.0.1"]);
    const after = readFileSync(file, "utf8");
    const changed = original.split("\n").filter((line, i) => after.split("\n")[i] !== line);
    expect(changed).to.deep.equal([
      `      tag: 3.0.0 # keeps the 3.0 line with promtail`,
      `      digest: ${testDigest("loki:3.0.0")} # keeps the 3.0 line with promtail`,
    ]);
    expect(after).to.contain(`      digest: ${digest} # keeps the 3.0 line with promtail\n`);
    expect(outcome.output).to.contain(`+      tag: 3.0.1 # keeps the 3.0 line with promtail`);
    expect(outcome.written).to.equal(true);
  });

  it("fails with exit 2 when the registry does not know the tag, writing nothing", async () => {
    const outcome = await pinComponent({ projectDir: dir, stack: "t", component: "loki", tag: "3.0.9" }, new HeadResolver(registry));
    expect(outcome.exitCode).to.equal(2);
    expect(outcome.messages[0]).to.equal(
      'Pulumi.t.yaml: myoci:images.loki.tag = "3.0.9": could not resolve the digest of docker.io/grafana/loki:3.0.9: HTTP 404',
    );
    expect(readFileSync(file, "utf8")).to.equal(original);
  });

  const noResolver: DigestResolver = {
    resolveDigest: () => Promise.reject(new Error("must not be called when --digest is given")),
  };

  it("refuses a downgrade without --allow-downgrade (exit 1) and allows it with the flag", async () => {
    const request = { projectDir: dir, stack: "t", component: "grafana", tag: "12.0.1", digest: testDigest("g 12.0.1") };
    const refused = await pinComponent(request, noResolver);
    expect(refused.exitCode).to.equal(1);
    expect(refused.messages).to.deep.equal([
      "refused: Pulumi.t.yaml: myoci:images.grafana.tag 12.0.2 → 12.0.1 is a downgrade; pass --allow-downgrade if that is intended",
    ]);
    expect(readFileSync(file, "utf8")).to.equal(original);
    const allowed = await pinComponent({ ...request, allowDowngrade: true }, noResolver);
    expect(allowed.exitCode).to.equal(0);
    expect(readFileSync(file, "utf8")).to.contain("      tag: 12.0.1\n");
  });

  it("refuses an incompatible pin with the rule's message (Loki past Promtail's line)", async () => {
    const outcome = await pinComponent({ projectDir: dir, stack: "t", component: "loki", tag: "3.7.2", digest: testDigest("l372") }, noResolver);
    expect(outcome.exitCode).to.equal(1);
    expect(outcome.messages).to.have.length(2);
    expect(outcome.messages[0]).to.equal(
      `refused: Pulumi.t.yaml: myoci:images.loki = 3.7.2@${testDigest("l372")}: loki-promtail-same-minor: Promtail 3.0.0 and Loki 3.7.2 must share major.minor (3.0 ≠ 3.7).`,
    );
    expect(outcome.messages[1]).to.contain("promtail-last-release-line: Loki 3.7.2 cannot be paired with Promtail");
    expect(readFileSync(file, "utf8")).to.equal(original);
  });

  it("refuses a PostgreSQL major change unless the stack declares the migration", async () => {
    const request = { projectDir: dir, stack: "t", component: "postgres", tag: "17.6-alpine", digest: testDigest("pg17") };
    const refused = await pinComponent(request, noResolver);
    expect(refused.exitCode).to.equal(1);
    expect(refused.messages[0]).to.contain("postgres-major-needs-migration: PostgreSQL 16 → 17 is a major-version change");
    writeFileSync(file, stackFileText({ extraConfig: "  myoci:postgresMigration:\n    from: 16\n    to: 17" }));
    const allowed = await pinComponent(request, noResolver);
    expect(allowed.messages).to.deep.equal([]);
    expect(allowed.exitCode).to.equal(0);
  });

  it("rejects bad input with exit 2, naming file, key and value", async () => {
    const cases: [string, string, string | undefined, string][] = [
      ["lokii", "3.0.1", undefined, 'Pulumi.t.yaml: myoci:images = "lokii": expected a known component'],
      ["loki", "v3.0.1", undefined, 'Pulumi.t.yaml: myoci:images.loki.tag = "v3.0.1": "v3.0.1" has a leading "v"'],
      ["loki", "latest", undefined, 'Pulumi.t.yaml: myoci:images.loki.tag = "latest": "latest" is a floating tag'],
      ["loki", "3.0.1", "sha256:ABC", 'Pulumi.t.yaml: myoci:images.loki.digest = "sha256:ABC": expected sha256: followed by 64 lower-case hex digits'],
      ["alloy", "v1.20.0", testDigest("a"), 'Pulumi.t.yaml: myoci:images.alloy = "alloy": expected a component this stack runs'],
    ];
    for (const [component, tag, digest, message] of cases) {
      const outcome = await pinComponent({ projectDir: dir, stack: "t", component, tag, digest }, noResolver);
      expect(outcome.exitCode, message).to.equal(2);
      expect(outcome.messages[0]).to.contain(message);
    }
    expect(readFileSync(file, "utf8")).to.equal(original);
  });

  it("CLI: --dry-run prints the diff and writes nothing; without it writes; exit codes 0/1/2", async () => {
    const cli = path.resolve(__dirname, "../../cli/myoci.js");
    const digest = testDigest("coturn 4.7.0");
    const run = (args: string[]) =>
      exec("node", [cli, "pin", ...args, "--stack", "t", "--project-dir", dir]).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const dry = await run(["coturn", "4.7.0", "--digest", digest, "--dry-run"]);
    expect(dry.code).to.equal(0);
    expect(dry.stdout).to.contain("--- a/Pulumi.t.yaml\n+++ b/Pulumi.t.yaml\n");
    expect(dry.stdout).to.contain(`+      digest: ${digest}\n`);
    expect(dry.stdout).to.contain("Pulumi.t.yaml: dry run, nothing written");
    expect(readFileSync(file, "utf8")).to.equal(original);
    const real = await run(["coturn", "4.7.0", "--digest", digest]);
    expect(real.code).to.equal(0);
    expect(readFileSync(file, "utf8")).to.contain(`      tag: 4.7.0\n      digest: ${digest}\n`);
    const again = await run(["coturn", "4.7.0", "--digest", digest]);
    expect(again.stdout).to.contain("nothing to change");
    expect((await run(["coturn", "4.6.0", "--digest", digest])).code).to.equal(1);
    expect((await run(["coturn", "4.7", "--digest", digest])).code).to.equal(2);
  });
});
