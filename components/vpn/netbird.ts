import * as pulumi from "@pulumi/pulumi";
import { CATALOG, TURN_PORT, TURN_RELAY_PORTS } from "../../catalog";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";
import { renderManagementJson, renderTurnserverConf, type NetbirdOidcClients } from "./management-json";

/*
 * coturn publishes TURN_RELAY_PORTS (catalog/names.ts) 1:1 on the edge network and stays on the project's networks,
 * loopback rules and policies. The image's CMD `--external-ip=$(detect-external-ip)` (docker/coturn/debian/Dockerfile@docker/4.6.3-r3
 * and @docker/4.7.0-r4, evaluated by docker-entrypoint.sh) is replaced by `-c`, so the conf carries external-ip itself.
 */

/** NetBird's public name (dashboard, APIs, signal, relay, TURN realm). */
export function netbirdHostname(domain: string): string {
  return `netbird.${domain}`;
}

/** What Caddy proxies for NetBird (NetBird's installer Caddyfile, getting-started-with-zitadel.sh@v0.75.1). */
export function netbirdRoutes(domain: string): EdgeRoute[] {
  return [
    { host: domain, path: "/relay*", upstream: "netbird-relay:80", transport: "http" },
    { host: domain, path: "/ws-proxy/signal*", upstream: "netbird-signal:80", transport: "http" },
    { host: domain, path: "/signalexchange.SignalExchange/*", upstream: "netbird-signal:10000", transport: "h2c" },
    { host: domain, path: "/api/*", upstream: "netbird-management:80", transport: "http" },
    { host: domain, path: "/ws-proxy/management*", upstream: "netbird-management:80", transport: "http" },
    { host: domain, path: "/management.ManagementService/*", upstream: "netbird-management:80", transport: "h2c" },
    { host: domain, upstream: "netbird-dashboard:80", transport: "http" },
  ];
}

export interface NetBirdArgs {
  readonly context: PlatformContext;
  readonly authDomain: string;
  /** One secret shared by management.json and the relay. */
  readonly relaySecret: pulumi.Input<string>;
  readonly turnSecret: pulumi.Input<string>;
  /** management.json's DataStoreEncryptionKey: a stack secret, so a replacement never generates a new one. */
  readonly dataStoreKey: pulumi.Input<string>;
  /** Client ids (and the IdP client secret) the Zitadel bootstrap created. */
  readonly oidc: { readonly [K in keyof NetbirdOidcClients]: pulumi.Input<string> };
  /** The host's public IPv4: coturn's external-ip. */
  readonly publicIp: string;
  /**
   * What management must start after: it fetches https://<authDomain>/.well-known/openid-configuration at start-up
   * and exits when that fails (netbirdio/netbird management/cmd/management.go@v0.76.1: PreRunE → LoadMgmtConfig →
   * ApplyOIDCConfig → fetchOIDCConfig), so Zitadel, Caddy and the bootstrap come first.
   */
  readonly managementDependsOn: pulumi.Input<pulumi.Resource>[];
}

