/**
 * The one container base every service uses: a digest-pinned RemoteImage, a Container with the catalog's
 * healthcheck (and `wait`, so `pulumi up` fails when it never turns healthy), restart policy, memory limit,
 * log rotation, labels, network aliases, loopback-only ports, and protected named volumes for its data.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  CATALOG,
  containerName,
  dataVolumeLabels,
  formatImageReference,
  healthTestFor,
  LABEL,
  ownerLabels,
  parseTag,
  volumeName,
  volumeSlug,
  type ComponentId,
  type ImagePin,
} from "../catalog";

export const LOOPBACK = "127.0.0.1";
export const ANY_ADDRESS = "0.0.0.0";

export interface NetworkAttachment {
  readonly network: pulumi.Input<string>;
  readonly aliases: readonly string[];
  /**
   * The network is `internal: true` (no route out). Docker publishes no port of a container attached only to
   * internal networks (moby/moby#36174), so a container that publishes ports needs one attachment that is not.
   * @default false
   */
  readonly internal?: boolean;
}

export interface FileUpload {
  /** Absolute path in the container. */
  readonly path: string;
  readonly content: pulumi.Input<string>;
  /** Content holds a credential: kept a Pulumi secret (state encrypted, never displayed). */
  readonly secret?: boolean;
}

export interface HostMount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

export interface ServiceContainerArgs {
  /** Catalog id of the image. */
  readonly component: ComponentId;
  /** Tag and digest; ignored when `builtImage` is given. */
  readonly pin: ImagePin;
  readonly stack: string;
  readonly networks: readonly NetworkAttachment[];
  readonly memoryMb: number;
  /**
   * Container ports to publish; edge ports on all addresses, the rest on 127.0.0.1.
   * @default the catalog's ports
   */
  readonly ports?: readonly { readonly container: number; readonly host: number; readonly protocol: "tcp" | "udp"; readonly edge?: boolean }[];
  /**
   * Container paths whose data lives in protected named volumes.
   * @default the catalog's data paths
   */
  readonly dataPaths?: readonly string[];
  /** Appended to every data volume name, e.g. `-pg16` so another Postgres major never mounts old data. */
  readonly volumeSuffix?: string;
  readonly hostMounts?: readonly HostMount[];
  /** Volumes created elsewhere (not data: e.g. Zitadel's tmpfs-backed bootstrap volume), mounted as given. */
  readonly volumeMounts?: readonly { readonly volumeName: pulumi.Input<string>; readonly containerPath: string; readonly readOnly: boolean }[];
  /** Plain (non-secret) environment. Credentials go in `files` (the policy pack refuses them here). */
  readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Credentials for images that read them only from the environment (NetBird relay). Kept Pulumi secrets;
   * the policy pack refuses them unless its allowlist names the container and variable with a reason.
   */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly files?: readonly FileUpload[];
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  /** @default the catalog's user, else the image's */
  readonly user?: string;
  /** Linux capabilities to add, with the reason (kept as a label; the policy pack allowlists them). */
  readonly capabilities?: { readonly add: readonly string[]; readonly reason: string };
  readonly pidMode?: string;
  readonly securityOpts?: readonly string[];
  /** Extra labels, e.g. the Postgres data major. */
  readonly labels?: Readonly<Record<string, string>>;
  /** A locally built image (the Telegram forwarder) instead of a registry pin. */
  readonly builtImage?: { readonly reference: pulumi.Input<string>; readonly version: string; readonly baseDigest: string };
  /** Resources the container must start after (e.g. Zitadel after Postgres). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Seconds `pulumi up` waits for the container to turn healthy.
   * @default 180
   */
  readonly waitTimeoutSeconds?: number;
}

export class ServiceContainer extends pulumi.ComponentResource {
  /** The pinned image (absent for built images). */
  public readonly image?: docker.RemoteImage;
  public readonly container: docker.Container;
  /** Protected data volumes by container path. */
  public readonly volumes: Readonly<Record<string, docker.Volume>>;
  /** `registry/repo:tag@sha256:…` */
  public readonly imageReference: pulumi.Output<string>;
  public readonly tag: string;
  public readonly digest: string;
  public readonly containerName: string;

