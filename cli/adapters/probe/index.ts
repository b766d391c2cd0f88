/**
 * Health probes of a rollout: each changed service's HTTP health endpoint must answer 2xx N times in a row
 * within a deadline. An attempt is either an answer (an HTTP status) or an error that is not an answer
 * (connection refused, reset, timeout, ssh failure).
 *
 * Verdict at the end:
 * - pass: N consecutive 2xx answers before the deadline (checked after every attempt, so it ends early);
 * - fail: the deadline passed and the last answer received was not 2xx (the service answers, and says it is
 *   unhealthy — e.g. 500 or 503);
 * - inconclusive: the deadline passed without a non-2xx last answer: nothing answered at all, or only 2xx
 *   answers interrupted by errors. The rollout stops and asks a person instead of guessing.
 * An abort (SIGINT) ends the probe at once as inconclusive.
 */
import * as http from "node:http";
import { execFile } from "node:child_process";
import { CATALOG, type ComponentId } from "../../../catalog";

export type ProbeAttempt = { readonly at: number; readonly status: number } | { readonly at: number; readonly error: string };
export type Verdict = "pass" | "fail" | "inconclusive";

export interface ProbeTarget {
  readonly component: ComponentId;
  /** Port published on the Docker host's 127.0.0.1. */
  readonly hostPort: number;
  readonly path: string;
}

export interface ProbeResult {
  readonly component: ComponentId;
  readonly url: string;
  readonly verdict: Verdict;
  readonly attempts: number;
  readonly reason: string;
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface ProbeOptions {
  /** Consecutive 2xx answers required. */
  readonly successes: number;
  readonly deadlineMs: number;
  readonly intervalMs: number;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_PROBE_OPTIONS: Omit<ProbeOptions, "signal"> = { successes: 3, deadlineMs: 120_000, intervalMs: 2_000, timeoutMs: 5_000 };

/** One HTTP GET; resolves with the status or an error text, never rejects. */
export type AttemptFn = (target: ProbeTarget, timeoutMs: number) => Promise<{ status: number } | { error: string }>;

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) {
        return resolve();
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

const ok = (status: number): boolean => status >= 200 && status < 300;

/** The verdict of a finished attempt sequence (pure). `complete`: the deadline passed (or the probe was aborted). */
export function judgeAttempts(attempts: readonly ProbeAttempt[], successes: number, complete: boolean): { verdict: Verdict | "pending"; reason: string } {
  let streak = 0;
  for (const attempt of attempts) {
    streak = "status" in attempt && ok(attempt.status) ? streak + 1 : 0;
    if (streak >= successes) {
      return { verdict: "pass", reason: `${successes} consecutive 2xx answers` };
    }
  }
  if (!complete) {
    return { verdict: "pending", reason: "" };
  }
  const answers = attempts.filter((a): a is { at: number; status: number } => "status" in a);
  const errors = attempts.filter((a): a is { at: number; error: string } => "error" in a);
  const last = answers[answers.length - 1];
  if (last && !ok(last.status)) {
    return {
      verdict: "fail",
      reason: `last answer HTTP ${last.status} (${answers.filter((a) => !ok(a.status)).length} of ${attempts.length} attempts answered non-2xx)`,
    };
  }
  if (!last) {
    return { verdict: "inconclusive", reason: `no answer in ${attempts.length} attempts (last error: ${errors[errors.length - 1]?.error ?? "none"})` };
  }
  return {
    verdict: "inconclusive",
    reason: `only ${streak} consecutive 2xx of ${successes} required; ${errors.length} attempts got no answer (last error: ${errors[errors.length - 1]?.error ?? "none"})`,
  };
}

/** Probes one target until pass or the deadline. */
export async function probeTarget(
  target: ProbeTarget,
  attempt: AttemptFn,
  options: ProbeOptions,
  clock: Clock = REAL_CLOCK,
  describeUrl = localUrl,
): Promise<ProbeResult> {
  const started = clock.now();
  const attempts: ProbeAttempt[] = [];
  const finish = (verdict: Verdict, reason: string): ProbeResult => ({
    component: target.component,
    url: describeUrl(target),
    verdict,
    attempts: attempts.length,
    reason,
    startedAt: new Date(started).toISOString(),
    durationMs: clock.now() - started,
  });
  for (;;) {
    if (options.signal?.aborted) {
      return finish("inconclusive", `interrupted after ${attempts.length} attempts`);
    }
    const remaining = started + options.deadlineMs - clock.now();
    const result = await attempt(target, Math.max(1, Math.min(options.timeoutMs, remaining)));
    attempts.push({ at: clock.now(), ...result });
    const complete = clock.now() + options.intervalMs > started + options.deadlineMs;
    const judged = judgeAttempts(attempts, options.successes, complete);
    if (judged.verdict !== "pending") {
      return finish(judged.verdict, judged.reason);
    }
    await clock.sleep(options.intervalMs, options.signal);
  }
}

export function localUrl(target: ProbeTarget): string {
  return `http://127.0.0.1:${target.hostPort}${target.path}`;
}

/** A GET from this machine to 127.0.0.1 (the Docker host is local). */
export const httpAttempt: AttemptFn = (target, timeoutMs) =>
  new Promise((resolve) => {
    const request = http.get(localUrl(target), { timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0 }));
      response.on("error", (e) => resolve({ error: e.message }));
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });

/** Runs a program and returns its exit code and stdout (injectable for the SSH prober). */
export type Exec = (file: string, args: readonly string[], timeoutMs: number) => Promise<{ code: number; stdout: string; stderr: string }>;

export const realExec: Exec = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

/** `ssh user@host curl …` argv: the status code is the only output; curl's own exit code tells errors apart. */
export function sshCurlArgs(destination: string, target: ProbeTarget, timeoutMs: number, port?: number): string[] {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${seconds}`,
    ...(port !== undefined ? ["-p", String(port)] : []),
    destination,
    "curl",
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "'%{http_code}'",
    "--max-time",
    String(seconds),
    `'${localUrl(target)}'`,
  ];
}

/**
 * Interprets `ssh … curl -w %{http_code}`: ssh exits 255 on its own failures; curl prints 000 and exits non-zero
 * (7 refused, 28 timeout, 52 empty reply) when there was no HTTP answer.
 */
export function parseSshCurl(result: { code: number; stdout: string; stderr: string }): { status: number } | { error: string } {
  if (result.code === 255) {
    return { error: `ssh: ${result.stderr.trim().split("\n").pop() ?? "failed"}` };
  }
  const status = Number(result.stdout.trim());
  if (/^\d{3}$/.test(result.stdout.trim()) && status > 0) {
    return { status };
  }
  return { error: `curl exit ${result.code}: ${result.stderr.trim().split("\n").pop() ?? ""}`.trim() };
}

/** A probe attempt run on a remote Docker host over SSH (prod). */
export function sshAttempt(destination: string, port?: number, exec: Exec = realExec): AttemptFn {
  return async (target, timeoutMs) => parseSshCurl(await exec("ssh", sshCurlArgs(destination, target, timeoutMs, port), timeoutMs + 10_000));
}

/** Where the probes of a stack run, from its `myoci:dockerHost`. */
export function attemptForDockerHost(dockerHost: string, exec: Exec = realExec): AttemptFn | { error: string } {
  if (dockerHost.startsWith("unix://")) {
    return httpAttempt;
  }
  const ssh = /^ssh:\/\/([^@]+@[^:/]+)(?::(\d+))?$/.exec(dockerHost);
  if (ssh) {
    return sshAttempt(ssh[1]!, ssh[2] !== undefined ? Number(ssh[2]) : undefined, exec);
  }
  return { error: `${dockerHost}: the loopback ports of a tcp:// Docker host cannot be probed from here; use ssh://user@host` };
}

/**
 * Probe targets of the changed components that have an HTTP probe (the others rely on the container healthcheck).
 * `ports`: the loopback port to probe instead of the published one (`--probe-port`, e.g. through an SSH tunnel).
 */
export function probeTargets(components: readonly ComponentId[], ports: Readonly<Partial<Record<ComponentId, number>>> = {}): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const component of components) {
    const entry = CATALOG[component];
    const probe = entry.health.probe;
    if (!probe) {
      continue;
    }
    const port = entry.ports.find((p) => p.container === probe.port && p.protocol === "tcp");
    targets.push({ component, hostPort: ports[component] ?? port?.host ?? probe.port, path: probe.path });
  }
  return targets;
}

