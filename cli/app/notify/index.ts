/**
 * Notifications: resolve each stack's ntfy target from `myoci:notify` (+ MYOCI_NTFY_PASSWORD), send only new or
 * changed messages, and record what went out. Entry points for the commands:
 *   notifyFindings (myoci vulns --notify), notifyCheckResults (myoci check --notify), notifyRolloutResult (rollouts).
 * None of them throws on delivery problems: the outcome lists errors, and the caller exits 2 when there are any.
 */
import * as path from "node:path";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import type { StackConfig } from "../../../config/schema";
import type { VulnFinding } from "../vulns/findings";
import { checkMessages, findingMessages, rolloutMessage, type CheckReportLike, type RolloutNotice } from "./messages";
import { NotifyError, publish, type NtfyMessage, type NtfyTarget, type SendOptions } from "../../adapters/ntfy";
import { DEFAULT_SENT_FILE, readSentState, writeSentState } from "./sent-state";

export * from "./messages";
export * from "../../adapters/ntfy";
export * from "./sent-state";

export const PASSWORD_ENV = "MYOCI_NTFY_PASSWORD";

/** The stack's ntfy target, or why there is none (never mentions the password's value). */
export function targetFromConfig(config: Pick<StackConfig, "stack" | "file" | "notify">, env: NodeJS.ProcessEnv = process.env): NtfyTarget {
  const notify = config.notify;
  if (!notify) {
    throw new NotifyError(
      `${config.file}: myoci:notify is not set (expected { ntfyUrl, topic, ntfyUser? }: pulumi config set --path myoci:notify.ntfyUrl https://ntfy.example.org --stack ${config.stack})`,
    );
  }
  const password = env[PASSWORD_ENV];
  if (notify.ntfyUser !== undefined && (password === undefined || password === "")) {
    throw new NotifyError(`${config.file}: myoci:notify.ntfyUser is "${notify.ntfyUser}" but ${PASSWORD_ENV} is not set in the environment`);
  }
  return { url: notify.ntfyUrl, topic: notify.topic, user: notify.ntfyUser, password: notify.ntfyUser !== undefined ? password : undefined };
}

export interface NotifyOptions {
  /** Where Pulumi.<stack>.yaml files are (default: cwd). */
  readonly projectDir?: string;
  /** Sent-message record (default <projectDir>/.myoci/notified.json). */
  readonly stateFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly send?: SendOptions;
  readonly now?: Date;
  /** Targets per stack, when the caller already knows them (tests, callers holding a loaded config). */
  readonly targets?: Readonly<Record<string, NtfyTarget>>;
}

export interface NotifyOutcome {
  readonly sent: readonly string[];
  /** Keys already sent with the same fingerprint. */
  readonly skipped: readonly string[];
  readonly errors: readonly string[];
}

/** Sends messages grouped by stack; records each success at once so a failure never loses what was sent. */
export async function deliver(byStack: ReadonlyMap<string, readonly NtfyMessage[]>, options: NotifyOptions = {}): Promise<NotifyOutcome> {
  const projectDir = options.projectDir ?? process.cwd();
  const stateFile = options.stateFile ?? path.join(projectDir, DEFAULT_SENT_FILE);
  const sent: string[] = [];
  const skipped: string[] = [];
  const errors: string[] = [];
  let state;
  try {
    state = readSentState(stateFile);
  } catch (error) {
    return { sent, skipped, errors: [(error as Error).message] };
  }
  for (const [stack, messages] of byStack) {
    const pending = messages.filter((m) => {
      const known = state[m.key]?.fingerprint === m.fingerprint;
      if (known) skipped.push(m.key);
      return !known;
    });
    if (pending.length === 0) continue;
    let target: NtfyTarget;
    try {
      target = options.targets?.[stack] ?? targetFromConfig(loadStackFile(projectDir, stack, { placeholderSecrets: true }), options.env ?? process.env);
    } catch (error) {
      errors.push(`${path.basename(stackFilePath(projectDir, stack))}: ${(error as Error).message}`);
      continue;
    }
    for (const message of pending) {
      try {
        await publish(target, message, options.send);
      } catch (error) {
        errors.push((error as Error).message);
        break; // the server is down or refusing: the rest of this stack would fail the same way
      }
      state[message.key] = { fingerprint: message.fingerprint, sentAt: (options.now ?? new Date()).toISOString() };
      writeSentState(stateFile, state);
      sent.push(message.key);
    }
  }
  return { sent, skipped, errors };
}

function groupByStack<T>(items: readonly T[], stackOf: (item: T) => string, toMessages: (items: T[]) => NtfyMessage[]): Map<string, NtfyMessage[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(stackOf(item), [...(groups.get(stackOf(item)) ?? []), item]);
  return new Map([...groups].map(([stack, group]) => [stack, toMessages(group)]));
}

/** `myoci vulns --notify`: findings with a deadline that are new or changed (e.g. open → overdue). */
export function notifyFindings(findings: readonly VulnFinding[], options: NotifyOptions = {}): Promise<NotifyOutcome> {
  return deliver(
    groupByStack(findings, (f) => f.stack, findingMessages),
    options,
  );
}

/** `myoci check --notify`: call with the CheckReport after the check ran; exit 2 when `errors` is not empty. */
export function notifyCheckResults(report: CheckReportLike, options: NotifyOptions = {}): Promise<NotifyOutcome> {
  const stacks = report.stacks.filter((s) => s.error === undefined);
  return deliver(new Map(stacks.map((s) => [s.stack, checkMessages({ stacks: [s] })])), options);
}

/** A rollout's end: always a new message (its key holds the stack and the time it finished). */
export function notifyRolloutResult(notice: RolloutNotice, options: NotifyOptions = {}): Promise<NotifyOutcome> {
  return deliver(new Map([[notice.stack, [rolloutMessage(notice)]]]), options);
}

/** One line for stderr, e.g. `notify: 3 sent, 5 already sent` (+ errors). */
export function formatOutcome(outcome: NotifyOutcome): string {
  const lines = [`notify: ${outcome.sent.length} sent, ${outcome.skipped.length} already sent`];
  for (const e of outcome.errors) lines.push(`notify error: ${e}`);
  return `${lines.join("\n")}\n`;
}
