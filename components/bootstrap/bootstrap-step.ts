/**
 * What the Zitadel bootstrap's command does (zitadel-bootstrap.ts runs it with @pulumi/command, command.ts is its
 * entry): its request and outputs (zod schemas), reading the first-instance PAT, and one create or update step.
 * Loads neither the Pulumi SDK nor the command provider's package: the command starts quickly.
 */
import { z } from "zod";
import { readContainerFile } from "./container-file";
import { ensureNetbirdIdentity, waitForApi, zitadelClient, type HttpSend } from "./zitadel-api";

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
 * JSON text checked against a schema without echoing any of it (the request and the outputs hold secrets): the value,
 * or what is wrong — "not JSON", or the schema's issues (paths and messages, which name no value).
 */
export function readSecretJson<T>(text: string, schema: z.ZodType<T>): { value: T } | { notJson: true } | { issues: readonly z.core.$ZodIssue[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { notJson: true };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { value: parsed.data } : { issues: parsed.error.issues };
}

/** The outputs of a run, read from the command's stdout (one parse; a malformed stdout fails the program). */
export function parseBootstrapStdout(stdout: string): BootstrapOutputs {
  const read = readSecretJson(stdout, bootstrapOutputsSchema);
  if ("notJson" in read) throw new Error("Zitadel bootstrap: its stdout is not JSON (the output itself is not shown: it holds secrets)");
  if ("issues" in read) throw new Error(`Zitadel bootstrap: its stdout lacks ${read.issues.map((i) => i.path.join(".")).join(", ")}`);
  return read.value;
}
