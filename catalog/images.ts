/**
 * The catalog: what each image of the platform is. Data only; every fact names its source.
 * The program, the policy pack, the version tool and the generated docs all read this one table.
 */
import { compareTags, parseTag, type ParsedTag, type TagScheme } from "./tags";

export const COMPONENT_IDS = [
  "netdata",
  "ntfy",
  "forwarderBase",
  "loki",
  "promtail",
  "alloy",
  "grafana",
  "caddy",
  "netbirdManagement",
  "netbirdSignal",
  "netbirdRelay",
  "netbirdDashboard",
  "coturn",
  "zitadel",
  "postgres",
] as const;

/** One image of the platform (a service may run several, e.g. NetBird). */
export type ComponentId = (typeof COMPONENT_IDS)[number];

export type ServiceGroup = "monitoring" | "edge" | "vpn" | "identity";

/** How a container proves it is healthy: Docker's healthcheck, and the HTTP probe the rollout uses. */
export interface HealthSpec {
  /** Docker healthcheck `test`, e.g. `["CMD", "/usr/bin/loki", "-health"]`. */
  readonly test: readonly string[];
  /** A different `test` from a version on (images that changed base, e.g. Loki 3.6 dropped busybox). */
  readonly testSince?: { readonly version: string; readonly test: readonly string[]; readonly source: string };
  /** HTTP endpoint probed from the Docker host through the published loopback port (absent: container health only). */
  readonly probe?: { readonly port: number; readonly path: string };
  /** Seconds a fresh container may take before failures count. */
  readonly startPeriodSeconds: number;
  readonly source: string;
}

export interface PortSpec {
  readonly container: number;
  readonly protocol: "tcp" | "udp";
  /** Default host port (published on 127.0.0.1 unless `edge`). */
  readonly host: number;
  /** Published on all addresses (the public edge of the host). */
  readonly edge?: boolean;
  readonly purpose: string;
}

export interface EndOfLife {
  readonly date: string; // ISO date
  readonly successor?: ComponentId;
  readonly note: string;
  readonly source: string;
}

/** What must be saved before an update can damage the service's data. */
export type BackupKind = "pg_dumpall" | "volume-archive" | "none";

export interface CatalogEntry {
  readonly id: ComponentId;
  readonly title: string;
  readonly group: ServiceGroup;
  /** Registry host, e.g. `docker.io`, `ghcr.io`. */
  readonly registry: string;
  /** Repository on that registry, e.g. `grafana/loki`, `library/caddy`. */
  readonly repository: string;
  readonly tagScheme: TagScheme;
  readonly health: HealthSpec;
  readonly ports: readonly PortSpec[];
  /** Container paths holding data that must survive a replacement. */
  readonly dataPaths: readonly string[];
  /** Default memory limit in MiB. */
  readonly memoryMb: number;
  readonly user?: string;
  readonly endOfLife?: EndOfLife;
  readonly backup: BackupKind;
  /** Release notes; `{tag}` = the tag as pinned, `{version}` = numbers only. */
  readonly changelog: string;
  readonly sources: readonly string[];
}

const NO_SUFFIX = [""] as const;

/** coturn's STUN/TURN port (UDP and TCP): published on the edge, in turnserver.conf and in NetBird's management.json. */
export const TURN_PORT = 3478;

