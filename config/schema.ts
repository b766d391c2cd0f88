/**
 * Stack configuration: one zod schema, one parse that reports every problem at once.
 * Used by the Pulumi program (through pulumi-config.ts) and by the CLI (through stack-file/).
 */
import { z } from "zod";
import { CATALOG, COMPONENT_IDS, DIGEST_PATTERN, parseTag, type ComponentId, type ImagePin, type PinSet, type VersionSet } from "../catalog";

export const PROJECT = "myoci";

/** Secrets the platform needs; each must be set with `pulumi config set --secret myoci:<name>`. */
export const SECRET_KEYS = [
  "grafanaAdminPassword",
  "postgresPassword",
  "zitadelDbPassword",
  "zitadelMasterkey",
  "netbirdRelaySecret",
  "turnSecret",
  "telegramBotToken",
  "ntfyPassword",
  "netbirdDataStoreKey",
  "zitadelAdminPassword",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** NetBird's DataStoreEncryptionKey: base64 of exactly 32 bytes (netbirdio/netbird util/crypt/crypt.go@v0.76.1 NewFieldEncrypt). */
export function isDataStoreKey(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, "base64").length === 32;
}

const SECRET_RULES: Partial<Record<SecretKey, { length?: number; minLength?: number; check?: (value: string) => boolean; hint: string }>> = {
  zitadelMasterkey: { length: 32, hint: "expected exactly 32 characters (Zitadel's masterkey)" },
  grafanaAdminPassword: { minLength: 12, hint: "expected at least 12 characters" },
  postgresPassword: { minLength: 16, hint: "expected at least 16 characters" },
  zitadelDbPassword: { minLength: 16, hint: "expected at least 16 characters" },
  netbirdRelaySecret: { minLength: 24, hint: "expected at least 24 characters" },
  turnSecret: { minLength: 24, hint: "expected at least 24 characters" },
  netbirdDataStoreKey: { check: isDataStoreKey, hint: "expected base64 of 32 random bytes: openssl rand -base64 32" },
  zitadelAdminPassword: { minLength: 12, hint: "expected at least 12 characters" },
};

/** Offline stand-ins (plan, policy runs) that satisfy every secret's rule; marked so they are never mistaken for real ones. */
export function placeholderSecret(key: SecretKey): string {
  if (key === "zitadelMasterkey") return "offline-placeholder-masterkey-32";
  if (key === "netbirdDataStoreKey") return Buffer.from("offline-placeholder-datastore-32").toString("base64");
  return `offline-placeholder-for-${key}`;
}

const numeric = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value), schema);

const digest = z.string({ error: "expected a string sha256:<64 lower-case hex digits>" }).regex(DIGEST_PATTERN, {
  error: "expected sha256: followed by 64 lower-case hex digits",
});

const pinSchema = z.strictObject(
  {
    tag: z.string({ error: "expected a version tag" }).min(1, { error: "expected a version tag" }),
    digest,
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `expected only tag and digest, not ${issue.keys.join(", ")}` : "expected { tag, digest }") },
);

/**
 * `myoci:images`, parsed once: the pins and their parsed tags (the VersionSet the catalog's rules take), so no reader
 * parses a stack's tags again.
 */
const imagesSchema = z
  .record(z.string(), z.unknown(), { error: "expected a map of component → { tag, digest }" })
  .transform((images, ctx): { pins: PinSet; versions: VersionSet } => {
    const pins: Partial<Record<ComponentId, ImagePin>> = {};
    const versions: VersionSet = {};
    for (const [key, pin] of Object.entries(images)) {
      const component = COMPONENT_IDS.find((id) => id === key);
      if (component === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `expected a known component, not an unknown one (known: ${COMPONENT_IDS.join(", ")})` });
        continue;
      }
      const parsed = pinSchema.safeParse(pin);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: "custom", path: [component, ...issue.path.map(String)], message: issue.message });
        }
      }
      const tag = (pin as { tag?: unknown } | null)?.tag;
      const parsedTag = typeof tag === "string" && tag !== "" ? parseTag(tag, CATALOG[component].tagScheme) : undefined;
      if (parsedTag && !parsedTag.ok) {
        ctx.addIssue({ code: "custom", path: [component, "tag"], message: parsedTag.reason });
      }
      if (parsed.success && parsedTag?.ok) {
        pins[component] = parsed.data;
        versions[component] = parsedTag.tag;
      }
    }
    return { pins, versions };
  });

