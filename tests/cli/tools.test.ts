/**
 * Outside tools and long work: the Pulumi CLI pre-flight of rollout/rollback, ssh's own message in drift,
 * progress on stderr while a registry is slow, and bash completion sourced into a real bash.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { main } from "../../cli/main";
import { completionScript } from "../../cli/framework/output/completion";
import { SPECS } from "../../cli/commands/specs";
import { JobProgress, Progress } from "../../cli/framework/output/progress";
import { envelopeSchema } from "../../cli/framework/output/envelope";
import { memoryIO } from "./io";
import { LABEL } from "../../catalog";

const ROOT = path.join(__dirname, "..", "..");
const PROJECT = path.join(ROOT, "tests", "dashboard", "fixtures", "project");
const exec = promisify(execFile);

describe("CLI: outside tools and long work", function () {
  this.timeout(60_000);
  let dir: string;
  let project: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-cli-tools-"));
    project = path.join(dir, "project");
    cpSync(PROJECT, project, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fakePulumi = (version: string): string => {
    const bin = path.join(dir, `bin-${version}`);
    mkdirSync(bin);
    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$1" = version ] && echo ${version} && exit 0\necho "unexpected: $*" >&2; exit 9\n`);
    chmodSync(path.join(bin, "pulumi"), 0o755);
    return bin;
  };

  describe("rollout / rollback without a usable Pulumi CLI", () => {
    it("stop before anything with the install hint, leaving the stack files as they were", async () => {
      const before = readFileSync(path.join(project, "Pulumi.staging.yaml"), "utf8");
      const io = memoryIO({ cwd: project, env: { PATH: path.join(dir, "nothing-here") } });
      expect(await main(["rollout", "ntfy=v2.28.0", "--stacks", "staging"], io)).to.equal(2);
      expect(io.err()).to.contain("myoci rollout: the Pulumi CLI is not installed: no `pulumi` on PATH");
      expect(io.err()).to.contain("Nothing was changed. Install the Pulumi CLI 3.x");
      expect(io.err()).not.to.match(/spawn|ENOENT|interrupted|whoami/);
      expect(io.out()).to.equal("");
      expect(readFileSync(path.join(project, "Pulumi.staging.yaml"), "utf8")).to.equal(before);
      const rollback = memoryIO({ cwd: project, env: { PATH: path.join(dir, "nothing-here") } });
      expect(await main(["rollback", "--stack", "prod"], rollback)).to.equal(2);
      expect(rollback.err()).to.contain("myoci rollback: the Pulumi CLI is not installed");
    });

    it("refuse a CLI older than 3.x, naming its version", async () => {
      const io = memoryIO({ cwd: project, env: { PATH: fakePulumi("v2.25.2") } });
      expect(await main(["rollback", "--stack", "prod", "--json"], io)).to.equal(2);
      const envelope = envelopeSchema.parse(JSON.parse(io.out()));
      expect(envelope.errors[0]?.message).to.match(/the Pulumi CLI at .*bin-v2\.25\.2\/pulumi is v2\.25\.2; myoci needs 3\.x, at least v3\.2\.0/);
    });

    it("report the CLI found as progress when asked", async () => {
      const io = memoryIO({ cwd: project, env: { PATH: `${fakePulumi("v3.200.0")}:/nonexistent` } });
      // The stand-in answers only `pulumi version`: the rollback fails at its first real pulumi command.
      expect(await main(["rollback", "--stack", "prod", "--progress"], io)).to.equal(2);
      expect(io.err()).to.contain("pulumi: v3.200.0 (");
    });
  });

  it("drift over ssh shows the SSH client's own message", async function () {
    if (!existsSync("/usr/bin/ssh")) this.skip();
    const io = memoryIO({ cwd: project, env: process.env });
    // Nothing listens on port 1 of the loopback: ssh itself fails and says why.
    expect(await main(["drift", "--stack", "prod", "--docker-host", "ssh://nobody@127.0.0.1:1"], io)).to.equal(2);
    expect(io.err()).to.contain("ssh nobody@127.0.0.1 exited with 255: ssh: connect to host 127.0.0.1 port 1: Connection refused");
    expect(io.err()).not.to.contain("socket hang up");
  });

  it("drift names a missing SSH client", async () => {
    const { DockerClient, listContainers } = await import("../../cli/adapters/docker-api/client");
    const client = new DockerClient("ssh://nobody@127.0.0.1:1", { sshCommand: path.join(dir, "no-ssh-here") });
    try {
      await listContainers(client, [`${LABEL.stack}=prod`]).then(
        () => expect.fail("answered"),
        (error: Error) => expect(error.message).to.contain("is not installed"),
      );
    } finally {
      client.close();
    }
  });

  describe("check's progress on stderr", () => {
    let server: http.Server;
    let url: string;
    before(async () => {
      // A registry that answers every request after 1.5 s, with 404.
      server = http.createServer((_request, response) => {
        setTimeout(() => response.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}'), 1500);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const mirrors = () => ["--registry-mirror", `docker.io=${url}`, "--registry-mirror", `ghcr.io=${url}`];

    it("with --progress when stderr is not a terminal: waiting lines, then one line per image", async () => {
      const io = memoryIO({ cwd: project });
      expect(await main(["check", "--stack", "staging", "--progress", "--json", ...mirrors()], io)).to.equal(2);
      const lines = io.err().trimEnd().split("\n");
      expect(lines[0]).to.match(/^check: 0\/14 answered; waiting for \S+ and 13 more \(1 s\)$/);
      const done = lines.filter((l) => /^check: \[\d+\/14\] \S+ failed: /.test(l));
      expect(done).to.have.length(14);
      expect(done.at(-1)).to.match(/^check: \[14\/14\] /);
      // stdout stays one envelope.
      expect(envelopeSchema.parse(JSON.parse(io.out())).errors).to.have.length(14);
    });

    it("silent when stderr is not a terminal and progress was not asked for", async () => {
      const io = memoryIO({ cwd: project });
      expect(await main(["check", "--stack", "staging", "--json", ...mirrors()], io)).to.equal(2);
      expect(io.err()).to.equal("");
    });
  });

  it("on a terminal the waiting line is redrawn in place and cleared at the end", () => {
    let written = "";
    let now = 0;
    const progress = new Progress({ write: (s: string) => ((written += s), true), isTTY: true });
    const jobs = new JobProgress(progress, "check", 2, () => now, 60_000);
    jobs.start("docker.io/grafana/grafana");
    now = 3000;
    jobs.tick();
    expect(written).to.equal("\r\u001b[2Kcheck: 0/2 answered; waiting for docker.io/grafana/grafana (3 s)");
    jobs.finish("docker.io/grafana/grafana");
    jobs.dispose();
    expect(written.endsWith("\r\u001b[2Kcheck: [1/2] docker.io/grafana/grafana answered in 3.0 s\n")).to.equal(true);
  });

  describe("bash completion", () => {
    /** Runs bash with the script sourced and COMP_WORDS set as readline would, in the fixture project. */
    async function complete(words: string[]): Promise<string[]> {
      const script = path.join(dir, "myoci.bash");
      writeFileSync(script, completionScript("bash", SPECS));
      const quoted = words.map((w) => `'${w}'`).join(" ");
      const { stdout } = await exec(
        "bash",
        ["-c", `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _myoci; printf '%s\\n' "\${COMPREPLY[@]}"`],
        {
          cwd: project,
        },
      );
      return stdout.split("\n").filter((l) => l !== "");
    }

    it("registers with `complete` when sourced from the real CLI", async () => {
      const { stdout } = await exec("bash", ["-c", `source <(${process.execPath} ${path.join(ROOT, "cli", "myoci.js")} completion bash); complete -p myoci`], {
        cwd: project,
      });
      expect(stdout.trim()).to.equal("complete -F _myoci myoci");
    });

    it("zsh: registers through bashcompinit and completes stack names", async function () {
      if (!existsSync("/usr/bin/zsh")) this.skip();
      const script = path.join(dir, "myoci.zsh");
      writeFileSync(script, completionScript("zsh", SPECS));
      // bashcompinit calls the function in sh emulation (0-based arrays); zsh's own matcher filters the words.
      const { stdout } = await exec(
        "zsh",
        [
          "-c",
          `source ${script}; print -r -- \${_comps[myoci]}; emulate sh -c 'COMP_WORDS=(myoci check --stack ""); COMP_CWORD=3; _myoci; echo "\${COMPREPLY[@]}"'`,
        ],
        { cwd: project, env: { HOME: dir, PATH: process.env["PATH"] } },
      );
      expect(stdout).to.equal("_bash_complete -F _myoci\nprod staging\n");
    });

    it("completes commands, options, stacks, comma lists and components", async () => {
      expect(await complete(["myoci", "ch"])).to.deep.equal(["check"]);
      expect(await complete(["myoci", "check", "--st"])).to.deep.equal(["--stack"]);
      expect(await complete(["myoci", "check", "--stack", ""])).to.deep.equal(["prod", "staging"]);
      expect(await complete(["myoci", "rollout", "--stacks", "staging,p"])).to.deep.equal(["staging,prod"]);
      expect(await complete(["myoci", "pin", "graf"])).to.deep.equal(["grafana"]);
      expect(await complete(["myoci", "rollout", "netbirdS"])).to.deep.equal(["netbirdSignal="]);
      expect(await complete(["myoci", "help", "roll"])).to.deep.equal(["rollout", "rollback"]);
      expect(await complete(["myoci", "completion", ""])).to.deep.equal(["bash", "zsh"]);
    });
  });
});