export const CATALOG: Readonly<Record<ComponentId, CatalogEntry>> = {
  netdata: {
    id: "netdata",
    title: "Netdata",
    group: "monitoring",
    registry: "docker.io",
    repository: "netdata/netdata",
    tagScheme: { vPrefix: true, parts: 3, suffixes: NO_SUFFIX },
    health: {
      // The image's own HEALTHCHECK (/usr/sbin/health.sh) runs `curl -sSL` without -f, so an HTTP 500 passes;
      // the same curl with -f fails on any error status.
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:19999/api/v1/info"],
      probe: { port: 19999, path: "/api/v1/info" },
      startPeriodSeconds: 60,
      source: 'netdata/netdata packaging/docker/health.sh@b697a3c (curl -sSL "${NETDATA_HEALTHCHECK_TARGET}", no -f; curl is in the image)',
    },
    ports: [{ container: 19999, protocol: "tcp", host: 19999, purpose: "dashboard and API" }],
    dataPaths: ["/etc/netdata", "/var/lib/netdata", "/var/cache/netdata"],
    memoryMb: 512,
    backup: "none",
    changelog: "https://github.com/netdata/netdata/releases/tag/{tag}",
    sources: ["learn.netdata.cloud Docker install docs", "netdata packaging/docker/health.sh"],
  },
  ntfy: {
    id: "ntfy",
    title: "ntfy",
    group: "monitoring",
    registry: "docker.io",
    repository: "binwiederhier/ntfy",
    tagScheme: { vPrefix: true, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD-SHELL", "wget -q --tries=1 http://localhost:80/v1/health -O - | grep -Eo '\"healthy\"\\s*:\\s*true' || exit 1"],
      probe: { port: 80, path: "/v1/health" },
      startPeriodSeconds: 20,
      source: "binwiederhier/ntfy docs/install.md (docker-compose healthcheck)",
    },
    ports: [{ container: 80, protocol: "tcp", host: 8090, purpose: "HTTP API and web app" }],
    dataPaths: ["/var/cache/ntfy", "/var/lib/ntfy"],
    memoryMb: 128,
    backup: "volume-archive",
    changelog: "https://github.com/binwiederhier/ntfy/releases/tag/{tag}",
    sources: [
      "binwiederhier/ntfy docs/install.md",
      "binwiederhier/ntfy Dockerfile",
      "binwiederhier/ntfy docs/config.md (auth-users name:bcrypt:role, auth-access user:topic:perm; commit 2578236d, v2.14.0+)",
    ],
  },
  forwarderBase: {
    id: "forwarderBase",
    title: "Telegram forwarder base (Python)",
    group: "monitoring",
    registry: "docker.io",
    repository: "library/python",
    tagScheme: { vPrefix: false, parts: 2, suffixes: ["alpine"] },
    health: {
      test: ["CMD", "python", "-c", "import os,sys,time; sys.exit(0 if time.time()-os.path.getmtime('/tmp/heartbeat')<120 else 1)"],
      startPeriodSeconds: 30,
      source: "myOCI forwarder/forwarder.py writes /tmp/heartbeat every loop",
    },
    ports: [],
    dataPaths: [],
    memoryMb: 64,
    backup: "none",
    changelog: "https://docs.python.org/{version}/whatsnew/changelog.html",
    sources: ["docker-library python (official image)"],
  },
  loki: {
    id: "loki",
    title: "Loki",
    group: "monitoring",
    registry: "docker.io",
    repository: "grafana/loki",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD-SHELL", "wget --no-verbose --tries=1 --spider http://localhost:3100/ready || exit 1"],
      testSince: {
        version: "3.6.5",
        test: ["CMD", "/usr/bin/loki", "-health"],
        source:
          "grafana/loki cmd/loki/main.go@v3.6.5 and cmd/loki/health.go@v3.6.5 (`-health` GETs http://localhost:3100/ready, exit 1 unless 200); absent in main.go@v3.6.4 (PR 20313)",
      },
      probe: { port: 3100, path: "/ready" },
      startPeriodSeconds: 30,
      source:
        "grafana/loki cmd/loki/Dockerfile@v3.0.0 (alpine, wget), @v3.5.0 (distroless static:debug, busybox); @v3.6.0–v3.6.4 FROM gcr.io/distroless/static:nonroot: no shell, no wget, no -health (rule loki-healthcheck-possible)",
    },
    ports: [{ container: 3100, protocol: "tcp", host: 3100, purpose: "push and query API" }],
    dataPaths: ["/loki"],
    memoryMb: 1024,
    user: "10001",
    backup: "volume-archive",
    changelog: "https://github.com/grafana/loki/releases/tag/v{version}",
    sources: ["grafana.com Loki Docker docs", "stack-facts: runs as UID 10001"],
  },
  promtail: {
    id: "promtail",
    title: "Promtail",
    group: "monitoring",
    registry: "docker.io",
    repository: "grafana/promtail",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"],
      probe: { port: 9080, path: "/ready" },
      startPeriodSeconds: 20,
      source: "grafana/loki clients/cmd/promtail/Dockerfile (ubuntu, bash, no wget/curl); probe pattern from grafana/alloy issue 5001",
    },
    ports: [{ container: 9080, protocol: "tcp", host: 9080, purpose: "status page" }],
    dataPaths: ["/var/lib/promtail"],
    memoryMb: 256,
    endOfLife: {
      date: "2026-03-02",
      successor: "alloy",
      note: "Promtail is end of life (LTS since 2025-02-13); the last image line is 3.6.x. Migrate to Grafana Alloy.",
      source: "grafana.com Promtail docs; grafana/loki issue 16929; scylladb/scylla-monitoring PR 2885",
    },
    backup: "none",
    changelog: "https://github.com/grafana/loki/releases/tag/v{version}",
    sources: ["grafana.com Promtail docs"],
  },
  alloy: {
    id: "alloy",
    title: "Grafana Alloy",
    group: "monitoring",
    registry: "docker.io",
    repository: "grafana/alloy",
    tagScheme: { vPrefix: true, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/12345 && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"],
      probe: { port: 12345, path: "/-/ready" },
      startPeriodSeconds: 20,
      source: "grafana/alloy Dockerfile (ubuntu, bash; no curl/wget per issues 477, 5001); /-/ready waits for all components (issue 4252)",
    },
    ports: [{ container: 12345, protocol: "tcp", host: 12345, purpose: "UI and status" }],
    dataPaths: ["/var/lib/alloy/data"],
    memoryMb: 256,
    backup: "none",
    changelog: "https://github.com/grafana/alloy/releases/tag/{tag}",
    sources: ["grafana.com Alloy docs"],
  },
  grafana: {
    id: "grafana",
    title: "Grafana",
    group: "monitoring",
    registry: "docker.io",
    repository: "grafana/grafana",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX, securityBuilds: true },
    health: {
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/api/health"],
      probe: { port: 3000, path: "/api/health" },
      startPeriodSeconds: 30,
      source: "grafana.com HTTP API docs (/api/health); grafana PR 65547 (curl in the alpine image), issue 82869",
    },
    ports: [{ container: 3000, protocol: "tcp", host: 3000, purpose: "web UI" }],
    dataPaths: ["/var/lib/grafana"],
    memoryMb: 512,
    user: "472",
    backup: "volume-archive",
    changelog: "https://github.com/grafana/grafana/releases/tag/v{version}",
    sources: ["grafana.com Grafana Docker docs", "Renovate grafana security preset"],
  },
  caddy: {
    id: "caddy",
    title: "Caddy",
    group: "edge",
    registry: "docker.io",
    repository: "library/caddy",
    tagScheme: { vPrefix: false, parts: 3, suffixes: ["", "alpine"] },
    health: {
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"],
      startPeriodSeconds: 20,
      source: "caddyserver.com admin API docs (GET /config/ on the container's localhost:2019, never published)",
    },
    ports: [
      { container: 80, protocol: "tcp", host: 80, edge: true, purpose: "HTTP (ACME, redirects)" },
      { container: 443, protocol: "tcp", host: 443, edge: true, purpose: "HTTPS" },
      { container: 443, protocol: "udp", host: 443, edge: true, purpose: "HTTP/3" },
    ],
    dataPaths: ["/data", "/config"],
    memoryMb: 256,
    backup: "volume-archive",
    changelog: "https://github.com/caddyserver/caddy/releases/tag/v{version}",
    sources: ["caddyserver/caddy-docker Dockerfiles", "docker-library docs caddy"],
  },
  netbirdManagement: {
    id: "netbirdManagement",
    title: "NetBird management",
    group: "vpn",
    registry: "docker.io",
    repository: "netbirdio/management",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/80"],
      startPeriodSeconds: 30,
      source:
        "netbirdio/netbird management/Dockerfile (ubuntu, bash, no wget/curl) and management/cmd/root.go; no health endpoint exists (TCP check, unconfirmed for 0.7x)",
    },
    ports: [{ container: 80, protocol: "tcp", host: 33073, purpose: "management API and gRPC" }],
    dataPaths: ["/var/lib/netbird"],
    memoryMb: 256,
    backup: "volume-archive",
    changelog: "https://github.com/netbirdio/netbird/releases/tag/v{version}",
    sources: [
      "docs.netbird.io",
      "netbirdio/netbird infrastructure_files/getting-started-with-zitadel.sh@v0.75.1 (last tag where it ran; retired in v0.76.0)",
      "netbirdio/netbird management/internals/server/config/config.go@v0.76.1 (DataStoreEncryptionKey, HttpConfig, IdpManagerConfig, flows)",
      "netbirdio/netbird management/cmd/management.go@v0.76.1 (EnsureEncryptionKey writes a new key when absent; ApplyOIDCConfig fetches the OIDC configuration at start and fails)",
      "netbirdio/netbird util/crypt/crypt.go@v0.76.1 (key: base64 of 32 bytes)",
    ],
  },
  netbirdSignal: {
    id: "netbirdSignal",
    title: "NetBird signal",
    group: "vpn",
    registry: "docker.io",
    repository: "netbirdio/signal",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/metrics"],
      startPeriodSeconds: 20,
      source: "netbirdio/netbird signal/Dockerfile (distroless base:debug with busybox wget), signal/cmd/run.go (metrics on 9090); derived from code",
    },
    ports: [{ container: 80, protocol: "tcp", host: 10000, purpose: "signal gRPC" }],
    dataPaths: [],
    memoryMb: 128,
    backup: "none",
    changelog: "https://github.com/netbirdio/netbird/releases/tag/v{version}",
    sources: ["docs.netbird.io", "netbirdio/netbird infrastructure_files"],
  },
  netbirdRelay: {
    id: "netbirdRelay",
    title: "NetBird relay",
    group: "vpn",
    registry: "docker.io",
    repository: "netbirdio/relay",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/metrics"],
      startPeriodSeconds: 20,
      source: "netbirdio/netbird relay/Dockerfile, relay/cmd/root.go (metrics on 9090; /health on 9000 dials the public address, so liveness uses metrics)",
    },
    ports: [{ container: 80, protocol: "tcp", host: 33080, purpose: "relay (WebSocket/QUIC)" }],
    dataPaths: [],
    memoryMb: 128,
    backup: "none",
    changelog: "https://github.com/netbirdio/netbird/releases/tag/v{version}",
    sources: ["docs.netbird.io", "netbirdio/netbird infrastructure_files"],
  },
  netbirdDashboard: {
    id: "netbirdDashboard",
    title: "NetBird dashboard",
    group: "vpn",
    registry: "docker.io",
    repository: "netbirdio/dashboard",
    tagScheme: { vPrefix: true, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/"],
      probe: { port: 80, path: "/" },
      startPeriodSeconds: 20,
      source: "netbirdio/dashboard docker/Dockerfile (alpine + nginx on 80)",
    },
    ports: [{ container: 80, protocol: "tcp", host: 8081, purpose: "web dashboard" }],
    dataPaths: [],
    memoryMb: 64,
    backup: "none",
    changelog: "https://github.com/netbirdio/dashboard/releases/tag/{tag}",
    sources: [
      "netbirdio/dashboard docker/init_react_envs.sh@v2.90.9 (AUTH_CLIENT_ID, AUTH_AUDIENCE, AUTH_AUTHORITY)",
      "stack-facts: versioned apart from management",
    ],
  },
  coturn: {
    id: "coturn",
    title: "coturn",
    group: "vpn",
    registry: "docker.io",
    repository: "coturn/coturn",
    tagScheme: { vPrefix: false, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "turnutils_stunclient", "-p", String(TURN_PORT), "127.0.0.1"],
      startPeriodSeconds: 10,
      source: "coturn docker/coturn/debian/Dockerfile (turnutils shipped); coturn issue 436",
    },
    ports: [
      { container: TURN_PORT, protocol: "udp", host: TURN_PORT, edge: true, purpose: "STUN/TURN" },
      { container: TURN_PORT, protocol: "tcp", host: TURN_PORT, edge: true, purpose: "TURN over TCP" },
    ],
    dataPaths: [],
    memoryMb: 128,
    backup: "none",
    changelog: "https://github.com/coturn/coturn/blob/master/ChangeLog",
    sources: [
      "coturn/coturn docker/coturn/README.md@docker/4.7.0-r4 (host network recommended for large ranges)",
      "coturn/coturn docker/coturn/debian/Dockerfile@docker/4.6.3-r3 and @docker/4.7.0-r4 (USER nobody, CMD --external-ip=$(detect-external-ip))",
      "coturn/coturn docker/coturn/rootfs/usr/local/bin/docker-entrypoint.sh@docker/4.7.0-r4 (evaluates each argument)",
      "coturn/coturn examples/etc/turnserver.conf@4.6.3 (external-ip: one public address when NAT maps ports 1:1)",
      "docs.netbird.io",
    ],
  },
  zitadel: {
    id: "zitadel",
    title: "Zitadel",
    group: "identity",
    registry: "ghcr.io",
    repository: "zitadel/zitadel",
    tagScheme: { vPrefix: true, parts: 3, suffixes: NO_SUFFIX },
    health: {
      test: ["CMD", "/app/zitadel", "ready"],
      probe: { port: 8080, path: "/debug/ready" },
      startPeriodSeconds: 60,
      source: "zitadel.com health docs (/debug/healthz, /debug/ready; image healthcheck `zitadel ready`)",
    },
    ports: [{ container: 8080, protocol: "tcp", host: 8080, purpose: "API and console (h2c)" }],
    dataPaths: [],
    memoryMb: 512,
    backup: "volume-archive",
    changelog: "https://github.com/zitadel/zitadel/releases/tag/{tag}",
    sources: [
      "zitadel.com self-hosting docs",
      "zitadel.com requirements",
      "zitadel/zitadel cmd/setup/steps.yaml (FirstInstance.PatPath, Org.Machine: a machine IAM owner instead of the human admin)",
      "zitadel.com/docs/reference/api/management (v1 ManagementService: projects, apps, users, org members; deprecated, served by v4)",
    ],
  },
  postgres: {
    id: "postgres",
    title: "PostgreSQL",
    group: "identity",
    registry: "docker.io",
    repository: "library/postgres",
    tagScheme: { vPrefix: false, parts: 2, suffixes: ["", "alpine"] },
    health: {
      test: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"],
      startPeriodSeconds: 30,
      source: "docker-library postgres (pg_isready; -U avoids the 'role root' log noise)",
    },
    // Not published: Zitadel reaches it on the internal network, backups through `docker exec`.
    ports: [],
    dataPaths: ["/var/lib/postgresql/data"],
    memoryMb: 512,
    backup: "pg_dumpall",
    changelog: "https://www.postgresql.org/docs/release/{version}/",
    sources: ["docker-library/docs postgres", "docker-library/docs PR 2582 (18+ data path)"],
  },
};

