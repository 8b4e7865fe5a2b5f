/**
 * Cost API routes through `app.inject` against the real FerretDB, on hand-inserted cost records:
 * budget status (documents over budget, month boundaries, run-rate projection), route schema
 * rejections (bad dimension, bad dates, `$`-keys) and auth through the shared service plumbing.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../app/src/config.js';
import { PRICE_TABLE_VERSION, ANTHROPIC_PRICES } from '../../app/src/llm/prices.js';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { buildCostApi } from '../../app/src/services/cost-api/app.js';
import { MAX_ROWS } from '../../app/src/services/cost-api/schemas.js';
import { signToken } from '../../app/src/services/http/auth.js';
import type { CostRecord, OcrJob } from '../../app/src/store/collections.js';
import { budgetStatus, monthOf, nearestRank } from '../../app/src/store/costs.js';
import { Store } from '../../app/src/store/store.js';
import { serviceEnv } from '../support/services.js';

const SECRET = randomBytes(32).toString('base64url');
const DOCUMENT_BUDGET_USD = 0.5;
const MONTHLY_BUDGET_USD = 10;
const DIGITS = 12;

let seq = 0;
/** A cost record of `usd` for `documentId` at `at` (job id `job-<documentId>`). */
function record(documentId: string, usd: number, at: string, over: Partial<CostRecord> = {}): CostRecord {
  seq++;
  return {
    _id: `rec-${seq}`,
    enrichment_job_id: `job-${documentId}`,
    document_id: documentId,
    agent: 'metadata',
    tier: 'escalation',
    job_attempt: 1,
    prompt_version: '1',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    attempt: 1,
    outcome: 'ok',
    input_tokens: 1000,
    output_tokens: 100,
    duration_seconds: 1,
    gpu_seconds: 0,
    cost_usd: usd,
    price_table_version: PRICE_TABLE_VERSION,
    created_at: new Date(at),
    ...over,
  };
}

/** The accepted `ocr_jobs` entry the document lookup goes through (fields it does not read are null). */
function job(documentId: string): OcrJob {
  return { _id: `job-${documentId}`, job_id: `job-${documentId}`, document_id: documentId, dedupe_key: documentId, status: 'completed' } as unknown as OcrJob;
}

// January 2026: J-OVER 0.6 (two calls, the second in the month's last millisecond), J-OVER2 0.7,
// J-UNDER exactly at the budget (not over), J-EDGE 0.4 in January and 0.4 more on February's first
// instant (each month judges its own part). February: F-OVER 0.9 and J-EDGE's 0.4.
const RECORDS: CostRecord[] = [
  record('J-OVER', 0.3, '2026-01-10T08:00:00.000Z', { agent: 'entities', tier: 'local', provider: 'ollama', model: 'llama3.2' }),
  record('J-OVER', 0.3, '2026-01-31T23:59:59.999Z'),
  record('J-OVER2', 0.7, '2026-01-20T12:00:00.000Z'),
  record('J-UNDER', 0.5, '2026-01-05T00:00:00.000Z'),
  record('J-EDGE', 0.4, '2026-01-31T23:59:59.999Z'),
  record('J-EDGE', 0.4, '2026-02-01T00:00:00.000Z'),
  record('F-OVER', 0.9, '2026-02-15T00:00:00.000Z'),
];

const CENT = 0.01;
const MILLI = 0.001;
/** `[0, 1, ..., n-1]` in a fixed shuffled order (stride 7 is coprime to the sizes used), so insert order is not cost order. */
const shuffled = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7) % n);
const IN_JUNE = (i: number): string => new Date(Date.UTC(2025, 5, 1 + (i % 28), 12, 0, i % 60)).toISOString();

