/** The rollout/rollback report and the dependencies a run is given (types only: every rollout module imports them). */
import type { ComponentId, ImagePin, PinSet } from "../../../catalog";
import type { StackConfig } from "../../../config/schema";
import type { VerifiedCheck } from "../../../config/promotion-record";
import type { BackupRunner } from "../backup";
import type { PulumiEngine } from "../../adapters/pulumi-engine/engine";
import type { ProbeResult, Prober } from "../../adapters/probe";
import type { DigestResolver } from "../../adapters/registry/client";

export type Phase =
  "record" | "backup" | "write-pins" | "up" | "deployment" | "restore-data" | "verify" | "record-verified" | "restore-pins" | "rollback-up" | "rollback-verify";

export interface StepReport {
  readonly stack: string;
  readonly phase: Phase;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly detail: string;
}

export type StackOutcome =
  | "rolled-out"
  | "verified"
  | "unchanged"
  | "rolled-back"
  | "rollback-failed"
  | "inconclusive"
  | "interrupted"
  | "canceled"
  | "not-started"
  | "bookkeeping-failed"
  | "verification-failed"
  | "backup-failed"
  | "untouched";

export interface StackReport {
  readonly stack: string;
  outcome: StackOutcome;
  /** Pins of the changed components before and after (as requested). */
  readonly from: PinSet;
  readonly to: PinSet;
  /** Components whose pins this run deployed unchanged to verify them (an earlier run deployed but did not verify). */
  readonly reverified: readonly ComponentId[];
  /** Components the `verified` entry of this run lists (empty: none recorded). */
  verified: ComponentId[];
  /** Pulumi's update number of this run's `up`, from the stack history. */
  update?: number;
  backups: string[];
  probes: ProbeResult[];
  rollbackProbes: ProbeResult[];
  /** From the failure being detected to the rollback verified (or given up). */
  rollbackDurationMs?: number;
}

export interface RolloutReport {
  readonly command: "rollout" | "rollback";
  readonly startedAt: string;
  endedAt: string;
  durationMs: number;
  exitCode: 0 | 1 | 2;
  summary: string;
  readonly request: { readonly changes: Readonly<Record<string, string>>; readonly stacks: readonly string[]; readonly migrate: boolean };
  refusals: string[];
  readonly stacks: StackReport[];
  readonly steps: StepReport[];
  nextSteps: string[];
}

export type { DigestResolver };

export interface RolloutDeps {
  readonly engine: PulumiEngine;
  readonly prober: Prober;
  readonly backups: BackupRunner;
  readonly resolver: DigestResolver;
  /** Loads and validates a stack's config (loadStackFile with placeholder secrets). */
  readonly loadConfig: (stack: string) => StackConfig;
  /** Appends a `verified` entry to promotions.yaml: exactly `images`, each checked as `checks` says. */
  readonly recordVerified: (
    stack: string,
    images: PinSet,
    checks: Readonly<Partial<Record<ComponentId, VerifiedCheck>>>,
    recordedAt: string,
    note: string,
  ) => void;
  /** Records where the digests this run resolved came from (provenance.yaml; the policy pack's provenance check). */
  readonly recordResolved?: (pins: Readonly<Partial<Record<ComponentId, ImagePin>>>) => void;
  /** Whether the record already holds this pin as verified (or adopted) on the stack. */
  readonly isVerified: (stack: string, component: ComponentId, pin: ImagePin) => boolean;
  /** Runs `fn` under myoci's own lock of each stack (shared with pin/promote); `locked` names the holder instead. */
  readonly withStackLocks: <T>(stacks: readonly string[], fn: () => Promise<T>) => Promise<{ value: T } | { locked: string }>;
  readonly now: () => number;
  /** First interrupt: stop before the next step (a running `up` finishes). */
  readonly signal?: AbortSignal;
  /** Second interrupt: cancel a running `up` through Pulumi's cancel. */
  readonly cancel?: AbortSignal;
  /** Bound of every `up` (canceled through Pulumi's cancel when it runs longer). */
  readonly upTimeoutMs?: number;
  /** Policy pack folder for `up`. @default "policy" */
  readonly policyPack?: string;
  readonly log?: (line: string) => void;
}

export interface RolloutRequest {
  /** component → tag */
  readonly changes: Readonly<Record<string, string>>;
  readonly stacks: readonly string[];
  readonly migrate: boolean;
}
