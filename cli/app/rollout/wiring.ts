/** Real dependencies of `myoci rollout` / `myoci rollback` (Automation API, HTTP/SSH probes, host backups, registry, locks). */
import * as path from "node:path";
import type { ComponentId } from "../../../catalog";
import { appendPromotionEntry, isVerifiedOn, readPromotionRecord } from "../../../config/promotion-record";
import { ownSignal } from "../../../config/exit-cleanup";
import { provenancePath, recordProvenance, registryResolution } from "../../../config/provenance";
import { loadStackFile } from "../../../config/stack-file";
import { HostBackupRunner } from "../backup";
import { DEFAULT_PROBE_OPTIONS, HttpProber } from "../../adapters/probe";
import { AutomationEngine } from "../../adapters/pulumi-engine/automation";
import { DetachedPulumiCli } from "../../adapters/pulumi-engine/cli-runner";
import { RegistryClient } from "../../adapters/registry/client";
import { StackLockedError, withStackLock } from "../stack-lock";
import type { RolloutDeps } from "./types";

export interface WiringOptions {
  readonly projectDir: string;
  readonly mirrors: Readonly<Record<string, string>>;
  readonly stacks: readonly string[];
  /** The command line, for the lock holder's description (e.g. "myoci rollout grafana=13.0.3"). */
  readonly command: string;
  readonly interrupt: Interrupts;
  /** `ports`: per stack (`*`: every stack), the loopback port to probe a component on (`--probe-port`). */
  readonly probe?: { successes?: number; deadlineMs?: number; ports?: Readonly<Record<string, Readonly<Partial<Record<ComponentId, number>>>>> };
  readonly upTimeoutMs?: number;
  /** How long to wait for another myoci run's lock. @default 10 s */
  readonly lockWaitMs?: number;
  readonly log?: (line: string) => void;
  /** What `pulumi version` printed in the pre-flight (the run then does not ask again). */
  readonly pulumiVersion?: string;
}

export function realDeps(options: WiringOptions): RolloutDeps {
  const loadConfig = (stack: string) => loadStackFile(options.projectDir, stack, { placeholderSecrets: true });
  const recordFile = (stack: string): string => path.resolve(options.projectDir, loadConfig(stack).promotion.record);
  // Registry mirrors: each stack file's, then the command line's.
  const mirrors: Record<string, string> = {};
  for (const stack of options.stacks) {
    try {
      Object.assign(mirrors, loadConfig(stack).registryMirrors);
    } catch {
      // an invalid stack file is reported by the rollout's own load, naming file and key
    }
  }
  const cli = new DetachedPulumiCli();
  options.interrupt.onExit(() => cli.killAll());
  return {
    engine: new AutomationEngine(options.projectDir, cli, Date.now, options.pulumiVersion),
    prober: new HttpProber(
      {
        ...DEFAULT_PROBE_OPTIONS,
        successes: options.probe?.successes ?? DEFAULT_PROBE_OPTIONS.successes,
        deadlineMs: options.probe?.deadlineMs ?? DEFAULT_PROBE_OPTIONS.deadlineMs,
      },
      undefined,
      undefined,
      options.probe?.ports,
    ),
    backups: new HostBackupRunner(),
    resolver: new RegistryClient({ mirrors: { ...mirrors, ...options.mirrors } }),
    loadConfig,
    recordVerified: (stack, images, checks, recordedAt, note) =>
      appendPromotionEntry(recordFile(stack), { kind: "verified", stack, recordedAt, note, images, checks }),
    recordResolved: (pins) =>
      recordProvenance(
        provenancePath(options.projectDir),
        (Object.entries(pins) as [ComponentId, { tag: string; digest: string }][]).map(([component, pin]) => registryResolution(component, pin, "rollout")),
      ),
    isVerified: (stack, component, pin) => isVerifiedOn(readPromotionRecord(recordFile(stack)), stack, component, pin),
    withStackLocks: (stacks, fn) => withStackLocks(options, stacks, fn),
    now: () => Date.now(),
    signal: options.interrupt.signal,
    cancel: options.interrupt.cancel,
    upTimeoutMs: options.upTimeoutMs,
    policyPack: "policy",
    log: options.log,
  };
}

/** `fn` under myoci's lock of every stack, taken in the given order (every command takes them in stack order). */
async function withStackLocks<T>(options: WiringOptions, stacks: readonly string[], fn: () => Promise<T>): Promise<{ value: T } | { locked: string }> {
  const run = (index: number): Promise<T> =>
    index === stacks.length
      ? fn()
      : withStackLock({ root: options.projectDir, stack: stacks[index]!, command: options.command, waitMs: options.lockWaitMs }, () => run(index + 1));
  try {
    return { value: await run(0) };
  } catch (error) {
    if (error instanceof StackLockedError) {
      return { locked: error.message };
    }
    throw error;
  }
}

export interface Interrupts {
  /** First Ctrl-C: stop before the next step (a running `up` finishes). */
  readonly signal: AbortSignal;
  /** Second Ctrl-C: cancel a running `up` through Pulumi's cancel. */
  readonly cancel: AbortSignal;
  /** Called when myoci is ended by SIGTERM (a third Ctrl-C does not end it: it waits for the canceled CLI). */
  onExit(hook: () => void): void;
  dispose(): void;
}

/**
 * SIGINT handling of rollout/rollback. `pulumi` runs in its own process group (DetachedPulumiCli), so a terminal's
 * Ctrl-C reaches myoci only: the first stops before the next step, the second cancels a running `up` through
 * Pulumi's cancel; the report is written either way. SIGTERM ends any running CLI and exits 143.
 */
export function interruptible(write: (line: string) => void = (line) => process.stderr.write(line)): Interrupts {
  const first = new AbortController();
  const second = new AbortController();
  const hooks: (() => void)[] = [];
  const onSigint = (): void => {
    if (!first.signal.aborted) {
      write("myoci: interrupt received; the running step finishes, then the run stops and reports (Ctrl-C again cancels a running `pulumi up`)\n");
      first.abort();
    } else if (!second.signal.aborted) {
      write("myoci: second interrupt; canceling the running `pulumi up` through Pulumi's cancel, then reporting\n");
      second.abort();
    } else {
      write("myoci: still waiting for `pulumi` to end after its cancel\n");
    }
  };
  // SIGTERM: the exit clean-ups (lock files) run and the process exits 143; the running CLIs are ended first.
  const onSigterm = (): void => {
    hooks.forEach((hook) => hook());
    process.exit(143);
  };
  const giveBack = ownSignal("SIGINT");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: first.signal,
    cancel: second.signal,
    onExit: (hook) => hooks.push(hook),
    dispose: () => {
      giveBack();
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}
