import type { ResourceValidationPolicy } from "@pulumi/policy";
import { requireType } from "../lib/applies";
import { componentOf, displayName, TYPES } from "../lib/resources";
import { settingsOf } from "../lib/settings";

interface Settings {
  credentialPattern: string;
  allowed: { component?: string; key: string; reason: string }[];
}

const configSchema = {
  properties: {
    credentialPattern: {
      type: "string",
      description: "Case-insensitive pattern of environment variable names that hold credentials.",
      default: "PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|MASTERKEY|CREDENTIAL|AUTH_?KEY",
    },
    allowed: {
      type: "array",
      description: "Variables that may carry a value anyway (per component, or any component when absent), each with the reason.",
      items: {
        type: "object",
        properties: { component: { type: "string" }, key: { type: "string" }, reason: { type: "string", minLength: 1 } },
        required: ["key", "reason"],
      },
      default: [
        {
          component: "netbirdRelay",
          key: "NB_AUTH_SECRET",
          reason: "The NetBird relay reads its shared secret only from the environment (no file option); the value is a Pulumi secret in state.",
        },
      ],
    },
  },
} as const;

export const disallowPlainCredentialEnv: ResourceValidationPolicy = {
  name: "disallow-plain-credential-env",
  description: "Credentials never reach a container as plain environment values; they go in files (uploads) and the variable names the file (…_FILE).",
  enforcementLevel: "mandatory",
  configSchema: configSchema as never,
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const { credentialPattern, allowed } = settingsOf<Settings>(args, configSchema as never);
    const pattern = new RegExp(credentialPattern, "i");
    const component = componentOf(args.props);
    const envs: unknown = args.props["envs"];
    for (const entry of Array.isArray(envs) ? envs : []) {
      const text = String(entry);
      const eq = text.indexOf("=");
      const key = eq === -1 ? text : text.slice(0, eq);
      const value = eq === -1 ? "" : text.slice(eq + 1);
      // A path to a credential file is how credentials should be passed.
      if (
        value === "" ||
        /_FILE$/i.test(key) ||
        !pattern.test(key) ||
        allowed.some((a) => a.key === key && (a.component === undefined || a.component === component))
      ) {
        continue;
      }
      // Never echo the value: it is the credential.
      reportViolation(`${displayName(args.props, args.name)} passes ${key} as a plain environment value: upload it as a file and pass ${key}_FILE instead.`);
    }
  },
};
