/**
 * Evaluates the Pulumi program for a stack with the SDK alone (no CLI, no engine, no Docker, no network):
 * Pulumi's own mocks answer every resource registration, and a stack transformation records each
 * resource's inputs and options. Used by the offline policy run, `npm run plan` and the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { readRawStackFile, stackFilePath, PLACEHOLDER_SECRET } from "../config/stack-file";
import { SECRET_KEYS, PROJECT } from "../config/schema";
import { REPO_ROOT } from "../config/repo-root";
import { BOOTSTRAP_OUTPUT_KEYS } from "../components/bootstrap/zitadel-bootstrap";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs as the provider receives them (outputs resolved; secrets unwrapped). */
  readonly inputs: Record<string, unknown>;
  /** State the mock returned (inputs plus computed ids). */
  readonly state: Record<string, unknown>;
  readonly opts: { readonly protect?: boolean; readonly retainOnDelete?: boolean; readonly parent?: string; readonly dependsOn?: string[] };
  readonly custom: boolean;
  /** Input paths (e.g. `uploads.0.content`) whose values were Pulumi secrets (absent for hand-made resource lists). */
  readonly secretPaths?: string[];
}

export interface EvaluationResult {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

export interface EvaluateOptions {
  readonly stack: string;
  /** Folder holding Pulumi.<stack>.yaml. @default the repository root */
  readonly projectDir?: string;
  /** Config values (without `myoci:`) that replace the file's, for generated variants. */
  readonly configOverrides?: Record<string, unknown>;
  /** Config given directly instead of a stack file (keys without `myoci:`); secrets listed in secretKeys. */
  readonly rawConfig?: { values: Record<string, unknown>; secretKeys: string[] };
  /** Outputs of StackReferences by stack name, e.g. staging's `images`. */
  readonly stackReferences?: Record<string, Record<string, unknown>>;
}

export const PROJECT_DIR = REPO_ROOT;

const encode = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** Builds the engine's flat config map: structured values as JSON, secrets (placeholders where encrypted). */
function configMap(options: EvaluateOptions): { config: Record<string, string>; secretKeys: string[] } {
  const raw =
    options.rawConfig ??
    (() => {
      const file = readRawStackFile(stackFilePath(options.projectDir ?? PROJECT_DIR, options.stack));
      return { values: { ...file.values }, secretKeys: [...file.secretKeys] };
    })();
  const values: Record<string, unknown> = { ...raw.values, ...options.configOverrides };
  const secretKeys = new Set(raw.secretKeys);
  for (const key of SECRET_KEYS) {
    if (values[key] === undefined || (secretKeys.has(key) && typeof values[key] !== "string")) {
      values[key] = PLACEHOLDER_SECRET(key);
      secretKeys.add(key);
    }
  }
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) {
      config[`${PROJECT}:${key}`] = encode(value);
    }
  }
  return { config, secretKeys: [...secretKeys].map((k) => `${PROJECT}:${k}`) };
}

/** Computed state a few resource types need so that outputs resolve under mocks. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: `sha256-of:${String(inputs["name"])}`, repoDigest: String(inputs["name"]) };
    case "docker:index/image:Image":
      return { ...inputs, repoDigest: "", baseImageName: String(inputs["imageName"]) };
    case "pulumi-nodejs:dynamic:Resource":
      // What the Zitadel bootstrap computes on create, as recognisable stand-ins.
      return { ...inputs, ...Object.fromEntries(BOOTSTRAP_OUTPUT_KEYS.map((key) => [key, `mock-${name}-${key}`])) };
    case "docker:index/network:Network":
    case "docker:index/volume:Volume":
      return { ...inputs, name: inputs["name"] ?? name };
    default:
      return inputs;
  }
}

/**
 * Runs the program once. Not re-entrant: evaluations in one process run one after another.
 */
export async function evaluateProgram(options: EvaluateOptions): Promise<EvaluationResult> {
  const { config, secretKeys } = configMap(options);
  const states = new Map<string, Record<string, unknown>>();
  const resources: RecordedResource[] = [];
  const stateKey = (type: string, name: string) => `${type}::${name}`;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type === "pulumi:pulumi:StackReference") {
          const inputs = args.inputs as Record<string, unknown>;
          const stackName = typeof inputs["name"] === "string" ? inputs["name"] : args.name;
          return { id: stackName, state: { name: stackName, outputs: options.stackReferences?.[stackName] ?? {}, secretOutputNames: [] } };
        }
        const state = mockState(args.type, args.name, args.inputs as Record<string, unknown>);
        states.set(stateKey(args.type, args.name), state);
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    PROJECT,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);

  const recorded: { type: string; name: string; props: pulumi.Inputs; opts: pulumi.ResourceOptions; resource: pulumi.Resource }[] = [];
  const outputs = await pulumi.runtime.runInPulumiStack(() => {
    pulumi.runtime.registerStackTransformation((args) => {
      recorded.push({ type: args.type, name: args.name, props: args.props, opts: args.opts, resource: args.resource });
      return undefined;
    });
    // Import lazily so the program reads the config set above; evaluate it afresh every time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createPlatform } = require("../platform") as typeof import("../platform");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadPulumiConfig } = require("../config/pulumi-config") as typeof import("../config/pulumi-config");
    const platform = createPlatform(loadPulumiConfig());
    return Promise.resolve({ images: platform.images, hostnames: platform.hostnames });
  });
  await pulumi.runtime.disconnect?.();

  for (const r of recorded) {
    const secretPaths: string[] = [];
    const inputs = (await resolve(r.props, "", secretPaths)) as Record<string, unknown>;
    const parent = r.opts.parent ? ((await resolve(r.opts.parent.urn)) as string) : undefined;
    const dependsOn = Array.isArray(r.opts.dependsOn) ? await Promise.all(r.opts.dependsOn.map((d) => resolve((d as pulumi.Resource).urn))) : [];
    const urn = String(await resolve(r.resource.urn));
    resources.push({
      type: r.type,
      name: r.name,
      urn,
      inputs,
      state: states.get(stateKey(r.type, r.name)) ?? inputs,
      opts: {
        protect: r.opts.protect,
        retainOnDelete: (r.opts as pulumi.CustomResourceOptions).retainOnDelete,
        parent,
        dependsOn: dependsOn.map(String),
      },
      custom: r.resource instanceof pulumi.CustomResource,
      secretPaths,
    });
  }
  return { resources, outputs: ((await resolve(outputs)) ?? {}) as Record<string, unknown> };
}

/** Deeply resolves Inputs/Outputs to plain values, noting where secrets were (the records never leave the process). */
async function resolve(value: unknown, at = "", secretPaths: string[] = []): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { isSecret: Promise<boolean> };
    if ((await output.isSecret) && !secretPaths.includes(at)) {
      secretPaths.push(at);
    }
    return resolve(await new Promise((done) => output.apply((v) => done(v))), at, secretPaths);
  }
  if (value instanceof Promise) {
    return resolve(await value, at, secretPaths);
  }
  const join = (key: string | number) => (at === "" ? String(key) : `${at}.${key}`);
  if (Array.isArray(value)) {
    return Promise.all(value.map((v, i) => resolve(v, join(i), secretPaths)));
  }
  if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v, join(k), secretPaths)] as const));
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}
