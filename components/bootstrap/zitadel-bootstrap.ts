/**
 * The Zitadel bootstrap, run by `pulumi up` as a command (@pulumi/command `local.Command`): on create it reads the
 * first-instance machine user's PAT that Zitadel wrote inside its container (Docker Engine API archive endpoint on
 * the stack's dockerHost), waits for Zitadel's API behind Caddy, and ensures NetBird's project, applications,
 * service user and human admin (zitadel-api.ts). Its request goes in on stdin, its outputs come back as JSON on
 * stdout; both are Pulumi secrets, and the command's output is never logged (`logging: none`). An update whose
 * identity inputs are unchanged returns the previous outputs without a request.
 *
 * Why a command and not a dynamic provider: the SDK serialises a dynamic provider's code into the resource's
 * inputs on every evaluation (`pulumi preview` included), which enables the V8 inspector (hashing every loaded
 * script) and parses each captured function with TypeScript: ~1 s of CPU per run of the program, most of an
 * offline policy run. A command is plain data.
 */
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { z } from "zod";
import { readContainerFile } from "./container-file";
import { ensureNetbirdIdentity, waitForApi, zitadelClient, type HttpSend, type NetbirdIdentity } from "./zitadel-api";

/** Keys whose change means the Zitadel objects must be ensured again (an update, never a replacement). */
export const IDENTITY_KEYS = [
  "apiUrl",
  "netbirdUrl",
  "projectName",
  "serviceUserName",
  "adminUserName",
  "adminEmail",
] as const satisfies readonly (keyof BootstrapInputs)[];

/** What the command reads on stdin (the password arrives unwrapped from its secret). */
export const bootstrapInputsSchema = z.strictObject({
  dockerHost: z.string().min(1),
  /** Zitadel's container name and where its first-instance PAT is (ZITADEL_FIRSTINSTANCE_PATPATH). */
  container: z.string().min(1),
  patPath: z.string().min(1),
  apiUrl: z.string().min(1),
  netbirdUrl: z.string().min(1),
  projectName: z.string().min(1),
  serviceUserName: z.string().min(1),
  adminUserName: z.string().min(1),
  adminEmail: z.string().min(1),
  adminPassword: z.string().min(1),
  timeoutSeconds: z.number().int().positive(),
});
export type BootstrapInputs = z.infer<typeof bootstrapInputsSchema>;

const text = z.string();
/** What the command prints on stdout: the identity inputs it ensured (an update compares them), the ids, the PAT. Never the password. */
export const bootstrapOutputsSchema = z.object({
  apiUrl: text,
  netbirdUrl: text,
  projectName: text,
  serviceUserName: text,
  adminUserName: text,
  adminEmail: text,
  projectId: text,
  dashboardClientId: text,
  cliClientId: text,
  serviceUserId: text,
  idpClientId: text,
  idpClientSecret: text,
  adminUserId: text,
  pat: text,
});
export type BootstrapOutputs = z.infer<typeof bootstrapOutputsSchema>;

/** The outputs the command computes, besides the identity inputs it echoes. */
export const BOOTSTRAP_OUTPUT_KEYS = [
  "projectId",
  "dashboardClientId",
  "cliClientId",
  "serviceUserId",
  "idpClientId",
  "idpClientSecret",
  "adminUserId",
  "pat",
] as const satisfies readonly (keyof BootstrapOutputs)[];

/** What the command talks to; injected so tests run it against a local stand-in. */
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
  const { apiUrl, netbirdUrl, projectName, serviceUserName, adminUserName, adminEmail } = inputs;
  return { apiUrl, netbirdUrl, projectName, serviceUserName, adminUserName, adminEmail, ...identity, pat };
}

/**
 * One run of the command. `previous` is the last run's outputs (the command provider passes its stdout as
 * PULUMI_COMMAND_STDOUT on an update): unchanged identity inputs return them as they are, without a request (the
 * service user's secret would otherwise be regenerated); changed ones are ensured again with the PAT from them —
 * the first-instance PAT file exists only until the Zitadel container is replaced or the host reboots.
 */
