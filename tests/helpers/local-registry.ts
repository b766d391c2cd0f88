/** Starts Debian's docker-registry (CNCF distribution) on 127.0.0.1 with a free port and its own storage; tests upload to it. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { sha256Digest } from "./digest";

export interface LocalRegistry {
  /** `127.0.0.1:PORT` (an image reference host). */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Uploads a blob and returns its digest. */
  pushBlob(repository: string, content: Buffer): Promise<string>;
  /** Uploads a manifest under a tag (or digest); returns the Docker-Content-Digest the registry answers. */
  pushManifest(repository: string, reference: string, manifest: object, mediaType: string): Promise<string>;
  /** Pushes a tiny single-platform OCI image (config + one layer of the given bytes) and returns its manifest digest. */
  pushTinyImage(repository: string, tag: string, layer: string): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sha256 = sha256Digest;

async function waitFor(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    }
    try {
      const response = await fetch(url);
      if (response.status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer ${url} within 10 s: ${log()}`);
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-registry-"));
  const port = await freePort();
  const config = path.join(dir, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/v2/`, child, () => output);

  const pushBlob = async (repository: string, content: Buffer): Promise<string> => {
    const digest = sha256(content);
    const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: "POST" });
    if (start.status !== 202) {
      throw new Error(`blob upload start: HTTP ${start.status}`);
    }
    const location = new URL(start.headers.get("location")!, url);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, { method: "PUT", body: new Uint8Array(content), headers: { "Content-Type": "application/octet-stream" } });
    if (put.status !== 201) {
      throw new Error(`blob upload: HTTP ${put.status} ${await put.text()}`);
    }
    return digest;
  };
  const pushManifest = async (repository: string, reference: string, manifest: object, mediaType: string): Promise<string> => {
    const response = await fetch(`${url}/v2/${repository}/manifests/${reference}`, {
      method: "PUT",
      body: JSON.stringify(manifest),
      headers: { "Content-Type": mediaType },
    });
    if (response.status !== 201) {
      throw new Error(`manifest upload: HTTP ${response.status} ${await response.text()}`);
    }
    return response.headers.get("docker-content-digest")!;
  };
  return {
    host: `127.0.0.1:${port}`,
    url,
    pushBlob,
    pushManifest,
    async pushTinyImage(repository, tag, layer) {
      const layerBytes = Buffer.from(layer);
      const configBytes = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layerBytes)] } }));
      const configDigest = await pushBlob(repository, configBytes);
      const layerDigest = await pushBlob(repository, layerBytes);
      const mediaType = "application/vnd.oci.image.manifest.v1+json";
      return pushManifest(
        repository,
        tag,
        {
          schemaVersion: 2,
          mediaType,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: configBytes.length },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: layerBytes.length }],
        },
        mediaType,
      );
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
