/**
 * A real registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 with a free port and a
 * temporary root directory, plus helpers that fill it over the HTTP API (blobs, manifests, multi-arch indexes).
 * Digests are sha256 of the bytes we upload, checked against what the registry answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { sha256Digest } from "./digest";

export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file with the certificate(s) whose keys sign tokens. */
  readonly rootCertBundle: string;
}

export interface RunningRegistry {
  readonly url: string;
  readonly port: number;
  readonly rootDir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface StartRegistryOptions {
  /** Share storage with another registry (e.g. an open one used to fill, a token-auth one to read). */
  readonly rootDir?: string;
  readonly tokenAuth?: TokenAuthConfig;
}

/** Starts `docker-registry serve` and waits until /v2/ answers. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), "myoci-registry-"));
  const rootDir = options.rootDir ?? path.join(workDir, "data");
  const auth = options.tokenAuth;
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const config = [
      "version: 0.1",
      "log:",
      "  level: error",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${rootDir}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      ...(auth
        ? [
            "auth:",
            "  token:",
            `    realm: ${auth.realm}`,
            `    service: ${auth.service}`,
            `    issuer: ${auth.issuer}`,
            `    rootcertbundle: ${auth.rootCertBundle}`,
          ]
        : []),
    ].join("\n");
    const configFile = path.join(workDir, "config.yml");
    writeFileSync(configFile, `${config}\n`);
    const child = spawn("docker-registry", ["serve", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    if (await waitReady(url, child)) {
      return {
        url,
        port,
        rootDir,
        stop: async () => {
          await stopChild(child);
          rmSync(workDir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (tries >= 2) {
      rmSync(workDir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${stderr.slice(-500)}`);
    }
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) {
      return false;
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) {
        return true;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export const sha256 = sha256Digest;

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** Uploads a blob (POST + PUT) and returns its digest. */
export async function pushBlob(registryUrl: string, repository: string, bytes: Buffer | string): Promise<{ digest: string; size: number }> {
  const body = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  const digest = sha256(body);
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: "POST" });
  await start.arrayBuffer();
  const location = start.headers.get("location");
  if (start.status !== 202 || location === null) {
    throw new Error(`blob upload start for ${repository}: HTTP ${start.status}`);
  }
  const target = new URL(location, registryUrl);
  target.searchParams.set("digest", digest);
  const put = await fetch(target, { method: "PUT", body: new Uint8Array(body), headers: { "Content-Type": "application/octet-stream" } });
  await put.arrayBuffer();
  if (put.status !== 201) {
    throw new Error(`blob upload for ${repository}: HTTP ${put.status}`);
  }
  return { digest, size: body.length };
}

/** PUTs a manifest under a tag; returns the digest (checked: the registry's header equals sha256 of our bytes). */
export async function pushManifest(registryUrl: string, repository: string, reference: string, manifest: object, mediaType: string): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    body: new Uint8Array(body),
    headers: { "Content-Type": mediaType },
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new Error(`manifest PUT ${repository}:${reference}: HTTP ${response.status} ${text}`);
  }
  const digest = sha256(body);
  if (response.headers.get("docker-content-digest") !== digest) {
    throw new Error(`registry digest ${response.headers.get("docker-content-digest")} ≠ ${digest}`);
  }
  return digest;
}

export interface PushedImage {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/** A single-platform image (config + one layer); `marker` makes its bytes (and digest) unique. */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  options: { marker?: string; architecture?: string; docker?: boolean } = {},
): Promise<PushedImage> {
  const architecture = options.architecture ?? "amd64";
  const marker = options.marker ?? `${repository}:${tag}`;
  const config = await pushBlob(
    registryUrl,
    repository,
    JSON.stringify({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Labels: { marker } } }),
  );
  const layer = await pushBlob(registryUrl, repository, `layer of ${marker} ${architecture}`);
  const mediaType = options.docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: options.docker ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: config.digest, size: config.size },
    layers: [{ mediaType: options.docker ? MEDIA.dockerLayer : MEDIA.ociLayer, digest: layer.digest, size: layer.size }],
  };
  const digest = await pushManifest(registryUrl, repository, tag, manifest, mediaType);
  return { digest, size: Buffer.byteLength(JSON.stringify(manifest)), mediaType };
}

/** A multi-arch OCI image index (amd64 + arm64) under `tag`; returns the index digest and the platform digests. */
export async function pushIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  options: { marker?: string } = {},
): Promise<{ digest: string; platforms: PushedImage[] }> {
  const marker = options.marker ?? `${repository}:${tag}`;
  const platforms: PushedImage[] = [];
  for (const architecture of ["amd64", "arm64"]) {
    platforms.push(await pushImage(registryUrl, repository, `${tag}-${architecture}-only`, { marker, architecture }));
  }
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: platforms.map((p, i) => ({
      mediaType: p.mediaType,
      digest: p.digest,
      size: p.size,
      platform: { architecture: i === 0 ? "amd64" : "arm64", os: "linux" },
    })),
  };
  return { digest: await pushManifest(registryUrl, repository, tag, index, MEDIA.ociIndex), platforms };
}

/** Tags `tags` with one shared small manifest (cheap way to publish many versions); returns its digest. */
export async function pushTags(registryUrl: string, repository: string, tags: readonly string[], marker = repository): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const tag of tags) {
    digests[tag] = (await pushImage(registryUrl, repository, tag, { marker: `${marker}:${tag}` })).digest;
  }
  return digests;
}