/** Data path of the official postgres image: 18 moved it up one level. */
export function postgresDataPath(major: number): string {
  return major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

/** The catalog's changelog link for a tag: `{tag}` = the tag as pinned, `{version}` = its numbers only. */
export function changelogUrl(component: ComponentId, tag: string): string {
  const version = tag.replace(/^v/, "").split("-")[0] ?? tag;
  return CATALOG[component].changelog.replaceAll("{tag}", tag).replaceAll("{version}", version);
}

export interface EndOfLifeState {
  readonly date: string;
  /** The date has come (at `now`). */
  readonly reached: boolean;
  readonly successor?: ComponentId;
  readonly note: string;
}

/** A component's end of life as of `now`; undefined when the catalog names none. */
export function endOfLifeState(component: ComponentId, now: Date): EndOfLifeState | undefined {
  const endOfLife = CATALOG[component].endOfLife;
  if (endOfLife === undefined) {
    return undefined;
  }
  const reached = Date.parse(endOfLife.date) <= now.getTime();
  return { date: endOfLife.date, reached, ...(endOfLife.successor ? { successor: endOfLife.successor } : {}), note: endOfLife.note };
}

export function isComponentId(value: string): value is ComponentId {
  return (COMPONENT_IDS as readonly string[]).includes(value);
}

/** The healthcheck `test` for one version of an image (some images changed base between versions). */
export function healthTestFor(entry: CatalogEntry, version: ParsedTag): readonly string[] {
  const since = entry.health.testSince;
  const from = since && parseTag((entry.tagScheme.vPrefix ? "v" : "") + since.version, { ...entry.tagScheme, suffixes: [""] });
  if (since && from?.ok && compareTags(version, from.tag) >= 0) {
    return since.test;
  }
  return entry.health.test;
}
