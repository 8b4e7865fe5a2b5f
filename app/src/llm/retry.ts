/**
 * Bounded retries of model-endpoint transport failures (connection refused, 5xx, 429, timeouts),
 * shared by the Ollama and Anthropic providers. Built on p-retry; the SDK clients' own retries
 * are switched off so that every attempt is visible (and gets a CallRecord) in the provider.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { PRICE_TABLE_VERSION } from './prices.js';
import { ProviderError, type CallRecord, type ProviderName } from './provider.js';

export interface RetryPolicy {
  /**
   * Retries after the first attempt. Bounded because a job whose model endpoint keeps failing is
   * better requeued by NSQ with its own backoff than held in a worker slot.
   */
  retries: number;
  /** Backoff before the first retry, in ms; doubles on each retry. */
  minBackoffMs: number;
  /** Ceiling of the exponential backoff, in ms. */
  maxBackoffMs: number;
  /**
   * Longest `retry-after` honoured, in ms. A server asking for longer is waited on only this
   * long (the next attempt may fail again and be counted), so a worker slot is never parked for
   * minutes.
   */
  maxRetryAfterMs: number;
}

/** Two retries, 0.5 s then 1 s of backoff, `retry-after` honoured up to 20 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 2,
  minBackoffMs: 500,
  maxBackoffMs: 4000,
  maxRetryAfterMs: 20_000,
};

const BACKOFF_FACTOR = 2;

/** A failed attempt to reach a model endpoint, classified for retry. */
export class TransportError extends Error {
  /** HTTP status when the server answered, undefined for network errors and timeouts. */
  readonly status: number | undefined;
  /** Wait the server asked for (`retry-after`/`retry-after-ms`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    /** True when a later attempt may succeed (429, 5xx, 529, timeouts, connection errors). */
    readonly transient: boolean,
    details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'TransportError';
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Whether an HTTP status is worth retrying: 408, 409 (Anthropic lock contention), 429, any 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Parses `retry-after-ms` (milliseconds, Anthropic extension) or `retry-after` (seconds or an
 * HTTP date) into ms. Returns undefined when absent or unparsable.
 */
export function parseRetryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs `attempt` until it succeeds, throws a non-transient error, or the policy's retries are
 * used up; then rethrows the last error. Only {@link TransportError}s with `transient: true` are
 * retried. The wait before a retry is the exponential backoff, or the server's `retry-after`
 * (capped at `maxRetryAfterMs`) when that is longer.
 *
 * @param attempt receives the 1-based attempt number.
 * @param signal aborts waiting and further attempts; the abort reason is thrown.
 */
export async function withTransportRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  return pRetry(attempt, {
    retries: policy.retries,
    factor: BACKOFF_FACTOR,
    minTimeout: policy.minBackoffMs,
    maxTimeout: policy.maxBackoffMs,
    randomize: false,
    signal,
    shouldRetry: ({ error }) => error instanceof TransportError && error.transient,
    onFailedAttempt: async ({ error, retriesLeft, retriesConsumed }) => {
      if (!(error instanceof TransportError) || !error.transient || retriesLeft <= 0) return;
      if (error.retryAfterMs === undefined) return;
      // p-retry then waits its own backoff; top it up so the total is at least retry-after.
      const backoff = Math.min(policy.minBackoffMs * BACKOFF_FACTOR ** retriesConsumed, policy.maxBackoffMs);
      const extra = Math.min(error.retryAfterMs, policy.maxRetryAfterMs) - backoff;
      if (extra > 0) await sleep(extra, undefined, { signal });
    },
  });
}

/**
 * A signal that aborts when `outer` aborts or after `timeoutMs`, whichever comes first.
 * `timedOut()` tells the two apart after the fact.
 */
export function callSignal(outer: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  return { signal, timedOut: () => timeout.aborted && !outer?.aborted };
}

/** The cost record of a failed attempt: no tokens billed, no GPU time reported, $0. */
export function failedCallRecord(provider: ProviderName, model: string, attempt: number, message: string, durationSeconds: number): CallRecord {
  return {
    provider,
    model,
    attempt,
    outcome: 'error',
    error: message,
    input_tokens: 0,
    output_tokens: 0,
    duration_seconds: durationSeconds,
    gpu_seconds: 0,
    cost_usd: 0,
    price_table_version: PRICE_TABLE_VERSION,
  };
}

/**
 * The {@link ProviderError} a provider throws when it gives up: transient unless the endpoint
 * refused for good; an abort by the caller is transient (the job may run again later).
 */
export function giveUp(label: string, calls: CallRecord[], error: unknown, signal: AbortSignal | undefined): ProviderError {
  if (signal?.aborted) return new ProviderError(`${label}: aborted by caller`, calls, true, { cause: error });
  const failure = error instanceof TransportError ? error : new TransportError(String(error), true, { cause: error });
  const failedAttempts = calls.filter((c) => c.outcome === 'error').length;
  return new ProviderError(
    `${label}: ${failure.message}` + (failure.transient ? ` (gave up after ${failedAttempts} failed attempts)` : ' (not retried)'),
    calls,
    failure.transient,
    { cause: error },
  );
}
