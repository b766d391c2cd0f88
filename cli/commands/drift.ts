/** `myoci drift --stack s [--json] [--docker-host URL]`: declared pins vs the containers on the stack's Docker host. */
import { ConfigError } from "../../config/schema";
import { loadStackFile } from "../../config/stack-file";
import { DockerApiError, DockerClient } from "../lib/docker-api/client";
import { detectDrift, formatReport } from "../lib/drift";
import { parseCommandArgs } from "../lib/command";

const USAGE = `usage: myoci drift --stack <stack> [--json] [--docker-host unix:///…|ssh://user@host|tcp://host:port]
  Reads the containers labelled myoci.stack=<stack> through the Docker Engine API (default: the stack's
  myoci:dockerHost) and compares each component with its pin: missing, other digest, other tag, unhealthy, in sync.
  exit 0 in sync, 1 drift, 2 error`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("drift", USAGE, argv, {
    stack: { type: "string" },
    json: { type: "boolean", default: false },
    "docker-host": { type: "string" },
    "project-dir": { type: "string" },
  });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  if (values.stack === undefined) {
    process.stderr.write(`myoci drift: expected --stack\n${USAGE}\n`);
    return 2;
  }
  let client: DockerClient | undefined;
  try {
    const config = loadStackFile(values["project-dir"] ?? process.cwd(), values.stack, { placeholderSecrets: true });
    client = new DockerClient(values["docker-host"] ?? config.dockerHost);
    const report = await detectDrift(client, values.stack, config.images);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.inSync ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DockerApiError) {
      process.stderr.write(`myoci drift: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    client?.close();
  }
}
