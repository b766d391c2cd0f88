/**
 * The names every part of myoci shares, written once: Docker label keys, the service name of each component, the
 * names of a stack's containers, volumes and networks, and the TURN relay port range. The components write them,
 * the policy pack, drift, backup and rollout read them (tests/architecture/shared-names.test.ts keeps them here).
 */
import type { ComponentId } from "./images";

/** Label keys on every myoci container and volume. */
export const LABEL = {
  component: "myoci.component",
  version: "myoci.version",
  digest: "myoci.digest",
  stack: "myoci.stack",
  managedBy: "myoci.managed-by",
  /** On data volumes: `"true"`. */
  data: "myoci.data",
  /** On data volumes: the container path the volume holds. */
  path: "myoci.path",
  capabilityReason: "myoci.capabilities.reason",
  /** On PostgreSQL: the major version its data volume holds. */
  postgresDataMajor: "myoci.postgres.data-major",
  /** On PostgreSQL: a declared major migration, `<from>-><to>`. */
  postgresMigration: "myoci.postgres.migration",
} as const;

/** Value of the `myoci.managed-by` label. */
export const MANAGED_BY = "myoci";

/** The labels of every Docker object myoci creates for a component. */
export function ownerLabels(stack: string, component: ComponentId): Record<string, string> {
  return { [LABEL.component]: component, [LABEL.stack]: stack, [LABEL.managedBy]: MANAGED_BY };
}

/** The labels of a protected data volume holding `containerPath`. */
export function dataVolumeLabels(stack: string, component: ComponentId, containerPath: string): Record<string, string> {
  return { ...ownerLabels(stack, component), [LABEL.data]: "true", [LABEL.path]: containerPath };
}

/** The service name of each component: in its container, volume and network alias names. */
export const SERVICE_OF: Readonly<Record<ComponentId, string>> = {
  netdata: "netdata",
  ntfy: "ntfy",
  forwarderBase: "telegram-forwarder",
  loki: "loki",
  promtail: "promtail",
  alloy: "alloy",
  grafana: "grafana",
  caddy: "caddy",
  netbirdManagement: "netbird-management",
  netbirdSignal: "netbird-signal",
  netbirdRelay: "netbird-relay",
  netbirdDashboard: "netbird-dashboard",
  coturn: "coturn",
  zitadel: "zitadel",
  postgres: "postgres",
};

/** A Docker object of a stack: `myoci-<stack>-<name>`. */
export function stackObjectName(stack: string, name: string): string {
  return `myoci-${stack}-${name}`;
}

/** The container of a component: `myoci-<stack>-<service>`. */
export function containerName(stack: string, component: ComponentId): string {
  return stackObjectName(stack, SERVICE_OF[component]);
}

/** A data volume: `myoci-<stack>-<service>-<path as slug><suffix>`, unique per path. */
export function volumeName(stack: string, component: ComponentId, containerPath: string, suffix = ""): string {
  return `${containerName(stack, component)}-${volumeSlug(containerPath)}${suffix}`;
}

/** The part of a volume name that stands for its container path: `/var/lib/grafana` → `var-lib-grafana`. */
export function volumeSlug(containerPath: string): string {
  return containerPath.split("/").filter(Boolean).join("-") || "data";
}

/** The suffix of PostgreSQL's data volume for a major, so another major never mounts old data: `-pg16`. */
export function postgresVolumeSuffix(major: number): string {
  return `-pg${major}`;
}

/** The value of the `myoci.postgres.migration` label: `16->17`. */
export function postgresMigrationLabel(from: number, to: number): string {
  return `${from}->${to}`;
}

/**
 * A stack's Docker networks: `edge` (Caddy and what it proxies), `internal` (no route out) and `loopback` (a plain
 * bridge so Docker publishes the 127.0.0.1 ports of services that are not on `edge`, moby/moby#36174).
 */
export const NETWORKS = ["edge", "internal", "loopback"] as const;
export type NetworkRole = (typeof NETWORKS)[number];

export function networkName(stack: string, role: NetworkRole): string {
  return stackObjectName(stack, role);
}

/**
 * coturn's relay ports: a small range published 1:1 (host port = container port) on the edge network, with
 * turnserver.conf's min-port/max-port set to it. Docker handles large published ranges badly
 * (coturn/coturn docker/coturn/README.md@docker/4.7.0-r4: "Docker performs badly with large port ranges"); 41 ports
 * keep Docker's per-port forwarding small.
 */
export const TURN_RELAY_PORTS = { from: 49160, to: 49200 } as const;
