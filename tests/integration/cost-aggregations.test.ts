/**
 * Cost API aggregations against a real pipeline run: synthetic documents go through ingest →
 * nsqd → worker → five MCP agents → FerretDB, with phase 1 on a stand-in Ollama that reports a
 * GPU time per document, so the run writes cost records with non-zero USD (offline calls at $0
 * and Ollama calls priced GPU-seconds × GPU_HOUR_USD). The API's figures are then checked against
 * sums and nearest-rank p95s computed here from the `cost_records` the run wrote.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICE_TABLE_VERSION } from '../../app/src/llm/prices.js';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { percentile } from '../../app/src/reporting/run-report.js';
import { buildCostApi } from '../../app/src/services/cost-api/app.js';
import { signToken } from '../../app/src/services/http/auth.js';
import type { CostRecord } from '../../app/src/store/collections.js';
import { start as startFakeOllama, type FakeOllama, type OllamaChatBody } from '../support/fake-ollama.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { FORM_A, RECEIPT_A, RECEIPT_B } from '../support/synthetic-documents.js';

/** Five documents; each one's Ollama answers report their own GPU time, so per-document costs differ. */
const DOCS = [
  { ...RECEIPT_A, id: 'SYN-COST-A1' },
  { ...RECEIPT_A, id: 'SYN-COST-A2' },
  { ...RECEIPT_B, id: 'SYN-COST-B1' },
  { ...RECEIPT_B, id: 'SYN-COST-B2' },
  { ...FORM_A, id: 'SYN-COST-F1' },
];
/** Reported `total_duration` of one Ollama answer for the i-th document, ns: 0.7 s, 1.4 s, ... */
const gpuNsFor = (index: number): number => (index + 1) * 700_000_000;
const GPU_HOUR_USD = '3.6';
/** Floating-point sums in another order may differ in the last bits; 12 decimals is far below a cent. */
const DIGITS = 12;

interface Row {
  key: string | null;
  calls: number;
  total_usd: number;
  mean_usd_per_call: number;
  p95_usd_per_call?: number;
}

/** `{ key: cost_usd of each call }` of the records grouped by a field, computed here. */
function callCostsBy(records: CostRecord[], field: keyof CostRecord): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) out.set(String(r[field]), [...(out.get(String(r[field])) ?? []), r.cost_usd]);
  return out;
}

/** Each row's p95 per call is the nearest-rank p95 of its group's calls, computed here from the records. */
function expectCallP95Match(rows: Row[], records: CostRecord[], field: keyof CostRecord): void {
  const costs = callCostsBy(records, field);
  for (const row of rows) expect(row.p95_usd_per_call, `p95 per call of ${row.key}`).toBe(percentile(costs.get(String(row.key))!, 95));
}

/** `{ key: { calls, usd } }` of the records grouped by a field, computed here. */
function groupBy(records: CostRecord[], field: keyof CostRecord): Map<string, { calls: number; usd: number }> {
  const out = new Map<string, { calls: number; usd: number }>();
  for (const r of records) {
    const key = String(r[field]);
    const g = out.get(key) ?? { calls: 0, usd: 0 };
    g.calls++;
    g.usd += r.cost_usd;
    out.set(key, g);
  }
  return out;
}

function expectRowsMatch(rows: Row[], expected: Map<string, { calls: number; usd: number }>): void {
  expect(rows.map((r) => r.key).sort()).toEqual([...expected.keys()].sort());
  for (const row of rows) {
    const e = expected.get(String(row.key))!;
    expect(row.calls, `calls of ${row.key}`).toBe(e.calls);
    expect(row.total_usd, `total of ${row.key}`).toBeCloseTo(e.usd, DIGITS);
    expect(row.mean_usd_per_call, `mean of ${row.key}`).toBeCloseTo(e.usd / e.calls, DIGITS);
  }
  // Sorted by total, most expensive first.
  for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.total_usd).toBeGreaterThanOrEqual(rows[i]!.total_usd);
}

