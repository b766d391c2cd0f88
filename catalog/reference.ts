/** Image references: `registry/repository:tag@sha256:digest`, parsed and formatted the way Docker does. */
import type { ComponentId } from "./images";

/** A content digest as registries, Docker and the stack files write it: `sha256:` and 64 lower-case hex digits. */
/** The digest as a regular expression source, for patterns that embed it (Renovate's, a repo digest). */
export const DIGEST_SOURCE = "sha256:[0-9a-f]{64}";
export const DIGEST_PATTERN = new RegExp(`^${DIGEST_SOURCE}$`);

const DIGEST_AT_END = new RegExp(`@(${DIGEST_SOURCE})$`);

/** The digest of a repo digest (`registry/repo@sha256:…`, as in RepoDigests or a Trivy ArtifactName), else undefined. */
export function digestOfRepoDigest(repoDigest: string): string | undefined {
  return DIGEST_AT_END.exec(repoDigest)?.[1];
}

export interface ImageReference {
  /** e.g. `docker.io`, `ghcr.io` */
  readonly registry: string;
  /** e.g. `grafana/loki`, `library/caddy` */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface ImagePin {
  readonly tag: string;
  readonly digest: string;
}

/** The pins of a stack, by component (components it does not run are absent). */
export type PinSet = Readonly<Partial<Record<ComponentId, ImagePin>>>;

/** Parses a reference as Docker normalises it (no registry → docker.io, no namespace → library/). */
export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  let registry = "docker.io";
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    parts.shift();
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") {
    registry = "docker.io";
  }
  let repository = parts.join("/");
  if (registry === "docker.io" && parts.length === 1) {
    repository = `library/${repository}`;
  }
  return { registry, repository, tag, digest };
}

/** The full pinned reference for a registry/repository and a pin. */
export function formatImageReference(registry: string, repository: string, pin: ImagePin): string {
  return `${registry}/${repository}:${pin.tag}@${pin.digest}`;
}
