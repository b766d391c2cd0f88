/**
 * The Zitadel bootstrap's command, as `pulumi up` runs it (zitadel-bootstrap.ts, @pulumi/command local.Command):
 *   node scripts/run-ts.js components/bootstrap/command.ts create|update
 * stdin: the request (JSON, BootstrapInputs); PULUMI_COMMAND_STDOUT: the previous run's stdout, set by the command
 * provider on an update. stdout: the outputs as JSON, printed only on success. Nothing secret goes to stderr: the
 * command provider puts both streams into its error message. Exit 0 done, 1 the bootstrap failed, 2 bad input.
 */
import {
  bootstrapInputsSchema,
  bootstrapStep,
  defaultIo,
  parseBootstrapStdout,
  readSecretJson,
  type BootstrapInputs,
  type BootstrapIo,
  type BootstrapOutputs,
} from "./bootstrap-step";

export interface CommandStreams {
  readonly stdin: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

class BadInput extends Error {}

/** The request on stdin, checked; a message names the keys at fault, never a value (the password is one). */
export function parseRequest(stdin: string): BootstrapInputs {
  const read = readSecretJson(stdin, bootstrapInputsSchema);
  if ("notJson" in read) throw new BadInput("stdin: not JSON (expected the bootstrap request the program sends)");
  if ("issues" in read) throw new BadInput(`stdin: ${read.issues.map((i) => `${i.path.join(".") || "(request)"}: ${i.message}`).join("; ")}`);
  return read.value;
}

function previousOutputs(env: CommandStreams["env"]): BootstrapOutputs | undefined {
  const previous = env["PULUMI_COMMAND_STDOUT"];
  if (previous === undefined || previous === "") return undefined;
  try {
    return parseBootstrapStdout(previous);
  } catch (error) {
    throw new BadInput(`PULUMI_COMMAND_STDOUT (the previous run's outputs): ${(error as Error).message}`);
  }
}

export async function main(argv: readonly string[], streams: CommandStreams, io: BootstrapIo = defaultIo): Promise<number> {
  const [step, ...rest] = argv;
  try {
    if ((step !== "create" && step !== "update") || rest.length > 0) {
      throw new BadInput(`expected one argument, create or update; got ${JSON.stringify(argv.join(" "))}`);
    }
    const outputs = await bootstrapStep(parseRequest(streams.stdin), previousOutputs(streams.env), io);
    streams.stdout(`${JSON.stringify(outputs)}\n`);
    return 0;
  } catch (error) {
    streams.stderr(`zitadel bootstrap (${step ?? "no step"}): ${(error as Error).message}\n`);
    return error instanceof BadInput ? 2 : 1;
  }
}

// Entry point when run directly (scripts/run-ts.js sets argv[1] to this file).
if (process.argv[1] === __filename) {
  const chunks: Buffer[] = [];
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk));
  process.stdin.on("end", () => {
    void main(process.argv.slice(2), {
      stdin: Buffer.concat(chunks).toString("utf8"),
      env: process.env,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    }).then((code) =>
      // Exit as soon as stdout is flushed: the command provider copies stdout into its error message if anything
      // failed after the outputs (secrets) were written.
      process.stdout.write("", () => process.exit(code)),
    );
  });
}
