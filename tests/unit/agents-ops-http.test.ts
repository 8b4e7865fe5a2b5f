import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { registerOpsRoutes } from '../../app/src/ops/http.js';
import { zeroCallMetrics } from '../../app/src/agents/http.js';
import { OfflineProvider } from '../../app/src/llm/offline/index.js';

async function appWith(checks: Record<string, () => Promise<void>>, checkTimeoutMs?: number) {
  const metrics = createMetrics('ops-test');
  const app = Fastify();
  registerOpsRoutes(app, { metrics, checks, ...(checkTimeoutMs ? { checkTimeoutMs } : {}) });
  await app.ready();
  return { app, metrics };
}

async function upValue(metrics: ReturnType<typeof createMetrics>, dependency: string) {
  const { values } = await metrics.healthCheck.get();
  return values.find((v) => v.labels.dependency === dependency)?.value;
}

describe('registerOpsRoutes', () => {
  it('GET /health is 200 with every check ok and sets enrichment_dependency_up to 1', async () => {
    const { app, metrics } = await appWith({ mongodb: async () => {}, nsqd: async () => {} });
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { mongodb: 'ok', nsqd: 'ok' } });
    expect(await upValue(metrics, 'mongodb')).toBe(1);
    await app.close();
  });

  it('GET /health is 503 with the failing check message and sets its gauge to 0', async () => {
    const { app, metrics } = await appWith({
      mongodb: async () => {},
      nsqd: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:4150');
      },
    });
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'error', checks: { mongodb: 'ok', nsqd: 'connect ECONNREFUSED 127.0.0.1:4150' } });
    expect(await upValue(metrics, 'nsqd')).toBe(0);
    expect(await upValue(metrics, 'mongodb')).toBe(1);
    await app.close();
  });

  it('counts a check that hangs past its deadline as failed', async () => {
    const { app } = await appWith({ slow: () => new Promise(() => {}) }, 50);
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.slow).toBe('check timed out after 50 ms');
    await app.close();
  });

  it('GET /metrics serves the private registry in the Prometheus text format', async () => {
    const { app, metrics } = await appWith({});
    metrics.llmCalls.inc({ agent: 'metadata', provider: 'offline', model: 'rules', outcome: 'ok' });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('enrichment_llm_calls_total{agent="metadata",provider="offline",model="rules",outcome="ok",component="ops-test"} 1');
    await app.close();
  });
});

describe('zeroCallMetrics', () => {
  it("starts each provider's model-call series at zero, so the first calls show in rate()", async () => {
    const metrics = createMetrics('agent-metadata');
    const offline = new OfflineProvider();
    zeroCallMetrics(metrics, 'metadata', [offline]);
    const lines = (await metrics.registry.metrics()).split('\n');
    // One sample line with this metric name, every one of these labels, and the value 0.
    const zeroed = (name: string, labels: Record<string, string>) =>
      lines.some((l) => l.startsWith(`${name}{`) && l.endsWith('} 0') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    const series = { provider: 'offline', model: offline.model };
    expect(zeroed('enrichment_llm_call_duration_seconds_count', series)).toBe(true);
    for (const outcome of ['ok', 'invalid_output', 'error']) expect(zeroed('enrichment_llm_calls_total', { agent: 'metadata', ...series, outcome }), outcome).toBe(true);
    for (const direction of ['input', 'output']) expect(zeroed('enrichment_llm_tokens_total', { ...series, direction }), direction).toBe(true);
    expect(zeroed('enrichment_llm_call_duration_seconds_count', { provider: 'anthropic' })).toBe(false);
  });
});