export async function bootstrapStep(inputs: BootstrapInputs, previous: BootstrapOutputs | undefined, io: BootstrapIo): Promise<BootstrapOutputs> {
  if (previous !== undefined && IDENTITY_KEYS.every((key) => previous[key] === inputs[key])) {
    return previous;
  }
  const pat = previous !== undefined && previous.pat !== "" ? previous.pat : await readPat(inputs, io);
  return runBootstrap(inputs, pat, io);
}

/**
 * How the command provider runs the bootstrap: no shell; the interpreter gets the command string as its last
 * argument. Relative paths: the provider runs commands in the program's directory (pulumi-command
 * provider/pkg/provider/local/commandOutputs.go@v1.2.1: `cmd.Dir = os.Getwd()` when `dir` is unset; its own
 * example examples/curl/index.ts runs `./create_label.sh`). run-ts.js runs the compiled twin when the build is
 * fresh, else the TypeScript.
 */
export const BOOTSTRAP_INTERPRETER = ["node", "scripts/run-ts.js", "components/bootstrap/command.ts"] as const;

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

export const BOOTSTRAP_NAMES = { project: "NETBIRD", serviceUser: "netbird-service-account", admin: "admin" } as const;

/** The outputs of a run, read from the command's stdout (one parse; a malformed stdout fails the program). */
export function parseBootstrapStdout(stdout: string): BootstrapOutputs {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error("Zitadel bootstrap: its stdout is not JSON (the output itself is not shown: it holds secrets)");
  }
  const parsed = bootstrapOutputsSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Zitadel bootstrap: its stdout lacks ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  }
  return parsed.data;
}

/** The bootstrap; its outputs feed NetBird's management.json and the dashboard's settings. */
export class ZitadelBootstrap extends pulumi.ComponentResource {
  /** The command that runs the bootstrap (stdin and stdout are secrets). */
  readonly command: local.Command;
  readonly projectId: pulumi.Output<string>;
  readonly dashboardClientId: pulumi.Output<string>;
  readonly cliClientId: pulumi.Output<string>;
  readonly idpClientId: pulumi.Output<string>;
  /** A secret. */
  readonly idpClientSecret: pulumi.Output<string>;
  readonly adminUserId: pulumi.Output<string>;

  constructor(name: string, args: ZitadelBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:identity:ZitadelBootstrap", name, {}, opts);
    const request = pulumi
      .all([args.dockerHost, args.container, args.patPath, args.apiUrl, args.netbirdUrl, args.adminEmail, args.adminPassword])
      .apply(([dockerHost, container, patPath, apiUrl, netbirdUrl, adminEmail, adminPassword]): BootstrapInputs => ({
        dockerHost,
        container,
        patPath,
        apiUrl,
        netbirdUrl,
        projectName: BOOTSTRAP_NAMES.project,
        serviceUserName: BOOTSTRAP_NAMES.serviceUser,
        adminUserName: BOOTSTRAP_NAMES.admin,
        adminEmail,
        adminPassword,
        timeoutSeconds: args.timeoutSeconds ?? 600,
      }));
    this.command = new local.Command(
      `${name}-command`,
      {
        interpreter: [...BOOTSTRAP_INTERPRETER],
        create: "create",
        update: "update",
        stdin: pulumi.secret(request.apply((inputs) => JSON.stringify(inputs))),
        // The PAT and the client secret are on stdout: never in Pulumi's log (the state keeps them as secrets).
        logging: "none",
        addPreviousOutputInEnv: true,
      },
      // The component's dependsOn holds for the command too: it must not run before Zitadel and Caddy are up.
      { parent: this, dependsOn: opts?.dependsOn, additionalSecretOutputs: ["stdout", "stdin"] },
    );
    const outputs = this.command.stdout.apply(parseBootstrapStdout);
    // Ids are not secret (they are in the dashboard's public settings); the client secret and the PAT stay secret.
    const id = (key: keyof NetbirdIdentity) => pulumi.unsecret(outputs.apply((o) => o[key]));
    this.projectId = id("projectId");
    this.dashboardClientId = id("dashboardClientId");
    this.cliClientId = id("cliClientId");
    this.idpClientId = id("idpClientId");
    this.adminUserId = id("adminUserId");
    this.idpClientSecret = pulumi.secret(outputs.apply((o) => o.idpClientSecret));
    this.registerOutputs({ projectId: this.projectId, dashboardClientId: this.dashboardClientId, cliClientId: this.cliClientId });
  }
}
