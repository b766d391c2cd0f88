/**
 * Evaluates the Pulumi program for a stack with the SDK alone (no CLI, no engine, no Docker, no network):
 * Pulumi's own mocks answer every resource registration, and a stack transformation records each
 * resource's inputs and options. Used by the offline policy run, `npm run plan`, the tests and the benchmarks.
 *
 * Preview mode runs the SDK as `pulumi preview` does (dry run): outputs a provider computes (RemoteImage.imageId,
 * …) stay unknown and are recorded as the engine's unknown sentinel, exactly what a policy pack receives then.
 */
import "./lazy-typescript"; // before the SDK: it would load TypeScript at import
import * as pulumi from "@pulumi/pulumi";
import { readRawStackFile, stackFilePath } from "../config/stack-file";
import { withPlaceholderSecrets } from "../config/stack-file/placeholders";
import { PROJECT } from "../config/schema";
import { repoRoot } from "../config/repo-root";
import { UNKNOWN } from "../config/unknown";
import { BOOTSTRAP_OUTPUT_KEYS, IDENTITY_KEYS } from "../components/bootstrap/bootstrap-step";
import { BOOTSTRAP_INTERPRETER } from "../components/bootstrap/zitadel-bootstrap";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs as the provider receives them (outputs resolved; secrets unwrapped). */
  readonly inputs: Record<string, unknown>;
  /** State the mock returned (inputs plus computed ids). */
  readonly state: Record<string, unknown>;
  readonly opts: {
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    readonly parent?: string;
    readonly dependsOn?: string[];
    /** Outputs the engine must store encrypted besides those of secret inputs. */
    readonly additionalSecretOutputs?: string[];
  };
  readonly custom: boolean;
  /** Input paths (e.g. `uploads.0.content`) whose values were Pulumi secrets (absent for hand-made resource lists). */
  readonly secretPaths?: string[];
  /** Per top-level input, the URNs of the resources its value came from (the SDK sends these to the engine). */
  readonly propertyDependencies?: Record<string, string[]>;
}

export interface EvaluationResult {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** URNs of every RegisterResource call the SDK made (the mock monitor's view; what an engine would receive). */
  readonly registered: string[];
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
  /** Dry run, as `pulumi preview`: computed outputs are unknown. @default false */
  readonly preview?: boolean;
  /**
   * Copies of the whole platform in one program (benchmarks of large stacks). Copy k > 0 runs as stack
   * `<stack>-r<k>` (its own container, volume and network names) and its Pulumi names get the suffix `-r<k>`.
   * @default 1
   */
  readonly replicas?: number;
}

export const PROJECT_DIR = repoRoot();

const encode = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** Builds the engine's flat config map: structured values as JSON, secrets (placeholders where encrypted). */
function configMap(options: EvaluateOptions): { config: Record<string, string>; secretKeys: string[] } {
  const raw =
    options.rawConfig ??
    (() => {
      const file = readRawStackFile(stackFilePath(options.projectDir ?? PROJECT_DIR, options.stack));
      return { values: { ...file.values }, secretKeys: [...file.secretKeys] };
    })();
  const { values, secretKeys } = withPlaceholderSecrets({ ...raw.values, ...options.configOverrides }, raw.secretKeys);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) {
      config[`${PROJECT}:${key}`] = encode(value);
    }
  }
  return { config, secretKeys: [...secretKeys].map((k) => `${PROJECT}:${k}`) };
}

const isBootstrapCommand = (inputs: Record<string, unknown>): boolean => JSON.stringify(inputs["interpreter"]) === JSON.stringify(BOOTSTRAP_INTERPRETER);

/** What the Zitadel bootstrap's command prints on create: the identity inputs it got, recognisable stand-in ids. */
function bootstrapStandIn(name: string, stdin: unknown): string {
  // stdin is a secret: the mocks receive it as the SDK's secret envelope ({ <sig>: <secret sig>, value }).
  const text = stdin !== null && typeof stdin === "object" && "value" in stdin ? stdin.value : stdin;
  const request = (typeof text === "string" ? JSON.parse(text) : {}) as Record<string, unknown>;
  return JSON.stringify({
    ...Object.fromEntries(IDENTITY_KEYS.map((key) => [key, request[key]])),
    ...Object.fromEntries(BOOTSTRAP_OUTPUT_KEYS.map((key) => [key, `mock-${name}-${key}`])),
  });
}

