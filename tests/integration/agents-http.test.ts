/**
 * The agents over the real Streamable HTTP transport: fastify host, JWT gate, SDK client.
 * The model is an in-test stand-in; no offline, Ollama or Anthropic provider is involved.
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentCallError, AgentClient, AgentPool } from '../../app/src/agents/client.js';
import { startAgentServer, type AgentServerHandle } from '../../app/src/agents/http.js';
import type { AgentProviders } from '../../app/src/agents/server.js';
import { AGENT_NAMES, type AgentName } from '../../app/src/domain/fields.js';
import {
  ProviderError,
  type CallRecord,
  type ExtractionRequest,
  type ExtractionResult,
  type LLMProvider,
  type ProviderName,
} from '../../app/src/llm/provider.js';
import { createMetrics, type Metrics } from '../../app/src/metrics/catalog.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const ISSUER = 'enrichment-worker';

/** Model stand-in: `behaviour` decides per request; by default every wanted field is found. */
class StubProvider implements LLMProvider {
  readonly requests: ExtractionRequest[] = [];
  constructor(
    readonly name: ProviderName,
    readonly model: string,
    private readonly behaviour?: (r: ExtractionRequest) => Promise<ExtractionResult | void> | ExtractionResult | void,
  ) {}
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    this.requests.push(request);
    const custom = await this.behaviour?.(request);
    if (custom) return custom;
    const fields = Object.fromEntries(request.fields.map((f) => [f, { value: `${f}:${request.ocrLines[0]}`, confidence: 0.75 }]));
    return { fields, calls: [callRecord(this.name, this.model, 1, 'ok')], provider: this.name, model: this.model };
  }
}

function callRecord(provider: ProviderName, model: string, attempt: number, outcome: CallRecord['outcome'], error?: string): CallRecord {
  return {
    provider, model, attempt, outcome, ...(error ? { error } : {}),
    input_tokens: 120, output_tokens: 30, duration_seconds: 0.2, gpu_seconds: 0.2, cost_usd: 0.0001, price_table_version: 'test',
  };
}

const extractArgs = (fields: string[], tier: 'offline' | 'local' | 'escalation' = 'offline') => ({
  document_id: 'doc-42',
  ocr_lines: ['ACME TRADING SDN BHD', 'DATE: 05/03/2019', 'TOTAL 31.00'],
  fields: fields as never,
  tier,
});

const servers: AgentServerHandle[] = [];
const clients: AgentClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(agent: AgentName, providers: AgentProviders, extra: { port?: number; metrics?: Metrics; maxSessions?: number; checks?: Record<string, () => Promise<void>> } = {}) {
  const metrics = extra.metrics ?? createMetrics(`agent-${agent}`);
  const handle = await startAgentServer({
    agent, providers, port: extra.port ?? 0, jwtSecret: SECRET, issuer: ISSUER, metrics,
    ...(extra.maxSessions ? { maxSessions: extra.maxSessions } : {}),
    ...(extra.checks ? { checks: extra.checks } : {}),
  });
  servers.push(handle);
  return { handle, metrics };
}

function client(agent: AgentName, url: string, timeoutMs = 10_000) {
  const c = new AgentClient({ agent, url, jwtSecret: SECRET, issuer: ISSUER, timeoutMs });
  clients.push(c);
  return c;
}

async function counter(metrics: Metrics, key: 'llmCalls' | 'llmRateLimited' | 'llmTokens', labels: Record<string, string>) {
  const { values } = await metrics[key].get();
  return values.filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)).reduce((s, v) => s + v.value, 0);
}

