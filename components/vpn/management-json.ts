/** NetBird management.json, generated from the stack (pure; secrets passed in by the caller under a secret Output). */

export interface ManagementSettings {
  readonly domain: string; // netbird.<domain>
  readonly authDomain: string; // auth.<domain>
  readonly relaySecret: string;
  readonly turnSecret: string;
  readonly turnPort: number;
}

export function renderManagementJson(settings: ManagementSettings): string {
  const { domain, authDomain } = settings;
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
    HttpConfig: {
      Address: "0.0.0.0:80",
      AuthIssuer: `https://${authDomain}`,
      AuthAudience: "netbird",
      AuthKeysLocation: `https://${authDomain}/oauth/v2/keys`,
      AuthUserIDClaim: "",
      OIDCConfigEndpoint: `https://${authDomain}/.well-known/openid-configuration`,
      IdpSignKeyRefreshEnabled: true,
    },
    IdpManagerConfig: { ManagerType: "none" },
    DeviceAuthorizationFlow: { Provider: "none" },
    PKCEAuthorizationFlow: {
      ProviderConfig: {
        Audience: "netbird",
        ClientID: "netbird",
        AuthorizationEndpoint: `https://${authDomain}/oauth/v2/authorize`,
        TokenEndpoint: `https://${authDomain}/oauth/v2/token`,
        Scope: "openid profile email offline_access",
        RedirectURLs: ["http://localhost:53000"],
        UseIDToken: false,
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** coturn turnserver.conf: time-based credentials from the shared secret, a small relay port range. */
export function renderTurnserverConf(realm: string, turnSecret: string, relayPorts: { from: number; to: number }): string {
  return [
    "listening-port=3478",
    `realm=${realm}`,
    "use-auth-secret",
    `static-auth-secret=${turnSecret}`,
    `min-port=${relayPorts.from}`,
    `max-port=${relayPorts.to}`,
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
