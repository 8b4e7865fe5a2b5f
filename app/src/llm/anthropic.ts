/**
 * The escalation provider: Claude through the official `@anthropic-ai/sdk` Messages API.
 *
 * Output is constrained with structured outputs (`output_config.format` = the request's JSON
 * Schema, made strict by the SDK's own `transformJSONSchema`). Models without structured outputs
 * get a forced tool call whose `input_schema` is the same schema.
 *
 * The SDK's own retries are off (`maxRetries: 0`): retries happen here, through p-retry, so
 * that every HTTP attempt gets a CallRecord. Costs come from the price table; a request with a
 * budget never makes a call whose worst case (input estimate + `max_tokens`) exceeds what is left.
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import type { Message, MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { PRICE_TABLE_VERSION, anthropicCostUsd, anthropicPrice, estimateTokens, worstCaseAnthropicCostUsd } from './prices.js';
import { extractionUserMessage, fieldInstructions, parseModelOutput, reaskMessage } from './output-schema.js';
import {
  type CallRecord,
  type ExtractionRequest,
  type ExtractionResult,
  type LLMProvider,
} from './provider.js';
import { DEFAULT_RETRY_POLICY, TransportError, isTransientStatus, parseRetryAfterMs, withTransportRetry, failedCallRecord, giveUp, type RetryPolicy } from './retry.js';

/**
 * Re-asks after an unusable answer. One: structured outputs make a bad envelope rare, and each
 * re-ask is paid for; fields still missing go to human review instead.
 */
export const MAX_REASKS = 1;

/**
 * Models with structured outputs (`output_config.format`), generally available per Anthropic's
 * structured-outputs page: Opus 4.6, Sonnet 4.6, Sonnet 4.5, Opus 4.5, Haiku 4.5.
 */
export const STRUCTURED_OUTPUT_MODELS: ReadonlySet<string> = new Set([
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-5',
  'claude-opus-4-5-20251101',
  'claude-sonnet-4-6',
  'claude-opus-4-6',
]);

/** Name of the forced tool in `tool_use` mode. */
export const RECORD_FIELDS_TOOL = 'record_fields';

export type AnthropicOutputMode = 'json_schema' | 'tool_use';

export interface AnthropicProviderOptions {
  /** Config `ANTHROPIC_API_KEY`. */
  apiKey: string;
  /** Config `ANTHROPIC_BASE_URL`; default the SDK's (api.anthropic.com). */
  baseURL?: string;
  /** A model of the price table, e.g. `claude-haiku-4-5` (config `ANTHROPIC_MODEL`). */
  model: string;
  /** Limit of one HTTP attempt, in ms (config `ANTHROPIC_TIMEOUT_SECONDS` × 1000). */
  timeoutMs: number;
  /** `max_tokens` of every call; also the output side of the worst-case budget check. */
  maxOutputTokens: number;
  /** Default: `json_schema` for {@link STRUCTURED_OUTPUT_MODELS}, else `tool_use`. */
  outputMode?: AnthropicOutputMode;
  retry?: Partial<RetryPolicy>;
  /** fetch implementation (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
}

export class AnthropicProvider implements LLMProvider {
  readonly name = 'anthropic' as const;
  readonly model: string;
  readonly outputMode: AnthropicOutputMode;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;
  private readonly maxOutputTokens: number;
  private readonly retryPolicy: RetryPolicy;

  /** @throws UnknownModelPriceError when `model` is not in the price table (fail at boot, not per call). */
  constructor(options: AnthropicProviderOptions) {
    anthropicPrice(options.model);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    if (!Number.isInteger(options.maxOutputTokens) || options.maxOutputTokens < 1) {
      throw new RangeError(`maxOutputTokens must be a positive integer, got ${options.maxOutputTokens}`);
    }
    this.model = options.model;
    this.timeoutMs = options.timeoutMs;
    this.maxOutputTokens = options.maxOutputTokens;
    this.outputMode = options.outputMode ?? (STRUCTURED_OUTPUT_MODELS.has(options.model) ? 'json_schema' : 'tool_use');
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? null,
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /**
   * Asks Claude for `request.fields`. Returns the candidates found (value schemas not applied)
   * and one CallRecord per HTTP attempt, re-asks included. With `request.budgetUsd`, a call whose
   * worst-case cost exceeds the budget left is not made: the result then has no fields (and no
   * calls when it was the first one).
   *
   * @throws ProviderError `transient: true` after retries of 429/5xx/529/timeouts/connection
   *   errors, or when the caller aborted; `transient: false` for 400/401/403/404 and other 4xx.
   */
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    const calls: CallRecord[] = [];
    const system = `${request.systemPrompt}\n\n${fieldInstructions(request.fields)}`;
    const schema = transformJSONSchema(request.outputJsonSchema);
    const messages: MessageParam[] = [{ role: 'user', content: extractionUserMessage(request) }];
    const result = (): ExtractionResult => ({ fields: {}, calls, provider: this.name, model: this.model });

    for (let reask = 0; reask <= MAX_REASKS; reask++) {
      if (!this.withinBudget(request.budgetUsd, calls, system, messages, schema)) return result();
      const params = this.params(system, [...messages], schema);
      const { message, durationSeconds, attempt } = await this.createWithRetry(request, params, calls);
      const answer = this.answerOf(message);
      const parsed = answer.ok ? parseModelOutput(answer.text, request.fields) : answer;
      const record: CallRecord = {
        provider: this.name,
        model: this.model,
        attempt,
        outcome: parsed.ok ? 'ok' : 'invalid_output',
        // No prompt caching is requested, so input_tokens is the whole billed input.
        input_tokens: message.usage.input_tokens,
        output_tokens: message.usage.output_tokens,
        duration_seconds: durationSeconds,
        gpu_seconds: 0,
        cost_usd: anthropicCostUsd(this.model, message.usage.input_tokens, message.usage.output_tokens),
        price_table_version: PRICE_TABLE_VERSION,
      };
      if (parsed.ok) {
        calls.push(record);
        return { fields: parsed.fields, calls, provider: this.name, model: this.model };
      }
      calls.push({ ...record, error: parsed.reason });
      messages.push(...this.reaskTurns(message, parsed.reason));
    }
    return result();
  }