// June 2025, per call. Nearest-rank p95 = the value at ascending rank ⌈0.95·n⌉:
// - classification / llama3.2 / ollama: 20 calls of 0.01 … 0.20 → rank 19 → 0.19 (not the max);
// - metadata / claude-haiku-4-5 / anthropic: 40 calls, 0.001 … 0.036, three of 0.1 and one of 0.2
//   → rank 38 → 0.1 (a tie at the rank);
// - summary / mixtral / ollama: one call of 0.3 → 0.3;
// - structure / no model / offline: 0.02 and 0.04 → rank 2 → 0.04.
// Per provider, ollama has 21 calls (0.01 … 0.20 and 0.3) → rank 20 → 0.20, below its max 0.3.
const P95_CALLS: CostRecord[] = [
  ...shuffled(20).map((i) =>
    record(`P-CLS-${i}`, (i + 1) * CENT, IN_JUNE(i), { agent: 'classification', tier: 'local', provider: 'ollama', model: 'llama3.2' }),
  ),
  ...shuffled(40).map((i) => record(`P-META-${i}`, i < 36 ? (i + 1) * MILLI : i < 39 ? 0.1 : 0.2, IN_JUNE(i), { agent: 'metadata' })),
  record('P-SUM', 0.3, IN_JUNE(3), { agent: 'summary', tier: 'local', provider: 'ollama', model: 'mixtral' }),
  ...[0.04, 0.02].map((usd, i) => {
    const { model: _model, ...withoutModel } = record(`P-STR-${i}`, usd, IN_JUNE(i), { agent: 'structure', tier: 'local', provider: 'offline' });
    return withoutModel as CostRecord;
  }),
];
const JUNE = 'from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z';

// August 2025: 20 documents (one job each) whose totals are 0.05 … 1.00, each split over two calls.
// Per document and per job: mean 0.525, nearest-rank p95 → rank 19 → 0.95.
const P95_DOCUMENTS: CostRecord[] = shuffled(20).flatMap((i) => [
  record(`P-DOC-${i}`, (i + 1) * 0.02, `2025-08-10T00:00:${String(i).padStart(2, '0')}.000Z`),
  record(`P-DOC-${i}`, (i + 1) * 0.03, `2025-08-11T00:00:${String(i).padStart(2, '0')}.000Z`),
]);
const AUGUST = 'from=2025-08-01T00:00:00Z&to=2025-09-01T00:00:00Z';

