/** Real dependencies of `myoci rollout` / `myoci rollback` (Automation API, HTTP/SSH probes, host backups, registry). */
import * as path from "node:path";
import { appendPromotionEntry } from "../../../config/promotion-record";
import { loadStackFile } from "../../../config/stack-file";
import { HostBackupRunner } from "../backup";
import { DEFAULT_PROBE_OPTIONS, HttpProber } from "../probe";
import { AutomationEngine } from "../pulumi-engine/automation";
import { RegistryClient } from "../registry/client";
import type { RolloutDeps } from "./rollout";

export interface WiringOptions {
  readonly projectDir: string;
  readonly mirrors: Readonly<Record<string, string>>;
  readonly stacks: readonly string[];
  readonly signal: AbortSignal;
  readonly probe?: { successes?: number; deadlineMs?: number };
  readonly log?: (line: string) => void;
}

export function realDeps(options: WiringOptions): RolloutDeps {
  const loadConfig = (stack: string) => loadStackFile(options.projectDir, stack, { placeholderSecrets: true });
  // Registry mirrors: each stack file's, then the command line's.
  const mirrors: Record<string, string> = {};
  for (const stack of options.stacks) {
    try {
      Object.assign(mirrors, loadConfig(stack).registryMirrors);
    } catch {
      // an invalid stack file is reported by the rollout's own load, naming file and key
    }
  }
  return {
    engine: new AutomationEngine(options.projectDir),
    prober: new HttpProber({
      ...DEFAULT_PROBE_OPTIONS,
      successes: options.probe?.successes ?? DEFAULT_PROBE_OPTIONS.successes,
      deadlineMs: options.probe?.deadlineMs ?? DEFAULT_PROBE_OPTIONS.deadlineMs,
    }),
    backups: new HostBackupRunner(),
    resolver: new RegistryClient({ mirrors: { ...mirrors, ...options.mirrors } }),
    loadConfig,
    recordVerified: (stack, images, recordedAt, note) =>
      appendPromotionEntry(path.resolve(options.projectDir, loadConfig(stack).promotion.record), { kind: "verified", stack, recordedAt, note, images }),
    now: () => Date.now(),
    signal: options.signal,
    policyPack: "policy",
    log: options.log,
  };
}

/**
 * SIGINT → abort between phases (first Ctrl-C); a second Ctrl-C exits at once (130) — stack-file writes are atomic,
 * but an interrupted `up` may then need `pulumi cancel` / `pulumi refresh`.
 */
export function interruptible(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) {
      process.stderr.write("myoci: second interrupt, exiting now; check `pulumi stack` and the stack file before the next run\n");
      process.exit(130);
    }
    process.stderr.write(
      "myoci: interrupt received; finishing the current phase, then leaving the stack file equal to what is deployed (Ctrl-C again to exit at once)\n",
    );
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}
