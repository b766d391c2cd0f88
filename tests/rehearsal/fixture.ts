/**
 * The rehearsal's stack: a fixture config (never the live pins in Pulumi.*.yaml), evaluated by the real program
 * under Pulumi's mocks. Digests are sha256 of our own bytes; the domain ends in `.localhost`, so Caddy issues its
 * certificates from its own local CA instead of trying ACME on the internet.
 */
import { SECRET_KEYS, type SecretKey } from "../../config/schema";
import { evaluateProgram, type EvaluationResult } from "../../program/evaluate";
import { DEFAULT_TAGS, testDigest } from "../helpers/stack-fixture";

export const REHEARSAL_STACK = "rehearsal";
export const REHEARSAL_DOMAIN = "rehearsal.localhost";

/** Fixture secrets: long enough for the config's rules, distinctive enough to grep for in any output. */
export const REHEARSAL_SECRETS: Readonly<Record<SecretKey, string>> = {
  grafanaAdminPassword: "fixture-grafana-admin-pw",
  postgresPassword: "fixture-postgres-superuser-pw",
  zitadelDbPassword: "fixture-zitadel-db-user-pw",
  zitadelMasterkey: "fixtureMasterkey0123456789abcdef",
  netbirdRelaySecret: "fixture-netbird-relay-secret-0001",
  turnSecret: "fixture-turn-shared-secret-000001",
  telegramBotToken: "123456:fixture-telegram-token",
  ntfyPassword: "fixture-ntfy-password",
  netbirdDataStoreKey: "Zml4dHVyZS1uZXRiaXJkLWRhdGFzdG9yZS1rZXktMzI=",
  zitadelAdminPassword: "Fixture-Zitadel-Admin-1!",
};

export function rehearsalConfig(
  logShipper: "promtail" | "alloy" = "alloy",
  domain = REHEARSAL_DOMAIN,
): { values: Record<string, unknown>; secretKeys: string[] } {
  const components = Object.keys(DEFAULT_TAGS).filter((c) => c !== (logShipper === "alloy" ? "promtail" : "alloy"));
  // Loki and the shipper keep one major.minor (a catalog rule): Alloy goes with a current Loki.
  const tags: Record<string, string> = { ...DEFAULT_TAGS, ...(logShipper === "alloy" ? { loki: "3.7.2" } : {}) };
  const images = Object.fromEntries(components.map((c) => [c, { tag: tags[c], digest: testDigest(`${c}:${tags[c]}`) }]));
  return {
    values: {
      dockerHost: "unix:///var/run/docker.sock",
      domain,
      acmeEmail: "ops@example.org",
      logShipper,
      telegramChatId: "100200300",
      // A documentation address (RFC 5737): coturn's external-ip.
      publicIp: "203.0.113.10",
      postgresDataMajor: 16,
      images,
      ...REHEARSAL_SECRETS,
    },
    secretKeys: [...SECRET_KEYS],
  };
}

export function evaluateRehearsal(logShipper: "promtail" | "alloy" = "alloy", domain = REHEARSAL_DOMAIN): Promise<EvaluationResult> {
  return evaluateProgram({ stack: REHEARSAL_STACK, rawConfig: rehearsalConfig(logShipper, domain) });
}