/** Computed state a few resource types need so that outputs resolve under mocks (none in preview: unknown). */
function mockState(type: string, name: string, inputs: Record<string, unknown>, preview: boolean): Record<string, unknown> {
  if (preview) {
    return inputs;
  }
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: `sha256-of:${String(inputs["name"])}`, repoDigest: String(inputs["name"]) };
    case "docker:index/image:Image":
      return { ...inputs, repoDigest: "", baseImageName: String(inputs["imageName"]) };
    case "command:local:Command":
      return isBootstrapCommand(inputs) ? { ...inputs, stdout: bootstrapStandIn(name, inputs["stdin"]), stderr: "" } : inputs;
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
  // The SDK captures a formatted stack trace for every promise and property it creates (leak diagnostics);
  // through ts-node's source maps that was most of the evaluation time. Nothing here reads those traces.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await evaluateOnce(options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

async function evaluateOnce(options: EvaluateOptions): Promise<EvaluationResult> {
  const preview = options.preview === true;
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
          const state = { name: stackName, outputs: options.stackReferences?.[stackName] ?? {}, secretOutputNames: [] };
          states.set(stateKey(args.type, args.name), state);
          return { id: stackName, state };
        }
        const state = mockState(args.type, args.name, args.inputs as Record<string, unknown>, preview);
        states.set(stateKey(args.type, args.name), state);
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    PROJECT,
    options.stack,
    preview,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);

  const recorded: { type: string; name: string; props: pulumi.Inputs; opts: pulumi.ResourceOptions; resource: pulumi.Resource; replica: number }[] = [];
  let replica = 0;
  const outputs = await pulumi.runtime.runInPulumiStack(() => {
    pulumi.runtime.registerStackTransformation((args) => {
      recorded.push({ type: args.type, name: args.name, props: args.props, opts: args.opts, resource: args.resource, replica });
      return undefined;
    });
    // Import lazily so the program reads the config set above; evaluate it afresh every time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createPlatform } = require("../platform") as typeof import("../platform");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadPulumiConfig } = require("../config/pulumi-config") as typeof import("../config/pulumi-config");
    const config = loadPulumiConfig();
    const platform = createPlatform(config);
    // Replicas are constructed synchronously one after another, so every record knows its copy.
    for (replica = 1; replica < (options.replicas ?? 1); replica++) {
      createPlatform({ ...config, stack: `${config.stack}-r${replica}` });
    }
    return Promise.resolve({ images: platform.images, hostnames: platform.hostnames });
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor: () => { getRegisteredResources?: () => Map<string, unknown> } | undefined };
  await pulumi.runtime.disconnect?.();

  // The root stack resource, which the engine sends to a policy pack too (transformations never see it).
  const stackUrn = `urn:pulumi:${options.stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${options.stack}`;
  resources.push({ type: "pulumi:pulumi:Stack", name: `${PROJECT}-${options.stack}`, urn: stackUrn, inputs: {}, state: {}, opts: {}, custom: false });
  const renamed = (urn: string, copy: number) => (copy === 0 || urn === stackUrn ? urn : `${urn}-r${copy}`);
  const records = await Promise.all(
    recorded.map(async (r): Promise<RecordedResource> => {
      const secretPaths: string[] = [];
      const inputs = (await resolve(r.props, "", secretPaths, preview)) as Record<string, unknown>;
      const parent = r.opts.parent ? ((await resolve(r.opts.parent.urn)) as string) : stackUrn;
      const dependsOn = Array.isArray(r.opts.dependsOn) ? await Promise.all(r.opts.dependsOn.map((d) => resolve((d as pulumi.Resource).urn))) : [];
      const urn = String(await resolve(r.resource.urn));
      const name = r.replica === 0 ? r.name : `${r.name}-r${r.replica}`;
      return {
        type: r.type,
        name,
        urn: renamed(urn, r.replica),
        inputs,
        state: preview && r.type !== "pulumi:pulumi:StackReference" ? inputs : (states.get(stateKey(r.type, r.name)) ?? inputs),
        opts: {
          protect: r.opts.protect,
          retainOnDelete: (r.opts as pulumi.CustomResourceOptions).retainOnDelete,
          parent: renamed(parent, r.replica),
          dependsOn: dependsOn.map((d) => renamed(String(d), r.replica)),
          ...((r.opts as pulumi.CustomResourceOptions).additionalSecretOutputs !== undefined
            ? { additionalSecretOutputs: (r.opts as pulumi.CustomResourceOptions).additionalSecretOutputs }
            : {}),
        },
        custom: r.resource instanceof pulumi.CustomResource,
        secretPaths,
        propertyDependencies: await propertyDependencies(r.props, (u) => renamed(u, r.replica)),
      };
    }),
  );
  resources.push(...records);
  // Read once every URN has resolved, i.e. every registration was answered.
  const registered = [...(settings.getMonitor()?.getRegisteredResources?.().keys() ?? [])];
  const result = { resources, outputs: ((await resolve(outputs)) ?? {}) as Record<string, unknown>, registered };
  // The records are plain data now. The SDK keeps this evaluation's stack resource (and through its children every
  // resource and Output) until the next one, and the transformation above keeps `recorded`: let both go, or every
  // later garbage collection traces them (72 copies of the platform: 210 MB live instead of 60 MB).
  recorded.length = 0;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("@pulumi/pulumi/runtime/state") as { setStackResource: (stack: pulumi.ComponentResource | undefined) => void }).setStackResource(undefined);
  return result;
}