/** NetBird: management, signal, relay, dashboard and coturn, one version for the three servers. */
export class NetBird extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly management: ServiceContainer;
  public readonly signal: ServiceContainer;
  public readonly relay: ServiceContainer;
  public readonly dashboard: ServiceContainer;
  public readonly coturn: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes: readonly EdgeRoute[];
  public readonly hostname: string;

  constructor(name: string, args: NetBirdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:vpn:NetBird", name, {}, opts);
    const { context } = args;
    const domain = netbirdHostname(context.domain);
    this.hostname = domain;
    const managementJson = pulumi
      .all([
        args.relaySecret,
        args.turnSecret,
        args.dataStoreKey,
        args.oidc.dashboardClientId,
        args.oidc.cliClientId,
        args.oidc.idpClientId,
        args.oidc.idpClientSecret,
      ])
      .apply(([relaySecret, turnSecret, dataStoreKey, dashboardClientId, cliClientId, idpClientId, idpClientSecret]) =>
        renderManagementJson({
          domain,
          authDomain: args.authDomain,
          relaySecret,
          turnSecret,
          turnPort: TURN_PORT,
          dataStoreKey,
          oidc: { dashboardClientId, cliClientId, idpClientId, idpClientSecret },
        }),
      );

    this.management = new ServiceContainer(
      `${name}-management`,
      {
        component: "netbirdManagement",
        pin: pinOf(context, "netbirdManagement"),
        stack: context.stack,
        networks: attach(context, "netbird-management", true),
        memoryMb: context.memoryMb.netbirdManagement,
        files: [{ path: "/etc/netbird/management.json", content: managementJson, secret: true }],
        command: [
          "--port",
          "80",
          "--log-file",
          "console",
          "--log-level",
          "info",
          "--disable-anonymous-metrics=true",
          "--single-account-mode-domain=netbird.selfhosted",
          "--dns-domain=netbird.selfhosted",
          "--idp-sign-key-refresh-enabled",
        ],
        dependsOn: args.managementDependsOn,
        waitTimeoutSeconds: 240,
      },
      { parent: this },
    );
    this.signal = new ServiceContainer(
      `${name}-signal`,
      {
        component: "netbirdSignal",
        pin: pinOf(context, "netbirdSignal"),
        stack: context.stack,
        networks: attach(context, "netbird-signal", true),
        memoryMb: context.memoryMb.netbirdSignal,
      },
      { parent: this },
    );
    this.relay = new ServiceContainer(
      `${name}-relay`,
      {
        component: "netbirdRelay",
        pin: pinOf(context, "netbirdRelay"),
        stack: context.stack,
        networks: attach(context, "netbird-relay", true),
        memoryMb: context.memoryMb.netbirdRelay,
        env: { NB_LOG_LEVEL: "info", NB_LISTEN_ADDRESS: ":80", NB_EXPOSED_ADDRESS: `rels://${domain}:443/relay` },
        // The relay reads its secret only from the environment; allowlisted in the policy pack with this reason.
        secretEnv: { NB_AUTH_SECRET: args.relaySecret },
      },
      { parent: this },
    );
    this.dashboard = new ServiceContainer(
      `${name}-dashboard`,
      {
        component: "netbirdDashboard",
        pin: pinOf(context, "netbirdDashboard"),
        stack: context.stack,
        networks: attach(context, "netbird-dashboard", true),
        memoryMb: context.memoryMb.netbirdDashboard,
        env: {
          NETBIRD_MGMT_API_ENDPOINT: `https://${domain}`,
          NETBIRD_MGMT_GRPC_API_ENDPOINT: `https://${domain}`,
          // The dashboard app's generated client id is both client id and audience (NetBird's installer, renderDashboardEnv).
          // Variables read by the image's docker/init_react_envs.sh (netbirdio/dashboard@v2.90.9).
          AUTH_AUDIENCE: args.oidc.dashboardClientId,
          AUTH_CLIENT_ID: args.oidc.dashboardClientId,
          AUTH_AUTHORITY: `https://${args.authDomain}`,
          USE_AUTH0: "false",
          AUTH_SUPPORTED_SCOPES: "openid profile email offline_access",
          AUTH_REDIRECT_URI: "/nb-auth",
          AUTH_SILENT_REDIRECT_URI: "/nb-silent-auth",
          LETSENCRYPT_DOMAIN: "none",
        },
      },
      { parent: this },
    );
    const turnserverConf = pulumi
      .output(args.turnSecret)
      .apply((turnSecret) => renderTurnserverConf({ realm: domain, turnSecret, relayPorts: TURN_RELAY_PORTS, externalIp: args.publicIp }));
    this.coturn = new ServiceContainer(
      `${name}-coturn`,
      {
        component: "coturn",
        pin: pinOf(context, "coturn"),
        stack: context.stack,
        networks: [{ network: context.networks.edge, aliases: ["coturn"] }],
        memoryMb: context.memoryMb.coturn,
        ports: [
          ...CATALOG.coturn.ports,
          ...Array.from({ length: TURN_RELAY_PORTS.to - TURN_RELAY_PORTS.from + 1 }, (_, i) => ({
            container: TURN_RELAY_PORTS.from + i,
            host: TURN_RELAY_PORTS.from + i,
            protocol: "udp" as const,
            edge: true,
          })),
        ],
        files: [{ path: "/etc/coturn/turnserver.conf", content: turnserverConf, secret: true }],
        command: ["-c", "/etc/coturn/turnserver.conf"],
      },
      { parent: this },
    );
    this.containers = [this.management, this.signal, this.relay, this.dashboard, this.coturn];
    this.routes = netbirdRoutes(domain);
    this.registerOutputs({ hostname: domain });
  }
}
