/**
 * `myoci vulns [--stack s] [--trivy report.json …] [--json] [--notify] [--accept-file f]`
 * Advisories affecting the pinned versions (catalog + Trivy reports joined by repo digest), each with its deadline.
 * Exit 0 nothing due, 1 findings open, 2 a deadline is past (or an error).
 */
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { loadStackFile } from "../../config/stack-file";
import { formatOutcome, notifyFindings } from "../lib/notify";
import {
  computeFindings,
  DEFAULT_ACCEPTANCE_FILE,
  DEFAULT_STATE_FILE,
  formatFindings,
  readAcceptances,
  readTrivyReport,
  readVulnState,
  stacksInDir,
  stateChanged,
  writeVulnState,
} from "../lib/vulns";
import { parseCommandArgs } from "../lib/command";

const HELP = `usage: myoci vulns [--stack <name>] [--trivy report.json ...] [--json] [--notify] [--accept-file <file>]

  --stack <name>        only Pulumi.<name>.yaml (default: every Pulumi.<stack>.yaml here)
  --trivy <file>        a Trivy JSON report (trivy image --format json) of a pinned image; repeatable
  --json                print the findings as JSON
  --notify              post new or changed findings to the stack's ntfy topic (myoci:notify + ${"MYOCI_NTFY_PASSWORD"})
  --accept-file <file>  risk acceptances (default: ${DEFAULT_ACCEPTANCE_FILE})
  --state-file <file>   first sightings (default: ${DEFAULT_STATE_FILE})
  --notify-state <file> what was already sent (default: .myoci/notified.json)
  --project-dir <dir>   where the stack files are (default: the current directory)

exit 0: nothing due · 1: findings open · 2: a deadline is past, or an error
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs("vulns", HELP, argv, {
    stack: { type: "string" },
    trivy: { type: "string", multiple: true },
    json: { type: "boolean", default: false },
    notify: { type: "boolean", default: false },
    "accept-file": { type: "string" },
    "state-file": { type: "string" },
    "notify-state": { type: "string" },
    "project-dir": { type: "string" },
  });
  if (!args.ok) {
    return args.exitCode;
  }
  const { values } = args;
  const dir = path.resolve(values["project-dir"] ?? process.cwd());
  const stateFile = path.resolve(dir, values["state-file"] ?? DEFAULT_STATE_FILE);
  const now = new Date();
  let result;
  try {
    const names = values.stack !== undefined ? [values.stack] : stacksInDir(dir);
    if (names.length === 0) {
      process.stderr.write(`myoci vulns: no Pulumi.<stack>.yaml in ${dir}\n`);
      return 2;
    }
    const stacks = names.map((stack) => ({ stack, images: loadStackFile(dir, stack, { placeholderSecrets: true }).images }));
    const reports = (values.trivy ?? []).map((file) => readTrivyReport(path.resolve(file), file));
    const acceptances = readAcceptances(path.resolve(dir, values["accept-file"] ?? DEFAULT_ACCEPTANCE_FILE));
    const state = readVulnState(stateFile);
    result = computeFindings({ stacks, reports, state, acceptances, now });
    // Every input was valid: only now is the state written.
    if (stateChanged(state, result.state)) {
      writeVulnState(stateFile, result.state);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`myoci vulns: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatFindings(result));
  if (values.notify) {
    const outcome = await notifyFindings(result.findings, {
      projectDir: dir,
      stateFile: values["notify-state"] !== undefined ? path.resolve(values["notify-state"]) : undefined,
      now,
    });
    process.stderr.write(formatOutcome(outcome));
    if (outcome.errors.length > 0) return 2;
  }
  return result.exitCode;
}
