import type { ResourceValidationPolicy } from "@pulumi/policy";
import { SECRET_KEYS, PROJECT } from "../../config/schema";
import { forType, requireType } from "../lib/applies";
import { COMPONENT_PROPERTY, exceptionsOf, KEEP_DEFAULTS_PROPERTY } from "../lib/exceptions";
import { componentOf, displayName, labelsOf, plainProps, recordOf, TYPES } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";

interface EnvException {
  component?: string;
  key: string;
  reason: string;
}

export const ENV_EXCEPTIONS: readonly EnvException[] = [
  {
    component: "netbirdRelay",
    key: "NB_AUTH_SECRET",
    reason: "The NetBird relay reads its shared secret only from the environment (no file option); the value is a Pulumi secret in state.",
  },
];

const configSchema = policySchema({
  properties: {
    credentialPattern: {
      type: "string",
      description: "Case-insensitive pattern of environment variable names that hold credentials.",
      default: "PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|MASTERKEY|CREDENTIAL|AUTH_?KEY",
    },
    allowed: {
      type: "array",
      description:
        "Variables that may carry a credential anyway (per component, or any component when absent), each with the reason. Added to the built-in exceptions (see keepDefaults).",
      items: {
        type: "object",
        properties: { component: COMPONENT_PROPERTY, key: { type: "string", minLength: 1 }, reason: { type: "string", minLength: 1 } },
        required: ["key", "reason"],
      },
      default: [],
    },
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

/** `scheme://user:password@host` (a DSN or URL with its password inline). */
const URL_CREDENTIAL = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

/**
 * Secret values of the stack config the pack was started with (PULUMI_CONFIG, as the CLI passes it; secret keys from
 * PULUMI_CONFIG_SECRET_KEYS and the schema's secret keys). Short values are ignored: they would match by accident.
 */
function configuredSecrets(): readonly string[] {
  const env = [process.env["PULUMI_CONFIG"] ?? "{}", process.env["PULUMI_CONFIG_SECRET_KEYS"] ?? "[]"] as const;
  if (parsed?.env[0] !== env[0] || parsed.env[1] !== env[1]) {
    parsed = { env, secrets: secretsIn(...env) };
  }
  return parsed.secrets;
}

/** The secrets of the environment last read (parsed once, not per container). */
let parsed: { env: readonly [string, string]; secrets: readonly string[] } | undefined;

function secretsIn(configJson: string, keysJson: string): string[] {
  let config: Record<string, unknown> = {};
  let listed: string[] = [];
  try {
    config = JSON.parse(configJson) as Record<string, unknown>;
    listed = JSON.parse(keysJson) as string[];
  } catch {
    return [];
  }
  const keys = new Set([...listed, ...SECRET_KEYS.map((k) => `${PROJECT}:${k}`)]);
  return Object.entries(config)
    .filter(([key, value]) => keys.has(key) && typeof value === "string" && value.length >= 8)
    .map(([, value]) => value as string);
}

/** Where a container carries text: env values, labels, command, entrypoint, healthcheck. */
function texts(props: Record<string, unknown>): { where: string; key?: string; value: string }[] {
  const found: { where: string; key?: string; value: string }[] = [];
  const envs: unknown = props["envs"];
  for (const entry of Array.isArray(envs) ? envs : []) {
    const text = String(entry);
    const eq = text.indexOf("=");
    found.push({ where: "env", key: eq === -1 ? text : text.slice(0, eq), value: eq === -1 ? "" : text.slice(eq + 1) });
  }
  for (const [key, value] of Object.entries(labelsOf(props))) found.push({ where: "label", key, value });
  for (const property of ["command", "entrypoints"]) {
    const list: unknown = props[property];
    (Array.isArray(list) ? list : []).forEach((value, i) => found.push({ where: `${property}[${i}]`, value: String(value) }));
  }
  const tests: unknown = recordOf(props["healthcheck"])["tests"];
  (Array.isArray(tests) ? tests : []).forEach((value, i) => found.push({ where: `healthcheck.tests[${i}]`, value: String(value) }));
  return found;
}

export const disallowPlainCredentialEnv: ResourceValidationPolicy = {
  name: "disallow-plain-credential-env",
  description:
    "Credentials never reach a container as plain values: no credential-named variable (…_PASSWORD, …_TOKEN, …_SECRET) with a value, no URL or DSN with an inline password, no value equal to a configured secret, in env, labels, command or healthcheck; they go in files (uploads) and the variable names the file (…_FILE).",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const settings = settingsOf(args, configSchema);
    const pattern = new RegExp(settings.credentialPattern, "i");
    const component = componentOf(props);
    const allowed = exceptionsOf(ENV_EXCEPTIONS, settings).filter((a) => a.component === undefined || a.component === component);
    const secrets = configuredSecrets();
    const name = displayName(props, args.name);
    // Never echo a value: it is the credential.
    for (const { where, key, value } of texts(props)) {
      if (value === "" || (where === "env" && allowed.some((a) => a.key === key))) {
        continue;
      }
      const at = key !== undefined ? `${where} ${key}` : where;
      if (where === "env" && key !== undefined && !/_FILE$/i.test(key) && pattern.test(key)) {
        reportViolation(`${name} passes ${key} as a plain environment value: upload it as a file and pass ${key}_FILE instead.`);
      } else if (URL_CREDENTIAL.test(value)) {
        reportViolation(
          `${name} carries a URL with an inline password in ${at}: keep the password in a file (or a _FILE variable) and leave it out of the URL.`,
        );
      } else if (secrets.some((secret) => value.includes(secret))) {
        reportViolation(`${name} carries the value of a configured secret in ${at}: pass it as a file upload, never as plain text.`);
      }
    }
  }),
};