describe('extract_fields over Streamable HTTP', () => {
  it('round-trips fields, calls and prompt version through the real transport and SDK client', async () => {
    const offline = new StubProvider('offline', 'rules');
    const { handle, metrics } = await start('metadata', { offline });
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const result = await client('metadata', handle.url).extract({ ...extractArgs(['vendor_name', 'document_date']), context: { document_type: 'receipt' } });
    expect(result).toEqual({
      agent: 'metadata', tier: 'offline', provider: 'offline', model: 'rules', prompt_version: '1.0.0',
      fields: {
        vendor_name: { value: 'vendor_name:ACME TRADING SDN BHD', confidence: 0.75 },
        document_date: { value: 'document_date:ACME TRADING SDN BHD', confidence: 0.75 },
      },
      calls: [callRecord('offline', 'rules', 1, 'ok')],
    });
    expect(offline.requests[0]?.context).toEqual({ document_type: 'receipt' });
    expect(await counter(metrics, 'llmCalls', { agent: 'metadata', provider: 'offline', outcome: 'ok' })).toBe(1);
    expect(await counter(metrics, 'llmTokens', { provider: 'offline', direction: 'input' })).toBe(120);
  });

  it('rejects a field the agent does not own as a non-transient AgentCallError', async () => {
    const offline = new StubProvider('offline', 'rules');
    const { handle } = await start('entities', { offline });
    const error = await client('entities', handle.url).extract(extractArgs(['total_amount', 'vendor_name'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ agent: 'entities', transient: false, calls: [] });
    expect((error as Error).message).toContain('"vendor_name" is not owned by the entities agent');
    expect(offline.requests).toHaveLength(0);
  });

  it('reports an unconfigured tier as a non-transient AgentCallError', async () => {
    const { handle } = await start('summary', { offline: new StubProvider('offline', 'rules') });
    const error = await client('summary', handle.url).extract(extractArgs(['title'], 'local')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ transient: false, calls: [] });
    expect((error as Error).message).toContain("tier 'local' is not configured on the summary agent");
  });

  it('turns a ProviderError into AgentCallError with the failed calls and the transient flag, and counts them', async () => {
    const failed = [
      callRecord('anthropic', 'claude-haiku-4-5', 1, 'error', 'HTTP 429 rate_limit_error'),
      callRecord('anthropic', 'claude-haiku-4-5', 2, 'error', 'HTTP 429 rate_limit_error'),
    ];
    const escalation = new StubProvider('anthropic', 'claude-haiku-4-5', () => {
      throw new ProviderError('anthropic kept answering 429', failed, true);
    });
    const permanent = new StubProvider('ollama', 'llama3.2', () => {
      throw new ProviderError('model llama3.2 not found (HTTP 404)', [callRecord('ollama', 'llama3.2', 1, 'error', 'HTTP 404')], false);
    });
    const { handle, metrics } = await start('metadata', { offline: new StubProvider('offline', 'rules'), local: permanent, escalation });
    const c = client('metadata', handle.url);

    const transientError = await c.extract(extractArgs(['vendor_name'], 'escalation')).catch((e: unknown) => e);
    expect(transientError).toBeInstanceOf(AgentCallError);
    expect(transientError).toMatchObject({ agent: 'metadata', transient: true, calls: failed });
    expect((transientError as Error).message).toContain('anthropic kept answering 429');

    const permanentError = await c.extract(extractArgs(['vendor_name'], 'local')).catch((e: unknown) => e);
    expect(permanentError).toMatchObject({ transient: false });
    expect((permanentError as AgentCallError).calls).toHaveLength(1);

    expect(await counter(metrics, 'llmCalls', { provider: 'anthropic', outcome: 'error' })).toBe(2);
    expect(await counter(metrics, 'llmRateLimited', { provider: 'anthropic' })).toBe(2);
    expect(await counter(metrics, 'llmRateLimited', { provider: 'ollama' })).toBe(0);
  });

  it('times out a slow call as a transient AgentCallError and aborts the provider', async () => {
    let aborted: Promise<void> | undefined;
    const slow = new StubProvider('ollama', 'llama3.2', (request) => {
      aborted = new Promise((resolve) => request.signal?.addEventListener('abort', () => resolve()));
      return new Promise((_, reject) => setTimeout(() => reject(new ProviderError('late', [], true)), 5_000).unref());
    });
    const { handle } = await start('classification', { offline: new StubProvider('offline', 'rules'), local: slow });
    const error = await client('classification', handle.url, 300).extract(extractArgs(['document_type'], 'local')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toMatch(/timed out/i);
    // The SDK client sends notifications/cancelled; the server aborts the provider's signal.
    await expect(aborted).resolves.toBeUndefined();
  });

  it('serves 50 sequential calls over one session', async () => {
    const { handle } = await start('structure', { offline: new StubProvider('offline', 'rules') });
    const c = client('structure', handle.url);
    await c.extract(extractArgs(['key_values'])); // connect + warm up
    const n = 50;
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const result = await c.extract({ ...extractArgs(['line_items', 'sections']), document_id: `doc-${i}` });
      expect(Object.keys(result.fields)).toEqual(['line_items', 'sections']);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(handle.sessionCount()).toBe(1);
    console.log(`[agents-http] ${n} sequential extract_fields calls over one session: ${(n / seconds).toFixed(0)} calls/s (${((seconds / n) * 1000).toFixed(2)} ms/call)`);
  });

  it('ends the session with DELETE on close', async () => {
    const { handle } = await start('summary', { offline: new StubProvider('offline', 'rules') });
    const c = client('summary', handle.url);
    await c.extract(extractArgs(['title']));
    expect(handle.sessionCount()).toBe(1);
    await c.close();
    expect(handle.sessionCount()).toBe(0);
    await expect(c.extract(extractArgs(['title']))).rejects.toBeInstanceOf(AgentCallError);
  });

  it('reconnects once when the agent restarted and forgot the session', async () => {
    const first = await start('entities', { offline: new StubProvider('offline', 'rules') });
    const port = Number(new URL(first.handle.url).port);
    const c = client('entities', first.handle.url);
    await c.extract(extractArgs(['currency']));
    await first.handle.close();
    const second = await start('entities', { offline: new StubProvider('offline', 'rules-v2') }, { port });
    const result = await c.extract(extractArgs(['currency']));
    expect(result.model).toBe('rules-v2');
    expect(second.handle.sessionCount()).toBe(1);
  });

  it('fails transiently when the agent is down, after its reconnect attempts', async () => {
    const { handle } = await start('entities', { offline: new StubProvider('offline', 'rules') });
    const url = handle.url;
    await handle.close();
    const error = await client('entities', url).extract(extractArgs(['currency'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ transient: true, calls: [] });
  });

  it('connects afresh on the next call after the agent came up', async () => {
    const down = await start('entities', { offline: new StubProvider('offline', 'rules') });
    const port = Number(new URL(down.handle.url).port);
    await down.handle.close();
    const c = client('entities', down.handle.url);
    await expect(c.extract(extractArgs(['currency']))).rejects.toMatchObject({ transient: true });
    await start('entities', { offline: new StubProvider('offline', 'rules-up') }, { port });
    expect((await c.extract(extractArgs(['currency']))).model).toBe('rules-up');
  });

  it('reports a client with the wrong secret as a non-transient AgentCallError', async () => {
    const offline = new StubProvider('offline', 'rules');
    const { handle } = await start('metadata', { offline });
    const wrong = new AgentClient({ agent: 'metadata', url: handle.url, jwtSecret: 'not-the-agents-secret-0123456789abcdef', issuer: ISSUER, timeoutMs: 5_000 });
    clients.push(wrong);
    const error = await wrong.extract(extractArgs(['vendor_name'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ transient: false });
    expect((error as Error).message).toContain('Unauthorized: token signature invalid');
    expect(handle.sessionCount()).toBe(0);
    expect(offline.requests).toHaveLength(0);
  });

  it('refuses sessions beyond maxSessions', async () => {
    const { handle } = await start('summary', { offline: new StubProvider('offline', 'rules') }, { maxSessions: 1 });
    await client('summary', handle.url).extract(extractArgs(['title']));
    const error = await client('summary', handle.url).extract(extractArgs(['title'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toContain('Too many open sessions');
    expect(((error as Error).cause as { code?: number }).code).toBe(503);
    expect(handle.sessionCount()).toBe(1);
  });

  it('re-signs its token before expiry so a long-lived client keeps working', async () => {
    const { handle } = await start('metadata', { offline: new StubProvider('offline', 'rules') });
    const c = client('metadata', handle.url);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    await c.extract(extractArgs(['vendor_name']));
    // 11 minutes later the first token (10 min) has expired on both sides' clocks.
    vi.setSystemTime(new Date('2030-01-01T00:11:00Z'));
    const result = await c.extract(extractArgs(['vendor_name']));
    expect(result.fields.vendor_name).toBeDefined();
  });

  it('AgentPool holds one client per agent', async () => {
    const urls = {} as Record<AgentName, string>;
    for (const agent of AGENT_NAMES) urls[agent] = (await start(agent, { offline: new StubProvider('offline', `rules-${agent}`) })).handle.url;
    const pool = new AgentPool(urls, { jwtSecret: SECRET, issuer: ISSUER, timeoutMs: 5_000 });
    try {
      const models = await Promise.all(
        AGENT_NAMES.map(async (agent) => (await pool.get(agent).extract(extractArgs([{ classification: 'language', metadata: 'vendor_name', entities: 'people', summary: 'keywords', structure: 'sections' }[agent]]))).model),
      );
      expect(models).toEqual(AGENT_NAMES.map((a) => `rules-${a}`));
      expect(pool.get('metadata').agent).toBe('metadata');
    } finally {
      await pool.close();
    }
  });
});

describe('JWT gate on /mcp', () => {
  let handle: AgentServerHandle;
  let offline: StubProvider;
  const secretKey = new TextEncoder().encode(SECRET);
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

  beforeAll(async () => {
    offline = new StubProvider('offline', 'rules');
    handle = await startAgentServer({ agent: 'metadata', providers: { offline }, port: 0, jwtSecret: SECRET, issuer: ISSUER, metrics: createMetrics('jwt-test') });
  });
  afterAll(async () => {
    await handle.close();
  });

  const sign = (claims: { aud?: string; iss?: string; exp?: number; iat?: number }, key: Uint8Array = secretKey) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? 'enrichment-agent:metadata')
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 600)
      .sign(key);
  };
  const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function post(token: string | undefined, body: object, sessionId?: string) {
    return fetch(handle.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  async function expectRejected(token: string | undefined, reason: RegExp) {
    const res = await post(token, initialize);
    expect(res.status).toBe(401);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const body = (await res.json()) as { jsonrpc: string; id: null; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe('2.0');
    expect(body.id).toBeNull();
    expect(body.error.message).toMatch(reason);
  }

  it('rejects a request without a token', async () => {
    await expectRejected(undefined, /missing bearer token/);
  });

  it('rejects a token signed with another secret', async () => {
    await expectRejected(await sign({}, new TextEncoder().encode('another-secret-0123456789abcdef-xyz')), /signature invalid/);
  });

  it('rejects an unsigned alg:none token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: ISSUER, aud: 'enrichment-agent:metadata', iat: now, exp: now + 600 })}.`;
    await expectRejected(token, /algorithm not allowed/);
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await sign({ iat: now - 700, exp: now - 100 }), /expired/);
  });

  it('rejects a token for another agent or another issuer', async () => {
    await expectRejected(await sign({ aud: 'enrichment-agent:summary' }), /claim 'aud'/);
    await expectRejected(await sign({ iss: 'someone-else' }), /claim 'iss'/);
  });

  it('accepts a valid token, and still gates every request of an open session', async () => {
    const token = await sign({});
    const res = await post(token, initialize);
    expect(res.status).toBe(200);
    const sessionId = res.headers.get('mcp-session-id');
    expect(sessionId).toBeTruthy();
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'extract_fields', arguments: extractArgs(['vendor_name']) } };
    await post(token, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId!);

    const forged = await post(await sign({}, new TextEncoder().encode('another-secret-0123456789abcdef-xyz')), call, sessionId!);
    expect(forged.status).toBe(401);
    expect(offline.requests).toHaveLength(0);

    const ok = await post(token, call, sessionId!);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { result: { structuredContent: { fields: Record<string, unknown> } } };
    expect(Object.keys(body.result.structuredContent.fields)).toEqual(['vendor_name']);
    expect(offline.requests).toHaveLength(1);
  });

  it('leaves /health and /metrics open', async () => {
    const health = await fetch(`${handle.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { prompt: 'ok' } });
    const metrics = await fetch(`${handle.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('enrichment_llm_calls_total');
    expect(text).toContain('enrichment_dependency_up{dependency="prompt",component="jwt-test"} 1');
  });
});

describe('agent /health', () => {
  it('is 503 when an extra dependency check fails', async () => {
    const { handle } = await start('metadata', { offline: new StubProvider('offline', 'rules') }, {
      checks: {
        ollama: async () => {
          throw new Error('ollama: connect ECONNREFUSED');
        },
      },
    });
    const res = await fetch(`${handle.baseUrl}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'error', checks: { prompt: 'ok', ollama: 'ollama: connect ECONNREFUSED' } });
  });
});