const hostSchema = z
  .string({ error: "expected a Docker host URL" })
  .refine((value) => /^unix:\/\/\/\S+$|^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$|^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(value), {
    error: "expected unix:///path/to/docker.sock, ssh://user@host[:port] or tcp://host:port",
  });

const hostname = z
  .string({ error: "expected the platform's DNS domain, e.g. example.org" })
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: "expected a lower-case DNS name such as example.org",
  });

const memory = z.strictObject({
  memoryMb: numeric(
    z
      .number({ error: "expected a number of MiB" })
      .int({ error: "expected a whole number of MiB" })
      .min(16, { error: "expected at least 16 MiB" })
      .max(65536, { error: "expected at most 65536 MiB" }),
  ),
});

/** `myoci:postgresMigration`: the data volume's PostgreSQL major moves from → to on the next deployment. */
const postgresMigrationSchema = z.strictObject({ from: numeric(z.number().int().min(9).max(99)), to: numeric(z.number().int().min(9).max(99)) });
export type PostgresMigration = z.infer<typeof postgresMigrationSchema>;

const rawSchema = z.strictObject(
  {
    dockerHost: hostSchema,
    domain: hostname,
    acmeEmail: z.email({ error: "expected an e-mail address for ACME registration" }),
    publicIp: z.ipv4({ error: "expected the host's public IPv4 address (coturn's external-ip), e.g. 203.0.113.10" }),
    logShipper: z.enum(["promtail", "alloy"], { error: 'expected "promtail" or "alloy"' }),
    images: imagesSchema,
    limits: z
      .record(z.string(), memory)
      .optional()
      .superRefine((limits, ctx) => {
        for (const key of Object.keys(limits ?? {})) {
          if (!(COMPONENT_IDS as readonly string[]).includes(key)) {
            ctx.addIssue({ code: "custom", path: [key], message: `expected a known component (known: ${COMPONENT_IDS.join(", ")})` });
          }
        }
      }),
    postgresDataMajor: numeric(
      z
        .number({ error: "expected the PostgreSQL major version whose data the volume holds, e.g. 16" })
        .int({ error: "expected a whole number: the PostgreSQL major version whose data the volume holds, e.g. 16" })
        .min(9, { error: "expected a PostgreSQL major version" })
        .max(99),
    ),
    postgresMigration: postgresMigrationSchema.optional(),
    registryMirrors: z.record(z.string(), z.url({ error: "expected a URL such as http://127.0.0.1:5000" })).optional(),
    promotion: z
      .strictObject({
        stagingStack: z
          .string()
          .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, { error: "expected organization/project/stack" })
          .optional(),
        record: z.string().min(1).optional(),
      })
      .optional(),
    notify: z
      .strictObject({
        ntfyUrl: z.url({ error: "expected the ntfy server URL" }),
        topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, { error: "expected an ntfy topic (letters, digits, - and _)" }),
        ntfyUser: z.string().min(1).optional(),
      })
      .optional(),
    telegramChatId: z
      .string()
      .regex(/^-?\d{3,20}$/, { error: "expected a numeric Telegram chat id" })
      .optional(),
    backups: z
      .strictObject({
        dir: z.string().regex(/^\/\S*$/, { error: "expected an absolute path on the Docker host" }),
        keep: numeric(z.number().int().min(1, { error: "expected to keep at least 1 backup" }).max(100)),
      })
      .optional(),
    ...Object.fromEntries(SECRET_KEYS.map((key) => [key, z.unknown().optional()])),
  },
  { error: "expected a map of myoci: config keys" },
);

/** A config value that was given; `value` is absent where it cannot be read (an encrypted `secure:` value). */
export interface SecretValue {
  readonly value?: string;
}

/** What the schema yields for a stack: its settings with defaults applied (stack, file and secrets are added by the parse). */
const settingsSchema = rawSchema.transform((data) => ({
  dockerHost: data.dockerHost,
  domain: data.domain,
  acmeEmail: data.acmeEmail,
  /** The Docker host's public IPv4 address: what coturn reports as its relay address (external-ip). */
  publicIp: data.publicIp,
  logShipper: data.logShipper,
  images: data.images.pins,
  /** The pins' parsed tags (parsed once, here). */
  versions: data.images.versions,
  memoryMb: Object.fromEntries(COMPONENT_IDS.map((id) => [id, data.limits?.[id]?.memoryMb ?? CATALOG[id].memoryMb])) as Readonly<Record<ComponentId, number>>,
  postgres: { dataMajor: data.postgresDataMajor, migration: data.postgresMigration },
  registryMirrors: data.registryMirrors ?? {},
  promotion: { stagingStack: data.promotion?.stagingStack, record: data.promotion?.record ?? "promotions.yaml" },
  notify: data.notify,
  telegramChatId: data.telegramChatId,
  backups: { dir: data.backups?.dir ?? "/var/backups/myoci", keep: data.backups?.keep ?? 5 },
}));

