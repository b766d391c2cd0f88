/**
 * The config fields the pinned upstream versions read, copied by hand from their source at the cited tag (read
 * from the upstream repositories with the `fetch` tool; nothing here is reachable in CI). Only the parts of each
 * schema our generated files use are listed: a key we write that is missing here is a key the program ignores.
 */

/** `string`, `bool`, `int`, `duration` (Go duration text, e.g. `744h`), `date` (YYYY-MM-DD), `any`; objects and one-element arrays nest. */
export type Shape = "string" | "bool" | "int" | "duration" | "date" | "any" | { readonly [key: string]: Shape } | readonly [Shape];

export interface UpstreamSchema {
  readonly what: string;
  /** repo/file@tag of every struct the shape comes from. */
  readonly sources: readonly string[];
  readonly shape: Shape;
}

/** Loki 3.0.0 and 3.7.2 read the same keys for what we write (checked at both tags). */
export const LOKI_CONFIG: UpstreamSchema = {
  what: "Loki config (-config.file)",
  sources: [
    "grafana/loki pkg/loki/loki.go@v3.0.0 and @v3.7.2 (Config: auth_enabled, server, common, schema_config, limits_config, compactor)",
    "grafana/loki vendor/github.com/grafana/dskit/server/server.go@v3.0.0/@v3.7.2 (http_listen_port)",
    "grafana/loki pkg/loki/common/common.go@v3.0.0/@v3.7.2 (path_prefix, storage.filesystem.chunks_directory/rules_directory, replication_factor, ring)",
    "grafana/loki pkg/util/ring/ring_config.go, vendor/github.com/grafana/dskit/kv/client.go (kvstore.store)",
    "grafana/loki pkg/storage/config/schema_config.go@v3.0.0/@v3.7.2 (configs: from, store, object_store, schema, index.prefix/period)",
    "grafana/loki pkg/validation/limits.go (retention_period)",
    "grafana/loki pkg/compactor/compactor.go@v3.0.0, pkg/compactor/config.go@v3.7.2 (working_directory, retention_enabled, delete_request_store)",
  ],
  shape: {
    auth_enabled: "bool",
    server: { http_listen_port: "int" },
    common: {
      path_prefix: "string",
      replication_factor: "int",
      ring: { kvstore: { store: "string" } },
      storage: { filesystem: { chunks_directory: "string", rules_directory: "string" } },
    },
    schema_config: { configs: [{ from: "date", store: "string", object_store: "string", schema: "string", index: { prefix: "string", period: "duration" } }] },
    limits_config: { retention_period: "duration" },
    compactor: { working_directory: "string", retention_enabled: "bool", delete_request_store: "string" },
  },
};

export const PROMTAIL_CONFIG: UpstreamSchema = {
  what: "Promtail config (-config.file)",
  sources: [
    "grafana/loki clients/pkg/promtail/config/config.go@v3.0.0 (server, clients, positions, scrape_configs)",
    "grafana/loki clients/pkg/promtail/server/server.go@v3.0.0 (dskit server.Config inline: http_listen_port)",
    "grafana/loki clients/pkg/promtail/positions/positions.go@v3.0.0 (filename)",
    "grafana/loki clients/pkg/promtail/client/config.go@v3.0.0 (URL, yaml name url)",
    "grafana/loki clients/pkg/promtail/scrapeconfig/scrapeconfig.go@v3.0.0 (job_name, docker_sd_configs, relabel_configs)",
    "grafana/loki vendor/github.com/prometheus/prometheus/discovery/moby/docker.go@v3.0.0 (host, refresh_interval)",
    "grafana/loki vendor/github.com/prometheus/prometheus/model/relabel/relabel.go@v3.0.0 (source_labels, regex, target_label)",
  ],
  shape: {
    server: { http_listen_port: "int" },
    positions: { filename: "string" },
    clients: [{ url: "string" }],
    scrape_configs: [
      {
        job_name: "string",
        docker_sd_configs: [{ host: "string", refresh_interval: "duration" }],
        relabel_configs: [{ source_labels: ["string"], regex: "string", target_label: "string" }],
      },
    ],
  },
};

/** Alloy components: block label → the arguments the component reads (`alloy:"…"` tags). */
export const ALLOY_COMPONENTS: { readonly sources: readonly string[]; readonly components: Readonly<Record<string, Shape>> } = {
  sources: [
    "grafana/alloy internal/component/discovery/docker/docker.go@v1.18.1 (host, refresh_interval)",
    "grafana/alloy internal/component/discovery/relabel/relabel.go@v1.18.1 (targets, rule block)",
    "grafana/alloy internal/component/common/relabel/relabel.go@v1.18.1 (source_labels, regex, target_label)",
    "grafana/alloy internal/component/loki/source/docker/docker.go@v1.18.1 (host, targets, forward_to)",
    "grafana/alloy internal/component/loki/write/write.go, types.go@v1.18.1 (endpoint block, url)",
    "the pinned v1.19.2 is newer than the mirror's newest tag (v1.18.1; v1.19.0-rc.3): these arguments are unchanged since v1.0",
  ],
  components: {
    "discovery.docker": { host: "string", refresh_interval: "duration" },
    "discovery.relabel": { targets: "any", rule: [{ source_labels: ["string"], regex: "string", target_label: "string" }] },
    "loki.source.docker": { host: "string", targets: "any", forward_to: "any", refresh_interval: "duration" },
    "loki.write": { endpoint: [{ url: "string" }] },
  },
};

