/**
 * The Review API through `app.inject` on the real FerretDB: listing filters, sorts and cursor
 * pagination, one item's detail (from a real pipeline run), decisions with the optimistic version
 * check, corrections that re-score completeness, the decision record, stats, and the schema
 * refusals of injection payloads and oversized bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig, type AppConfig } from '../../app/src/config.js';
import { scoreCompleteness } from '../../app/src/domain/completeness.js';
import { DOCUMENT_TYPE_SCHEMAS } from '../../app/src/domain/document-types.js';
import { FIELD_OWNERS, type DocumentType, type ExtractedField, type FieldName } from '../../app/src/domain/fields.js';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { FORBIDDEN_JSON_KEY_MESSAGE, UNSUPPORTED_MEDIA_TYPE_MESSAGE } from '../../app/src/services/http/service-app.js';
import { buildReviewApi } from '../../app/src/services/review-api/app.js';
import type { CostRecord, EnrichedDocument, ReviewDecision, ReviewItem } from '../../app/src/store/collections.js';
import { Store } from '../../app/src/store/store.js';
import { newApiSecret, tokenFactory } from '../support/api-tokens.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { serviceEnv } from '../support/services.js';

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const { secret, issuer } = newApiSecret();
const tokens = tokenFactory(secret, issuer);
const T0 = new Date('2026-01-01T00:00:00Z');

function field(name: FieldName, value: unknown, confidence = 0.9, valid = true): ExtractedField {
  return { value, confidence, agent: FIELD_OWNERS[name], provider: 'offline', model: 'rules', valid, ...(valid ? {} : { invalid_reason: 'bad' }) };
}

/** A receipt with every required field valid except those listed as absent, invalid or low. */
function receiptFields(opts: { absent?: FieldName[]; low?: FieldName[] } = {}): Partial<Record<FieldName, ExtractedField>> {
  const all: Partial<Record<FieldName, ExtractedField>> = {
    document_type: field('document_type', 'receipt'),
    vendor_name: field('vendor_name', 'KEDAI MAJU'),
    vendor_address: field('vendor_address', '12 Jalan Mawar, Johor'),
    document_date: field('document_date', '2018-03-14'),
    total_amount: field('total_amount', 7.5),
    currency: field('currency', 'MYR'),
    title: field('title', 'Receipt from Kedai Maju'),
    summary: field('summary', 'A receipt for groceries bought at Kedai Maju.'),
  };
  for (const f of opts.absent ?? []) delete all[f];
  for (const f of opts.low ?? []) all[f] = { ...all[f]!, confidence: 0.3 };
  return all;
}

/** Writes an enriched document and its pending review item the way the worker does. */
async function seedItem(
  store: Store,
  config: AppConfig,
  id: string,
  opts: { type?: DocumentType; fields: Partial<Record<FieldName, ExtractedField>>; createdAt: Date },
): Promise<void> {
  const type = opts.type ?? 'receipt';
  const report = scoreCompleteness(type, opts.fields, { minFieldConfidence: config.AUTO_APPROVE_MIN_FIELD_CONFIDENCE });
  const now = opts.createdAt;
  const doc: EnrichedDocument = {
    _id: id,
    document_id: id,
    job_id: `job-${id}`,
    document_type: type,
    fields: opts.fields,
    required_fields: [...DOCUMENT_TYPE_SCHEMAS[type].required],
    missing_fields: report.missing,
    invalid_fields: report.invalid,
    low_confidence_fields: report.lowConfidence,
    completeness_score: report.completenessScore,
    approval_status: 'pending_review',
    approval_reasons: ['seeded'],
    cost_usd: 0,
    model_calls: 0,
    phases: ['offline'],
    created_at: now,
    updated_at: now,
  };
  const item: ReviewItem = {
    _id: id,
    document_id: id,
    job_id: `job-${id}`,
    document_type: type,
    status: 'pending',
    missing_fields: report.missing,
    invalid_fields: report.invalid,
    low_confidence_fields: report.lowConfidence,
    completeness_score: report.completenessScore,
    reasons: ['seeded'],
    version: 1,
    created_at: now,
    updated_at: now,
  };
  await store.enrichedDocuments.insertOne(doc);
  await store.reviewQueue.insertOne(item);
}

