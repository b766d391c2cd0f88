/**
 * The Zitadel bootstrap as a Pulumi dynamic resource: on create it reads the first-instance machine user's PAT
 * that Zitadel wrote inside its container (Docker Engine API archive endpoint on the stack's dockerHost), waits
 * for Zitadel's API behind Caddy, and ensures NetBird's project, applications, service user and human admin
 * (zitadel-api.ts). A second `up` with the same inputs is a no-op (no diff, no request). The PAT and the client
 * secret are secret outputs; nothing secret is logged or put in an error.
 */
import * as pulumi from "@pulumi/pulumi";
import { readContainerFile } from "./container-file";
import { ensureNetbirdIdentity, waitForApi, zitadelClient, type HttpSend, type NetbirdIdentity } from "./zitadel-api";

/** Inputs the provider receives (plain values; the password arrives unwrapped from its secret). */
export interface BootstrapInputs {
  readonly dockerHost: string;
  /** Zitadel's container name and where its first-instance PAT is (ZITADEL_FIRSTINSTANCE_PATPATH). */
  readonly container: string;
  readonly patPath: string;
  readonly apiUrl: string;
  readonly netbirdUrl: string;
  readonly projectName: string;
  readonly serviceUserName: string;
  readonly adminUserName: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  readonly timeoutSeconds: number;
}

export type BootstrapOutputs = BootstrapInputs & NetbirdIdentity & { readonly pat: string };

/** What the provider talks to; injected so tests run it against a local stand-in. */
export interface BootstrapIo {
  readonly send: HttpSend;
  readonly readFile: (dockerHost: string, container: string, path: string) => Promise<Buffer>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const fetchSend: HttpSend = async (request) => {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, body: await response.text() };
};

export const defaultIo: BootstrapIo = {
  send: fetchSend,
  readFile: (dockerHost, container, path) => readContainerFile(dockerHost, container, path),
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};

/** Keys whose change means the Zitadel objects must be ensured again (an update, never a replacement). */
export const IDENTITY_KEYS = ["apiUrl", "netbirdUrl", "projectName", "serviceUserName", "adminUserName", "adminEmail"] as const;

/** Waits for the PAT file (written once setup has run) and returns it trimmed. */
export async function readPat(inputs: BootstrapInputs, io: BootstrapIo): Promise<string> {
  const deadline = io.now() + inputs.timeoutSeconds * 1000;
  for (;;) {
    try {
      const pat = (await io.readFile(inputs.dockerHost, inputs.container, inputs.patPath)).toString("utf8").trim();
      if (pat !== "") return pat;
    } catch (error) {
      if (io.now() >= deadline) {
        throw new Error(`Zitadel bootstrap: no PAT at ${inputs.patPath} in ${inputs.container} after ${inputs.timeoutSeconds} s: ${(error as Error).message}`);
      }
    }
    if (io.now() >= deadline) throw new Error(`Zitadel bootstrap: the PAT file ${inputs.patPath} in ${inputs.container} stayed empty`);
    await io.sleep(2000);
  }
}

/** One bootstrap run with a known token: wait for the API, ensure everything, return the outputs. */
export async function runBootstrap(inputs: BootstrapInputs, pat: string, io: BootstrapIo): Promise<BootstrapOutputs> {
  const client = zitadelClient(inputs.apiUrl, pat, io.send);
  await waitForApi(client, { timeoutMs: inputs.timeoutSeconds * 1000, intervalMs: 3000, now: io.now, sleep: io.sleep });
  const identity = await ensureNetbirdIdentity(client, {
    apiUrl: inputs.apiUrl,
    netbirdUrl: inputs.netbirdUrl,
    projectName: inputs.projectName,
    serviceUserName: inputs.serviceUserName,
    admin: { userName: inputs.adminUserName, email: inputs.adminEmail, password: inputs.adminPassword },
  });
  return { ...inputs, ...identity, pat };
}

/** The dynamic provider, on injected I/O (the default talks to the real host). */
export function bootstrapProvider(io: BootstrapIo): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: BootstrapInputs) {
      const outs = await runBootstrap(inputs, await readPat(inputs, io), io);
      return { id: outs.projectId, outs };
    },
    async diff(_id: string, olds: BootstrapOutputs, news: BootstrapInputs) {
      const changes = IDENTITY_KEYS.filter((key) => olds[key] !== news[key]);
      return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, olds: BootstrapOutputs, news: BootstrapInputs) {
      // The first-instance PAT is written once; a replaced Zitadel container no longer has it, the state does.
      const pat = olds.pat || (await readPat(news, io));
      return { outs: await runBootstrap(news, pat, io) };
    },
    // Deleting the resource leaves Zitadel's objects in place: they live in Zitadel's database with its users.
    async delete() {
      return;
    },
  };
}

export interface ZitadelBootstrapArgs {
  readonly dockerHost: pulumi.Input<string>;
  readonly container: pulumi.Input<string>;
  readonly patPath: pulumi.Input<string>;
  readonly apiUrl: pulumi.Input<string>;
  readonly netbirdUrl: pulumi.Input<string>;
  readonly adminEmail: pulumi.Input<string>;
  readonly adminPassword: pulumi.Input<string>;
  /** @default 600 — Zitadel's first init, Caddy's first certificate and DNS all have to be there. */
  readonly timeoutSeconds?: number;
}

/** The outputs the provider computes on create (program/evaluate.ts gives them stand-in values under mocks). */
export const BOOTSTRAP_OUTPUT_KEYS = [
  "projectId",
  "dashboardClientId",
  "cliClientId",
  "serviceUserId",
  "idpClientId",
  "idpClientSecret",
  "adminUserId",
  "pat",
] as const;

export const BOOTSTRAP_NAMES = { project: "NETBIRD", serviceUser: "netbird-service-account", admin: "admin" } as const;

/** One provider object for every instance: the SDK serialises a dynamic provider once per object (its cache). */
const DEFAULT_PROVIDER = bootstrapProvider(defaultIo);

/** The resource; its outputs feed NetBird's management.json and the dashboard's settings. */
export class ZitadelBootstrap extends pulumi.dynamic.Resource {
  declare public readonly projectId: pulumi.Output<string>;
  declare public readonly dashboardClientId: pulumi.Output<string>;
  declare public readonly cliClientId: pulumi.Output<string>;
  declare public readonly idpClientId: pulumi.Output<string>;
  declare public readonly idpClientSecret: pulumi.Output<string>;
  declare public readonly adminUserId: pulumi.Output<string>;

  constructor(name: string, args: ZitadelBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      DEFAULT_PROVIDER,
      name,
      {
        ...args,
        adminPassword: pulumi.secret(args.adminPassword),
        projectName: BOOTSTRAP_NAMES.project,
        serviceUserName: BOOTSTRAP_NAMES.serviceUser,
        adminUserName: BOOTSTRAP_NAMES.admin,
        timeoutSeconds: args.timeoutSeconds ?? 600,
        ...Object.fromEntries(BOOTSTRAP_OUTPUT_KEYS.map((key) => [key, undefined])),
      },
      { ...opts, additionalSecretOutputs: ["pat", "idpClientSecret", "adminPassword"] },
    );
  }
}
