import { sha256Digest } from "./digest";
/** A valid stack file with comments, quoting and `secure:` values, for pin/promote/stack-edit tests. */

/** sha256 of the given text: digests of our own bytes (never claimed to be a real image's). */
export const testDigest = (seed: string): string => sha256Digest(seed);

export const DEFAULT_TAGS: Record<string, string> = {
  netdata: "v2.10.4",
  ntfy: "v2.27.0",
  forwarderBase: "3.12-alpine",
  loki: "3.0.0",
  promtail: "3.0.0",
  alloy: "v1.19.2",
  grafana: "12.0.2",
  caddy: "2.10.2",
  netbirdManagement: "0.76.1",
  netbirdSignal: "0.76.1",
  netbirdRelay: "0.76.1",
  netbirdDashboard: "v2.90.9",
  coturn: "4.6.3",
  zitadel: "v4.9.2",
  postgres: "16.11-alpine",
};

export interface FixtureOptions {
  readonly logShipper?: "promtail" | "alloy";
  readonly tags?: Record<string, string>;
  readonly digests?: Record<string, string>;
  readonly extraConfig?: string;
}

/** Text of Pulumi.<stack>.yaml; every pin line of loki carries a trailing comment. */
export function stackFileText(options: FixtureOptions = {}): string {
  const shipper = options.logShipper ?? "promtail";
  const tags = { ...DEFAULT_TAGS, ...(options.tags ?? {}) };
  const components = Object.keys(DEFAULT_TAGS).filter((c) => c !== (shipper === "alloy" ? "promtail" : "alloy"));
  const pins = components.map((c) => {
    const digest = options.digests?.[c] ?? testDigest(`${c}:${tags[c]}`);
    const comment = c === "loki" ? " # keeps the 3.0 line with promtail" : "";
    const tag = c === "forwarderBase" ? `"${tags[c]}"` : tags[c];
    return `    ${c}:${c === "grafana" ? " # security rebuilds watched" : ""}\n      tag: ${tag}${comment}\n      digest: ${digest}${comment}`;
  });
  return [
    "# Test stack: comments, quoting and encrypted secrets must survive every write.",
    "encryptionsalt: v1:dGVzdHNhbHQ=:v1:YWJjZGVm:MTIzNDU2",
    "config:",
    "  myoci:dockerHost: unix:///var/run/docker.sock   # local engine",
    "  myoci:domain: 'example.org'",
    "  myoci:acmeEmail: ops@example.org",
    "  myoci:publicIp: 192.0.2.10",
    `  myoci:logShipper: ${shipper}`,
    '  myoci:telegramChatId: "100200300"',
    "  myoci:postgresDataMajor: 16",
    ...(options.extraConfig ? [options.extraConfig] : []),
    "  myoci:grafanaAdminPassword:",
    "    secure: v1:Zm9vYmFyYmF6:cXV4cXV4cXV4cXV4cXV4cXV4cXV4",
    "",
    "  # the pins",
    "  myoci:images:",
    ...pins,
    "  myoci:postgresPassword:",
    "    secure: v1:YmF6YmF6YmF6:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
    "# end of file",
    "",
  ].join("\n");
}
