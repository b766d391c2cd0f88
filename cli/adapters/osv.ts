/**
 * The OSV API (https://google.github.io/osv.dev/api/): one POST /v1/querybatch per run (plus its pages, through
 * `next_page_token`), then GET /v1/vulns/{id} for every record it names. 429, 5xx, timeouts and network errors are
 * retried with backoff (Retry-After honoured up to a limit; the shared loop of ./http-retry.ts); after the last
 * attempt the run fails with OsvError — never an empty answer. Server text in errors passes the shared redaction
 * (cli/framework/redact.ts).
 */
import { z } from "zod";
import { serverText } from "../framework/redact";
import { retryableStatus, withRetry } from "./http-retry";
import type { UpstreamPackage } from "../../catalog";

export const DEFAULT_OSV_URL = "https://api.osv.dev";

export interface OsvQuery {
  readonly package: UpstreamPackage;
  readonly version: string;
}

export interface OsvClientOptions {
  readonly baseUrl?: string;
  /** Per-request timeout (default 15 000 ms). */
  readonly timeoutMs?: number;
  /** Retries after a 429, 5xx, timeout or network error (default 3). */
  readonly retries?: number;
  /** First backoff; doubles per retry (default 500 ms). */
  readonly backoffMs?: number;
  /** A Retry-After beyond this fails at once (default 30 000 ms). */
  readonly maxRetryAfterMs?: number;
  /** Record fetches at once (default 6). */
  readonly concurrency?: number;
  /** Pages followed at most (default 20): a server that never stops paging is an error. */
  readonly maxPages?: number;
  /** How to wait between attempts (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class OsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OsvError";
  }
}

const batchSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      vulns: z.array(z.looseObject({ id: z.string().min(1), modified: z.string().optional() })).optional(),
      next_page_token: z.string().optional(),
    }),
  ),
});

const eventSchema = z.looseObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

export const osvRecordSchema = z.looseObject({
  id: z.string().min(1),
  modified: z.string(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).nullish(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(z.looseObject({ type: z.string(), score: z.string() })).nullish(),
  affected: z
    .array(
      z.looseObject({
        package: z.looseObject({ ecosystem: z.string(), name: z.string() }).optional(),
        ranges: z.array(z.looseObject({ type: z.string(), events: z.array(eventSchema) })).nullish(),
        versions: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
  references: z.array(z.looseObject({ type: z.string(), url: z.string() })).nullish(),
  database_specific: z.looseObject({ severity: z.string().optional(), url: z.string().optional() }).nullish(),
});

export type OsvRecord = z.infer<typeof osvRecordSchema>;

/** One printable, redacted line of a server's text. */
export const serverLine = (text: string): string => serverText(text);

export class OsvClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly sleep?: (ms: number) => Promise<void>;
  /** Requests sent (every attempt counts), for the report and tests. */
  requests = 0;

  constructor(options: OsvClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_OSV_URL).replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.concurrency = options.concurrency ?? 6;
    this.maxPages = options.maxPages ?? 20;
    this.sleep = options.sleep;
  }

  /** One request with bounded retries (./http-retry.ts); resolves with the parsed JSON of a 2xx answer. */
  private async request(method: "GET" | "POST", pathname: string, body?: unknown): Promise<unknown> {
    const url = `${this.baseUrl}${pathname}`;
    const exhausted = (last: string) => new OsvError(`OSV ${method} ${url} failed after ${this.retries + 1} attempts: ${last}`);
    return withRetry<unknown>({ retries: this.retries, backoffMs: this.backoffMs, maxRetryAfterMs: this.maxRetryAfterMs, sleep: this.sleep }, async () => {
      this.requests++;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        const name = (error as Error).name;
        return {
          retry: exhausted(
            name === "TimeoutError" || name === "AbortError"
              ? `no answer within ${this.timeoutMs} ms`
              : `no answer (${(error as { cause?: { code?: string } }).cause?.code ?? name})`,
          ),
        };
      }
      let text: string;
      try {
        text = await response.text();
      } catch {
        return { retry: exhausted(`HTTP ${response.status}, body not read within ${this.timeoutMs} ms`) };
      }
      if (response.ok) {
        try {
          return { done: JSON.parse(text) as unknown };
        } catch {
          throw new OsvError(`OSV ${method} ${url}: the answer is not JSON (${serverLine(text)})`);
        }
      }
      const last = `HTTP ${response.status}${text.trim() !== "" ? `: ${serverLine(text)}` : ""}`;
      if (!retryableStatus(response.status)) {
        throw new OsvError(`OSV ${method} ${url} refused: ${last}`);
      }
      return {
        retry: exhausted(last),
        retryAfter: response.headers.get("retry-after"),
        tooLong: (header, limitMs) => new OsvError(`OSV ${method} ${url}: ${last}; Retry-After ${header} s exceeds the ${limitMs / 1000} s limit`),
      };
    });
  }

  /** Record ids per query, in query order: one querybatch, then one per page while any result has a token. */
  async queryBatch(queries: readonly OsvQuery[]): Promise<string[][]> {
    const ids: string[][] = queries.map(() => []);
    let pending: { index: number; query: Record<string, unknown> }[] = queries.map((q, index) => ({
      index,
      query: { package: { ecosystem: q.package.ecosystem, name: q.package.name }, version: q.version },
    }));
    for (let page = 0; pending.length > 0; page++) {
      if (page >= this.maxPages) throw new OsvError(`OSV ${this.baseUrl}/v1/querybatch: still paging after ${this.maxPages} pages`);
      const raw = await this.request("POST", "/v1/querybatch", { queries: pending.map((p) => p.query) });
      const parsed = batchSchema.safeParse(raw);
      if (!parsed.success || parsed.data.results.length !== pending.length) {
        throw new OsvError(`OSV ${this.baseUrl}/v1/querybatch: expected { results: [...] } with one result per query (${pending.length})`);
      }
      const next: typeof pending = [];
      parsed.data.results.forEach((result, i) => {
        const entry = pending[i]!;
        for (const v of result.vulns ?? []) if (!ids[entry.index]!.includes(v.id)) ids[entry.index]!.push(v.id);
        if (result.next_page_token !== undefined && result.next_page_token !== "") {
          next.push({ index: entry.index, query: { ...entry.query, page_token: result.next_page_token } });
        }
      });
      pending = next;
    }
    return ids;
  }

  async getVuln(id: string): Promise<OsvRecord> {
    const raw = await this.request("GET", `/v1/vulns/${encodeURIComponent(id)}`);
    const parsed = osvRecordSchema.safeParse(raw);
    if (!parsed.success || parsed.data.id !== id) {
      throw new OsvError(
        `OSV ${this.baseUrl}/v1/vulns/${id}: not an OSV record of ${id} (${parsed.success ? `id ${parsed.data.id}` : parsed.error.issues[0]?.path.join(".")})`,
      );
    }
    return parsed.data;
  }

  /** Every record, fetched `concurrency` at a time. */
  async getVulns(ids: readonly string[]): Promise<OsvRecord[]> {
    const out: OsvRecord[] = new Array<OsvRecord>(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        out[i] = await this.getVuln(ids[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ids.length) }, worker));
    return out;
  }
}
