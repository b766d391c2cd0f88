import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { firstFileOfTar, readContainerFile } from "../../components/bootstrap/container-file";
import { ZITADEL_BOOTSTRAP_VOLUME_OPTS, ZITADEL_PAT_PATH } from "../../components/identity/zitadel";
import * as pulumi from "@pulumi/pulumi";
import { bootstrapProvider, defaultIo } from "../../components/bootstrap/zitadel-bootstrap";
import { startZitadelStandin } from "../helpers/zitadel-standin";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";

// The serializer and the loader Pulumi's engine uses for dynamic providers (both ship with @pulumi/pulumi).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serializeFunction } = require("@pulumi/pulumi/runtime/closure/serializeClosure") as {
  serializeFunction: (f: () => unknown, options: { allowSecrets: boolean }) => Promise<{ text: string }>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string) => unknown;

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

    it("runs the bootstrap provider as Pulumi serializes and loads it: PAT from the engine, objects in a Zitadel stand-in", async () => {
      const zitadel = await startZitadelStandin("pat-value-123");
      try {
        // As @pulumi/pulumi dynamic/index.js serializes a provider and cmd/dynamic-provider loads it.
        const { text } = await serializeFunction(() => bootstrapProvider(defaultIo), { allowSecrets: true });
        const provider = (requireFromString(text) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
        const created = await provider.create({
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
        });
        expect(created.outs).to.deep.include({ pat: "pat-value-123", projectId: zitadel.projects[0]!.id, dashboardClientId: zitadel.apps[0]!.clientId });
        expect(zitadel.requests.every((r) => r.authorization === "Bearer pat-value-123")).to.equal(true);
      } finally {
        await zitadel.close();
      }
    });
  });
});
