/**
 * Progress on stderr for long work. On a terminal: one line redrawn in place, cleared at the end. Elsewhere:
 * silent unless asked (`--progress`), then plain lines. Never on stdout, so `--json` and pipes stay clean.
 */
import type { Stream } from "./colour";

export interface ProgressOptions {
  /** `--progress`: print even when stderr is not a terminal. */
  readonly forced?: boolean;
  readonly now?: () => number;
}

export class Progress {
  readonly enabled: boolean;
  /** stderr is a terminal: the status line is redrawn in place. */
  readonly tty: boolean;
  private drawn = false;

  constructor(
    private readonly stream: Stream,
    options: ProgressOptions = {},
  ) {
    this.tty = stream.isTTY === true;
    this.enabled = this.tty || options.forced === true;
  }

  /** A transient status (redrawn on a terminal; a line otherwise). */
  status(text: string): void {
    if (!this.enabled) return;
    if (this.tty) {
      this.stream.write(`\r\u001b[2K${text}`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** A line that stays (a finished step). */
  line(text: string): void {
    if (!this.enabled) return;
    this.clear();
    this.stream.write(`${text}\n`);
  }

  clear(): void {
    if (this.drawn) {
      this.stream.write("\r\u001b[2K");
      this.drawn = false;
    }
  }
}

/** A silent progress (for library callers and tests that do not want it). */
export const NO_PROGRESS = new Progress({ write: () => true, isTTY: false });

/**
 * Progress of many concurrent jobs (images in `check`): a line per finished job, and while any is pending
 * "waiting for <job> (N s)" — redrawn every second on a terminal, at 1, 2, 4, 8 … s otherwise.
 */
export class JobProgress {
  private readonly pending = new Map<string, { started: number; calls: number }>();
  private readonly finished = new Set<string>();
  private readonly timer: NodeJS.Timeout | undefined;
  private nextReport = 1000;

  constructor(
    private readonly progress: Progress,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
    tickMs = 250,
  ) {
    this.timer = progress.enabled ? setInterval(() => this.tick(), tickMs) : undefined;
    this.timer?.unref();
  }

  start(job: string): void {
    const entry = this.pending.get(job);
    if (entry) entry.calls += 1;
    else this.pending.set(job, { started: this.now(), calls: 1 });
  }

  finish(job: string, error?: string): void {
    const entry = this.pending.get(job);
    if (!entry) return;
    entry.calls -= 1;
    // A failed call settles the job (the check reports the image as failed at once); others wait for every call.
    if (entry.calls > 0 && error === undefined) return;
    this.pending.delete(job);
    this.finished.add(job);
    const seconds = ((this.now() - entry.started) / 1000).toFixed(1);
    this.progress.line(`${this.label}: [${this.finished.size}/${this.total}] ${job} ${error === undefined ? "answered" : `failed: ${error}`} in ${seconds} s`);
    if (this.pending.size === 0) this.nextReport = 1000;
  }

  /** The oldest pending job and how long it has waited (ms). */
  oldest(): { job: string; waitedMs: number } | undefined {
    let best: { job: string; waitedMs: number } | undefined;
    for (const [job, { started }] of this.pending) {
      const waitedMs = this.now() - started;
      if (!best || waitedMs > best.waitedMs) best = { job, waitedMs };
    }
    return best;
  }

  tick(): void {
    const oldest = this.oldest();
    if (!oldest) return;
    const more = this.pending.size > 1 ? ` and ${this.pending.size - 1} more` : "";
    const text = `${this.label}: ${this.finished.size}/${this.total} answered; waiting for ${oldest.job}${more} (${Math.floor(oldest.waitedMs / 1000)} s)`;
    if (this.progress.enabled && (this.progress.tty || oldest.waitedMs >= this.nextReport)) {
      this.progress.status(text);
      while (this.nextReport <= oldest.waitedMs) this.nextReport *= 2;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.progress.clear();
  }
}