/** A stack's validated config: the schema's output plus the stack, its file and its secrets. */
export type StackConfig = Readonly<
  z.output<typeof settingsSchema> & {
    readonly stack: string;
    readonly file: string;
    readonly secrets: Readonly<Record<SecretKey, SecretValue>>;
  }
>;

export interface ConfigIssue {
  readonly file: string;
  /** e.g. `myoci:images.loki.digest` */
  readonly key: string;
  /** JSON of the offending value, or `(missing)`. Never a secret's value. */
  readonly value: string;
  readonly expected: string;
}

export type ConfigResult = { ok: true; config: StackConfig } | { ok: false; issues: ConfigIssue[] };

/** Components a stack runs, given its log shipper. */
export function requiredComponents(logShipper: "promtail" | "alloy"): ComponentId[] {
  return COMPONENT_IDS.filter((id) => id !== (logShipper === "alloy" ? "promtail" : "alloy"));
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), raw);
}

function describe(value: unknown): string {
  return value === undefined ? "(missing)" : JSON.stringify(value);
}

export interface RawStackConfig {
  /** Config values keyed without the `myoci:` prefix. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Keys (without prefix) whose values are Pulumi secrets. */
  readonly secretKeys: ReadonlySet<string>;
  /** Keys given with another namespace than `myoci:` (rejected). */
  readonly foreignKeys?: readonly string[];
  /** Source text of non-string scalars by key path (`images.loki.tag` → `2.10`): YAML reads 2.10 as the number 2.1. */
  readonly sources?: ReadonlyMap<string, string>;
}

