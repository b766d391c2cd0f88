import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { firstFileOfTar, readContainerFile } from "../../components/bootstrap/container-file";
import { ZITADEL_BOOTSTRAP_VOLUME_OPTS, ZITADEL_PAT_PATH } from "../../components/identity/zitadel";
import { parseBootstrapStdout, type BootstrapInputs } from "../../components/bootstrap/bootstrap-step";
import { BOOTSTRAP_INTERPRETER } from "../../components/bootstrap/zitadel-bootstrap";
import { repoRoot } from "../../config/repo-root";
import { startZitadelStandin } from "../helpers/zitadel-standin";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";

/**
 * The bootstrap run as @pulumi/command's local.Command runs it (provider/pkg/provider/local/commandOutputs.go@v1.2.1):
 * the interpreter with the command string as its last argument, in the program's directory, `node` from PATH, the
 * request on stdin, the previous stdout in PULUMI_COMMAND_STDOUT on an update.
 */
async function runAsCommandProvider(step: "create" | "update", request: BootstrapInputs, previousStdout?: string) {
  const [program, ...args] = BOOTSTRAP_INTERPRETER;
  // Asynchronous: the Zitadel stand-in answers from this process.
  const child = spawn(program, [...args, step], {
    cwd: repoRoot(),
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env["PATH"] ?? ""}`,
      ...(previousStdout !== undefined ? { PULUMI_COMMAND_STDOUT: previousStdout } : {}),
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout: stdout.trim(), stderr };
}

describe("reading Zitadel's PAT out of a container through the Docker Engine API", function () {
  this.timeout(120000);

  it("takes the first regular file out of a tar stream written by GNU tar", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-tar-"));
    try {
      const content = "x".repeat(700) + "\n";
      writeFileSync(path.join(dir, "admin-sa.pat"), content);
      const tar = execFileSync("tar", ["-C", dir, "-cf", "-", "admin-sa.pat"]);
      expect(firstFileOfTar(tar).toString()).to.equal(content);
      expect(() => firstFileOfTar(Buffer.alloc(1024))).to.throw("archive: no regular file in the tar stream");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("on a real engine (podman's Docker API)", () => {
    let podman: Podman | undefined;
    before(async function () {
      if (!podmanAvailable()) this.skip();
      podman = await startPodman();
      const image = await podman.importBusybox("localhost/myoci-h9b-busybox:1", "h9b");
      // The volume Zitadel's component declares: local driver, tmpfs, mode 1777 (so a non-root user can write).
      const opts = Object.entries(ZITADEL_BOOTSTRAP_VOLUME_OPTS).flatMap(([k, v]) => ["--opt", `${k}=${v}`]);
      await podman.podman(["volume", "create", ...opts, "myoci-h9b-zitadel-bootstrap"]);
      await podman.podman([
        "run",
        "-d",
        "--name",
        "myoci-h9b-zitadel",
        "--user",
        "1000:1000",
        "-v",
        "myoci-h9b-zitadel-bootstrap:/zitadel/bootstrap",
        image,
        "sh",
        "-c",
        `echo pat-value-123 > ${ZITADEL_PAT_PATH} && sleep 60`,
      ]);
    });
    after(async () => podman?.stop());

    // A non-root process writes a PAT into a volume with the options Zitadel's component declares, then waits.
    it("reads a file a non-root process wrote into the tmpfs-backed bootstrap volume, and 404s a missing one", async () => {
      let content = "";
      for (let i = 0; i < 50 && content === ""; i++) {
        content = await readContainerFile(podman!.dockerHost, "myoci-h9b-zitadel", ZITADEL_PAT_PATH).then(
          (b) => b.toString(),
          () => "",
        );
        if (content === "") await new Promise((r) => setTimeout(r, 100));
      }
      expect(content).to.equal("pat-value-123\n");
      const missing = await readContainerFile(podman!.dockerHost, "myoci-h9b-zitadel", "/zitadel/bootstrap/nothing.pat").catch((e: unknown) => e);
      expect((missing as { status?: number }).status).to.equal(404);
      expect((missing as Error).message).to.match(/^unix:\/\/.*: \/zitadel\/bootstrap\/nothing\.pat in myoci-h9b-zitadel: HTTP 404: /);

      // ssh://: the engine's API over the stdio of `ssh … docker system dial-stdio`; here a stand-in "ssh" that
      // records its argv and bridges its stdio to the same engine socket.
      const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-ssh-"));
      try {
        const socketPath = podman!.dockerHost.slice("unix://".length);
        writeFileSync(
          path.join(dir, "bridge.js"),
          `require("fs").writeFileSync(${JSON.stringify(path.join(dir, "argv"))}, JSON.stringify(process.argv.slice(2)));\n` +
            `const s = require("net").connect(${JSON.stringify(socketPath)}); process.stdin.pipe(s); s.pipe(process.stdout);\n`,
        );
        writeFileSync(path.join(dir, "ssh"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, "bridge.js"))} "$@"\n`, {
          mode: 0o755,
        });
        const viaSsh = await readContainerFile("ssh://deploy@oci.example.org:2222", "myoci-h9b-zitadel", ZITADEL_PAT_PATH, {
          sshCommand: path.join(dir, "ssh"),
        });
        expect(viaSsh.toString()).to.equal("pat-value-123\n");
        expect(JSON.parse(readFileSync(path.join(dir, "argv"), "utf8"))).to.deep.equal([
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
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("runs the bootstrap command as the command provider does: PAT from the engine, objects in a Zitadel stand-in; an update takes the PAT from the previous stdout", async () => {
      const zitadel = await startZitadelStandin("pat-value-123");
      try {
        const request: BootstrapInputs = {
          dockerHost: podman!.dockerHost,
          container: "myoci-h9b-zitadel",
          patPath: ZITADEL_PAT_PATH,
          apiUrl: zitadel.url,
          netbirdUrl: "https://netbird.example.org",
          projectName: "NETBIRD",
          serviceUserName: "netbird-service-account",
          adminUserName: "admin",
          adminEmail: "ops@example.org",
          adminPassword: "a-long-admin-password",
          timeoutSeconds: 20,
        };
        const created = await runAsCommandProvider("create", request);
        expect(created.stderr).to.equal("");
        expect(created.code).to.equal(0);
        const outs = parseBootstrapStdout(created.stdout);
        expect(outs).to.deep.include({ pat: "pat-value-123", projectId: zitadel.projects[0]!.id, dashboardClientId: zitadel.apps[0]!.clientId });
        expect(zitadel.requests.every((r) => r.authorization === "Bearer pat-value-123")).to.equal(true);
        // A new admin e-mail, and Zitadel's container replaced (no PAT file any more): the PAT comes from the state.
        const updated = await runAsCommandProvider(
          "update",
          { ...request, container: "myoci-h9b-zitadel-replaced", adminEmail: "admin@example.org" },
          created.stdout,
        );
        expect(updated.code, updated.stderr).to.equal(0);
        expect(parseBootstrapStdout(updated.stdout)).to.deep.include({ pat: "pat-value-123", projectId: outs.projectId, adminEmail: "admin@example.org" });
      } finally {
        await zitadel.close();
      }
    });
  });
});
