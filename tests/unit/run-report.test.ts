import { describe, expect, it } from 'vitest';
import type { DocumentType } from '../../app/src/domain/fields.js';
import { completenessPerAgent, openJobs, percentile, type PerDocument } from '../../app/src/reporting/run-report.js';
import type { JobStatus, OcrJob } from '../../app/src/store/collections.js';
import { perDocument as docOf, reportOf } from '../support/report-fixtures.js';

describe('percentile (nearest rank)', () => {
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

  it('p95 of 1..20 is 19', () => {
    expect(percentile(oneToTwenty, 95)).toBe(19);
  });

  it('p50 of 1..20 is 10, p100 is 20, p0 is the minimum', () => {
    expect(percentile(oneToTwenty, 50)).toBe(10);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(percentile(oneToTwenty, 0)).toBe(1);
  });

  it('p95 of 1..100 is 95 and p99 is 99', () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
  });

  it('rounds the rank up, never to the nearest: p95 of 1..19 is 19 (rank ⌈18.05⌉)', () => {
    const oneToNineteen = Array.from({ length: 19 }, (_, i) => i + 1);
    expect(percentile(oneToNineteen, 95)).toBe(19);
  });

  it('is 0 for an empty list', () => {
    expect(percentile([], 95)).toBe(0);
  });

  it('is the element itself for a single element, whatever p', () => {
    for (const p of [0, 50, 95, 100]) expect(percentile([0.042], p)).toBe(0.042);
  });

  it('sorts numerically without changing its input', () => {
    const costs = [0.3, 0.01, 0.2, 0.1, 0.02];
    // ceil(0.95 × 5) = 5th smallest; ceil(0.5 × 5) = 3rd smallest.
    expect(percentile(costs, 95)).toBe(0.3);
    expect(percentile(costs, 50)).toBe(0.1);
    expect(costs).toEqual([0.3, 0.01, 0.2, 0.1, 0.02]);
    // A string sort would put 10 before 9.
    expect(percentile([10, 9, 8], 50)).toBe(9);
  });
});

function perDocument(documentType: DocumentType, gaps: Parameters<typeof docOf>[2]): PerDocument {
  return docOf(`doc-${documentType}`, documentType, gaps);
}

describe('completenessPerAgent', () => {
  it('is the share of required fields each agent owns that were present and valid', () => {
    const report = reportOf([
      // receipt requires document_type, vendor_name, vendor_address, document_date, total_amount, currency, title, summary
      perDocument('receipt', { missing: ['vendor_address'], invalid: ['currency'], low: ['total_amount'] }),
      // other requires document_type, title, summary
      perDocument('other', { missing: ['title'] }),
    ]);
    expect(completenessPerAgent(report)).toEqual({
      classification: 1, // document_type 2/2
      metadata: 2 / 3, // vendor_name, vendor_address, document_date: 1 missing
      entities: 1 / 2, // total_amount (low confidence still counts), currency invalid
      summary: 3 / 4, // title, summary in each: 1 missing
      structure: null, // owns no required field of a receipt or other
    });
  });

  it('gives structure a score when a form requires key_values', () => {
    const report = reportOf([perDocument('form', { missing: ['key_values'] }), perDocument('form', {})]);
    expect(completenessPerAgent(report).structure).toBe(1 / 2);
  });

  it('is null for every agent with no documents', () => {
    expect(Object.values(completenessPerAgent(reportOf([])))).toEqual([null, null, null, null, null]);
  });
});

describe('openJobs: lost or unfinished', () => {
  /** The three fields openJobs reads; the rest of an OcrJob does not matter here. */
  const job = (n: number, status: JobStatus) => ({ job_id: `job-${n}`, document_id: `doc-${n}`, status }) as OcrJob;
  const jobs = [job(1, 'completed'), job(2, 'completed'), job(3, 'failed'), job(4, 'queued'), job(5, 'processing'), job(6, 'pending')];
  const enriched = (id: string) => id !== 'doc-2'; // doc-2 completed without an enriched document

  it('a run that went to its end: every open job is lost, and so is a completed job without its document', () => {
    const { lost, unfinished } = openJobs(jobs, enriched, false);
    expect(lost.map((j) => `${j.job_id} ${j.status}`)).toEqual(['job-2 completed', 'job-4 queued', 'job-5 processing', 'job-6 pending']);
    expect(unfinished).toEqual([]);
  });

  it('a run stopped early: open jobs are unfinished, not lost; a completed job without its document is still lost', () => {
    const { lost, unfinished } = openJobs(jobs, enriched, true);
    expect(lost).toEqual([{ job_id: 'job-2', document_id: 'doc-2', status: 'completed' }]);
    expect(unfinished).toEqual([
      { job_id: 'job-4', document_id: 'doc-4', status: 'queued' },
      { job_id: 'job-5', document_id: 'doc-5', status: 'processing' },
      { job_id: 'job-6', document_id: 'doc-6', status: 'pending' },
    ]);
  });

  it('completed and failed jobs are neither', () => {
    const done = [job(1, 'completed'), job(3, 'failed')];
    for (const stoppedEarly of [false, true]) expect(openJobs(done, () => true, stoppedEarly)).toEqual({ lost: [], unfinished: [] });
  });
});
