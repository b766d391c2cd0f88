/**
 * The Pulumi operations a rollout needs, behind one small interface of the project's own. The real
 * implementation (automation.ts) drives the Pulumi CLI through the Automation API; tests use an in-process
 * double (tests/rollout/engine-double.ts). Pins live in `Pulumi.<stack>.yaml` on disk for both.
 */
import type { PinSet } from "../../../catalog";
import type { PostgresMigration } from "../../../config/schema";
import type { PinChanges } from "../../../config/stack-file/pins";

export interface UpOptions {
  /** Policy pack folder (relative to the project), e.g. `policy`. */
  readonly policyPack?: string;
  /** Engine output lines (progress), e.g. for `--verbose`. */
  readonly onOutput?: (line: string) => void;
  /** Aborted: cancel the running update through Pulumi's own cancel. */
  readonly cancel?: AbortSignal;
  /** Cancel the update (the same way) after this long. */
  readonly timeoutMs?: number;
}

/**
 * How an `up` ended, from Pulumi's result only: succeeded; failed (the CLI's error); canceled by myoci (second
 * interrupt or `--up-timeout`, through Pulumi's cancel); or locked — another update holds the stack's lock, so
 * this one never started.
 */
export type UpOutcome =
  | { readonly result: "succeeded"; readonly durationMs: number }
  | { readonly result: "failed"; readonly error: string; readonly durationMs: number }
  | { readonly result: "canceled"; readonly why: "interrupt" | "timeout"; readonly error: string; readonly durationMs: number }
  | { readonly result: "locked"; readonly holder: string; readonly durationMs: number };

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

/** What the stack's backend says after an update: its newest history entry and the exported `images`. */
export interface DeploymentRecord {
  readonly update?: DeploymentSummary;
  /** Tag and digest per component from the program's `images` output. */
  readonly exported: PinSet;
}

/** The stack is not in the backend the CLI is logged in to; myoci never creates it. */
export class StackNotFoundError extends Error {
  constructor(
    readonly stackName: string,
    readonly backend: string,
    readonly stacks: readonly string[],
  ) {
    const stack = stackName;
    super(
      `stack ${JSON.stringify(stack)} is not in the backend ${backend} (it has: ${stacks.length > 0 ? stacks.join(", ") : "no stacks"}); ` +
        `log in to the backend that holds it (pulumi login …) or create it deliberately: pulumi stack init ${stack} --secrets-provider passphrase`,
    );
    this.name = "StackNotFoundError";
  }
}

export interface PulumiEngine {
  /** Rejects with StackNotFoundError for the first of `stacks` the backend does not have (before anything changes). */
  assertStacks(stacks: readonly string[]): Promise<void>;
  /** Selects an existing stack of the backend (never creates one: StackNotFoundError). */
  selectStack(stack: string): Promise<void>;
  /** Pins of the selected stack, from its stack file. */
  getPins(): Promise<PinSet>;
  /** Writes pin changes to the selected stack's file (atomic, comments kept). */
  setPins(changes: PinChanges): Promise<void>;
  /** Sets or clears `myoci:postgresMigration` in the selected stack's file. */
  setPostgresMigration(migration: PostgresMigration | null): Promise<void>;
  /** `pulumi up` with the policy pack, nothing else; never throws for a failed update. */
  up(options: UpOptions): Promise<UpOutcome>;
  /** The bookkeeping after an up: newest history entry and exported images (throws when the backend cannot say). */
  lastDeployment(): Promise<DeploymentRecord>;
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

/** Tag and digest per component from the program's `images` output (`{ grafana: { image, tag, digest } … }`). */
export function pinsFromImagesOutput(value: unknown): PinSet {
  const pins: Record<string, { tag: string; digest: string }> = {};
  if (value !== null && typeof value === "object") {
    for (const [component, image] of Object.entries(value as Record<string, unknown>)) {
      const { tag, digest } = (image ?? {}) as { tag?: unknown; digest?: unknown };
      if (typeof tag === "string" && typeof digest === "string") {
        pins[component] = { tag, digest };
      }
    }
  }
  return pins;
}

/** The holder named by Pulumi's lock error ("the stack is currently locked by N lock(s) … created by u@h (pid P) at T"). */
export function lockHolder(error: string): string | undefined {
  if (!/the stack is currently locked by|\[409\] Conflict: Another update is currently in progress/.test(error)) {
    return undefined;
  }
  const created = /created by (.+)$/m.exec(error);
  return created ? created[1]!.trim() : "another update (Pulumi did not name it)";
}
