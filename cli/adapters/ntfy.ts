/**
 * Publishing to ntfy (https://docs.ntfy.sh/publish/): one POST per message to <server>/<topic>, with the title,
 * priority, tags and click link in headers and a markdown body. Retries 429, 5xx and network errors with backoff
 * (Retry-After honoured up to a limit; ./http-retry.ts); other 4xx answers fail at once (wrong credentials or
 * topic do not heal by retrying). Credentials never appear in errors.
 */
import { serverText } from "../framework/redact";
import { retryableStatus, withRetry } from "./http-retry";

export interface NtfyTarget {
  /** Server URL, e.g. https://ntfy.example.org */
  readonly url: string;
  readonly topic: string;
  readonly user?: string;
  /** From MYOCI_NTFY_PASSWORD; never printed. */
  readonly password?: string;
}

export type NtfyPriority = 1 | 2 | 3 | 4 | 5;

export interface NtfyMessage {
  /** Dedupe key: one logical subject (a finding on a stack, a component's update, a rollout). */
  readonly key: string;
  /** What the subject looks like now; a different fingerprint under a known key is an update and is sent again. */
  readonly fingerprint: string;
  readonly title: string;
  /** Markdown. */
  readonly body: string;
  readonly priority: NtfyPriority;
  readonly tags: readonly string[];
  readonly click?: string;
}

export interface SendOptions {
  /** Attempts after the first one (default 3). */
  readonly retries?: number;
  /** First backoff in ms, doubled per retry (default 500). */
  readonly backoffMs?: number;
  /** Per-request timeout in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** A Retry-After beyond this fails at once (default 30 000 ms). */
  readonly maxRetryAfterMs?: number;
  /** How to wait between attempts (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class NotifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotifyError";
  }
}

/** The topic URL without any user:password that might have been written into the server URL. */
export function topicUrl(target: NtfyTarget): string {
  const url = new URL(target.url);
  url.username = "";
  url.password = "";
  const base = url.toString().replace(/\/+$/, "");
  return `${base}/${encodeURIComponent(target.topic)}`;
}

/** HTTP header values must be ISO-8859-1: anything beyond ASCII is sent RFC 2047-encoded, which ntfy decodes. */
export function headerValue(value: string): string {
  const flat = value.replace(/[\r\n]+/g, " ");

  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, "utf8").toString("base64")}?=`;
}

export function requestHeaders(target: NtfyTarget, message: NtfyMessage): Record<string, string> {
  const headers: Record<string, string> = {
    Title: headerValue(message.title),
    Priority: String(message.priority),
    Markdown: "yes",
    "Content-Type": "text/markdown; charset=utf-8",
  };
  if (message.tags.length > 0) headers.Tags = headerValue(message.tags.join(","));
  if (message.click !== undefined) headers.Click = message.click;
  if (target.user !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${target.user}:${target.password ?? ""}`, "utf8").toString("base64")}`;
  }
  return headers;
}

/** Publishes one message; throws NotifyError after the last failed attempt. */
export async function publish(target: NtfyTarget, message: NtfyMessage, options: SendOptions = {}): Promise<void> {
  const retries = options.retries ?? 3;
  const url = topicUrl(target);
  const exhausted = (last: string) => new NotifyError(`ntfy ${url} failed for "${message.title}" after ${retries + 1} attempts: ${last}`);
  await withRetry<void>(
    { retries, backoffMs: options.backoffMs ?? 500, maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000, sleep: options.sleep },
    async () => {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: requestHeaders(target, message),
          body: Buffer.from(message.body, "utf8"),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        return { retry: exhausted(`no answer (${cause})`) };
      }
      // a server or proxy echoing the request (Authorization included) must not put the password on stderr
      const text = serverText(await response.text().catch(() => ""), [{ username: target.user, password: target.password }]);
      if (response.ok) return { done: undefined };
      const last = `HTTP ${response.status}${text ? `: ${text}` : ""}`;
      if (!retryableStatus(response.status)) {
        const hint = response.status === 401 || response.status === 403 ? " (check myoci:notify.ntfyUser and MYOCI_NTFY_PASSWORD)" : "";
        throw new NotifyError(`ntfy ${url} refused "${message.title}": ${last}${hint}`);
      }
      return {
        retry: exhausted(last),
        retryAfter: response.headers.get("retry-after"),
        tooLong: (header, limitMs) =>
          new NotifyError(`ntfy ${url} failed for "${message.title}": ${last}; Retry-After ${header} exceeds the ${limitMs / 1000} s limit`),
      };
    },
  );
}