/** Probes all targets (in parallel); the stack's verdict is the worst: fail > inconclusive > pass. */
export interface Prober {
  verify(stack: string, dockerHost: string, components: readonly ComponentId[], signal?: AbortSignal): Promise<{ verdict: Verdict; results: ProbeResult[] }>;
}

export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdicts.includes("fail") ? "fail" : verdicts.includes("inconclusive") ? "inconclusive" : "pass";
}

export class HttpProber implements Prober {
  constructor(
    private readonly options: Omit<ProbeOptions, "signal"> = DEFAULT_PROBE_OPTIONS,
    private readonly clock: Clock = REAL_CLOCK,
    private readonly exec: Exec = realExec,
    /** Per stack (or `*` for every stack): the loopback port to probe a component on instead of the published one. */
    private readonly ports: Readonly<Record<string, Readonly<Partial<Record<ComponentId, number>>>>> = {},
  ) {}

  async verify(
    stack: string,
    dockerHost: string,
    components: readonly ComponentId[],
    signal?: AbortSignal,
  ): Promise<{ verdict: Verdict; results: ProbeResult[] }> {
    const attempt = attemptForDockerHost(dockerHost, this.exec);
    const targets = probeTargets(components, { ...this.ports["*"], ...this.ports[stack] });
    if ("error" in attempt) {
      const results = targets.map((t): ProbeResult => ({
        component: t.component,
        url: localUrl(t),
        verdict: "inconclusive",
        attempts: 0,
        reason: attempt.error,
        startedAt: new Date(this.clock.now()).toISOString(),
        durationMs: 0,
      }));
      return { verdict: results.length > 0 ? "inconclusive" : "pass", results };
    }
    const describe = dockerHost.startsWith("ssh://") ? (t: ProbeTarget) => `${dockerHost} → ${localUrl(t)}` : localUrl;
    const results = await Promise.all(targets.map((t) => probeTarget(t, attempt, { ...this.options, signal }, this.clock, describe)));
    return { verdict: worstVerdict(results.map((r) => r.verdict)), results };
  }
}

/** One line per probe verdict for reports; container health alone when no service had an HTTP probe. */
export function describeProbes(results: readonly ProbeResult[]): string {
  return results.length === 0
    ? "no HTTP probe for the changed services (container health only)"
    : results.map((r) => `${r.component} ${r.verdict}: ${r.reason}`).join("; ");
}
