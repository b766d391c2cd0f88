/**
 * Runs the `pulumi` CLI the way the Automation API's PulumiCommand.run does (automation/cmd.js@3.270.0: adds
 * `--non-interactive`, sets PULUMI_AUTOMATION_API=true, extends the environment) with three differences:
 * - the CLI runs in its own process group (`detached`), so a terminal's Ctrl-C reaches myoci only and myoci decides
 *   whether to cancel;
 * - a cancel is Pulumi's own: SIGINT to the CLI ("cancel gracefully": in-flight steps finish, state is saved), then
 *   after `graceMs` a second SIGINT (Pulumi's "terminate now"), then SIGKILL — the same SIGINT the SDK sends when
 *   its `signal` option aborts;
 * - a failure carries the CLI's stderr once (cmd.js wraps its own CommandError a second time behind "code: -2").
 */
import { spawn } from "node:child_process";

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** A `pulumi` invocation that exited non-zero (or could not start: code -1). */
export class PulumiCliError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: CliResult,
    /** Why myoci ended it, when it did: "canceled" (interrupt) or "timeout". */
    readonly ended?: "canceled" | "timeout",
  ) {
    super(cliErrorText(result));
    this.name = "PulumiCliError";
  }
}

/** The CLI's own error lines (stderr, else stdout), at most the last 20 non-empty lines. */
export function cliErrorText(result: CliResult): string {
  const text = result.stderr.trim() !== "" ? result.stderr : result.stdout;
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-20).join("\n") || `pulumi exited with code ${result.code}`;
}

export interface RunOptions {
  readonly onOutput?: (text: string) => void;
  /** Aborted: cancel through Pulumi's own cancel (SIGINT to the CLI's process group). */
  readonly cancel?: AbortSignal;
  /** Ends the command the same way after this long. */
  readonly timeoutMs?: number;
}

/** What LocalWorkspace calls (`pulumiCommand.run`, internal in the SDK) plus myoci's cancel and timeout. */
export interface PulumiCli {
  readonly command: string;
  run(args: string[], cwd: string, additionalEnv: Record<string, string>, onOutput?: (text: string) => void): Promise<CliResult>;
  runWith(args: string[], cwd: string, additionalEnv: Record<string, string>, options: RunOptions): Promise<CliResult>;
}

export interface DetachedCliOptions {
  readonly command?: string;
  /** Between the graceful cancel, the second SIGINT and SIGKILL. @default 30 s */
  readonly graceMs?: number;
}

export class DetachedPulumiCli implements PulumiCli {
  readonly command: string;
  private readonly graceMs: number;
  private readonly running = new Set<number>();

  constructor(options: DetachedCliOptions = {}) {
    this.command = options.command ?? "pulumi";
    this.graceMs = options.graceMs ?? 30_000;
  }

  run(args: string[], cwd: string, additionalEnv: Record<string, string>, onOutput?: (text: string) => void): Promise<CliResult> {
    return this.runWith(args, cwd, additionalEnv, { onOutput });
  }

  runWith(args: string[], cwd: string, additionalEnv: Record<string, string>, options: RunOptions): Promise<CliResult> {
    const argv = args.includes("--non-interactive") ? [...args] : [...args, "--non-interactive"];
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, argv, {
        cwd,
        env: { ...process.env, ...additionalEnv, PULUMI_AUTOMATION_API: "true" },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let ended: "canceled" | "timeout" | undefined;
      const timers: NodeJS.Timeout[] = [];
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        options.onOutput?.(chunk.toString());
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const signalGroup = (signal: NodeJS.Signals): void => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-child.pid, signal);
          } catch {
            // already gone
          }
        }
      };
      const end = (why: "canceled" | "timeout"): void => {
        if (ended !== undefined) {
          return;
        }
        ended = why;
        signalGroup("SIGINT");
        timers.push(setTimeout(() => signalGroup("SIGINT"), this.graceMs));
        timers.push(setTimeout(() => signalGroup("SIGKILL"), 2 * this.graceMs));
      };
      const onCancel = (): void => end("canceled");
      if (options.cancel?.aborted) {
        onCancel();
      }
      options.cancel?.addEventListener("abort", onCancel, { once: true });
      if (options.timeoutMs !== undefined) {
        timers.push(setTimeout(() => end("timeout"), options.timeoutMs));
      }
      if (child.pid !== undefined) {
        this.running.add(child.pid);
      }
      const settle = (code: number): void => {
        timers.forEach(clearTimeout);
        options.cancel?.removeEventListener("abort", onCancel);
        if (child.pid !== undefined) {
          this.running.delete(child.pid);
        }
        const result = { stdout, stderr, code };
        if (code === 0 && ended === undefined) {
          resolve(result);
        } else {
          reject(new PulumiCliError(argv, result, ended));
        }
      };
      child.once("error", (error: NodeJS.ErrnoException) => {
        stderr += error.code === "ENOENT" ? `${this.command}: not found on PATH (install the Pulumi CLI)` : error.message;
        settle(-1);
      });
      child.once("close", (code, signal) => settle(code ?? (signal ? 128 : -1)));
    });
  }

  /** SIGKILLs every CLI still running (myoci is exiting; their groups would otherwise outlive it). */
  killAll(): void {
    for (const pid of this.running) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}
