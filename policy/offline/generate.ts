/**
 * Generated stacks for tests and the benchmark: resource lists shaped like the program's (ServiceContainer:
 * a RemoteImage, protected data volumes and a labelled Container per component), built from a stack's pins.
 * Broken variants are made by changing one field of such a list.
 */
import { CATALOG, formatImageReference, healthTestFor, parseTag, type ComponentId, type ImagePin } from "../../catalog";
import type { RecordedResource } from "./types";

export interface GenerateOptions {
  readonly stack: string;
  readonly images: Readonly<Partial<Record<ComponentId, ImagePin>>>;
  /** Copies of every component's container (the benchmark's large stacks). @default 1 */
  readonly replicas?: number;
  /** Outputs of a StackReference to the verifying stack (`{ images: { component: { image, tag, digest } } }`). */
  readonly stagingOutputs?: Record<string, unknown>;
}

const labels = (map: Record<string, string>) => Object.entries(map).map(([label, value]) => ({ label, value }));

function urnOf(stack: string, type: string, name: string, parentType?: string): string {
  return `urn:pulumi:${stack}::myoci::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

function resource(type: string, name: string, urn: string, inputs: Record<string, unknown>, opts: RecordedResource["opts"], custom = true): RecordedResource {
  return { type, name, urn, inputs, state: { ...inputs }, opts, custom };
}

/** Extra settings the program gives particular services (capabilities, host mounts, edge ports). */
function serviceExtras(component: ComponentId): {
  capabilities?: string[];
  reason?: string;
  hostMounts?: { hostPath: string; containerPath: string; readOnly: boolean }[];
} {
  switch (component) {
    case "netdata":
      return {
        capabilities: ["SYS_PTRACE", "SYS_ADMIN"],
        reason: "metrics of other processes and cgroups",
        hostMounts: [
          { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
          { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
        ],
      };
    case "promtail":
    case "alloy":
      return { hostMounts: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }] };
    default:
      return {};
  }
}

export function generateStack(options: GenerateOptions): RecordedResource[] {
  const { stack } = options;
  const resources: RecordedResource[] = [];
  const stackUrn = urnOf(stack, "pulumi:pulumi:Stack", `myoci-${stack}`);
  resources.push(resource("pulumi:pulumi:Stack", `myoci-${stack}`, stackUrn, {}, {}, false));
  if (options.stagingOutputs !== undefined) {
    resources.push(
      resource(
        "pulumi:pulumi:StackReference",
        "staging",
        urnOf(stack, "pulumi:pulumi:StackReference", "staging"),
        { name: "organization/myoci/staging", outputs: options.stagingOutputs },
        { parent: stackUrn },
      ),
    );
  }
  for (let copy = 0; copy < (options.replicas ?? 1); copy++) {
    for (const [component, pin] of Object.entries(options.images) as [ComponentId, ImagePin | undefined][]) {
      if (pin === undefined) continue;
      const entry = CATALOG[component];
      const parsed = parseTag(pin.tag, entry.tagScheme);
      const service = copy === 0 ? component.toLowerCase() : `${component.toLowerCase()}-${copy}`;
      const componentType = "myoci:base:ServiceContainer";
      const componentUrn = urnOf(stack, componentType, service);
      resources.push(resource(componentType, service, componentUrn, {}, { parent: stackUrn }, false));
      const reference = formatImageReference(entry.registry, entry.repository, pin);
      const childUrn = (type: string, name: string) => urnOf(stack, type, name, componentType);
      if (component === "forwarderBase") {
        resources.push(
          resource(
            "docker:index/image:Image",
            `${service}-build`,
            childUrn("docker:index/image:Image", `${service}-build`),
            { imageName: `myoci/forwarder:${stack}`, build: { context: "forwarder", args: { BASE_IMAGE: reference } }, skipPush: true },
            { parent: componentUrn },
          ),
        );
      } else {
        resources.push(
          resource(
            "docker:index/remoteImage:RemoteImage",
            `${service}-image`,
            childUrn("docker:index/remoteImage:RemoteImage", `${service}-image`),
            { name: reference, keepLocally: true },
            { parent: componentUrn },
          ),
        );
      }
      const common = { "myoci.component": component, "myoci.stack": stack, "myoci.managed-by": "myoci" };
      const volumes: Record<string, unknown>[] = [];
      for (const containerPath of entry.dataPaths) {
        const segment = containerPath.split("/").filter(Boolean).slice(-1)[0] ?? "data";
        const volumeName = `myoci-${stack}-${service}-${segment}`;
        resources.push(
          resource(
            "docker:index/volume:Volume",
            `${service}-${segment}`,
            childUrn("docker:index/volume:Volume", `${service}-${segment}`),
            { name: volumeName, labels: labels({ ...common, "myoci.data": "true", "myoci.path": containerPath }) },
            { parent: componentUrn, protect: true, retainOnDelete: true },
          ),
        );
        volumes.push({ volumeName, containerPath, readOnly: false });
      }
      const extras = serviceExtras(component);
      volumes.push(...(extras.hostMounts ?? []));
      const extraLabels: Record<string, string> = {};
      if (extras.reason !== undefined) extraLabels["myoci.capabilities.reason"] = extras.reason;
      if (component === "postgres" && parsed.ok) extraLabels["myoci.postgres.data-major"] = String(parsed.tag.numbers[0]);
      resources.push(
        resource(
          "docker:index/container:Container",
          `${service}-container`,
          childUrn("docker:index/container:Container", `${service}-container`),
          {
            name: `myoci-${stack}-${service}`,
            image: `sha256-of:${reference}`,
            restart: "unless-stopped",
            memory: entry.memoryMb,
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "3" },
            healthcheck: {
              tests: parsed.ok ? [...healthTestFor(entry, parsed.tag)] : [...entry.health.test],
              interval: "30s",
              timeout: "5s",
              retries: 3,
              startPeriod: `${entry.health.startPeriodSeconds}s`,
            },
            wait: true,
            waitTimeout: 180,
            labels: labels({ ...common, "myoci.version": pin.tag, "myoci.digest": pin.digest, ...extraLabels }),
            networksAdvanced: [{ name: `myoci-${stack}`, aliases: [service] }],
            ports: [
              ...entry.ports.map((p) => ({
                internal: p.container,
                external: p.host + (copy === 0 || p.edge ? 0 : copy),
                protocol: p.protocol,
                ip: p.edge ? "0.0.0.0" : "127.0.0.1",
              })),
              // coturn's relay range, published as the program does (components/vpn/netbird.ts)
              ...(component === "coturn"
                ? Array.from({ length: 41 }, (_, i) => ({ internal: 49160 + i, external: 49160 + i, protocol: "udp", ip: "0.0.0.0" }))
                : []),
            ],
            volumes,
            envs: ["TZ=UTC"],
            uploads: component === "postgres" ? [{ file: "/run/secrets/postgres-password", content: "[secret]" }] : [],
            capabilities: extras.capabilities ? { adds: extras.capabilities, drops: [] } : undefined,
            privileged: false,
          },
          { parent: componentUrn },
        ),
      );
    }
  }
  return resources;
}

/** A copy of a resource list with one resource's inputs (and state) changed. */
export function withResource(
  resources: readonly RecordedResource[],
  match: (r: RecordedResource) => boolean,
  change: (r: RecordedResource) => RecordedResource,
): RecordedResource[] {
  let changed = 0;
  const result = resources.map((r) => {
    if (!match(r)) return r;
    changed++;
    return change(structuredClone(r));
  });
  if (changed === 0) {
    throw new Error("withResource: no resource matched");
  }
  return result;
}
