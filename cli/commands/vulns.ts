/**
 * `npx myoci vulns` — advisories affecting the pinned versions (catalog + Trivy reports joined by repo digest),
 * each with its deadline. Exit 0 nothing due, 1 findings open, 2 a deadline is past (or an error).
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
import { parseCommand, processIO, unknownStack, type CommandIO } from "../lib/command";
import { VULNS } from "./specs";

export async function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const args = parseCommand(VULNS, argv, io);
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, out } = args;
  const dir = path.resolve(io.cwd, values["project-dir"] ?? ".");
  const missing = values.stack !== undefined ? unknownStack(dir, values.stack) : undefined;
  if (missing !== undefined) {
    return out.usageError(missing);
  }
  const stateFile = path.resolve(dir, values["state-file"] ?? DEFAULT_STATE_FILE);
  const now = io.now();
  let result;
  try {
    const names = values.stack !== undefined ? [values.stack] : stacksInDir(dir);
    if (names.length === 0) {
      return out.fail(new Error(`no Pulumi.<stack>.yaml in ${dir}`));
    }
    const stacks = names.map((stack) => ({ stack, images: loadStackFile(dir, stack, { placeholderSecrets: true }).images }));
    const reports = (values.trivy ?? []).map((file) => readTrivyReport(path.resolve(io.cwd, file), file));
    const acceptances = readAcceptances(path.resolve(dir, values["accept-file"] ?? DEFAULT_ACCEPTANCE_FILE));
    const state = readVulnState(stateFile);
    result = computeFindings({ stacks, reports, state, acceptances, now });
    // Every input was valid: only now is the state written.
    if (stateChanged(state, result.state)) {
      writeVulnState(stateFile, result.state);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      return out.fail(error);
    }
    throw error;
  }
  let exitCode: number = result.exitCode;
  const errors: { message: string }[] = [];
  if (values.notify) {
    const outcome = await notifyFindings(result.findings, {
      projectDir: dir,
      stateFile: values["notify-state"] !== undefined ? path.resolve(io.cwd, values["notify-state"]) : undefined,
      now,
    });
    if (!out.json) out.note(formatOutcome(outcome).trimEnd());
    errors.push(...outcome.errors.map((message) => ({ message: `notify: ${message}` })));
    if (outcome.errors.length > 0) exitCode = 2;
  }
  return out.finish(exitCode, { data: result, text: formatFindings(result), errors: out.json ? errors : [] });
}