  constructor(name: string, args: ServiceContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:base:ServiceContainer", name, {}, opts);
    const entry = CATALOG[args.component];
    const parsedTag = parseTag(args.pin.tag, entry.tagScheme);
    if (!parsedTag.ok) {
      throw new Error(`${args.component}: ${parsedTag.reason}`);
    }
    this.containerName = containerName(args.stack, args.component);
    this.tag = args.builtImage?.version ?? args.pin.tag;
    this.digest = args.builtImage?.baseDigest ?? args.pin.digest;

    let imageForContainer: pulumi.Input<string>;
    if (args.builtImage) {
      this.imageReference = pulumi.output(args.builtImage.reference);
      imageForContainer = args.builtImage.reference;
    } else {
      const reference = formatImageReference(entry.registry, entry.repository, args.pin);
      this.image = new docker.RemoteImage(`${name}-image`, { name: reference, keepLocally: true }, { parent: this });
      this.imageReference = pulumi.output(reference);
      imageForContainer = this.image.imageId;
    }

    const commonLabels = ownerLabels(args.stack, args.component);
    const volumes: Record<string, docker.Volume> = {};
    for (const containerPath of args.dataPaths ?? entry.dataPaths) {
      const suffix = args.volumeSuffix ?? "";
      volumes[containerPath] = new docker.Volume(
        `${name}-${volumeSlug(containerPath)}${suffix}`,
        {
          name: volumeName(args.stack, args.component, containerPath, suffix),
          labels: toLabels(dataVolumeLabels(args.stack, args.component, containerPath)),
        },
        // Data outlives the container, a replacement and even `pulumi destroy`.
        { parent: this, protect: true, retainOnDelete: true },
      );
    }
    this.volumes = volumes;

    const ports = args.ports ?? entry.ports;
    if (ports.length > 0 && args.networks.every((n) => n.internal === true)) {
      throw new Error(
        `${this.containerName}: publishes ${ports.map((p) => `${p.host}/${p.protocol}`).join(", ")} but is attached only to internal networks, ` +
          "where Docker publishes no port (moby/moby#36174): attach it to the loopback or edge network too.",
      );
    }
    const labels: Record<string, string> = {
      ...commonLabels,
      [LABEL.version]: this.tag,
      [LABEL.digest]: this.digest,
      ...(args.capabilities ? { [LABEL.capabilityReason]: args.capabilities.reason } : {}),
      ...args.labels,
    };
    const health = entry.health;
    this.container = new docker.Container(
      `${name}-container`,
      {
        name: this.containerName,
        image: imageForContainer,
        restart: "unless-stopped",
        memory: args.memoryMb,
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        healthcheck: {
          tests: [...healthTestFor(entry, parsedTag.tag)],
          interval: "30s",
          timeout: "5s",
          retries: 3,
          startPeriod: `${health.startPeriodSeconds}s`,
          startInterval: "2s",
        },
        wait: true,
        waitTimeout: args.waitTimeoutSeconds ?? 180,
        labels: toLabels(labels),
        networksAdvanced: args.networks.map((n) => ({ name: n.network, aliases: [...n.aliases] })),
        ports: ports.map((p) => ({ internal: p.container, external: p.host, protocol: p.protocol, ip: p.edge ? ANY_ADDRESS : LOOPBACK })),
        volumes: [
          ...Object.entries(volumes).map(([containerPath, volume]) => ({ volumeName: volume.name, containerPath, readOnly: false })),
          ...(args.hostMounts ?? []).map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: m.readOnly })),
          ...(args.volumeMounts ?? []).map((m) => ({ volumeName: m.volumeName, containerPath: m.containerPath, readOnly: m.readOnly })),
        ],
        envs: [
          ...Object.entries(args.env ?? {}).map(([key, value]) => pulumi.interpolate`${key}=${value}`),
          ...Object.entries(args.secretEnv ?? {}).map(([key, value]) => pulumi.secret(pulumi.interpolate`${key}=${value}`)),
        ],
        uploads: (args.files ?? []).map((f) => ({ file: f.path, content: f.secret ? pulumi.secret(f.content) : f.content })),
        command: args.command ? [...args.command] : undefined,
        entrypoints: args.entrypoint ? [...args.entrypoint] : undefined,
        user: args.user ?? entry.user,
        capabilities: args.capabilities ? { adds: [...args.capabilities.add], drops: [] } : undefined,
        privileged: false,
        pidMode: args.pidMode,
        securityOpts: args.securityOpts ? [...args.securityOpts] : undefined,
        destroyGraceSeconds: 30,
      },
      { parent: this, deleteBeforeReplace: true, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ imageReference: this.imageReference, containerName: this.containerName });
  }
}

export function toLabels(labels: Readonly<Record<string, string>>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** A route the edge proxy (Caddy) serves for a component. */
export interface EdgeRoute {
  readonly host: string;
  /** Path matcher, e.g. `/api/*`; absent = everything else on the host. */
  readonly path?: string;
  /** `alias:port` on the edge network. */
  readonly upstream: string;
  /** `h2c` for gRPC over cleartext HTTP/2 (Zitadel, NetBird). */
  readonly transport: "http" | "h2c";
}

/** What each service component exposes to the platform. */
export interface ServiceOutputs {
  readonly containers: readonly ServiceContainer[];
  readonly routes: readonly EdgeRoute[];
}