/** URNs each top-level input depends on, as the SDK computes them for RegisterResource. */
async function propertyDependencies(props: pulumi.Inputs, rename: (urn: string) => string): Promise<Record<string, string[]>> {
  const dependencies: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(props)) {
    const seen = new Set<pulumi.Resource>();
    await collectResources(value, seen);
    if (seen.size > 0) {
      dependencies[key] = (await Promise.all([...seen].map((r) => resolve(r.urn)))).map((u) => rename(String(u)));
    }
  }
  return dependencies;
}

async function collectResources(value: unknown, into: Set<pulumi.Resource>): Promise<void> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { allResources?: () => Promise<Set<pulumi.Resource>> };
    for (const r of (await output.allResources?.()) ?? []) into.add(r);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) await collectResources(v, into);
  } else if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource) && !(value instanceof Promise)) {
    for (const v of Object.values(value)) await collectResources(v, into);
  }
}

/**
 * Deeply resolves Inputs/Outputs to plain values, noting where secrets were (the records never leave the process).
 * In preview an output whose value is not known becomes UNKNOWN, as the engine marshals it to a policy pack.
 */
async function resolve(value: unknown, at = "", secretPaths: string[] = [], preview = false): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { isSecret: Promise<boolean>; isKnown: Promise<boolean> };
    if ((await output.isSecret) && !secretPaths.includes(at)) {
      secretPaths.push(at);
    }
    if (preview && !(await output.isKnown)) {
      return UNKNOWN;
    }
    const inner = await new Promise((done) => {
      output.apply((v) => done(v));
      if (preview) void output.isKnown.then((known) => known || done(UNKNOWN));
    });
    return resolve(inner, at, secretPaths, preview);
  }
  if (value instanceof Promise) {
    return resolve(await value, at, secretPaths, preview);
  }
  const join = (key: string | number) => (at === "" ? String(key) : `${at}.${key}`);
  if (Array.isArray(value)) {
    return Promise.all(value.map((v, i) => resolve(v, join(i), secretPaths, preview)));
  }
  if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v, join(k), secretPaths, preview)] as const));
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  return value;
}
