/** NetBird management.json and coturn's turnserver.conf, generated from the stack (pure; secrets passed in by the caller under a secret Output). */
import { TURN_PORT } from "../../catalog";

/** What the Zitadel bootstrap created for NetBird (components/bootstrap/zitadel-netbird.ts). */
export interface NetbirdOidcClients {
  /** Client id of the dashboard application (SPA, PKCE): the API's audience. */
  readonly dashboardClientId: string;
  /** Client id of the CLI application (device code + PKCE on localhost). */
  readonly cliClientId: string;
  /** Client credentials of the IdP-management service user. */
  readonly idpClientId: string;
  readonly idpClientSecret: string;
}

export interface ManagementSettings {
  readonly domain: string; // netbird.<domain>
  readonly authDomain: string; // auth.<domain>
  readonly relaySecret: string;
  readonly turnSecret: string;
  readonly turnPort: number;
  /** DataStoreEncryptionKey: base64 of 32 bytes; management generates (and loses) one when it is absent. */
  readonly dataStoreKey: string;
  readonly oidc: NetbirdOidcClients;
}

/** The CLI's local callback URLs (NetBird's installer, getting-started-with-zitadel.sh@v0.75.1). */
export const CLI_REDIRECT_URLS = ["http://localhost:53000/", "http://localhost:54000/"] as const;

/**
 * Field names from netbirdio/netbird management/internals/server/config/config.go@v0.76.1 (unchanged in v0.77.0);
 * the Zitadel sections follow infrastructure_files/getting-started-with-zitadel.sh@v0.75.1 (the last tag where the
 * script ran) and management/server/idp/idp.go@v0.76.1 (ManagerType "zitadel": ClientConfig + ExtraConfig.ManagementEndpoint).
 */
export function renderManagementJson(settings: ManagementSettings): string {
  const { domain, authDomain, oidc } = settings;
  const issuer = `https://${authDomain}`;
  const config = {
    Stuns: [{ Proto: "udp", URI: `stun:${domain}:${settings.turnPort}`, Username: "", Password: "" }],
    TURNConfig: {
      Turns: [{ Proto: "udp", URI: `turn:${domain}:${settings.turnPort}`, Username: "", Password: "" }],
      CredentialsTTL: "12h",
      Secret: settings.turnSecret,
      TimeBasedCredentials: true,
    },
    Relay: { Addresses: [`rels://${domain}:443/relay`], CredentialsTTL: "24h", Secret: settings.relaySecret },
    Signal: { Proto: "https", URI: `${domain}:443`, Username: "", Password: "" },
    Datadir: "/var/lib/netbird",
    DataStoreEncryptionKey: settings.dataStoreKey,
    // No `Address`: HttpServerConfig has none since netbird #400 (one port for gRPC and HTTP, set by --port).
    HttpConfig: {
      AuthIssuer: issuer,
      AuthAudience: oidc.dashboardClientId,
      AuthClientID: oidc.dashboardClientId,
      AuthKeysLocation: `${issuer}/oauth/v2/keys`,
      AuthUserIDClaim: "",
      // Fetched at start-up; management exits when it fails (management/cmd/management.go@v0.76.1 ApplyOIDCConfig).
      OIDCConfigEndpoint: `${issuer}/.well-known/openid-configuration`,
      IdpSignKeyRefreshEnabled: true,
    },
    IdpManagerConfig: {
      ManagerType: "zitadel",
      ClientConfig: {
        Issuer: issuer,
        TokenEndpoint: `${issuer}/oauth/v2/token`,
        ClientID: oidc.idpClientId,
        ClientSecret: oidc.idpClientSecret,
        GrantType: "client_credentials",
      },
      ExtraConfig: { ManagementEndpoint: `${issuer}/management/v1` },
    },
    DeviceAuthorizationFlow: {
      Provider: "hosted",
      ProviderConfig: { Audience: oidc.cliClientId, ClientID: oidc.cliClientId, Scope: "openid" },
    },
    PKCEAuthorizationFlow: {
      ProviderConfig: {
        Audience: oidc.cliClientId,
        ClientID: oidc.cliClientId,
        AuthorizationEndpoint: `${issuer}/oauth/v2/authorize`,
        TokenEndpoint: `${issuer}/oauth/v2/token`,
        Scope: "openid profile email offline_access",
        RedirectURLs: [...CLI_REDIRECT_URLS],
        UseIDToken: false,
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export interface TurnSettings {
  readonly realm: string;
  readonly turnSecret: string;
  readonly relayPorts: { readonly from: number; readonly to: number };
  /**
   * The host's public IPv4. coturn reports it in XOR-RELAYED-ADDRESS; without it a container reports its bridge
   * address. One address alone is right when the NAT (Docker's port publishing, 1:1 port for port) forwards each
   * relay port to the same port (coturn examples/etc/turnserver.conf@4.6.3, "external-ip").
   */
  readonly externalIp: string;
}

/** coturn turnserver.conf: time-based credentials from the shared secret, a small relay port range, the public address. */
export function renderTurnserverConf(settings: TurnSettings): string {
  return [
    `listening-port=${TURN_PORT}`,
    `external-ip=${settings.externalIp}`,
    `realm=${settings.realm}`,
    "use-auth-secret",
    `static-auth-secret=${settings.turnSecret}`,
    `min-port=${settings.relayPorts.from}`,
    `max-port=${settings.relayPorts.to}`,
    "fingerprint",
    "no-cli",
    "no-tls",
    "no-dtls",
    "no-multicast-peers",
    "denied-peer-ip=10.0.0.0-10.255.255.255",
    "denied-peer-ip=172.16.0.0-172.31.255.255",
    "denied-peer-ip=192.168.0.0-192.168.255.255",
    "log-file=stdout",
    "",
  ].join("\n");
}