describe('Cost API aggregations over a real pipeline run', () => {
  let ollama: FakeOllama;
  let h: Harness;
  let api: FastifyInstance;
  let token: string;
  let records: CostRecord[];
  let range: { from: string; to: string };

  beforeAll(async () => {
    ollama = await startFakeOllama({
      respond: (body: OllamaChatBody) => {
        const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
        const index = DOCS.findIndex((d) => user.includes(`Document ${d.id},`));
        return { reply: { fields: {} }, totalDurationNs: gpuNsFor(Math.max(0, index)) };
      },
    });
    const secret = randomBytes(32).toString('base64url');
    h = await startHarness({ env: { OLLAMA_HOST: ollama.url, GPU_HOUR_USD, API_JWT_SECRET: secret, OLLAMA_TIMEOUT_SECONDS: '10' } });
    const started = new Date();
    const { batch_id } = await h.submit(await writeDocuments(Object.fromEntries(DOCS.map((d) => [`${d.id}.json`, d]))));
    await h.waitForBatch(batch_id, 60_000);
    records = await h.store.costRecords.find({}).toArray();
    range = { from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    api = await buildCostApi({ config: h.config, store: h.store, metrics: createMetrics('cost-api'), logger: pino({ level: 'silent' }) });
    token = await signToken({ sub: 'fin-1', roles: ['finance'], secret, issuer: h.config.API_JWT_ISSUER });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
    await ollama?.close();
  });

  async function get(url: string): Promise<{ status: number; body: any }> {
    const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.json() };
  }
  const qs = () => `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`;

  it('the run wrote priced records for every document, from two providers', () => {
    expect(new Set(records.map((r) => r.document_id))).toEqual(new Set(DOCS.map((d) => d.id)));
    expect(new Set(records.map((r) => r.provider))).toEqual(new Set(['offline', 'ollama']));
    expect(records.filter((r) => r.provider === 'ollama').every((r) => r.cost_usd > 0)).toBe(true);
    // Per-document totals differ (the stand-in's GPU time depends on the document), so p95 is not a mean.
    expect(new Set([...groupBy(records, 'document_id').values()].map((g) => g.usd.toFixed(9))).size).toBeGreaterThan(1);
    // Within one provider's calls too, so its p95 per call is not its mean per call.
    expect(new Set(callCostsBy(records, 'provider').get('ollama')).size).toBeGreaterThan(1);
  });

  it('/costs/summary: total, calls, documents, mean and p95 per document, by provider, versions', async () => {
    const { status, body } = await get(`/costs/summary?${qs()}`);
    expect(status).toBe(200);
    const perDocument = [...groupBy(records, 'document_id').values()].map((g) => g.usd);
    const total = records.reduce((s, r) => s + r.cost_usd, 0);
    expect(body.total_usd).toBeCloseTo(total, DIGITS);
    expect(body.total_usd).toBeGreaterThan(0);
    expect(body.calls).toBe(records.length);
    expect(body.documents).toBe(DOCS.length);
    expect(body.mean_usd_per_document).toBeCloseTo(total / DOCS.length, DIGITS);
    expect(body.p95_usd_per_document).toBeCloseTo(percentile(perDocument, 95), DIGITS);
    expect(body.p95_usd_per_document).toBeCloseTo(Math.max(...perDocument), DIGITS); // nearest rank of 5 values
    expectRowsMatch(body.by_provider, groupBy(records, 'provider'));
    expectCallP95Match(body.by_provider, records, 'provider');
    const ollama = body.by_provider.find((r: Row) => r.key === 'ollama');
    expect(ollama.p95_usd_per_call).toBeGreaterThan(ollama.mean_usd_per_call);
    expect(body.price_table_versions).toEqual([...new Set(records.map((r) => r.price_table_version))].sort());
    expect(body.current_price_table_version).toBe(PRICE_TABLE_VERSION);
  });

  it.each([
    ['agent', 'agent'],
    ['provider', 'provider'],
    ['model', 'model'],
    ['document', 'document_id'],
    ['job', 'enrichment_job_id'],
  ] as const)('/costs/by/%s matches sums and p95s computed from the records', async (dimension, field) => {
    const { status, body } = await get(`/costs/by/${dimension}?${qs()}`);
    expect(status).toBe(200);
    const expected = groupBy(records, field);
    expectRowsMatch(body.rows, expected);
    expect(body.groups).toBe(expected.size);
    expect(body.calls).toBe(records.length);
    const totals = [...expected.values()].map((g) => g.usd);
    expect(body.total_usd).toBeCloseTo(totals.reduce((a, b) => a + b, 0), DIGITS);
    expect(body.mean_usd_per_group).toBeCloseTo(totals.reduce((a, b) => a + b, 0) / totals.length, DIGITS);
    expect(body.p95_usd_per_group).toBeCloseTo(percentile(totals, 95), DIGITS);
    if (dimension === 'document' || dimension === 'job') {
      // Units of work: their p95 is over the per-group totals above, not per call.
      for (const row of body.rows) expect(row).not.toHaveProperty('p95_usd_per_call');
    } else {
      expectCallP95Match(body.rows, records, field);
    }
  });

  it('/costs/by/document?limit caps the rows, keeping the most expensive; overall figures still cover all', async () => {
    const { body } = await get(`/costs/by/document?${qs()}&limit=2`);
    const expected = [...groupBy(records, 'document_id').entries()].sort((a, b) => b[1].usd - a[1].usd);
    expect(body.rows.map((r: Row) => r.key)).toEqual(expected.slice(0, 2).map(([k]) => k));
    expect(body.groups).toBe(DOCS.length);
    expect(body.calls).toBe(records.length);
  });

  it('/costs/documents/:id gives each document its totals by agent, tier and provider', async () => {
    for (const doc of DOCS) {
      const { status, body } = await get(`/costs/documents/${doc.id}`);
      expect(status).toBe(200);
      const own = records.filter((r) => r.document_id === doc.id);
      expect(body.total_usd).toBeCloseTo(own.reduce((s, r) => s + r.cost_usd, 0), DIGITS);
      expect(body.calls).toBe(own.length);
      expect(body.job_ids).toEqual([...new Set(own.map((r) => r.enrichment_job_id))]);
      expectRowsMatch(body.by_agent, groupBy(own, 'agent'));
      expectRowsMatch(body.by_tier, groupBy(own, 'tier'));
      expectRowsMatch(body.by_provider, groupBy(own, 'provider'));
    }
    expect((await get('/costs/documents/SYN-COST-NONE')).status).toBe(404);
  });

  it('a range before the run is empty', async () => {
    const { body } = await get(`/costs/summary?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`);
    expect(body).toMatchObject({ total_usd: 0, calls: 0, documents: 0, mean_usd_per_document: 0, p95_usd_per_document: 0, by_provider: [] });
  });
});
