/**
 * The local-model provider: Ollama's `/api/chat` through the official `ollama` client, with the
 * output constrained by the request's JSON Schema (`format`), temperature 0.
 *
 * Cost: local calls are billed as GPU time (`total_duration` of the answer) at the configured
 * USD per GPU-hour. Failed attempts report 0 GPU seconds: Ollama reports no timing for them.
 */
import { Ollama, type ChatResponse, type Message } from 'ollama';
import { PRICE_TABLE_VERSION, localCostUsd } from './prices.js';
import {
  extractionUserMessage,
  fieldInstructions,
  parseModelOutput,
  reaskMessage,
} from './output-schema.js';
import {
  type CallRecord,
  type ExtractionRequest,
  type ExtractionResult,
  type LLMProvider,
} from './provider.js';
import { DEFAULT_RETRY_POLICY, TransportError, callSignal, isTransientStatus, withTransportRetry, failedCallRecord, giveUp, type RetryPolicy } from './retry.js';

/**
 * Re-asks after an unusable answer (not JSON, wrong envelope). One: a model that fails twice
 * under a JSON-Schema constraint at temperature 0 rarely succeeds a third time, and the fields
 * then go to the next phase instead.
 */
export const MAX_REASKS = 1;

const NS_PER_SECOND = 1e9;

export interface OllamaProviderOptions {
  /** Ollama base URL, e.g. `http://ollama:11434` (config `OLLAMA_HOST`). */
  host: string;
  /** Model tag, e.g. `llama3.2` (config `OLLAMA_PHASE1_MODEL`). */
  model: string;
  /** USD per GPU-hour used to price GPU seconds (config `GPU_HOUR_USD`). */
  gpuHourUsd: number;
  /** Limit of one HTTP attempt, in ms (config `OLLAMA_TIMEOUT_SECONDS` × 1000). */
  timeoutMs: number;
  /** Transport retry policy; defaults to {@link DEFAULT_RETRY_POLICY}. */
  retry?: Partial<RetryPolicy>;
  /** fetch implementation (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
}

export class OllamaProvider implements LLMProvider {
  readonly name = 'ollama' as const;
  readonly model: string;
  private readonly host: string;
  private readonly gpuHourUsd: number;
  private readonly timeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly baseFetch: typeof fetch;

  constructor(options: OllamaProviderOptions) {
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.host = options.host;
    this.model = options.model;
    this.gpuHourUsd = options.gpuHourUsd;
    this.timeoutMs = options.timeoutMs;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.baseFetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Asks the model for `request.fields`. Returns the candidates found (value schemas not
   * applied) and one CallRecord per HTTP attempt, re-asks included.
   *
   * @throws ProviderError `transient: true` when the endpoint keeps failing (connection refused,
   *   429, 5xx, timeouts) or the caller aborted; `transient: false` for other 4xx (e.g. 404: the
   *   model is not pulled).
   */
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    const calls: CallRecord[] = [];
    const messages: Message[] = [
      { role: 'system', content: `${request.systemPrompt}\n\n${fieldInstructions(request.fields)}` },
      { role: 'user', content: extractionUserMessage(request) },
    ];
    for (let reask = 0; reask <= MAX_REASKS; reask++) {
      const { response, durationSeconds, attempt } = await this.chatWithRetry(request, [...messages], calls);
      const content = response.message.content;
      const parsed = parseModelOutput(content, request.fields);
      const gpuSeconds = (response.total_duration ?? 0) / NS_PER_SECOND;
      const record: CallRecord = {
        provider: this.name,
        model: this.model,
        attempt,
        outcome: parsed.ok ? 'ok' : 'invalid_output',
        input_tokens: response.prompt_eval_count ?? 0,
        output_tokens: response.eval_count ?? 0,
        duration_seconds: durationSeconds,
        gpu_seconds: gpuSeconds,
        cost_usd: localCostUsd(gpuSeconds, this.gpuHourUsd),
        price_table_version: PRICE_TABLE_VERSION,
      };
      if (parsed.ok) {
        calls.push(record);
        return { fields: parsed.fields, calls, provider: this.name, model: this.model };
      }
      calls.push({ ...record, error: parsed.reason });
      messages.push({ role: 'assistant', content }, { role: 'user', content: reaskMessage(parsed.reason) });
    }
    return { fields: {}, calls, provider: this.name, model: this.model };
  }

  /** One logical chat call: HTTP attempts with bounded retries, each failure recorded. */
  private async chatWithRetry(
    request: ExtractionRequest,
    messages: Message[],
    calls: CallRecord[],
  ): Promise<{ response: ChatResponse; durationSeconds: number; attempt: number }> {
    try {
      return await withTransportRetry(
        async () => {
          const attempt = calls.length + 1;
          const started = performance.now();
          const { signal, timedOut } = callSignal(request.signal, this.timeoutMs);
          try {
            const baseFetch = this.baseFetch;
            const client = new Ollama({ host: this.host, fetch: (input, init) => baseFetch(input, { ...init, signal }) });
            const response = await client.chat({
              model: this.model,
              messages,
              format: request.outputJsonSchema,
              stream: false,
              options: { temperature: 0 },
            });
            if (typeof response?.message?.content !== 'string') {
              throw new TransportError('malformed /api/chat response: no message.content', true);
            }
            return { response, durationSeconds: (performance.now() - started) / 1000, attempt };
          } catch (error) {
            const failure = classifyOllamaError(error, timedOut(), this.timeoutMs, request.signal);
            calls.push(failedCallRecord(this.name, this.model, attempt, failure.message, (performance.now() - started) / 1000));
            throw failure;
          }
        },
        this.retryPolicy,
        request.signal,
      );
    } catch (error) {
      throw giveUp(`ollama ${this.model} at ${this.host}`, calls, error, request.signal);
    }
  }

}

/**
 * Maps what the ollama client throws to a {@link TransportError}. The client throws a
 * `ResponseError` (`status_code`) for HTTP errors, a fetch `TypeError` (with a `cause` such as
 * ECONNREFUSED) for network errors, an abort error on our signal, and a `SyntaxError` for a
 * non-JSON 200 body.
 */
function classifyOllamaError(error: unknown, timedOut: boolean, timeoutMs: number, outer: AbortSignal | undefined): TransportError {
  if (error instanceof TransportError) return error;
  if (outer?.aborted) return new TransportError('aborted by caller', false, { cause: error });
  if (timedOut) return new TransportError(`timed out after ${timeoutMs} ms`, true, { cause: error });
  const status = (error as { status_code?: unknown })?.status_code;
  if (error instanceof Error && error.name === 'ResponseError' && typeof status === 'number') {
    return new TransportError(`HTTP ${status}: ${error.message}`, isTransientStatus(status), { status, cause: error });
  }
  if (error instanceof SyntaxError) return new TransportError(`malformed response body: ${error.message}`, true, { cause: error });
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(detail ? `${message} (${detail})` : message, true, { cause: error });
}
