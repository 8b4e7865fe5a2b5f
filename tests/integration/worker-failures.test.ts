/**
 * Failure handling of the EnrichmentWorker against the real nsqd and FerretDB, with the model
 * endpoint played by a stand-in Ollama that speaks the real `/api/chat` protocol:
 * transient errors → requeue with backoff → failed + `enrichment_dead` after maxAttempts;
 * SIGTERM-style stop → in-flight jobs finish, no new ones are taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicStats } from '../../app/src/queue/nsq.js';
import { start as startFakeOllama, type FakeOllama } from '../support/fake-ollama.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { RECEIPT_A, RECEIPT_B } from '../support/synthetic-documents.js';

describe('dead-lettering after maxAttempts', () => {
  let ollama: FakeOllama;
  let h: Harness;
  beforeAll(async () => {
    ollama = await startFakeOllama({ respond: () => ({ status: 500, error: 'CUDA error: out of memory' }) });
    h = await startHarness({ env: { OLLAMA_HOST: ollama.url, WORKER_MAX_ATTEMPTS: '2', OLLAMA_TIMEOUT_SECONDS: '5' } });
  });
  afterAll(async () => {
    await h?.close();
    await ollama?.close();
  });

  it('marks the job failed with its reason, writes cost records of failed calls, and publishes to enrichment_dead', async () => {
    const files = await writeDocuments({ 'a.json': { ...RECEIPT_A, id: 'SYN-DEAD-1' } });
    const { batch_id, jobs } = await h.submit(files);
    // Requeued messages on a young channel return on nsqd's 5 s queue scan: allow two rounds.
    await h.waitForBatch(batch_id, 40_000);
    const job = (await h.store.getJob(jobs[0]!.job_id))!;
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(2);
    expect(job.failure_reason).toMatch(/^gave up after 2 attempts: .*500/s);
    expect(await h.store.enrichedDocuments.countDocuments({ document_id: 'SYN-DEAD-1' })).toBe(0);

    const costs = await h.store.costRecords.find({ enrichment_job_id: job.job_id }).toArray();
    const failedCalls = costs.filter((c) => c.provider === 'ollama');
    expect(failedCalls.length).toBeGreaterThanOrEqual(2);
    expect(failedCalls.every((c) => c.outcome === 'error')).toBe(true);
    expect(new Set(costs.map((c) => c.job_attempt))).toEqual(new Set([1, 2]));
    expect(ollama.requests.filter((r) => r.path === '/api/chat').length).toBe(failedCalls.length);

    const dead = await topicStats(h.config.NSQD_HTTP_ADDRESS, h.config.NSQ_DEAD_LETTER_TOPIC);
    expect(dead?.depth).toBe(1);
  }, 60_000);
});

describe('graceful shutdown', () => {
  let ollama: FakeOllama;
  let h: Harness;
  beforeAll(async () => {
    // Every phase-1 call takes 1.5 s, so a job is surely in flight when stop() is called.
    ollama = await startFakeOllama({ respond: () => ({ reply: { fields: {} }, delayMs: 1_500 }) });
    h = await startHarness({ env: { OLLAMA_HOST: ollama.url, WORKER_MAX_IN_FLIGHT: '1' } });
  });
  afterAll(async () => {
    await h?.close();
    await ollama?.close();
  });

  it('finishes the in-flight job, then takes no more messages', async () => {
    const files = await writeDocuments({ 'a.json': { ...RECEIPT_A, id: 'SYN-STOP-1' } });
    const first = await h.submit(files);
    const firstJob = first.jobs[0]!.job_id;
    const deadline = Date.now() + 10_000;
    while ((await h.store.getJob(firstJob))!.status !== 'processing') {
      if (Date.now() > deadline) throw new Error('job never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(h.worker.inFlightCount).toBe(1);
    await h.worker.stop();
    expect(h.worker.inFlightCount).toBe(0);
    expect((await h.store.getJob(firstJob))!.status).toBe('completed');

    const second = await h.submit(await writeDocuments({ 'b.json': { ...RECEIPT_B, id: 'SYN-STOP-2' } }));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await h.store.getJob(second.jobs[0]!.job_id))!.status).toBe('queued');

    // A new worker picks the waiting job up: nothing was lost by the shutdown.
    const next = h.newWorker();
    await next.start();
    try {
      await h.waitForBatch(second.batch_id, 20_000);
      expect((await h.store.getJob(second.jobs[0]!.job_id))!.status).toBe('completed');
    } finally {
      await next.stop();
    }
  }, 60_000);
});
