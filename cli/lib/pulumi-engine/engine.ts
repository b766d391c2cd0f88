/**
 * The Pulumi operations a rollout needs, behind one small interface of the project's own. The real
 * implementation (automation.ts) drives the Pulumi CLI through the Automation API; tests use an in-process
 * double (tests/rollout/engine-double.ts). Pins live in `Pulumi.<stack>.yaml` on disk for both.
 */
import type { PinChanges, PinSet, PostgresMigration } from "./stack-pins";

export type { PinChanges, PinSet, PostgresMigration } from "./stack-pins";

export interface UpOptions {
  /** Policy pack folder (relative to the project), e.g. `policy`. */
  readonly policyPack?: string;
  /** Engine output lines (progress), e.g. for `--verbose`. */
  readonly onOutput?: (line: string) => void;
}

export interface UpOutcome {
  readonly ok: boolean;
  /** Why `up` failed (the engine's message, secrets already masked by Pulumi). */
  readonly error?: string;
  readonly durationMs: number;
}

/** One entry of the stack's update history, newest first. */
export interface DeploymentSummary {
  readonly version: number;
  readonly kind: string;
  /** "succeeded", "failed" or "in-progress" (as the Automation API reports it). */
  readonly result: string;
  readonly startTime: string;
  readonly endTime?: string;
  /** `myoci:images` the update ran with (absent when the history entry carries no config). */
  readonly images?: PinSet;
}

export interface PulumiEngine {
  /** Selects (creating if needed) the stack the next calls act on. */
  selectStack(stack: string): Promise<void>;
  /** Pins of the selected stack, from its stack file. */
  getPins(): Promise<PinSet>;
  /** Writes pin changes to the selected stack's file (atomic, comments kept). */
  setPins(changes: PinChanges): Promise<void>;
  /** Sets or clears `myoci:postgresMigration` in the selected stack's file. */
  setPostgresMigration(migration: PostgresMigration | null): Promise<void>;
  /** `pulumi up` with the policy pack; never throws for a failed update (ok: false). */
  up(options: UpOptions): Promise<UpOutcome>;
  outputs(): Promise<Record<string, unknown>>;
  history(): Promise<DeploymentSummary[]>;
}

/** Reads `myoci:images` from a history entry's config map (values are JSON strings). */
export function imagesFromConfig(config: Record<string, { value: string; secret?: boolean }> | undefined): PinSet | undefined {
  const entry = config?.["myoci:images"];
  if (!entry || entry.secret) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(entry.value) as unknown;
    return parsed !== null && typeof parsed === "object" ? parsed : undefined;
  } catch {
    return undefined;
  }
}