  /** True when no budget is set or the next call's worst case fits in what is left. */
  private withinBudget(
    budgetUsd: number | undefined,
    calls: CallRecord[],
    system: string,
    messages: MessageParam[],
    schema: Record<string, unknown>,
  ): boolean {
    if (budgetUsd === undefined) return true;
    const spent = calls.reduce((sum, c) => sum + c.cost_usd, 0);
    const estimatedInput = estimateTokens(system + JSON.stringify(messages) + JSON.stringify(schema));
    return worstCaseAnthropicCostUsd(this.model, estimatedInput, this.maxOutputTokens) <= budgetUsd - spent;
  }

  private params(system: string, messages: MessageParam[], schema: Record<string, unknown>): MessageCreateParamsNonStreaming {
    const base = { model: this.model, max_tokens: this.maxOutputTokens, temperature: 0, system, messages };
    if (this.outputMode === 'json_schema') {
      return { ...base, output_config: { format: { type: 'json_schema', schema } } };
    }
    return {
      ...base,
      tools: [
        {
          name: RECORD_FIELDS_TOOL,
          description: 'Record the fields extracted from the document.',
          input_schema: { ...schema, type: 'object' },
        },
      ],
      tool_choice: { type: 'tool', name: RECORD_FIELDS_TOOL },
    };
  }

  /** The JSON text of an answer, or why there is none. */
  private answerOf(message: Message): { ok: true; text: string } | { ok: false; reason: string } {
    if (message.stop_reason === 'max_tokens') {
      return { ok: false, reason: `the answer was cut off at ${this.maxOutputTokens} tokens; answer more briefly` };
    }
    if (message.stop_reason === 'refusal') return { ok: false, reason: 'the model declined to answer' };
    if (this.outputMode === 'tool_use') {
      const call = message.content.find((b) => b.type === 'tool_use' && b.name === RECORD_FIELDS_TOOL);
      if (!call || call.type !== 'tool_use') return { ok: false, reason: `no ${RECORD_FIELDS_TOOL} tool call` };
      return { ok: true, text: JSON.stringify(call.input) };
    }
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    return { ok: true, text };
  }

  /** The assistant turn as received plus a user turn saying what was wrong. */
  private reaskTurns(message: Message, reason: string): MessageParam[] {
    const assistant: MessageParam = { role: 'assistant', content: message.content as MessageParam['content'] };
    const toolUse = message.content.find((b) => b.type === 'tool_use');
    if (this.outputMode === 'tool_use' && toolUse && toolUse.type === 'tool_use') {
      // A tool_use turn must be answered by its tool_result before anything else.
      return [
        assistant,
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, is_error: true, content: reaskMessage(reason) }] },
      ];
    }
    if (message.content.length === 0) return [{ role: 'assistant', content: '(no answer)' }, { role: 'user', content: reaskMessage(reason) }];
    return [assistant, { role: 'user', content: reaskMessage(reason) }];
  }

  /** One logical call: HTTP attempts with bounded retries, each failure recorded. */
  private async createWithRetry(
    request: ExtractionRequest,
    params: MessageCreateParamsNonStreaming,
    calls: CallRecord[],
  ): Promise<{ message: Message; durationSeconds: number; attempt: number }> {
    try {
      return await withTransportRetry(
        async () => {
          const attempt = calls.length + 1;
          const started = performance.now();
          try {
            const message = await this.client.messages.create(params, { signal: request.signal ?? null, timeout: this.timeoutMs });
            return { message, durationSeconds: (performance.now() - started) / 1000, attempt };
          } catch (error) {
            const failure = classifyAnthropicError(error, this.timeoutMs);
            calls.push(failedCallRecord(this.name, this.model, attempt, failure.message, (performance.now() - started) / 1000));
            throw failure;
          }
        },
        this.retryPolicy,
        request.signal,
      );
    } catch (error) {
      throw giveUp(`anthropic ${this.model}`, calls, error, request.signal);
    }
  }

}

/** Maps what the SDK throws to a {@link TransportError} (order matters: subclasses first). */
function classifyAnthropicError(error: unknown, timeoutMs: number): TransportError {
  if (error instanceof APIUserAbortError) return new TransportError('aborted by caller', false, { cause: error });
  if (error instanceof APIConnectionTimeoutError) return new TransportError(`timed out after ${timeoutMs} ms`, true, { cause: error });
  if (error instanceof APIConnectionError) {
    const cause = (error.cause as { code?: string; cause?: { code?: string } } | undefined) ?? undefined;
    const code = cause?.code ?? cause?.cause?.code;
    return new TransportError(code ? `${error.message} (${code})` : error.message, true, { cause: error });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const detail = error.type && error.apiMessage ? `${error.type}: ${error.apiMessage}` : error.message;
    return new TransportError(`HTTP ${status} ${detail}`, isTransientStatus(status), {
      status,
      retryAfterMs: parseRetryAfterMs(error.headers),
      cause: error,
    });
  }
  return new TransportError(error instanceof Error ? error.message : String(error), true, { cause: error });
}