describe('Review API', () => {
  let app: FastifyInstance;
  let store: Store;
  let config: AppConfig;
  let reviewer: string;

  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: reviewer } });
  const post = (url: string, payload: unknown, authorization = reviewer) =>
    app.inject({ method: 'POST', url, headers: { authorization }, payload: payload as Record<string, unknown> });

  beforeAll(async () => {
    config = loadConfig(serviceEnv({ API_JWT_SECRET: secret, API_JWT_ISSUER: issuer, API_BODY_LIMIT_BYTES: '4096' }));
    store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
    app = await buildReviewApi({ config, store, metrics: createMetrics('review-api'), logger: quiet });
    await app.ready();
    reviewer = await tokens.bearer('alice', ['reviewer']);
    // Completeness: A 6/8, B 7/8, C 8/8 but low confidence, D 5/8, E an "other" with 1/3.
    await seedItem(store, config, 'A', { fields: receiptFields({ absent: ['vendor_name', 'vendor_address'] }), createdAt: new Date(T0.getTime() + 3000) });
    await seedItem(store, config, 'B', { fields: receiptFields({ absent: ['total_amount'] }), createdAt: new Date(T0.getTime() + 1000) });
    await seedItem(store, config, 'C', { fields: receiptFields({ low: ['summary'] }), createdAt: new Date(T0.getTime() + 4000) });
    await seedItem(store, config, 'D', { fields: receiptFields({ absent: ['title', 'summary', 'currency'] }), createdAt: new Date(T0.getTime() + 2000) });
    await seedItem(store, config, 'E', {
      type: 'other',
      fields: { document_type: field('document_type', 'other') , title: field('title', 'x', 0.9, false) },
      createdAt: new Date(T0.getTime() + 5000),
    });
  });
  afterAll(async () => {
    await app.close();
    await store.db.dropDatabase();
    await store.close();
  });

  describe('GET /reviews', () => {
    const ids = async (url: string) => ((await get(url)).json() as { items: { document_id: string }[] }).items.map((i) => i.document_id);

    it('sorts by uncertainty (lowest completeness first) and by age (oldest first)', async () => {
      expect(await ids('/reviews?sort=uncertainty')).toEqual(['E', 'D', 'A', 'B', 'C']);
      expect(await ids('/reviews?sort=age')).toEqual(['B', 'D', 'A', 'C', 'E']);
    });

    it('filters by document type, missing field and agent', async () => {
      expect(await ids('/reviews?document_type=other')).toEqual(['E']);
      expect(await ids('/reviews?missing_field=total_amount')).toEqual(['B']);
      // title is invalid (not absent) on E: invalid counts as missing.
      expect(await ids('/reviews?missing_field=title&sort=age')).toEqual(['D', 'E']);
      // metadata owns vendor_name/vendor_address; summary owns title/summary (low confidence on C counts).
      expect(await ids('/reviews?agent=metadata')).toEqual(['A']);
      expect(await ids('/reviews?agent=summary&sort=age')).toEqual(['D', 'C', 'E']);
      expect(await ids('/reviews?agent=classification')).toEqual([]);
    });

    it('pages with an opaque cursor until the last page', async () => {
      for (const sort of ['uncertainty', 'age'] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 10; page++) {
          const res = await get(`/reviews?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.statusCode).toBe(200);
          const body = res.json() as { items: { document_id: string }[]; next_cursor: string | null };
          expect(body.items.length).toBeLessThanOrEqual(2);
          seen.push(...body.items.map((i) => i.document_id));
          cursor = body.next_cursor;
          if (!cursor) break;
        }
        expect(seen).toEqual(await ids(`/reviews?sort=${sort}`));
      }
    });

    it('refuses a cursor of another sort or a forged one', async () => {
      const first = (await get('/reviews?sort=age&limit=1')).json() as { next_cursor: string };
      expect((await get(`/reviews?sort=uncertainty&cursor=${first.next_cursor}`)).statusCode).toBe(400);
      expect((await get('/reviews?cursor=bm90LWpzb24')).statusCode).toBe(400);
    });

    it('refuses unknown query keys and bad values', async () => {
      expect((await get('/reviews?status[$ne]=pending')).statusCode).toBe(400);
      expect((await get('/reviews?status=open')).statusCode).toBe(400);
      expect((await get('/reviews?limit=1000')).statusCode).toBe(400);
      expect((await get('/reviews?foo=1')).statusCode).toBe(400);
    });
  });

  describe('decisions', () => {
    it('lets exactly one of two concurrent approvals of one version win', async () => {
      const bob = await tokens.bearer('bob', ['reviewer']);
      const [r1, r2] = await Promise.all([post('/reviews/A/approve', { version: 1 }), post('/reviews/A/approve', { version: 1 }, bob)]);
      expect([r1.statusCode, r2.statusCode].sort()).toEqual([200, 409]);
      const winner = r1.statusCode === 200 ? r1 : r2;
      expect(winner.json().item).toMatchObject({ status: 'approved', version: 2 });
      const loser = r1.statusCode === 409 ? r1 : r2;
      expect(loser.json()).toMatchObject({ error: 'Conflict' });
      const recorded = await store.db.collection<ReviewDecision>('review_decisions').find({ document_id: 'A' }).toArray();
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({ decision: 'approve', reviewer: winner.json().decision.reviewer, before: { status: 'pending', version: 1 }, after: { status: 'approved', version: 2 } });
      // Decided: a later decision on the new version is a conflict too (not pending any more).
      expect((await post('/reviews/A/reject', { version: 2, reason: 'late' })).statusCode).toBe(409);
    });

    it('rejects with a reason, recorded with the reviewer and the time', async () => {
      const before = Date.now();
      const res = await post('/reviews/E/reject', { version: 1, reason: 'not a business document' });
      expect(res.statusCode).toBe(200);
      expect(res.json().item).toMatchObject({ status: 'rejected', version: 2 });
      const d = await store.db.collection<ReviewDecision>('review_decisions').findOne({ document_id: 'E' });
      expect(d).toMatchObject({ decision: 'reject', reviewer: 'alice', reason: 'not a business document' });
      expect(d!.decided_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(d!.day).toBe(d!.decided_at.toISOString().slice(0, 10));
    });

    it('answers 404 for an unknown item and 409 for a stale version', async () => {
      expect((await post('/reviews/NOPE/approve', { version: 1 })).statusCode).toBe(404);
      expect((await post('/reviews/B/approve', { version: 7 })).statusCode).toBe(409);
    });

    it('re-scores completeness on a partial correction and keeps the item pending', async () => {
      const res = await post('/reviews/D/corrections', { version: 1, fields: { title: 'Receipt from Kedai Maju', currency: 'MYR' } });
      expect(res.statusCode).toBe(200);
      const item = res.json().item;
      expect(item).toMatchObject({ status: 'pending', version: 2, missing_fields: ['summary'] });
      expect(item.completeness_score).toBeCloseTo(7 / 8, 10);
      const doc = await store.enrichedDocuments.findOne({ _id: 'D' });
      expect(doc!.completeness_score).toBeCloseTo(7 / 8, 10);
      expect(doc!.fields.title).toEqual({ value: 'Receipt from Kedai Maju', confidence: 1, agent: 'summary', provider: 'human', model: 'alice', valid: true });
      const d = await store.db.collection<ReviewDecision>('review_decisions').findOne({ _id: 'D:v1' });
      expect(d!.before.fields).toEqual({ title: null, currency: null });
      expect(d!.after.fields.currency).toMatchObject({ value: 'MYR', provider: 'human' });
      expect(d!.before.completeness_score).toBeCloseTo(5 / 8, 10);
    });

    it('approves the item when a correction completes it, recording before and after values', async () => {
      const res = await post('/reviews/D/corrections', { version: 2, fields: { summary: 'Groceries bought at Kedai Maju in Johor.' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().item).toMatchObject({ status: 'approved', version: 3, completeness_score: 1, missing_fields: [], reasons: [] });
      // A correction of an existing low-confidence value keeps the old value in `before`.
      const c = await post('/reviews/C/corrections', { version: 1, fields: { summary: 'A grocery receipt from Kedai Maju, Johor.' } });
      expect(c.statusCode).toBe(200);
      expect(c.json().item.status).toBe('approved');
      const d = await store.db.collection<ReviewDecision>('review_decisions').findOne({ _id: 'C:v1' });
      expect(d!.before.fields.summary).toMatchObject({ value: 'A receipt for groceries bought at Kedai Maju.', confidence: 0.3, provider: 'offline' });
      expect(d!.after.fields.summary).toMatchObject({ value: 'A grocery receipt from Kedai Maju, Johor.', confidence: 1 });
    });

    it('approves when a correction completes the document, although other required fields keep a low model confidence', async () => {
      // Missing total_amount; vendor_name and document_date present but at 0.3 < AUTO_APPROVE_MIN_FIELD_CONFIDENCE.
      await seedItem(store, config, 'F', { fields: receiptFields({ absent: ['total_amount'], low: ['vendor_name', 'document_date'] }), createdAt: new Date(T0.getTime() + 6000) });
      const res = await post('/reviews/F/corrections', { version: 1, fields: { total_amount: 7.5 } });
      expect(res.statusCode).toBe(200);
      expect(res.json().item).toMatchObject({
        status: 'approved',
        version: 2,
        completeness_score: 1,
        missing_fields: [],
        invalid_fields: [],
        // Still reported: the reviewer saw them and left them as they are.
        low_confidence_fields: ['vendor_name', 'document_date'],
        reasons: [],
      });
      const doc = await store.enrichedDocuments.findOne({ _id: 'F' });
      expect(doc!.fields.total_amount).toEqual({ value: 7.5, confidence: 1, agent: FIELD_OWNERS.total_amount, provider: 'human', model: 'alice', valid: true });
      expect(doc!.fields.vendor_name).toMatchObject({ confidence: 0.3, provider: 'offline' });
      expect(doc!).toMatchObject({ completeness_score: 1, approval_reasons: [] });
      const d = await store.db.collection<ReviewDecision>('review_decisions').findOne({ _id: 'F:v1' });
      expect(d).toMatchObject({ decision: 'correct', reviewer: 'alice', before: { status: 'pending', version: 1, fields: { total_amount: null } } });
      expect(d!.before.completeness_score).toBeCloseTo(7 / 8, 10);
      expect(d!.after).toMatchObject({ status: 'approved', version: 2, completeness_score: 1, fields: { total_amount: { value: 7.5, confidence: 1, provider: 'human' } } });
    });

    it('keeps the item pending with the new score when a required field is still missing', async () => {
      await seedItem(store, config, 'G', { fields: receiptFields({ absent: ['total_amount', 'currency'], low: ['vendor_name'] }), createdAt: new Date(T0.getTime() + 7000) });
      const res = await post('/reviews/G/corrections', { version: 1, fields: { total_amount: 7.5 } });
      expect(res.statusCode).toBe(200);
      const item = res.json().item;
      expect(item).toMatchObject({ status: 'pending', version: 2, missing_fields: ['currency'], low_confidence_fields: ['vendor_name'] });
      expect(item.completeness_score).toBeCloseTo(7 / 8, 10);
      // Only the completeness shortfall holds it back now, not the low confidence.
      expect(item.reasons).toEqual([`completeness 0.875 < ${config.AUTO_APPROVE_MIN_COMPLETENESS} (missing: currency)`]);
      const stored = await store.reviewQueue.findOne({ _id: 'G' });
      expect(stored).toMatchObject({ status: 'pending', version: 2, missing_fields: ['currency'] });
      expect((await store.enrichedDocuments.findOne({ _id: 'G' }))!.completeness_score).toBeCloseTo(7 / 8, 10);
      // The optimistic check still holds: the pre-correction version is stale now.
      expect((await post('/reviews/G/corrections', { version: 1, fields: { currency: 'MYR' } })).statusCode).toBe(409);
    });

    it('refuses corrections whose values fail the field schema', async () => {
      const bad = await post('/reviews/B/corrections', { version: 1, fields: { document_date: '2018-02-30' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('not a calendar date');
      expect((await post('/reviews/B/corrections', { version: 1, fields: { total_amount: -3 } })).statusCode).toBe(400);
      expect((await post('/reviews/B/corrections', { version: 1, fields: {} })).statusCode).toBe(400);
      expect((await store.reviewQueue.findOne({ _id: 'B' }))!.version).toBe(1);
    });
  });

  describe('schema refusals (operator injection, oversized bodies)', () => {
    it.each([
      ['an operator as the version', { version: { $gt: '' } }],
      ['an operator as a field value', { version: 1, fields: { vendor_name: { $gt: '' } } }],
      ['a $-prefixed key', { version: 1, $where: 'sleep(1000)' }],
      ['a $-prefixed field name', { version: 1, fields: { $set: { status: 'approved' } } }],
      ['a dotted key', { version: 1, fields: { 'vendor_name.value': 'x' } }],
      ['a $-key inside a nested value', { version: 1, fields: { line_items: [{ description: 'x', quantity: 1, unit_price: 1, amount: 1, $gt: 1 }] } }],
    ])('refuses %s with 400', async (_name, payload) => {
      const res = await post('/reviews/B/corrections', payload);
      expect(res.statusCode).toBe(400);
      // Refused by the route schema (ajv reports `body...`), before any handler code runs.
      expect(res.json()).toMatchObject({ error: 'Bad Request', message: expect.stringMatching(/^body/) });
      expect((await store.reviewQueue.findOne({ _id: 'B' }))!.version).toBe(1);
    });

    it('refuses an operator in a reject reason and extra keys on approve', async () => {
      expect((await post('/reviews/B/reject', { version: 1, reason: { $ne: null } })).statusCode).toBe(400);
      expect((await post('/reviews/B/approve', { version: 1, status: 'approved' })).statusCode).toBe(400);
    });

    it('refuses a path id outside the id alphabet', async () => {
      expect((await get('/reviews/%24where')).statusCode).toBe(400);
      expect((await post('/reviews/a%20b/approve', { version: 1 })).statusCode).toBe(400);
    });

    const raw = (url: string, contentType: string | undefined, body: string) =>
      app.inject({ method: 'POST', url, headers: { authorization: reviewer, ...(contentType ? { 'content-type': contentType } : {}) }, payload: body });

    it.each([
      ['text/plain', 'text/plain'],
      ['a form post', 'application/x-www-form-urlencoded'],
      ['no content type', undefined],
    ])('refuses a body sent as %s with 415', async (_name, contentType) => {
      const res = await raw('/reviews/B/approve', contentType, contentType?.includes('form') ? 'version=1' : '{"version":1}');
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({ error: 'Unsupported Media Type', message: UNSUPPORTED_MEDIA_TYPE_MESSAGE });
      expect((await store.reviewQueue.findOne({ _id: 'B' }))!.version).toBe(1);
    });

    it('accepts application/json with a charset', async () => {
      // Past the parser and the schema: an unknown item is a 404.
      expect((await raw('/reviews/NOPE/approve', 'application/json; charset=utf-8', '{"version":1}')).statusCode).toBe(404);
    });

    it.each([
      ['a top-level __proto__ key', '/reviews/B/approve', '{"version":1,"__proto__":{"status":"approved"}}'],
      ['a nested __proto__ key', '/reviews/B/corrections', '{"version":1,"fields":{"vendor_name":"x","__proto__":{"valid":true}}}'],
      ['a constructor key holding prototype', '/reviews/B/approve', '{"version":1,"constructor":{"prototype":{"status":"approved"}}}'],
    ])('refuses JSON with %s with 400, saying why', async (_name, url, body) => {
      const res = await raw(url, 'application/json', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'Bad Request', message: FORBIDDEN_JSON_KEY_MESSAGE });
      expect((await store.reviewQueue.findOne({ _id: 'B' }))!.version).toBe(1);
    });

    it('keeps fastify\'s messages for malformed and empty JSON', async () => {
      const malformed = await raw('/reviews/B/approve', 'application/json', '{"version":1,');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ error: 'Bad Request', message: "Body is not valid JSON but content-type is set to 'application/json'" });
      const empty = await raw('/reviews/B/approve', 'application/json', '');
      expect(empty.statusCode).toBe(400);
      expect(empty.json().message).toMatch(/empty/i);
    });

    it('refuses a body over API_BODY_LIMIT_BYTES with 413', async () => {
      const res = await post('/reviews/B/reject', { version: 1, reason: 'x'.repeat(5000) });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'Payload Too Large' });
      expect((await store.reviewQueue.findOne({ _id: 'B' }))!.status).toBe('pending');
    });
  });

  describe('GET /queue/stats', () => {
    it('counts items per status, the oldest pending age and decisions per day', async () => {
      const res = await get('/queue/stats');
      expect(res.statusCode).toBe(200);
      const s = res.json();
      const pending = await store.reviewQueue.countDocuments({ status: 'pending' });
      expect(s.pending).toBe(pending);
      // Five seeded before all tests, F and G by the correction tests.
      expect(s.pending + s.approved + s.rejected).toBe(7);
      // B (T0 + 1 s) is the oldest still pending.
      expect(s.oldest_pending_created_at).toBe(new Date(T0.getTime() + 1000).toISOString());
      expect(s.oldest_pending_age_seconds).toBeGreaterThan((Date.now() - T0.getTime()) / 1000 - 60);
      const decisions = await store.db.collection<ReviewDecision>('review_decisions').find().toArray();
      const today = new Date().toISOString().slice(0, 10);
      const todays = s.decisions_per_day.find((d: { day: string }) => d.day === today);
      expect(todays).toEqual({
        day: today,
        approve: decisions.filter((d) => d.decision === 'approve').length,
        reject: decisions.filter((d) => d.decision === 'reject').length,
        correct: decisions.filter((d) => d.decision === 'correct').length,
        total: decisions.length,
      });
    });
  });
});

describe('Review API on a real pipeline run', () => {
  let h: Harness;
  let app: FastifyInstance;
  beforeAll(async () => {
    h = await startHarness({ env: { API_JWT_SECRET: secret, API_JWT_ISSUER: issuer } });
    const files = await writeDocuments({
      // Too little text for a vendor, address, date or total: lands in the review queue.
      'sparse.json': { id: 'SPARSE-1', ocr_lines: ['THANK YOU', 'PLEASE COME AGAIN'] },
    });
    const batch = await h.submit(files);
    await h.waitForBatch(batch.batch_id);
    app = await buildReviewApi({ config: h.config, store: h.store, metrics: createMetrics('review-api'), logger: quiet });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('shows the item with its OCR lines, fields with agent and confidence, and the cost so far', async () => {
    const item = await h.store.reviewQueue.findOne({ _id: 'SPARSE-1' });
    expect(item, 'the sparse document should need review').not.toBeNull();
    // The worker keeps the spend on the document: it must equal the cost records it wrote.
    const written = await h.store.costRecords.find({ enrichment_job_id: item!.job_id }).toArray();
    expect(written.length).toBeGreaterThan(0);
    const res = await app.inject({ method: 'GET', url: '/reviews/SPARSE-1', headers: { authorization: await tokens.bearer('alice', ['admin']) } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ocr_lines).toEqual(['THANK YOU', 'PLEASE COME AGAIN']);
    expect(body.cost.calls).toBe(written.length);
    expect(body.cost.usd).toBeCloseTo(written.reduce((s, r) => s + r.cost_usd, 0), 10);
    const doc = await h.store.enrichedDocuments.findOne({ _id: 'SPARSE-1' });
    expect(body.fields.map((f: { field: string }) => f.field).sort()).toEqual(Object.keys(doc!.fields).sort());
    for (const f of body.fields) {
      expect(f.agent).toBe(FIELD_OWNERS[f.field as FieldName]);
      expect(f.confidence).toBeGreaterThanOrEqual(0);
    }
    expect(body.missing_fields).toEqual(doc!.missing_fields);
    expect(body.item).toMatchObject({ status: 'pending', version: 1 });
    expect((await app.inject({ method: 'GET', url: '/reviews/UNKNOWN', headers: { authorization: await tokens.bearer('alice', ['admin']) } })).statusCode).toBe(404);
  });

  it('sums the cost records for a document written before model_calls existed', async () => {
    const item = await h.store.reviewQueue.findOne({ _id: 'SPARSE-1' });
    // Offline models cost $0: add priced records so the sum is a real check.
    const extra: CostRecord[] = [0.0123, 0.2].map((usd, i) => ({
      _id: `extra-${i}`,
      enrichment_job_id: item!.job_id,
      document_id: 'SPARSE-1',
      agent: 'metadata',
      tier: 'escalation',
      job_attempt: 1,
      prompt_version: 'v1',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      attempt: 1,
      outcome: 'ok',
      input_tokens: 100,
      output_tokens: 10,
      duration_seconds: 1,
      gpu_seconds: 0,
      cost_usd: usd,
      price_table_version: 'test',
      created_at: new Date(),
    }));
    await h.store.writeCostRecords(extra);
    await h.store.enrichedDocuments.updateOne({ _id: 'SPARSE-1' }, { $unset: { model_calls: '' } });
    const records = await h.store.costRecords.find({ enrichment_job_id: item!.job_id }).toArray();
    expect(records.length).toBeGreaterThan(extra.length);
    const res = await app.inject({ method: 'GET', url: '/reviews/SPARSE-1', headers: { authorization: await tokens.bearer('alice', ['admin']) } });
    expect(res.statusCode).toBe(200);
    expect(res.json().cost.calls).toBe(records.length);
    expect(res.json().cost.usd).toBeCloseTo(records.reduce((s, r) => s + r.cost_usd, 0), 10);
  });
});
