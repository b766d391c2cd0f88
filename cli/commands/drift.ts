/** `npx myoci drift --stack s [--json] [--docker-host URL]`: declared pins vs the containers on the stack's Docker host. */
import { ConfigError } from "../../config/schema";
import { loadStackFile } from "../../config/stack-file";
import { DockerApiError, DockerClient } from "../adapters/docker-api/client";
import { detectDrift, formatReport } from "../app/drift";
import { parseCommand, processIO, unknownStack, type CommandIO } from "../framework/command";
import { DRIFT } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(DRIFT, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  if (values.stack === undefined) {
    return out.usageError("expected --stack <name>");
  }
  const missing = unknownStack(values["project-dir"] ?? io.cwd, values.stack);
  if (missing !== undefined) {
    return out.usageError(missing);
  }
  let client: DockerClient | undefined;
  try {
    const config = loadStackFile(values["project-dir"] ?? io.cwd, values.stack, { placeholderSecrets: true });
    client = new DockerClient(values["docker-host"] ?? config.dockerHost);
    const report = await detectDrift(client, values.stack, config.images);
    return out.finish(report.inSync ? 0 : 1, { data: report, text: formatReport(report) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DockerApiError) {
      return out.fail(error);
    }
    throw error;
  } finally {
    client?.close();
  }
}
