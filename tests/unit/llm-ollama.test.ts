/**
 * OllamaProvider against the stand-in Ollama server (real `ollama` client, real HTTP, scripted
 * answers). The figures asserted are the stand-in's scripted ones: wire handling, not quality.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldName } from '../../app/src/domain/fields.js';
import { MAX_REASKS, OllamaProvider, type OllamaProviderOptions } from '../../app/src/llm/ollama.js';
import { buildOutputSchema } from '../../app/src/llm/output-schema.js';
import { PRICE_TABLE_VERSION } from '../../app/src/llm/prices.js';
import { ProviderError, type ExtractionRequest } from '../../app/src/llm/provider.js';
import { start, type FakeOllama, type FakeOllamaOptions, type OllamaChatBody } from '../support/fake-ollama.js';

const FIELDS: FieldName[] = ['vendor_name', 'vendor_address', 'document_date', 'document_number'];
const SYSTEM_MARKER = 'You are the metadata agent. (test prompt v1)';
const FAST_RETRY = { retries: 2, minBackoffMs: 1, maxBackoffMs: 5, maxRetryAfterMs: 50 };
const GOOD_REPLY = {
  fields: {
    vendor_name: { value: 'ACME TRADING SDN BHD', confidence: 0.93 },
    document_date: { value: '2018-03-12', confidence: 0.81 },
    document_number: { value: null, confidence: 0 },
  },
};

let server: FakeOllama | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  await running?.close();
});

async function setUp(fake: FakeOllamaOptions, options: Partial<OllamaProviderOptions> = {}) {
  server = await start(fake);
  const provider = new OllamaProvider({
    host: server.url,
    model: 'llama3.2',
    gpuHourUsd: 1.2,
    timeoutMs: 2000,
    retry: FAST_RETRY,
    ...options,
  });
  return { server, provider };
}

function request(overrides: Partial<ExtractionRequest> = {}): ExtractionRequest {
  return {
    agent: 'metadata',
    promptVersion: 'test-1',
    systemPrompt: SYSTEM_MARKER,
    documentId: 'doc-1',
    ocrLines: ['ACME TRADING SDN BHD', 'NO 3, JALAN MERBAU, 81100 JOHOR', 'DATE: 12/03/2018'],
    fields: FIELDS,
    outputJsonSchema: buildOutputSchema(FIELDS).jsonSchema,
    ...overrides,
  };
}

function chatBodies(fake: FakeOllama): OllamaChatBody[] {
  return fake.requests.filter((r) => r.path === '/api/chat').map((r) => r.body as OllamaChatBody);
}

describe('OllamaProvider', () => {
  it('extracts fields and records tokens, GPU seconds and cost of the call', async () => {
    const { server, provider } = await setUp({
      script: [{ reply: GOOD_REPLY, promptEvalCount: 321, evalCount: 45, totalDurationNs: 2_500_000_000 }],
    });
    const result = await provider.extract(request());

    expect(result.provider).toBe('ollama');
    expect(result.model).toBe('llama3.2');
    expect(result.fields).toEqual({
      vendor_name: { value: 'ACME TRADING SDN BHD', confidence: 0.93 },
      document_date: { value: '2018-03-12', confidence: 0.81 },
    });
    expect(result.calls).toHaveLength(1);
    const [call] = result.calls;
    expect(call).toMatchObject({
      provider: 'ollama',
      model: 'llama3.2',
      attempt: 1,
      outcome: 'ok',
      input_tokens: 321,
      output_tokens: 45,
      gpu_seconds: 2.5,
      price_table_version: PRICE_TABLE_VERSION,
    });
    // 2.5 GPU-seconds at $1.2 per GPU-hour
    expect(call!.cost_usd).toBeCloseTo(0.000833333333, 12);
    expect(call!.duration_seconds).toBeGreaterThan(0);

    const [body] = chatBodies(server);
    expect(body!.model).toBe('llama3.2');
    expect(body!.stream).toBe(false);
    expect(body!.format).toEqual(buildOutputSchema(FIELDS).jsonSchema);
    expect(body!.options).toEqual({ temperature: 0 });
    expect(body!.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body!.messages[0]!.content).toContain(SYSTEM_MARKER);
    expect(body!.messages[0]!.content).toContain('- document_date: date of the document as an ISO date YYYY-MM-DD');
    expect(body!.messages[1]!.content).toContain('2: NO 3, JALAN MERBAU, 81100 JOHOR');
    expect(body!.messages[1]!.content).toContain(FIELDS.join(', '));
  });

  it('re-asks once after invalid JSON, saying what was wrong', async () => {
    const { server, provider } = await setUp({
      script: [{ invalidJson: true, promptEvalCount: 300, evalCount: 20, totalDurationNs: 1e9 }, { reply: GOOD_REPLY, totalDurationNs: 2e9 }],
    });
    const result = await provider.extract(request());

    expect(result.fields.vendor_name?.value).toBe('ACME TRADING SDN BHD');
    expect(result.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'invalid_output'],
      [2, 'ok'],
    ]);
    expect(result.calls[0]!.error).toMatch(/not valid JSON/);
    // the failed answer is still billed: 1 GPU-second
    expect(result.calls[0]!.gpu_seconds).toBe(1);
    expect(result.calls[0]!.cost_usd).toBeGreaterThan(0);

    const bodies = chatBodies(server);
    expect(bodies).toHaveLength(2);
    const followUp = bodies[1]!.messages;
    expect(followUp.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(followUp[2]!.content).toBe('{"fields": {"vendor_name": {"value": "ACME TRAD');
    expect(followUp[3]!.content).toMatch(/could not be used: the answer is not valid JSON/);
  });

  it('gives up without throwing after MAX_REASKS re-asks of unusable answers', async () => {
    const { server, provider } = await setUp({ script: [{ invalidJson: true }, { reply: ['not', 'an', 'envelope'] }, { reply: GOOD_REPLY }] });
    const result = await provider.extract(request());

    expect(MAX_REASKS).toBe(1);
    expect(result.fields).toEqual({});
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid_output', 'invalid_output']);
    expect(result.calls[1]!.error).toMatch(/must be a JSON object/);
    expect(chatBodies(server)).toHaveLength(1 + MAX_REASKS);
  });

  it('retries a 429 and records the failed attempt', async () => {
    const { provider } = await setUp({ script: [{ status: 429, error: 'server busy' }, { reply: GOOD_REPLY }] });
    const result = await provider.extract(request());

    expect(Object.keys(result.fields)).toEqual(['vendor_name', 'document_date']);
    expect(result.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(result.calls[0]).toMatchObject({ error: 'HTTP 429: server busy', input_tokens: 0, output_tokens: 0, gpu_seconds: 0, cost_usd: 0 });
  });

  it('throws a transient ProviderError with every attempt when 500s persist', async () => {
    const { server, provider } = await setUp({ respond: () => ({ status: 500, error: 'llama runner process has terminated' }) });
    const error = await provider.extract(request()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProviderError);
    const providerError = error as ProviderError;
    expect(providerError.transient).toBe(true);
    expect(providerError.message).toMatch(/HTTP 500: llama runner process has terminated \(gave up after 3 failed attempts\)/);
    expect(providerError.calls.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(chatBodies(server)).toHaveLength(1 + FAST_RETRY.retries);
  });

  it('times out a hanging call, records it, and retries', async () => {
    const { provider } = await setUp({ script: [{ hang: true }, { reply: GOOD_REPLY }] }, { timeoutMs: 200 });
    const result = await provider.extract(request());

    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect(result.calls[0]!.error).toBe('timed out after 200 ms');
    expect(result.calls[0]!.duration_seconds).toBeGreaterThanOrEqual(0.19);
    expect(result.fields.document_date?.value).toBe('2018-03-12');
  });

  it('does not retry a missing model (404) and marks it not transient', async () => {
    const { server, provider } = await setUp({ models: ['llama3.2'] }, { model: 'mixtral' });
    const error = (await provider.extract(request()).catch((e: unknown) => e)) as ProviderError;

    expect(error).toBeInstanceOf(ProviderError);
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/model "mixtral" not found.*\(not retried\)/);
    expect(error.calls).toHaveLength(1);
    expect(error.calls[0]!.error).toMatch(/^HTTP 404: /);
    expect(chatBodies(server)).toHaveLength(1);
  });

  it('treats connection refused as transient', async () => {
    // a port that was just free: nothing listens there any more
    const closed = await start();
    await closed.close();
    const provider = new OllamaProvider({ host: closed.url, model: 'llama3.2', gpuHourUsd: 1.2, timeoutMs: 2000, retry: FAST_RETRY });
    const error = (await provider.extract(request()).catch((e: unknown) => e)) as ProviderError;

    expect(error).toBeInstanceOf(ProviderError);
    expect(error.transient).toBe(true);
    expect(error.calls).toHaveLength(3);
    expect(error.calls[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it('stops at once when the caller aborts, without further attempts', async () => {
    const { server, provider } = await setUp({ respond: () => ({ hang: true }) }, { timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutdown')), 100);
    const started = performance.now();
    const error = (await provider.extract(request({ signal: controller.signal })).catch((e: unknown) => e)) as ProviderError;

    expect(error).toBeInstanceOf(ProviderError);
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/aborted by caller/);
    expect(error.calls).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(chatBodies(server)).toHaveLength(1);
  });

  it('sends the re-ask with the same schema and model', async () => {
    const { server, provider } = await setUp({ script: [{ reply: 'Sure! Here are the fields.' }, { reply: GOOD_REPLY }] });
    await provider.extract(request());
    const [first, second] = chatBodies(server);
    expect(second!.format).toEqual(first!.format);
    expect(second!.model).toBe(first!.model);
  });
});
