/**
 * The whole platform for one stack: networks, the ten services, the edge routes between them, and the
 * per-component image exports the promotion gate and the version tool read.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CATALOG, formatImageReference, networkName, type ComponentId } from "./catalog";
import type { SecretKey, StackConfig } from "./config/schema";
import type { PlatformContext } from "./components/context";
import { Caddy } from "./components/edge/caddy";
import { Postgres } from "./components/identity/postgres";
import { Zitadel } from "./components/identity/zitadel";
import { Grafana } from "./components/monitoring/grafana";
import { createLogShipper } from "./components/monitoring/log-shipper";
import { Loki } from "./components/monitoring/loki";
import { Netdata } from "./components/monitoring/netdata";
import { Ntfy } from "./components/monitoring/ntfy";
import { TelegramForwarder } from "./components/monitoring/telegram-forwarder";
import { NetBird, netbirdHostname, netbirdRoutes } from "./components/vpn/netbird";
import { ZitadelBootstrap } from "./components/bootstrap/zitadel-bootstrap";
import type { ServiceOutputs } from "./components/service-container";

export interface ImageExport {
  readonly image: string;
  readonly tag: string;
  readonly digest: string;
}

export interface Platform {
  readonly services: Readonly<Record<string, ServiceOutputs>>;
  /** Per component: the pinned reference, tag and digest it runs. No secret ever goes here. */
  readonly images: Readonly<Partial<Record<ComponentId, ImageExport>>>;
  readonly hostnames: Readonly<Record<string, string>>;
}

/** The topic myoci publishes to and the forwarder relays to Telegram. */
export const NOTIFY_TOPIC = "myoci";

export function createPlatform(config: StackConfig): Platform {
  const secret = (key: SecretKey): pulumi.Output<string> => pulumi.secret(config.secrets[key].value ?? "");
  const provider = new docker.Provider("docker", { host: config.dockerHost });
  const opts = { provider };
  const edge = new docker.Network("edge", { name: networkName(config.stack, "edge"), driver: "bridge" }, opts);
  const internal = new docker.Network("internal", { name: networkName(config.stack, "internal"), driver: "bridge", internal: true }, opts);
  // Publishing a port needs a network that is not internal (moby/moby#36174): the services that only the host
  // reaches (Loki, Netdata, the log shipper) join this one beside `internal`; their ports stay on 127.0.0.1.
  const loopback = new docker.Network("loopback", { name: networkName(config.stack, "loopback"), driver: "bridge" }, opts);
  const context: PlatformContext = {
    stack: config.stack,
    domain: config.domain,
    networks: { edge: edge.name, internal: internal.name, loopback: loopback.name },
    pins: config.images,
    memoryMb: config.memoryMb,
  };
  const componentOpts: pulumi.ComponentResourceOptions = { providers: [provider] };

  const loki = new Loki("loki", { context }, componentOpts);
  const logShipper = createLogShipper(config.logShipper, { context, kind: config.logShipper, lokiUrl: loki.url }, componentOpts);
  const grafana = new Grafana("grafana", { context, lokiUrl: loki.url, adminPassword: secret("grafanaAdminPassword") }, componentOpts);
  const netdata = new Netdata("netdata", { context }, componentOpts);
  const ntfyTopic = config.notify?.topic ?? NOTIFY_TOPIC;
  const ntfyUser = config.notify?.ntfyUser ?? "myoci";
  const ntfy = new Ntfy("ntfy", { context, publisher: { user: ntfyUser, password: secret("ntfyPassword"), topic: ntfyTopic } }, componentOpts);
  const forwarder = new TelegramForwarder(
    "telegram-forwarder",
    {
      context,
      ntfyUrl: ntfy.internalUrl,
      topic: ntfyTopic,
      ntfyUser,
      ntfyPassword: secret("ntfyPassword"),
      botToken: secret("telegramBotToken"),
      chatId: config.telegramChatId ?? "",
    },
    componentOpts,
  );
  const postgres = new Postgres(
    "postgres",
    { context, superuserPassword: secret("postgresPassword"), dataMajor: config.postgres.dataMajor, migration: config.postgres.migration },
    componentOpts,
  );
  const zitadel = new Zitadel(
    "zitadel",
    {
      context,
      postgresHost: postgres.host,
      dbPassword: secret("zitadelDbPassword"),
      postgresPassword: secret("postgresPassword"),
      masterkey: secret("zitadelMasterkey"),
      dependsOn: [postgres.server.container],
    },
    componentOpts,
  );
  // Caddy first: the bootstrap and NetBird management reach Zitadel through it (https://auth.<domain>).
  const proxied = [grafana, ntfy, zitadel];
  const caddy = new Caddy(
    "caddy",
    { context, routes: [...proxied.flatMap((s) => s.routes), ...netbirdRoutes(netbirdHostname(config.domain))], acmeEmail: config.acmeEmail },
    componentOpts,
  );
  // Zitadel healthy and reachable through Caddy → project, apps, service user (their ids feed NetBird).
  const bootstrap = new ZitadelBootstrap(
    "zitadel-bootstrap",
    {
      dockerHost: config.dockerHost,
      container: zitadel.server.containerName,
      patPath: zitadel.patPath,
      apiUrl: `https://${zitadel.hostname}`,
      netbirdUrl: `https://${netbirdHostname(config.domain)}`,
      adminEmail: config.acmeEmail,
      adminPassword: secret("zitadelAdminPassword"),
    },
    { dependsOn: [zitadel.server.container, caddy.proxy.container] },
  );
  const netbird = new NetBird(
    "netbird",
    {
      context,
      authDomain: zitadel.hostname,
      relaySecret: secret("netbirdRelaySecret"),
      turnSecret: secret("turnSecret"),
      dataStoreKey: secret("netbirdDataStoreKey"),
      oidc: {
        dashboardClientId: bootstrap.dashboardClientId,
        cliClientId: bootstrap.cliClientId,
        idpClientId: bootstrap.idpClientId,
        idpClientSecret: bootstrap.idpClientSecret,
      },
      publicIp: config.publicIp,
      managementDependsOn: [zitadel.server.container, caddy.proxy.container, bootstrap],
    },
    componentOpts,
  );

  // Prod reads staging's exported images: the policy pack's promotion gate accepts digests staging ran healthy.
  if (config.promotion.stagingStack) {
    new pulumi.StackReference("promotion-source", { name: config.promotion.stagingStack });
  }

  const services: Record<string, ServiceOutputs> = { netdata, ntfy, forwarder, loki, logShipper, grafana, caddy, netbird, zitadel, postgres };
  const images: Partial<Record<ComponentId, ImageExport>> = {};
  for (const [component, pin] of Object.entries(config.images) as [ComponentId, { tag: string; digest: string }][]) {
    const entry = CATALOG[component];
    images[component] = { image: formatImageReference(entry.registry, entry.repository, pin), tag: pin.tag, digest: pin.digest };
  }
  return {
    services,
    images,
    hostnames: { grafana: grafana.hostname, ntfy: ntfy.hostname, zitadel: zitadel.hostname, netbird: netbird.hostname },
  };
}