export const GRAFANA_DATASOURCES: UpstreamSchema = {
  what: "Grafana datasource provisioning (apiVersion 1)",
  sources: ["grafana/grafana pkg/services/provisioning/datasources/types.go (configsV1, upsertDataSourceFromConfigV1; unchanged through 12.x/13.x)"],
  shape: {
    apiVersion: "int",
    datasources: [{ name: "string", type: "string", uid: "string", access: "string", url: "string", isDefault: "bool", editable: "bool", jsonData: "any" }],
  },
};

/** ntfy's server.yml keys are the `serve` flag names (urfave/cli altsrc). */
export const NTFY_SERVER_YML: UpstreamSchema = {
  what: "ntfy server.yml",
  sources: [
    "binwiederhier/ntfy cmd/serve.go@v2.13.0 (flags base-url, listen-http, behind-proxy, cache-file, auth-file, auth-default-access; the mirror's newest tag — the pinned v2.27.0/v2.28.0 are newer and keep these flags, see docs/config.md)",
    "auth-users / auth-access: binwiederhier/ntfy commit 2578236d (v2.14.0+), cited by components/monitoring/ntfy.ts; not in the mirror",
  ],
  shape: {
    "base-url": "string",
    "listen-http": "string",
    "behind-proxy": "bool",
    "cache-file": "string",
    "auth-file": "string",
    "auth-default-access": "string",
    "keepalive-interval": "duration",
    "enable-login": "bool",
    // Declarative users and access (ntfy commit 2578236d, first in v2.14.0, as the component cites it): newer than
    // the mirror's newest tag, so not read from source here.
    "auth-users": ["string"],
    "auth-access": ["string"],
  },
};

const HOST: Shape = { Proto: "string", URI: "string", Username: "string", Password: "string" };
const PROVIDER: Shape = {
  ClientID: "string",
  ClientSecret: "string",
  Domain: "string",
  Audience: "string",
  TokenEndpoint: "string",
  DeviceAuthEndpoint: "string",
  AuthorizationEndpoint: "string",
  Scope: "string",
  UseIDToken: "bool",
  RedirectURLs: ["string"],
  DisablePromptLogin: "bool",
  LoginFlag: "int",
};

export const NETBIRD_MANAGEMENT_JSON: UpstreamSchema = {
  what: "NetBird management.json",
  sources: [
    "netbirdio/netbird management/internals/server/config/config.go@v0.76.1 (Config, TURNConfig, Relay, HttpServerConfig, Host, DeviceAuthorizationFlow, PKCEAuthorizationFlow, ProviderConfig, StoreConfig)",
    "netbirdio/netbird management/server/idp/idp.go@v0.76.1 (Config: ManagerType, ClientConfig, ExtraConfig, …)",
  ],
  shape: {
    Stuns: [HOST],
    TURNConfig: { TimeBasedCredentials: "bool", CredentialsTTL: "duration", Secret: "string", Turns: [HOST] },
    Relay: { Addresses: ["string"], CredentialsTTL: "duration", Secret: "string" },
    Signal: HOST,
    Datadir: "string",
    DataStoreEncryptionKey: "string",
    HttpConfig: {
      LetsEncryptDomain: "string",
      CertFile: "string",
      CertKey: "string",
      AuthClientID: "string",
      AuthAudience: "string",
      CLIAuthAudience: "string",
      AuthIssuer: "string",
      AuthUserIDClaim: "string",
      AuthKeysLocation: "string",
      OIDCConfigEndpoint: "string",
      IdpSignKeyRefreshEnabled: "bool",
      ExtraAuthAudience: "string",
      AuthCallbackURL: "string",
    },
    IdpManagerConfig: { ManagerType: "string", ClientConfig: "any", ExtraConfig: "any", ZitadelClientCredentials: "any" },
    DeviceAuthorizationFlow: { Provider: "string", ProviderConfig: PROVIDER },
    PKCEAuthorizationFlow: { ProviderConfig: PROVIDER },
    StoreConfig: { Engine: "string" },
    DisableDefaultPolicy: "bool",
  },
};

/** Every problem of `value` against `shape`: keys the program does not read, and values of the wrong type. */
export function shapeProblems(value: unknown, shape: Shape, at = ""): string[] {
  const where = at === "" ? "(root)" : at;
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return [`${where}: expected a list, got ${JSON.stringify(value)}`];
    return value.flatMap((v, i) => shapeProblems(v, shape[0] as Shape, `${at}[${i}]`));
  }
  if (typeof shape === "object") {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${where}: expected a map, got ${JSON.stringify(value)}`];
    const fields = shape as Readonly<Record<string, Shape>>;
    return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
      const inner = fields[key];
      const path = at === "" ? key : `${at}.${key}`;
      return inner === undefined ? [`${path}: not a field the program reads`] : shapeProblems(v, inner, path);
    });
  }
  const ok: Record<Exclude<Shape, object>, (v: unknown) => boolean> = {
    string: (v) => typeof v === "string",
    bool: (v) => typeof v === "boolean",
    int: (v) => Number.isInteger(v),
    duration: (v) => typeof v === "string" && /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$/.test(v),
    date: (v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v),
    any: () => true,
  };
  return ok[shape](value) ? [] : [`${where}: expected ${shape}, got ${JSON.stringify(value)}`];
}