describe('Cost API', () => {
  let store: Store;
  let config: AppConfig;
  let api: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    config = loadConfig(
      serviceEnv({ API_JWT_SECRET: SECRET, DOCUMENT_BUDGET_USD: String(DOCUMENT_BUDGET_USD), MONTHLY_BUDGET_USD: String(MONTHLY_BUDGET_USD) }),
    );
    store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
    await store.costRecords.insertMany([...RECORDS, ...P95_CALLS, ...P95_DOCUMENTS]);
    await store.ocrJobs.insertMany(['J-OVER', 'J-OVER2', 'J-UNDER', 'J-EDGE', 'F-OVER'].map(job));
    api = await buildCostApi({ config, store, metrics: createMetrics('cost-api'), logger: pino({ level: 'silent' }) });
    for (const role of ['finance', 'admin', 'reviewer']) {
      tokens[role] = await signToken({ sub: `${role}-1`, roles: [role], secret: SECRET, issuer: config.API_JWT_ISSUER });
    }
  });
  afterAll(async () => {
    await api?.close();
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
  });

  async function get(url: string, token: string | null = tokens['finance']!): Promise<{ status: number; body: any }> {
    const res = await api.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.json() };
  }

  describe('budget', () => {
    it('January: documents over the per-document budget, month boundaries, spend vs the monthly budget', async () => {
      const { status, body } = await get('/costs/budget?month=2026-01');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        month: '2026-01',
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
        document_budget_usd: DOCUMENT_BUDGET_USD,
        monthly_budget_usd: MONTHLY_BUDGET_USD,
        documents: 4,
        documents_over_budget: 2,
        // A past month is over: its projection is its spend.
        month_elapsed_share: 1,
      });
      expect(body.over_budget.map((d: { document_id: string }) => d.document_id)).toEqual(['J-OVER2', 'J-OVER']);
      expect(body.over_budget[1].total_usd).toBeCloseTo(0.6, DIGITS);
      const spent = 0.6 + 0.7 + 0.5 + 0.4;
      expect(body.spent_usd).toBeCloseTo(spent, DIGITS);
      expect(body.remaining_usd).toBeCloseTo(MONTHLY_BUDGET_USD - spent, DIGITS);
      expect(body.share_used).toBeCloseTo(spent / MONTHLY_BUDGET_USD, DIGITS);
      expect(body.projected_month_usd).toBeCloseTo(spent, DIGITS);
    });

    it('February: J-EDGE counts only its February part, so only F-OVER is over', async () => {
      const { body } = await get('/costs/budget?month=2026-02');
      expect(body).toMatchObject({ documents: 2, documents_over_budget: 1, over_budget: [{ document_id: 'F-OVER' }] });
      expect(body.spent_usd).toBeCloseTo(1.3, DIGITS);
    });

    it('limit caps the listed documents but not their count', async () => {
      const { body } = await get('/costs/budget?month=2026-01&limit=1');
      expect(body.documents_over_budget).toBe(2);
      expect(body.over_budget.map((d: { document_id: string }) => d.document_id)).toEqual(['J-OVER2']);
    });

    it('a month with no records: nothing spent, the whole budget remains', async () => {
      const { body } = await get('/costs/budget?month=2025-12');
      expect(body).toMatchObject({ documents: 0, documents_over_budget: 0, over_budget: [], spent_usd: 0, remaining_usd: MONTHLY_BUDGET_USD, share_used: 0 });
    });

    it('no month: the current UTC month', async () => {
      const before = monthOf(new Date());
      const { body } = await get('/costs/budget');
      expect([before, monthOf(new Date())]).toContain(body.month);
    });

    it('projects the current month by linear run-rate; a future month projects 0', async () => {
      const options = { documentBudgetUsd: DOCUMENT_BUDGET_USD, monthlyBudgetUsd: MONTHLY_BUDGET_USD, overBudgetLimit: 10 };
      // Half of February 2026 (28 days) elapsed at the 15th, 00:00: 1.3 spent projects to 2.6.
      const mid = await budgetStatus(store.costRecords, { ...options, month: '2026-02', now: new Date('2026-02-15T00:00:00Z') });
      expect(mid.month_elapsed_share).toBeCloseTo(0.5, DIGITS);
      expect(mid.projected_month_usd).toBeCloseTo(2.6, DIGITS);
      const future = await budgetStatus(store.costRecords, { ...options, month: '2026-02', now: new Date('2026-01-20T00:00:00Z') });
      expect(future).toMatchObject({ month_elapsed_share: 0, projected_month_usd: 0 });
    });

    it('a zero monthly budget gives share_used null', async () => {
      const zero = await budgetStatus(store.costRecords, { month: '2026-01', documentBudgetUsd: 0.5, monthlyBudgetUsd: 0, overBudgetLimit: 10, now: new Date() });
      expect(zero.share_used).toBeNull();
      expect(zero.remaining_usd).toBe(0);
    });
  });

  describe('ranges and documents', () => {
    it('a range is [from, to): the month-end record is in January, the February-first one is not', async () => {
      const { body } = await get('/costs/by/document?from=2026-01-31T00:00:00Z&to=2026-02-01T00:00:00Z');
      expect(body.rows.map((r: { key: string }) => r.key).sort()).toEqual(['J-EDGE', 'J-OVER']);
      expect(body.total_usd).toBeCloseTo(0.7, DIGITS);
    });

    it('/costs/summary over both months', async () => {
      const { body } = await get('/costs/summary?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z');
      expect(body).toMatchObject({ calls: RECORDS.length, documents: 5, price_table_versions: [PRICE_TABLE_VERSION] });
      expect(body.total_usd).toBeCloseTo(RECORDS.reduce((s, r) => s + r.cost_usd, 0), DIGITS);
      expect(body.by_provider.map((r: { key: string }) => r.key)).toEqual(['anthropic', 'ollama']);
    });

    it('/costs/documents/:id splits by agent, tier and provider', async () => {
      const { status, body } = await get('/costs/documents/J-OVER');
      expect(status).toBe(200);
      expect(body).toMatchObject({ document_id: 'J-OVER', job_ids: ['job-J-OVER'], calls: 2 });
      expect(body.by_tier.map((r: { key: string }) => r.key).sort()).toEqual(['escalation', 'local']);
      expect(body.by_agent.map((r: { key: string }) => r.key).sort()).toEqual(['entities', 'metadata']);
      expect(body.total_usd).toBeCloseTo(0.6, DIGITS);
    });

    it('/costs/price-table gives the version and the table', async () => {
      const { status, body } = await get('/costs/price-table');
      expect(status).toBe(200);
      expect(body.version).toBe(PRICE_TABLE_VERSION);
      expect(Object.keys(body.anthropic_usd_per_mtok).sort()).toEqual(Object.keys(ANTHROPIC_PRICES).sort());
      expect(body.gpu_hour_usd).toBe(config.GPU_HOUR_USD);
    });
  });

  describe('mean and p95 (nearest rank)', () => {
    it('nearestRank is ⌈0.95·n⌉, at least 1, 0 for no values', () => {
      expect([0, 1, 2, 19, 20, 21, 40, 100].map((n) => nearestRank(n, 95))).toEqual([0, 1, 2, 19, 19, 20, 38, 95]);
    });

    it.each([
      ['agent', { classification: 0.19, metadata: 0.1, summary: 0.3, structure: 0.04 }],
      ['model', { 'llama3.2': 0.19, 'claude-haiku-4-5': 0.1, mixtral: 0.3, null: 0.04 }],
      ['provider', { ollama: 0.2, anthropic: 0.1, offline: 0.04 }],
    ] as const)('/costs/by/%s: each row has the p95 of its calls, with calls, total and mean per call', async (dimension, expected) => {
      const { status, body } = await get(`/costs/by/${dimension}?${JUNE}`);
      expect(status).toBe(200);
      const byKey = Object.fromEntries(body.rows.map((r: { key: string | null }) => [String(r.key), r]));
      expect(Object.keys(byKey).sort()).toEqual(Object.keys(expected).sort());
      for (const [key, p95] of Object.entries(expected)) {
        const calls = P95_CALLS.filter((r) => String(r[dimension] ?? null) === key);
        const total = calls.reduce((s, r) => s + r.cost_usd, 0);
        expect(byKey[key].p95_usd_per_call, `p95 per call of ${key}`).toBe(p95);
        expect(byKey[key].calls).toBe(calls.length);
        expect(byKey[key].total_usd).toBeCloseTo(total, DIGITS);
        expect(byKey[key].mean_usd_per_call).toBeCloseTo(total / calls.length, DIGITS);
      }
      expect(body.calls).toBe(P95_CALLS.length);
    });

    it('/costs/summary gives each provider the p95 of its calls', async () => {
      const { body } = await get(`/costs/summary?${JUNE}`);
      const p95s = Object.fromEntries(body.by_provider.map((r: { key: string; p95_usd_per_call: number }) => [r.key, r.p95_usd_per_call]));
      expect(p95s).toEqual({ ollama: 0.2, anthropic: 0.1, offline: 0.04 });
    });

    it.each(['document', 'job'] as const)('/costs/by/%s: mean and p95 of the per-%s totals', async (dimension) => {
      const { body } = await get(`/costs/by/${dimension}?${AUGUST}`);
      expect(body).toMatchObject({ groups: 20, calls: 40 });
      expect(body.mean_usd_per_group).toBeCloseTo(0.525, DIGITS);
      expect(body.p95_usd_per_group).toBeCloseTo(0.95, DIGITS);
      expect(body.rows[0]).not.toHaveProperty('p95_usd_per_call');
    });

    it('/costs/summary: mean and p95 per document use the same rank', async () => {
      const { body } = await get(`/costs/summary?${AUGUST}`);
      expect(body).toMatchObject({ documents: 20, calls: 40 });
      expect(body.mean_usd_per_document).toBeCloseTo(0.525, DIGITS);
      expect(body.p95_usd_per_document).toBeCloseTo(0.95, DIGITS);
    });

    it('/costs/by/agent: p95 of the per-agent totals is over every group, not only the rows returned', async () => {
      // Agent totals in June: classification 2.10, metadata 1.166, summary 0.30, structure 0.06 → rank 4 of 4.
      const { body } = await get(`/costs/by/agent?${JUNE}&limit=1`);
      expect(body.rows.map((r: { key: string }) => r.key)).toEqual(['classification']);
      expect(body.groups).toBe(4);
      expect(body.p95_usd_per_group).toBeCloseTo(2.1, DIGITS);
      expect(body.mean_usd_per_group).toBeCloseTo((2.1 + 1.166 + 0.3 + 0.06) / 4, DIGITS);
    });
  });

  describe('schema rejections', () => {
    it.each([
      ['an unknown dimension', '/costs/by/customer'],
      ['a date that is not ISO date-time', '/costs/summary?from=yesterday'],
      ['a date without a time', '/costs/summary?from=2026-01-01'],
      ['from after to', '/costs/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
      ['from equal to to', '/costs/summary?from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z'],
      ['a $-key in the query', '/costs/summary?$where=1'],
      ['an operator-shaped key', '/costs/summary?from[$gt]=2026-01-01T00:00:00Z'],
      ['a dotted key', '/costs/by/agent?created_at.%24gt=1'],
      ['an unknown key', '/costs/price-table?version=1'],
      ['a $ document id', '/costs/documents/%24gt'],
      ['a document id with a space', '/costs/documents/a%20b'],
      ['limit 0', '/costs/by/document?limit=0'],
      [`limit above ${MAX_ROWS}`, `/costs/by/document?limit=${MAX_ROWS + 1}`],
      ['month 13', '/costs/budget?month=2026-13'],
      ['a one-digit month', '/costs/budget?month=2026-1'],
    ])('%s → 400', async (_name, url) => {
      const { status, body } = await get(url);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'Bad Request', message: expect.any(String) });
    });

    it('an unknown document → 404', async () => {
      expect((await get('/costs/documents/NOPE')).status).toBe(404);
    });
  });

  describe('auth', () => {
    it('finance and admin are served', async () => {
      expect((await get('/costs/summary', tokens['finance']!)).status).toBe(200);
      expect((await get('/costs/summary', tokens['admin']!)).status).toBe(200);
    });

    it('a reviewer gets 403', async () => {
      const { status, body } = await get('/costs/budget?month=2026-01', tokens['reviewer']!);
      expect(status).toBe(403);
      expect(body.error).toBe('Forbidden');
    });

    it('no token, an expired token, a wrongly signed token → 401', async () => {
      expect((await get('/costs/summary', null)).status).toBe(401);
      const expired = await signToken({ sub: 'f', roles: ['finance'], secret: SECRET, issuer: config.API_JWT_ISSUER, expiresIn: Math.floor(Date.now() / 1000) - 60 });
      expect((await get('/costs/summary', expired)).status).toBe(401);
      const forged = await signToken({ sub: 'f', roles: ['finance'], secret: randomBytes(32).toString('base64url'), issuer: config.API_JWT_ISSUER });
      expect((await get('/costs/summary', forged)).status).toBe(401);
    });

    it('/health needs no token; /docs lists the cost routes', async () => {
      expect((await get('/health', null)).status).toBe(200);
      const spec = await api.inject({ method: 'GET', url: '/docs/json', headers: { authorization: `Bearer ${tokens['finance']}` } });
      expect(spec.statusCode).toBe(200);
      const paths = Object.keys(spec.json().paths);
      for (const p of ['/costs/summary', '/costs/by/{dimension}', '/costs/documents/{documentId}', '/costs/budget', '/costs/price-table']) expect(paths).toContain(p);
    });
  });
});
