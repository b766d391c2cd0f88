/**
 * `npx myoci vulns` — advisories affecting the pinned versions (catalog, OSV, Trivy reports joined by repo digest),
 * each with its deadline. OSV is asked once per run (`--offline`: the committed snapshot instead); `--refresh`
 * writes what it found to the snapshot. Exit 0 nothing due, 1 findings open, 2 a deadline is past (or an error).
 */
import * as path from "node:path";
import { ConfigError } from "../../config/schema";
import { loadStackFile } from "../../config/stack-file";
import { readRequirements } from "../app/docs";
import { formatOutcome, notifyFindings } from "../app/notify";
import { DEFAULT_OSV_URL, OsvClient, OsvError, osvTargets, queryOsv, type OsvResult } from "../app/osv";
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
} from "../app/vulns";
import { parseCommand, processIO, unknownStack, type CommandIO } from "../framework/command";
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
  const osvUrl = values["osv-url"] ?? DEFAULT_OSV_URL;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(osvUrl)) {
    return out.usageError(`--osv-url "${osvUrl}": expected an http(s) URL such as ${DEFAULT_OSV_URL}`);
  }
  const timeoutSeconds = Number(values["osv-timeout"] ?? "15");
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    return out.usageError(`--osv-timeout "${values["osv-timeout"]}": expected seconds > 0`);
  }
  if (values.offline && values.refresh) {
    return out.usageError("--offline and --refresh exclude each other: a refresh asks OSV");
  }
  const now = io.now();
  let result;
  let osv: OsvResult | undefined;
  try {
    const names = values.stack !== undefined ? [values.stack] : stacksInDir(dir);
    if (names.length === 0) {
      return out.fail(new Error(`no Pulumi.<stack>.yaml in ${dir}`));
    }
    const stacks = names.map((stack) => ({ stack, images: loadStackFile(dir, stack, { placeholderSecrets: true }).images }));
    const reports = (values.trivy ?? []).map((file) => readTrivyReport(path.resolve(io.cwd, file), file));
    const acceptances = readAcceptances(path.resolve(dir, values["accept-file"] ?? DEFAULT_ACCEPTANCE_FILE));
    const state = readVulnState(stateFile);
    if (!values.offline) {
      const python = readRequirements(path.join(dir, "forwarder", "requirements.txt")) ?? [];
      const client = new OsvClient({ baseUrl: osvUrl, timeoutMs: timeoutSeconds * 1000 });
      osv = await queryOsv(
        client,
        osvTargets(
          stacks.map((s) => s.images),
          python.filter((r) => r.version !== "(not pinned)"),
        ),
      );
    }
    result = computeFindings({ stacks, reports, state, acceptances, now, ...(osv ? { osv: osv.vulnerabilities } : {}) });
    const next =
      values.refresh && osv
        ? { ...result.state, osv: { refreshedAt: now.toISOString(), source: osv.source, vulnerabilities: osv.vulnerabilities } }
        : result.state;
    // Every input was valid and OSV answered: only now is the state written.
    if (values.refresh || stateChanged(state, next)) {
      writeVulnState(stateFile, next);
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof OsvError) {
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
  const data = {
    ...result,
    osv: osv
      ? { source: osv.source, queries: osv.queries, records: osv.records, withdrawn: osv.withdrawn, unmapped: osv.unmapped, refreshed: values.refresh }
      : { offline: true, snapshot: result.state.osv?.refreshedAt ?? null },
  };
  return out.finish(exitCode, {
    data,
    text: formatFindings(result) + formatOsv(osv, result.state.osv?.refreshedAt, values.refresh),
    errors: out.json ? errors : [],
  });
}

/** What OSV said, after the findings: the query, withdrawn and unmapped records, or the snapshot used offline. */
function formatOsv(osv: OsvResult | undefined, snapshot: string | undefined, refreshed: boolean): string {
  if (!osv) return `OSV: offline, ${snapshot !== undefined ? `the snapshot of ${snapshot}` : "no snapshot (run npx myoci vulns --refresh)"}\n`;
  const lines = [
    `OSV ${osv.source}: ${osv.queries} package versions asked, ${osv.records} records read, ${osv.vulnerabilities.length} affecting${refreshed ? "; snapshot written" : ""}`,
  ];
  if (osv.withdrawn.length > 0) lines.push(`  withdrawn (ignored): ${osv.withdrawn.join(", ")}`);
  for (const u of osv.unmapped) {
    lines.push(`  unmapped: ${u.component} ${u.version}: ${u.ids.join(", ")}: its ranges name no release (Go pseudo-versions); check the advisory by hand`);
  }
  return `${lines.join("\n")}\n`;
}
