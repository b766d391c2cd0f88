import { expect } from "chai";
import {
  judgeAttempts,
  parseSshCurl,
  probeTarget,
  probeTargets,
  sshCurlArgs,
  httpAttempt,
  HttpProber,
  attemptForDockerHost,
  type ProbeOptions,
  type ProbeTarget,
} from "../../cli/adapters/probe";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";
import { freePort, HEALTH_PATH, importHealthImage, runHealthContainer } from "../helpers/podman-probe";

const FAST: ProbeOptions = { successes: 3, deadlineMs: 20_000, intervalMs: 200, timeoutMs: 2_000 };

describe("probe verdicts (pure)", () => {
  it("passes on N consecutive 2xx, fails on a non-2xx last answer, is inconclusive without answers", () => {
    const a = (status: number) => ({ at: 0, status });
    const e = (error: string) => ({ at: 0, error });
    expect(judgeAttempts([e("ECONNREFUSED"), a(200), a(204), a(200)], 3, false).verdict).to.equal("pass");
    expect(judgeAttempts([a(200), a(503), a(200)], 3, false).verdict).to.equal("pending");
    expect(judgeAttempts([a(200), a(200), a(503)], 3, true)).to.deep.equal({
      verdict: "fail",
      reason: "last answer HTTP 503 (1 of 3 attempts answered non-2xx)",
    });
    expect(judgeAttempts([a(500), e("ECONNRESET")], 3, true).verdict).to.equal("fail");
    expect(judgeAttempts([e("ECONNREFUSED"), e("ECONNREFUSED")], 3, true)).to.deep.equal({
      verdict: "inconclusive",
      reason: "no answer in 2 attempts (last error: ECONNREFUSED)",
    });
    expect(judgeAttempts([a(200), e("ETIMEDOUT"), a(200)], 3, true).verdict).to.equal("inconclusive");
  });

  it("maps changed components to their published loopback ports and paths", () => {
    expect(probeTargets(["ntfy", "grafana", "forwarderBase", "zitadel"])).to.deep.equal([
      { component: "ntfy", hostPort: 8090, path: "/v1/health" },
      { component: "grafana", hostPort: 3000, path: "/api/health" },
      { component: "zitadel", hostPort: 8080, path: "/debug/ready" },
    ]);
  });

  it("builds the ssh curl command and reads its answers (prod probes; not run here)", () => {
    const target: ProbeTarget = { component: "grafana", hostPort: 3000, path: "/api/health" };
    expect(sshCurlArgs("deploy@oci.example.org", target, 5000, 2222)).to.deep.equal([
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "-p",
      "2222",
      "deploy@oci.example.org",
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "'%{http_code}'",
      "--max-time",
      "5",
      "'http://127.0.0.1:3000/api/health'",
    ]);
    expect(parseSshCurl({ code: 0, stdout: "200", stderr: "" })).to.deep.equal({ status: 200 });
    expect(parseSshCurl({ code: 0, stdout: "500", stderr: "" })).to.deep.equal({ status: 500 });
    expect(parseSshCurl({ code: 7, stdout: "000", stderr: "curl: (7) Failed to connect" })).to.deep.equal({
      error: "curl exit 7: curl: (7) Failed to connect",
    });
    expect(parseSshCurl({ code: 255, stdout: "", stderr: "ssh: connect to host x port 22: Connection refused" })).to.deep.equal({
      error: "ssh: ssh: connect to host x port 22: Connection refused",
    });
    expect(attemptForDockerHost("tcp://10.0.0.1:2375")).to.have.property("error").that.contains("use ssh://user@host");
  });

  it("HttpProber: a change without HTTP probes passes on container health alone", async () => {
    const prober = new HttpProber({ ...FAST, deadlineMs: 2_000 });
    expect(await prober.verify("staging", "unix:///var/run/docker.sock", ["forwarderBase", "caddy"])).to.deep.equal({ verdict: "pass", results: [] });
  });
});

describe("HTTP probes against real containers (podman)", function () {
  this.timeout(120_000);
  let podman: Podman | undefined;
  const ports: Record<string, number> = {};

  before(async function () {
    if (!podmanAvailable()) {
      this.skip(); // podman/runc/busybox absent (CI installs them)
    }
    podman = await startPodman();
    for (const tag of ["good", "bad"] as const) {
      const reference = await importHealthImage(podman, tag);
      ports[tag] = await freePort();
      await runHealthContainer(podman, `myoci-probe-${tag}`, reference, ports[tag]);
    }
  });

  after(async () => {
    await podman?.stop();
  });

  it("tag good: pass after 3 consecutive 200s", async () => {
    const result = await probeTarget({ component: "grafana", hostPort: ports.good!, path: HEALTH_PATH }, httpAttempt, FAST);
    expect(result.verdict).to.equal("pass");
    expect(result.reason).to.equal("3 consecutive 2xx answers");
    expect(result.url).to.equal(`http://127.0.0.1:${ports.good}${HEALTH_PATH}`);
    expect(result.attempts).to.be.at.least(3);
  });

  it("tag bad: fail with the last answer HTTP 500 once the deadline passes", async () => {
    const result = await probeTarget({ component: "grafana", hostPort: ports.bad!, path: HEALTH_PATH }, httpAttempt, { ...FAST, deadlineMs: 3_000 });
    expect(result.verdict).to.equal("fail");
    expect(result.reason).to.match(/^last answer HTTP 500 \(\d+ of \d+ attempts answered non-2xx\)$/);
    expect(result.durationMs).to.be.at.least(2_500);
  });

  it("closed port: inconclusive (connection refused is not an answer)", async () => {
    const port = await freePort();
    const result = await probeTarget({ component: "grafana", hostPort: port, path: HEALTH_PATH }, httpAttempt, { ...FAST, deadlineMs: 1_500 });
    expect(result.verdict).to.equal("inconclusive");
    expect(result.reason).to.match(/^no answer in \d+ attempts \(last error: ECONNREFUSED\)$/);
  });

  it("a stopped container turns pass into inconclusive", async () => {
    await podman!.podman(["stop", "-t", "0", "myoci-probe-good"]);
    const result = await probeTarget({ component: "grafana", hostPort: ports.good!, path: HEALTH_PATH }, httpAttempt, { ...FAST, deadlineMs: 1_000 });
    expect(result.verdict).to.equal("inconclusive");
    await podman!.podman(["start", "myoci-probe-good"]);
    const again = await probeTarget({ component: "grafana", hostPort: ports.good!, path: HEALTH_PATH }, httpAttempt, FAST);
    expect(again.verdict).to.equal("pass");
  });

  it("an abort ends a probe at once as inconclusive", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const result = await probeTarget({ component: "grafana", hostPort: ports.bad!, path: HEALTH_PATH }, httpAttempt, { ...FAST, signal: controller.signal });
    expect(result.verdict).to.equal("inconclusive");
    expect(result.reason).to.match(/^interrupted after \d+ attempts$/);
    expect(Date.now() - started).to.be.below(2_000);
  });
});
