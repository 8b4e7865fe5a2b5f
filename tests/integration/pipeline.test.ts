/**
 * The pipeline end to end against the real nsqd and FerretDB: submit → NSQ → EnrichmentWorker →
 * five MCP agents (offline provider) → enriched_documents, review_queue and cost_records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NAMES } from '../../app/src/domain/fields.js';
import { sweepOutbox } from '../../app/src/queue/outbox.js';
import { submitFiles } from '../../app/src/pipeline/ingest.js';
import { buildRunReport } from '../../app/src/reporting/run-report.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { FORM_A, RECEIPT_A, RECEIPT_B } from '../support/synthetic-documents.js';

describe('pipeline: submit → NSQ → worker → agents → MongoDB', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('enriches good documents, rejects bad ones with reasons, and keeps going', async () => {
    const files = await writeDocuments({
      'a.json': RECEIPT_A,
      'b.json': RECEIPT_B,
      'c.json': FORM_A,
      'd-malformed.json': '{"id": "BROKEN", "ocr_lines": [',
      'e-empty.json': { id: 'EMPTY', ocr_lines: ['', '  '] },
      'f-bad-utf8.json': new Uint8Array([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      'g-duplicate.json': { ...RECEIPT_A },
      'h-too-large.json': { id: 'HUGE', ocr_lines: Array.from({ length: 300 }, () => 'x'.repeat(1024)) },
      'i-no-lines.json': { id: 'NOLINES' },
      'j-long-line.json': { id: 'LONGLINE', ocr_lines: ['x'.repeat(5000)] },
      'k-many-lines.json': { id: 'MANYLINES', ocr_lines: Array.from({ length: 5001 }, () => 'x') },
      'l-huge-file.json': JSON.stringify({ id: 'HUGEFILE', ocr_lines: ['x'], padding: 'p'.repeat(1_200_000) }),
    });
    const result = await h.submit(files);
    expect(result.accepted).toBe(3);
    expect(result.rejected).toBe(9);
    const reasons = Object.fromEntries(result.jobs.filter((j) => j.status === 'rejected').map((j) => [j.file.split('/').pop(), j.reason]));
    expect(reasons['d-malformed.json']).toMatch(/^malformed JSON/);
    expect(reasons['e-empty.json']).toMatch(/^no text/);
    expect(reasons['f-bad-utf8.json']).toBe('invalid UTF-8');
    expect(reasons['g-duplicate.json']).toMatch(/^duplicate document id "SYN-RCPT-0001"/);
    expect(reasons['h-too-large.json']).toMatch(/over the limit of 262144/);
    expect(reasons['i-no-lines.json']).toMatch(/ocr_lines/);
    // Ingest's bounds are the agents' input bounds: what is accepted always reaches the agents.
    expect(reasons['j-long-line.json']).toMatch(/a line is longer than 4000 characters/);
    expect(reasons['k-many-lines.json']).toMatch(/more than 5000 lines/);
    // A file far over the text limit is refused from its size, before it is read.
    expect(reasons['l-huge-file.json']).toMatch(/^file is \d+ bytes, over the limit of 1048576/);

    await h.waitForBatch(result.batch_id);
    const jobs = await h.store.ocrJobs.find({ batch_id: result.batch_id }).toArray();
    expect(jobs.filter((j) => j.status === 'rejected')).toHaveLength(9);
    expect(jobs.filter((j) => j.status === 'rejected').every((j) => j.reject_reason)).toBe(true);
    const completed = jobs.filter((j) => j.status === 'completed');
    expect(completed.map((j) => j.document_id).sort()).toEqual(['SYN-FORM-0001', 'SYN-RCPT-0001', 'SYN-RCPT-0002']);

    const docs = await h.store.enrichedDocuments.find().toArray();
    expect(docs).toHaveLength(3);
    const a = docs.find((d) => d.document_id === 'SYN-RCPT-0001')!;
    expect(a.document_type).toBe('receipt');
    expect(a.fields.total_amount?.value).toBe(7.5);
    expect(a.fields.document_date?.value).toBe('2018-03-14');
    expect(a.fields.total_amount?.agent).toBe('entities');
    expect(a.completeness_score).toBeGreaterThan(0.5);
    const form = docs.find((d) => d.document_id === 'SYN-FORM-0001')!;
    expect(form.document_type).toBe('form');

    // One cost record per model call: phase 0 calls each of the five agents once per document.
    const costs = await h.store.costRecords.find().toArray();
    expect(costs).toHaveLength(3 * AGENT_NAMES.length);
    expect(new Set(costs.map((c) => c.provider))).toEqual(new Set(['offline']));
    expect(costs.every((c) => c.cost_usd === 0 && c.prompt_version.match(/^\d+\.\d+\.\d+$/))).toBe(true);

    // The run report is built from what was stored (grouped sums run on the server).
    const report = await buildRunReport({ store: h.store, batchId: result.batch_id, corpus: 'test', providerMode: 'offline', models: {}, startedAt: new Date(), finishedAt: new Date() });
    expect(report.documents).toEqual({ submitted: 12, accepted: 3, rejected: 9, completed: 3, failed: 0, lost: 0, unfinished: 0 });
    expect(report.cost_breakdown.by_provider).toEqual({ offline: { calls: 15, usd: 0 } });
    expect(Object.values(report.cost_breakdown.by_agent).map((a) => a.calls)).toEqual([3, 3, 3, 3, 3]);
    expect(report.accuracy.total_amount?.total).toBe(2);
    expect(report.key_value_pairs.total).toBe(2);
    expect(report.rejections).toHaveLength(9);
    expect(report.per_document).toHaveLength(3);

    // Every document is either auto-approved or has exactly one pending review item.
    const review = await h.store.reviewQueue.find().toArray();
    for (const d of docs) {
      const items = review.filter((r) => r.document_id === d.document_id);
      expect(items).toHaveLength(d.approval_status === 'auto_approved' ? 0 : 1);
      if (items[0]) expect(items[0].status).toBe('pending');
    }
  });

  it('a redelivered message does not duplicate documents or cost records', async () => {
    const files = await writeDocuments({ 'r.json': { ...RECEIPT_B, id: 'SYN-REDELIVER-1' } });
    const { batch_id, jobs } = await h.submit(files);
    await h.waitForBatch(batch_id);
    const jobId = jobs[0]!.job_id;
    const before = {
      docs: await h.store.enrichedDocuments.countDocuments({ document_id: 'SYN-REDELIVER-1' }),
      costs: await h.store.costRecords.countDocuments({ enrichment_job_id: jobId }),
      review: await h.store.reviewQueue.countDocuments({ document_id: 'SYN-REDELIVER-1' }),
    };
    expect(before.docs).toBe(1);
    expect(before.costs).toBe(AGENT_NAMES.length);

    // NSQ is at-least-once: deliver the same job twice more.
    await h.publisher.publish(h.config.NSQ_TOPIC, { job_id: jobId, document_id: 'SYN-REDELIVER-1' });
    await h.publisher.publish(h.config.NSQ_TOPIC, { job_id: jobId, document_id: 'SYN-REDELIVER-1' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const text = await (h.worker as unknown as { deps: { metrics: { registry: { metrics(): Promise<string> } } } }).deps.metrics.registry.metrics();
      const m = /enrichment_jobs_processed_total\{outcome="duplicate_delivery"[^}]*\} (\d+)/.exec(text);
      if (m && Number(m[1]) >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await h.store.enrichedDocuments.countDocuments({ document_id: 'SYN-REDELIVER-1' })).toBe(before.docs);
    expect(await h.store.costRecords.countDocuments({ enrichment_job_id: jobId })).toBe(before.costs);
    expect(await h.store.reviewQueue.countDocuments({ document_id: 'SYN-REDELIVER-1' })).toBe(before.review);
    expect((await h.store.getJob(jobId))!.attempts).toBe(1);
  });

  it('the outbox publishes a job whose first publish failed', async () => {
    const files = await writeDocuments({ 'o.json': { ...RECEIPT_A, id: 'SYN-OUTBOX-1' } });
    // No publisher: the job is recorded but not published, as when nsqd is down.
    const result = await submitFiles(files, { store: h.store, publisher: null, config: h.config });
    expect(result.unpublished).toBe(1);
    const jobId = result.jobs[0]!.job_id;
    expect((await h.store.getJob(jobId))!.status).toBe('pending');
    // The sweep skips pending jobs younger than its grace period, then publishes them.
    const swept = await sweepOutbox({ store: h.store, publisher: h.publisher, config: h.config }, new Date(Date.now() + 60_000));
    expect(swept.republished).toBeGreaterThanOrEqual(1);
    await h.waitForBatch(result.batch_id);
    const job = (await h.store.getJob(jobId))!;
    expect(job.status).toBe('completed');
    expect(job.publish_count).toBeGreaterThanOrEqual(1);
  });

  it('the outbox republishes a job stuck in queued', async () => {
    const files = await writeDocuments({ 's.json': { ...RECEIPT_A, id: 'SYN-STUCK-1' } });
    const result = await submitFiles(files, { store: h.store, publisher: null, config: h.config });
    const jobId = result.jobs[0]!.job_id;
    // Simulate a message lost after publish: queued, old, never consumed.
    const old = new Date(Date.now() - (h.config.OUTBOX_STUCK_AFTER_SECONDS + 60) * 1000);
    await h.store.ocrJobs.updateOne({ job_id: jobId }, { $set: { status: 'queued', updated_at: old, published_at: old } });
    const swept = await sweepOutbox({ store: h.store, publisher: h.publisher, config: h.config });
    expect(swept.republished).toBe(1);
    await h.waitForBatch(result.batch_id);
    expect((await h.store.getJob(jobId))!.status).toBe('completed');
  });
});
