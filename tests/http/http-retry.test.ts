/** The one retry loop of the HTTP adapters (cli/adapters/http-retry.ts), with a recorded sleep: no real waiting. */
import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { retryableStatus, retryAfterMs, withRetry, type RetryAttempt, type RetryPolicy } from "../../cli/adapters/http-retry";
import { publish, type NtfyMessage } from "../../cli/adapters/ntfy";

/** A policy whose sleep records its waits instead of waiting. */
function recorded(extra: Partial<RetryPolicy> = {}): { policy: RetryPolicy; waits: number[] } {
  const waits: number[] = [];
  return { policy: { retries: 3, backoffMs: 100, maxRetryAfterMs: 30_000, sleep: async (ms) => void waits.push(ms), ...extra }, waits };
}

/** An attempt function answering from a script, one entry per attempt; records the attempt numbers it was given. */
function scripted<T>(script: RetryAttempt<T>[]): { attempt: (n: number) => Promise<RetryAttempt<T>>; seen: number[] } {
  const seen: number[] = [];
  return {
    attempt: async (n) => {
      seen.push(n);
      const next = script.shift();
      if (next === undefined) throw new Error("the script ran out");
      return next;
    },
    seen,
  };
}

const busy = (n: number): RetryAttempt<string> => ({ retry: new Error(`busy ${n}`) });

describe("http-retry", () => {
  it("returns the first done attempt, waiting a doubling backoff before each retry", async () => {
    const { policy, waits } = recorded();
    const { attempt, seen } = scripted([busy(1), busy(2), busy(3), { done: "ok" }]);
    expect(await withRetry(policy, attempt)).to.equal("ok");
    expect(waits).to.deep.equal([100, 200, 400]);
    expect(seen).to.deep.equal([0, 1, 2, 3]);
  });

  it("throws the last retryable error once the retries are spent, without a last wait", async () => {
    const { policy, waits } = recorded({ retries: 2 });
    const { attempt } = scripted([busy(1), busy(2), busy(3)]);
    const error = await withRetry(policy, attempt).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal("busy 3");
    expect(waits).to.deep.equal([100, 200]);
  });

  it("ends at once on a thrown (final) error", async () => {
    const { policy, waits } = recorded();
    let calls = 0;
    const error = await withRetry(policy, async () => {
      calls++;
      throw new Error("refused");
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect([error?.message, calls, waits]).to.deep.equal(["refused", 1, []]);
  });

  it("honours Retry-After in seconds and as an HTTP date, a past date as no wait", async () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const { policy, waits } = recorded({ now: () => now });
    const { attempt } = scripted<string>([
      { retry: new Error("429"), retryAfter: "2" },
      { retry: new Error("503"), retryAfter: "Tue, 01 Dec 2026 12:00:05 GMT" },
      { retry: new Error("503"), retryAfter: "Tue, 01 Dec 2026 11:00:00 GMT" },
      { done: "ok" },
    ]);
    expect(await withRetry(policy, attempt)).to.equal("ok");
    expect(waits).to.deep.equal([2000, 5000, 0]);
  });

  it("falls back to the backoff for an unusable Retry-After", async () => {
    const { policy, waits } = recorded();
    const { attempt } = scripted<string>([{ retry: new Error("429"), retryAfter: "soon" }, { retry: new Error("429"), retryAfter: null }, { done: "ok" }]);
    await withRetry(policy, attempt);
    expect(waits).to.deep.equal([100, 200]);
  });

  it("does not wait for a Retry-After beyond the cap: throws the attempt's tooLong error (or its retry error)", async () => {
    const { policy, waits } = recorded({ maxRetryAfterMs: 60_000 });
    const tooLong = (header: string, limitMs: number) => new Error(`Retry-After ${header} exceeds the ${limitMs / 1000} s limit`);
    const first = await withRetry(policy, scripted<string>([{ retry: new Error("429"), retryAfter: "3600", tooLong }]).attempt).catch((e: Error) => e.message);
    const second = await withRetry(policy, scripted<string>([{ retry: new Error("429 plain"), retryAfter: "61" }]).attempt).catch((e: Error) => e.message);
    expect([first, second, waits]).to.deep.equal(["Retry-After 3600 exceeds the 60 s limit", "429 plain", []]);
  });

  it("a Retry-After on the last attempt does not matter: the retry error is thrown", async () => {
    const { policy } = recorded({ retries: 0 });
    const message = await withRetry(
      policy,
      scripted<string>([{ retry: new Error("503"), retryAfter: "3600", tooLong: () => new Error("too long") }]).attempt,
    ).catch((e: Error) => e.message);
    expect(message).to.equal("503");
  });

  it("an `again` round trip (an auth challenge) is neither counted nor waited for", async () => {
    const { policy, waits } = recorded({ retries: 1 });
    const { attempt, seen } = scripted<string>([{ again: true }, busy(1), { again: true }, { done: "ok" }]);
    expect(await withRetry(policy, attempt)).to.equal("ok");
    expect([seen, waits]).to.deep.equal([[0, 0, 1, 1], [100]]);
  });

  it("retries 429 and 5xx answers only", () => {
    expect([200, 301, 400, 401, 404, 428, 429, 500, 503, 599].filter(retryableStatus)).to.deep.equal([429, 500, 503, 599]);
  });

  it("parses Retry-After values", () => {
    const now = () => Date.parse("2026-12-01T12:00:00Z");
    expect([
      retryAfterMs("0"),
      retryAfterMs(" 7 "),
      retryAfterMs(""),
      retryAfterMs(null),
      retryAfterMs("soon"),
      retryAfterMs("Tue, 01 Dec 2026 12:01:00 GMT", now),
    ]).to.deep.equal([0, 7000, undefined, undefined, undefined, 60_000]);
  });
});

describe("http-retry in the ntfy adapter", () => {
  /** A server answering from `answers` in turn (status, Retry-After), 200 when they run out. */
  async function server(answers: [number, string][]): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
    let count = 0;
    const srv = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        count++;
        const next = answers.shift();
        res.writeHead(next?.[0] ?? 200, next ? { "Retry-After": next[1] } : {}).end(next ? "slow down" : "{}");
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const { port } = srv.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, count: () => count, close: () => new Promise((resolve) => srv.close(() => resolve())) };
  }
  const message: NtfyMessage = { key: "k", fingerprint: "f", title: "t", body: "b", priority: 3, tags: [] };

  it("waits the Retry-After of a 429, then delivers", async () => {
    const ntfy = await server([[429, "2"]]);
    const waits: number[] = [];
    try {
      await publish({ url: ntfy.url, topic: "c10" }, message, { retries: 2, backoffMs: 10, sleep: async (ms) => void waits.push(ms) });
      expect([ntfy.count(), waits]).to.deep.equal([2, [2000]]);
    } finally {
      await ntfy.close();
    }
  });

  it("gives up at once on a Retry-After beyond the limit", async () => {
    const ntfy = await server([[429, "3600"]]);
    try {
      const error = await publish({ url: ntfy.url, topic: "c10" }, message, { retries: 2, backoffMs: 10 }).catch((e: Error) => e.message);
      expect([ntfy.count(), error]).to.deep.equal([1, `ntfy ${ntfy.url}/c10 failed for "t": HTTP 429: slow down; Retry-After 3600 exceeds the 30 s limit`]);
    } finally {
      await ntfy.close();
    }
  });
});
