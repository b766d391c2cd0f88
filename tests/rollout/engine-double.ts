/**
 * In-process doubles for the rollout tests: a PulumiEngine that "deploys" by remembering the pins of the stack
 * file at `up` time (the stack files are real files in a temp folder), a prober whose verdict depends on the
 * deployed digests, and a backup runner that records requests. Used only by tests and the documented sample report.
 */
import type { ComponentId } from "../../catalog";
import type { BackupOutcome, BackupRequest, BackupRunner } from "../../cli/app/backup";
import type { DeploymentRecord, DeploymentSummary, PulumiEngine, UpOptions, UpOutcome } from "../../cli/adapters/pulumi-engine/engine";
import type { PinSet } from "../../catalog";
import type { PostgresMigration } from "../../config/schema";
import type { PinChanges } from "../../config/stack-file/pins";
import { StackFilePins } from "../../cli/adapters/pulumi-engine/stack-pins";
import type { ProbeResult, Prober, Verdict } from "../../cli/adapters/probe";
import { sha256Digest } from "../helpers/digest";

/** sha256 of our own bytes: a test digest, never claimed to be a real image's. */
export function testDigest(text: string): string {
  return sha256Digest(text);
}

/** A fake clock: every `now()` advances by `stepMs`, so durations in reports are exact and deterministic. */
export function steppingClock(startIso = "2026-11-25T12:00:00.000Z", stepMs = 1000): () => number {
  let t = Date.parse(startIso);
  return () => (t += stepMs);
}

export class EngineDouble implements PulumiEngine {
  readonly calls: string[] = [];
  /** What each stack "runs": the pins of its last successful up. */
  readonly deployed: Record<string, PinSet> = {};
  readonly histories: Record<string, DeploymentSummary[]> = {};
  /** `stack#attempt` (1-based per stack) whose up fails. */
  readonly failUps = new Set<string>();
  /** Called at the start of an up (e.g. to simulate SIGINT while it runs). */
  onUp?: (stack: string, attempt: number) => void;
  /** Called inside setPins (SIGINT while pins are written). */
  onSetPins?: (stack: string) => void;
  private readonly pins: StackFilePins;
  private stack?: string;
  private readonly attempts: Record<string, number> = {};

  constructor(
    projectDir: string,
    stacks: readonly string[],
    private readonly now: () => number,
  ) {
    this.pins = new StackFilePins(projectDir);
    for (const stack of stacks) {
      this.deployed[stack] = this.pins.read(stack);
      this.histories[stack] = [];
    }
  }

  private selected(): string {
    if (this.stack === undefined) {
      throw new Error("no stack selected");
    }
    return this.stack;
  }

  async assertStacks(_stacks: readonly string[]): Promise<void> {}
  async selectStack(stack: string): Promise<void> {
    this.calls.push(`select ${stack}`);
    this.stack = stack;
  }
  async getPins(): Promise<PinSet> {
    return this.pins.read(this.selected());
  }
  async setPins(changes: PinChanges): Promise<void> {
    const stack = this.selected();
    this.calls.push(
      `setPins ${stack} ${Object.entries(changes)
        .map(([c, p]) => `${c}=${p?.tag ?? "(none)"}`)
        .join(",")}`,
    );
    this.onSetPins?.(stack);
    this.pins.write(stack, changes);
  }
  async setPostgresMigration(migration: PostgresMigration | null): Promise<void> {
    const stack = this.selected();
    this.calls.push(`setPostgresMigration ${stack} ${migration ? `${migration.from}->${migration.to}` : "null"}`);
    this.pins.setPostgresMigration(stack, migration);
  }
  async up(_options: UpOptions): Promise<UpOutcome> {
    const stack = this.selected();
    const attempt = (this.attempts[stack] = (this.attempts[stack] ?? 0) + 1);
    this.calls.push(`up ${stack} #${attempt}`);
    this.onUp?.(stack, attempt);
    const start = this.now();
    const images = this.pins.read(stack);
    const failed = this.failUps.has(`${stack}#${attempt}`);
    const end = this.now();
    this.histories[stack]!.unshift({
      version: this.histories[stack]!.length + 1,
      kind: "update",
      result: failed ? "failed" : "succeeded",
      startTime: new Date(start).toISOString(),
      endTime: new Date(end).toISOString(),
      images,
    });
    if (failed) {
      return { result: "failed", error: `double: up of ${stack} attempt ${attempt} told to fail`, durationMs: end - start };
    }
    this.deployed[stack] = images;
    return { result: "succeeded", durationMs: end - start };
  }
  async lastDeployment(): Promise<DeploymentRecord> {
    const stack = this.selected();
    return { update: this.histories[stack]![0], exported: this.deployed[stack]! };
  }
  async history(): Promise<DeploymentSummary[]> {
    return [...(this.histories[this.selected()] ?? [])];
  }
}

/** Verdict per probed component from the digest the engine double deployed: listed "bad" digests fail. */
export class ProberDouble implements Prober {
  readonly calls: string[] = [];
  readonly bad = new Map<string, Verdict>();
  onVerify?: (stack: string) => void;

  constructor(
    private readonly engine: EngineDouble,
    private readonly now: () => number,
  ) {}

  async verify(
    stack: string,
    _dockerHost: string,
    components: readonly ComponentId[],
    signal?: AbortSignal,
  ): Promise<{ verdict: Verdict; results: ProbeResult[] }> {
    this.calls.push(`verify ${stack} ${components.join(",")}`);
    this.onVerify?.(stack);
    const results = components.map((component): ProbeResult => {
      const digest = this.engine.deployed[stack]?.[component]?.digest ?? "";
      const verdict: Verdict = signal?.aborted ? "inconclusive" : (this.bad.get(digest) ?? "pass");
      const t = this.now();
      return {
        component,
        url: `double://${stack}/${component}`,
        verdict,
        attempts: 3,
        reason: signal?.aborted ? "interrupted" : `double: ${verdict}`,
        startedAt: new Date(t).toISOString(),
        durationMs: 1000,
      };
    });
    const verdicts = results.map((r) => r.verdict);
    return { verdict: verdicts.includes("fail") ? "fail" : verdicts.includes("inconclusive") ? "inconclusive" : "pass", results };
  }
}

export class BackupDouble implements BackupRunner {
  readonly requests: BackupRequest[] = [];
  readonly restores: string[] = [];
  fail = false;
  onBackup?: (request: BackupRequest) => void;

  async backup(request: BackupRequest): Promise<BackupOutcome | undefined> {
    this.requests.push(request);
    this.onBackup?.(request);
    if (this.fail) {
      return { ok: false, files: [], deleted: [], error: `double: backup of ${request.component} failed` };
    }
    const ext = request.component === "postgres" ? "sql" : "tar.gz";
    return { ok: true, files: [`${request.dir}/${request.stack}-${request.component}-20261125T120000Z.${ext}`], deleted: [] };
  }
  async restorePostgres(stack: string, _dockerHost: string, dumpFile: string): Promise<{ ok: boolean; error?: string; summary?: string }> {
    this.restores.push(`${stack} ${dumpFile}`);
    return { ok: true, summary: "double" };
  }
}
