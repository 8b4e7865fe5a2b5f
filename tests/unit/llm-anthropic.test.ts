/**
 * AnthropicProvider against the stand-in Messages API (real `@anthropic-ai/sdk` client, real
 * HTTP, scripted answers). The figures asserted are the stand-in's scripted ones: wire handling
 * and cost arithmetic, not quality.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldName } from '../../app/src/domain/fields.js';
import { AnthropicProvider, MAX_REASKS, RECORD_FIELDS_TOOL, type AnthropicProviderOptions } from '../../app/src/llm/anthropic.js';
import { buildOutputSchema } from '../../app/src/llm/output-schema.js';
import { PRICE_TABLE_VERSION, UnknownModelPriceError } from '../../app/src/llm/prices.js';
import { ProviderError, type ExtractionRequest } from '../../app/src/llm/provider.js';
import { start, type AnthropicMessagesBody, type FakeAnthropic, type FakeAnthropicOptions } from '../support/fake-anthropic.js';

const FIELDS: FieldName[] = ['organizations', 'people', 'total_amount', 'currency'];
const SYSTEM_MARKER = 'You are the entities agent. (test prompt v1)';
const API_KEY = 'sk-ant-test-key';
const FAST_RETRY = { retries: 2, minBackoffMs: 1, maxBackoffMs: 5, maxRetryAfterMs: 50 };
const GOOD_REPLY = {
  fields: {
    organizations: { value: ['ACME TRADING SDN BHD'], confidence: 0.9 },
    total_amount: { value: 12.5, confidence: 0.95 },
    currency: { value: 'MYR', confidence: 0.85 },
    people: { value: null, confidence: 0 },
  },
};

let server: FakeAnthropic | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  await running?.close();
});

async function setUp(fake: FakeAnthropicOptions, options: Partial<AnthropicProviderOptions> = {}) {
  server = await start({ apiKey: API_KEY, ...fake });
  const provider = new AnthropicProvider({
    apiKey: API_KEY,
    baseURL: server.url,
    model: 'claude-haiku-4-5',
    timeoutMs: 2000,
    maxOutputTokens: 1024,
    retry: FAST_RETRY,
    ...options,
  });
  return { server, provider };
}

function request(overrides: Partial<ExtractionRequest> = {}): ExtractionRequest {
  return {
    agent: 'entities',
    promptVersion: 'test-1',
    systemPrompt: SYSTEM_MARKER,
    documentId: 'doc-7',
    ocrLines: ['ACME TRADING SDN BHD', 'TOTAL RM 12.50', 'THANK YOU'],
    fields: FIELDS,
    outputJsonSchema: buildOutputSchema(FIELDS).jsonSchema,
    ...overrides,
  };
}

function bodies(fake: FakeAnthropic): AnthropicMessagesBody[] {
  return fake.requests.filter((r) => r.path === '/v1/messages').map((r) => r.body as AnthropicMessagesBody);
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('AnthropicProvider', () => {
  it('extracts fields with structured output and prices the call from the price table', async () => {
    const { server, provider } = await setUp({ script: [{ reply: GOOD_REPLY, inputTokens: 1000, outputTokens: 200 }] });
    const result = await provider.extract(request());

    expect(provider.outputMode).toBe('json_schema');
    expect(result.fields).toEqual({
      organizations: { value: ['ACME TRADING SDN BHD'], confidence: 0.9 },
      total_amount: { value: 12.5, confidence: 0.95 },
      currency: { value: 'MYR', confidence: 0.85 },
    });
    expect(result.calls).toHaveLength(1);
    expect(result.calls[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      attempt: 1,
      outcome: 'ok',
      input_tokens: 1000,
      output_tokens: 200,
      gpu_seconds: 0,
      price_table_version: PRICE_TABLE_VERSION,
    });
    // Haiku 4.5: 1000 × $1/M + 200 × $5/M
    expect(result.calls[0]!.cost_usd).toBe(0.002);

    const [recorded] = server.requests;
    // SDK 1.x sends `apiKey` as a bearer token rather than `x-api-key`
    expect(recorded!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(recorded!.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const body = recorded!.body as AnthropicMessagesBody;
    expect(body.model).toBe('claude-haiku-4-5');
    expect(body.max_tokens).toBe(1024);
    expect(body.temperature).toBe(0);
    expect(body.tools).toBeUndefined();
    expect(body.system).toContain(SYSTEM_MARKER);
    expect(body.system).toContain('- currency: ISO 4217 code');
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]!.content).toContain('2: TOTAL RM 12.50');
    const format = body.output_config!.format as { type: string; schema: Record<string, any> };
    expect(format.type).toBe('json_schema');
    // the SDK's strict transform: every object closed, constraints moved into descriptions
    expect(format.schema.additionalProperties).toBe(false);
    expect(Object.keys(format.schema.properties.fields.properties)).toEqual(FIELDS);
    expect(format.schema.properties.fields.additionalProperties).toBe(false);
    expect(format.schema.$schema).toBeUndefined();
  });

  it('re-asks once after invalid JSON, and both calls are billed', async () => {
    const { server, provider } = await setUp({
      script: [
        { invalidJson: true, inputTokens: 900, outputTokens: 30 },
        { reply: GOOD_REPLY, inputTokens: 1000, outputTokens: 200 },
      ],
    });
    const result = await provider.extract(request());

    expect(result.fields.total_amount?.value).toBe(12.5);
    expect(result.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'invalid_output'],
      [2, 'ok'],
    ]);
    expect(result.calls[0]!.error).toMatch(/not valid JSON/);
    // 900 × $1/M + 30 × $5/M
    expect(result.calls[0]!.cost_usd).toBe(0.00105);
    const second = bodies(server)[1]!;
    expect(second.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(second.messages[1]!.content).toEqual([{ type: 'text', text: '{"fields": {"vendor_name": {"value": "ACME TRAD' }]);
    expect(second.messages[2]!.content).toMatch(/could not be used: the answer is not valid JSON/);
  });

  it('returns no fields and does not throw after two unusable answers', async () => {
    const { server, provider } = await setUp({ script: [{ invalidJson: true }, { reply: 'I cannot help with that.' }, { reply: GOOD_REPLY }] });
    const result = await provider.extract(request());

    expect(result.fields).toEqual({});
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid_output', 'invalid_output']);
    expect(bodies(server)).toHaveLength(1 + MAX_REASKS);
  });

  it('treats an answer cut off at max_tokens as unusable and says so in the re-ask', async () => {
    const { server, provider } = await setUp({ script: [{ reply: '{"fields": {"organiza', stopReason: 'max_tokens' }, { reply: GOOD_REPLY }] });
    const result = await provider.extract(request());

    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid_output', 'ok']);
    expect(result.calls[0]!.error).toBe('the answer was cut off at 1024 tokens; answer more briefly');
    expect(bodies(server)[1]!.messages[2]!.content).toContain('cut off at 1024 tokens');
  });

  it('retries a 429 and records the failed attempt at no cost', async () => {
    const { provider } = await setUp({ script: [{ status: 429, message: 'Number of request tokens has exceeded your rate limit' }, { reply: GOOD_REPLY }] });
    const result = await provider.extract(request());

    expect(result.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(result.calls[0]).toMatchObject({
      error: 'HTTP 429 rate_limit_error: Number of request tokens has exceeded your rate limit',
      cost_usd: 0,
      input_tokens: 0,
    });
    expect(Object.keys(result.fields)).toHaveLength(3);
  });

  it('waits for retry-after before retrying', async () => {
    const { provider } = await setUp(
      { script: [{ status: 429, retryAfterSeconds: 0.3 }, { reply: GOOD_REPLY }] },
      { retry: { ...FAST_RETRY, maxRetryAfterMs: 5000 } },
    );
    const started = performance.now();
    const result = await provider.extract(request());
    const elapsedMs = performance.now() - started;

    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect(elapsedMs).toBeGreaterThanOrEqual(290);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('caps a long retry-after at maxRetryAfterMs', async () => {
    const { provider } = await setUp(
      { script: [{ status: 529, retryAfterSeconds: 60 }, { reply: GOOD_REPLY }] },
      { retry: { ...FAST_RETRY, maxRetryAfterMs: 150 } },
    );
    const started = performance.now();
    const result = await provider.extract(request());
    const elapsedMs = performance.now() - started;

    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect(result.calls[0]!.error).toMatch(/^HTTP 529 overloaded_error/);
    expect(elapsedMs).toBeGreaterThanOrEqual(140);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('throws a transient ProviderError with every attempt when 500s persist', async () => {
    const { server, provider } = await setUp({ respond: () => ({ status: 500, message: 'Internal server error' }) });
    const error = await rejection(provider.extract(request()));

    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/HTTP 500 api_error: Internal server error \(gave up after 3 failed attempts\)/);
    expect(error.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(bodies(server)).toHaveLength(1 + FAST_RETRY.retries);
  });

  it('times out a hanging call, records it, and retries', async () => {
    const { provider } = await setUp({ script: [{ hang: true }, { reply: GOOD_REPLY }] }, { timeoutMs: 200 });
    const result = await provider.extract(request());

    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect(result.calls[0]!.error).toBe('timed out after 200 ms');
    expect(result.calls[0]!.duration_seconds).toBeGreaterThanOrEqual(0.19);
  });

  it('does not retry a 401 and marks it not transient', async () => {
    const { server, provider } = await setUp({}, { apiKey: 'sk-ant-wrong' });
    const error = await rejection(provider.extract(request()));

    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/HTTP 401 authentication_error: invalid x-api-key \(not retried\)/);
    expect(error.calls).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 400 or a 403', async () => {
    for (const status of [400, 403]) {
      const { server, provider } = await setUp({ script: [{ status }, { reply: GOOD_REPLY }] });
      const error = await rejection(provider.extract(request()));
      expect(error.transient, String(status)).toBe(false);
      expect(server.requests).toHaveLength(1);
      await server.close();
    }
  });

  it('treats connection refused as transient', async () => {
    const closed = await start();
    await closed.close();
    const provider = new AnthropicProvider({ apiKey: API_KEY, baseURL: closed.url, model: 'claude-haiku-4-5', timeoutMs: 2000, maxOutputTokens: 1024, retry: FAST_RETRY });
    const error = await rejection(provider.extract(request()));

    expect(error.transient).toBe(true);
    expect(error.calls).toHaveLength(3);
    expect(error.calls[0]!.error).toMatch(/Connection error/);
  });

  it('stops at once when the caller aborts, as a transient failure', async () => {
    const { server, provider } = await setUp({ respond: () => ({ hang: true }) }, { timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutdown')), 100);
    const started = performance.now();
    const error = await rejection(provider.extract(request({ signal: controller.signal })));

    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/aborted by caller/);
    expect(error.calls).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('makes no call when the worst case exceeds the budget', async () => {
    const { server, provider } = await setUp({ script: [{ reply: GOOD_REPLY }] });
    // 1024 output tokens alone cost 1024 × $5/M = $0.00512 on Haiku 4.5
    const result = await provider.extract(request({ budgetUsd: 0.005 }));

    expect(result).toEqual({ fields: {}, calls: [], provider: 'anthropic', model: 'claude-haiku-4-5' });
    expect(server.requests).toHaveLength(0);
  });

  it('makes the call when the worst case fits the budget', async () => {
    const { provider } = await setUp({ script: [{ reply: GOOD_REPLY, inputTokens: 1000, outputTokens: 200 }] });
    const result = await provider.extract(request({ budgetUsd: 0.01 }));
    expect(result.calls.map((c) => c.outcome)).toEqual(['ok']);
  });

  it('counts the first call against the budget before re-asking', async () => {
    const { server, provider } = await setUp({
      script: [{ invalidJson: true, inputTokens: 1000, outputTokens: 400 }, { reply: GOOD_REPLY }],
    });
    // first call: worst case ≈ $0.006 fits $0.0075; it spends $0.003, leaving less than the
    // $0.00512 of output allowance alone, so the re-ask is not made
    const result = await provider.extract(request({ budgetUsd: 0.0075 }));

    expect(result.fields).toEqual({});
    expect(result.calls.map((c) => [c.outcome, c.cost_usd])).toEqual([['invalid_output', 0.003]]);
    expect(server.requests).toHaveLength(1);
  });

  it('falls back to a forced tool call when asked to, and re-asks with a tool_result', async () => {
    const { server, provider } = await setUp({ script: [{ invalidJson: true }, { reply: GOOD_REPLY }] }, { outputMode: 'tool_use' });
    const result = await provider.extract(request());

    expect(result.fields.currency?.value).toBe('MYR');
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid_output', 'ok']);
    const [first, second] = bodies(server);
    expect(first!.output_config).toBeUndefined();
    expect(first!.tool_choice).toEqual({ type: 'tool', name: RECORD_FIELDS_TOOL });
    expect(first!.tools![0]!.name).toBe(RECORD_FIELDS_TOOL);
    expect((first!.tools![0]!.input_schema as { type: string }).type).toBe('object');
    const lastTurn = second!.messages[2]!.content as Array<Record<string, unknown>>;
    expect(lastTurn[0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(String(lastTurn[0]!.content)).toMatch(/no usable field entry|must be a JSON object/);
  });

  it('refuses at construction a model without a price', () => {
    expect(
      () => new AnthropicProvider({ apiKey: API_KEY, model: 'claude-2.1', timeoutMs: 1000, maxOutputTokens: 1024 }),
    ).toThrow(UnknownModelPriceError);
  });
});
