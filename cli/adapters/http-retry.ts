/**
 * The one HTTP retry loop of myoci's adapters (registry, OSV, ntfy): a bounded number of retries with a doubling
 * backoff, a Retry-After (seconds or HTTP date) honoured up to a cap, an injected sleep (the registry's ends early
 * when the run's time limit fires), and round trips that are not retries (an auth challenge). Each attempt says
 * itself whether it is done, worth retrying, or final; the caller builds its own errors (it knows its redaction).
 */

export interface RetryPolicy {
  /** Attempts after the first one. */
  readonly retries: number;
  /** The first backoff in ms, doubled per retry. */
  readonly backoffMs: number;
  /** A Retry-After beyond this is not waited for: the attempt's `tooLong` error is thrown instead. */
  readonly maxRetryAfterMs: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For HTTP-date Retry-After values. @default Date.now */
  readonly now?: () => number;
}

/** What one attempt came to. */
export type RetryAttempt<T> =
  /** Finished: its value is the result (an answer, or a failure the caller reports itself). */
  | { readonly done: T }
  /** Worth retrying (429, 5xx, no answer): `error` is thrown when no retry is left. */
  | {
      readonly retry: Error;
      /** The answer's Retry-After header, if any. */
      readonly retryAfter?: string | null;
      /** The error for a Retry-After longer than the cap (default: `retry`). */
      readonly tooLong?: (header: string, limitMs: number) => Error;
    }
  /** A round trip that is not a retry (e.g. an auth challenge answered): again at once, not counted. */
  | { readonly again: true };

/** The HTTP statuses worth another attempt: rate limited (429) and server errors (5xx); other answers are final. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Retry-After value in ms (delta-seconds or an HTTP date; a past date is 0), or undefined when unusable. */
export function retryAfterMs(header: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (header === null || header === undefined || header.trim() === "") {
    return undefined;
  }
  const value = header.trim();
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now();
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** The wait before retry number `retry` + 1 (0-based): the Retry-After when usable, else the doubling backoff. */
export function retryDelay(policy: Pick<RetryPolicy, "backoffMs" | "now">, retry: number, header?: string | null): number {
  return retryAfterMs(header, policy.now) ?? policy.backoffMs * 2 ** retry;
}

/**
 * Runs `attempt(n)` (n = 0, 1, …) until it is done, or throws the last retryable error once `retries` retries
 * are spent. A thrown error ends the loop at once (a final failure).
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<RetryAttempt<T>>): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let n = 0; ; n++) {
    const outcome = await attempt(n);
    if ("done" in outcome) {
      return outcome.done;
    }
    if ("again" in outcome) {
      n--;
      continue;
    }
    if (n >= policy.retries) {
      throw outcome.retry;
    }
    const wait = retryDelay(policy, n, outcome.retryAfter);
    const header = outcome.retryAfter;
    if (header !== null && header !== undefined && retryAfterMs(header, policy.now) !== undefined && wait > policy.maxRetryAfterMs) {
      throw outcome.tooLong?.(header, policy.maxRetryAfterMs) ?? outcome.retry;
    }
    await sleep(wait);
  }
}