/** zod's default messages ("Invalid input: …", "Too big: …") replaced by the expectation, in this file's words. */
function expectationOf(issue: z.core.$ZodIssue, value: unknown): string {
  if (!/^(Invalid|Too (big|small)|Unrecognized)\b/.test(issue.message)) {
    return issue.message;
  }
  switch (issue.code) {
    case "invalid_type": {
      const what =
        issue.expected === "int" ? "a whole number" : issue.expected === "object" ? "a map" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
      return value === undefined ? `expected ${what} (a required key)` : `expected ${what}`;
    }
    case "too_big":
      return `expected ${issue.origin === "string" ? "at most " + String(issue.maximum) + " characters" : "at most " + String(issue.maximum)}`;
    case "too_small":
      return issue.origin === "string" && Number(issue.minimum) === 1
        ? "expected a non-empty string"
        : `expected at least ${String(issue.minimum)}${issue.origin === "string" ? " characters" : ""}`;
    case "invalid_format":
      return `expected ${issue.format === "regex" ? "the documented format" : `a valid ${issue.format}`}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return "expected a value of the documented form (see Pulumi.yaml)";
  }
}

/** A number or boolean where text is expected: YAML read the unquoted value as a number; say to quote it. */
function withQuoteHint(expected: string, issue: z.core.$ZodIssue, value: unknown, source: string | undefined): string {
  const expectsText = (issue.code === "invalid_type" && issue.expected === "string") || /\b(tag|digest)$/.test(issue.path.map(String).join("."));
  if (!expectsText || (typeof value !== "number" && typeof value !== "boolean")) {
    return expected;
  }
  const text = source ?? String(value);
  const read = typeof value === "number" ? `the number ${String(value)}` : `the boolean ${String(value)}`;
  return `${expected}; YAML reads the unquoted ${text} as ${read}: quote it ("${text}")`;
}

/** A key outside `myoci:`: a misspelt namespace gets a "did you mean". */
function foreignKeyExpectation(key: string): string {
  const colon = key.indexOf(":");
  if (colon < 0) {
    return `expected a namespaced key such as ${PROJECT}:${key} (Pulumi config keys are <namespace>:<name>)`;
  }
  const namespace = key.slice(0, colon);
  return `unknown namespace "${namespace}": this program reads ${PROJECT}: keys (did you mean ${PROJECT}:${key.slice(colon + 1)}?) and its providers' docker: and command: keys`;
}

/**
 * Validates a stack's raw config and reports every problem at once: file, key path, value, expectation.
 * Secret values never appear in an issue.
 */
export function parseStackConfig(raw: RawStackConfig, stack: string, file: string): ConfigResult {
  const issues: ConfigIssue[] = [];
  const add = (key: string, value: string, expected: string) => issues.push({ file, key: `${PROJECT}:${key}`, value, expected });
  for (const key of raw.foreignKeys ?? []) {
    issues.push({ file, key, value: "(set)", expected: foreignKeyExpectation(key) });
  }
  const parsed = settingsSchema.safeParse(raw.values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          add([...path, key].join("."), describe(valueAt(raw.values, [...issue.path, key])), "expected a known config key (see Pulumi.yaml)");
        }
        continue;
      }
      const isSecretPath = (SECRET_KEYS as readonly string[]).includes(path[0] ?? "");
      const value = valueAt(raw.values, issue.path);
      const shown = isSecretPath ? "[secret]" : (raw.sources?.get(path.join(".")) ?? describe(value));
      add(
        path.join(".") || "(root)",
        shown,
        isSecretPath ? expectationOf(issue, value) : withQuoteHint(expectationOf(issue, value), issue, value, raw.sources?.get(path.join("."))),
      );
    }
  }
  for (const key of SECRET_KEYS) {
    const value = raw.values[key];
    const rule = SECRET_RULES[key];
    if (value === undefined) {
      add(key, "(missing)", `expected a secret: pulumi config set --secret ${PROJECT}:${key} --stack ${stack}`);
    } else if (!raw.secretKeys.has(key)) {
      add(key, "(plain text)", `expected a Pulumi secret, never plain text: pulumi config set --secret ${PROJECT}:${key} --stack ${stack}`);
    } else if (typeof value === "string" && rule) {
      const badLength =
        (rule.length !== undefined && value.length !== rule.length) ||
        (rule.minLength !== undefined && value.length < rule.minLength) ||
        (rule.check !== undefined && !rule.check(value));
      if (badLength) {
        add(key, "[secret]", rule.hint);
      }
    }
  }
  for (const key of raw.secretKeys) {
    if (!(SECRET_KEYS as readonly string[]).includes(key) && key in raw.values) {
      add(key, "[secret]", "expected a plain value: only the platform's credentials are secrets");
    }
  }
  if (!parsed.success || issues.length > 0) {
    return { ok: false, issues };
  }
  const data = parsed.data;
  const images = data.images;
  for (const component of requiredComponents(data.logShipper)) {
    if (!images[component]) {
      add(`images.${component}`, "(missing)", `expected a { tag, digest } pin for ${CATALOG[component].title}`);
    }
  }
  const unused = data.logShipper === "alloy" ? "promtail" : "alloy";
  if (images[unused]) {
    add(`images.${unused}`, describe(images[unused]), `expected no ${unused} pin while logShipper is "${data.logShipper}"`);
  }
  const migration = data.postgres.migration;
  if (migration && migration.from === migration.to) {
    add("postgresMigration", describe(migration), "expected two different major versions (from ≠ to)");
  } else if (migration && migration.from !== data.postgres.dataMajor) {
    add("postgresMigration.from", describe(migration.from), `expected the major the data volume holds (postgresDataMajor = ${data.postgres.dataMajor})`);
  }
  if (issues.length > 0) {
    return { ok: false, issues };
  }
  const secrets = Object.fromEntries(
    SECRET_KEYS.map((key) => {
      const value = raw.values[key];
      return [key, typeof value === "string" ? { value } : {}];
    }),
  ) as Record<SecretKey, SecretValue>;
  return { ok: true, config: { stack, file, ...data, secrets } };
}

/** One message listing every issue, for a thrown error or a CLI's stderr; `subject` names the kind of file. */
export function formatConfigIssues(issues: readonly ConfigIssue[], subject = "stack config"): string {
  const lines = issues.map((i) => `  - ${i.file}: ${i.key} = ${i.value}: ${i.expected}`);
  return `Invalid ${subject} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    /** What kind of file the issues are about ("stack config", "Trivy report", …). */
    readonly subject = "stack config",
  ) {
    super(formatConfigIssues(issues, subject));
    this.name = "ConfigError";
  }
}

/**
 * A zod failure of a file's content as ConfigIssues: file, key path, the offending value (JSON, cut to 80 characters,
 * or `(missing)`) and the expectation. For files that hold no secrets.
 */
export function issuesFromZod(error: z.ZodError, file: string, raw: unknown, keyPrefix = ""): ConfigIssue[] {
  return error.issues.map((issue) => {
    const value = valueAt(raw, issue.path);
    return {
      file,
      key: `${keyPrefix}${issue.path.map(String).join(".")}` || "(root)",
      value: value === undefined ? "(missing)" : JSON.stringify(value).slice(0, 80),
      expected: expectationOf(issue, value),
    };
  });
}
