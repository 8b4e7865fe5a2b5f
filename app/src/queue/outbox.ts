/**
 * The transactional outbox over `ocr_jobs`: the job record is the source of truth, and a job is
 * (re)published to NSQ until a worker finishes it.
 *
 * - `publishJob` is the first publish, right after the job is recorded. If it fails the job stays
 *   `pending` and the sweep publishes it later.
 * - `sweepOutbox` republishes `pending` jobs older than a grace period and `queued`/`processing`
 *   jobs untouched for `OUTBOX_STUCK_AFTER_SECONDS` whose lease has expired. Duplicate messages
 *   are harmless: the worker claims jobs atomically and skips finished ones.
 */
import type { AppConfig } from '../config.js';
import type { Metrics } from '../metrics/catalog.js';
import type { OcrJob } from '../store/collections.js';
import type { Store } from '../store/store.js';
import type { JobMessage, Publisher } from './nsq.js';

/** Bound on jobs republished per sweep, so one sweep cannot flood nsqd after an outage. */
const MAX_JOBS_PER_SWEEP = 500;
/** A pending job younger than this is probably being published by `submit` right now. */
const PENDING_GRACE_MS = 2_000;

export function jobMessage(job: Pick<OcrJob, 'job_id' | 'document_id'>): JobMessage {
  return { job_id: job.job_id, document_id: job.document_id };
}

/** Publishes a freshly recorded job. Returns false (and leaves it pending) when NSQ refuses. */
export async function publishJob(
  job: OcrJob,
  deps: { store: Store; publisher: Publisher | null; config: AppConfig; metrics?: Metrics },
): Promise<boolean> {
  if (!deps.publisher) return false;
  try {
    await deps.publisher.publish(deps.config.NSQ_TOPIC, jobMessage(job));
  } catch {
    return false;
  }
  await deps.store.markPublished(job.job_id);
  deps.metrics?.outboxPublished.inc({ cause: 'initial' });
  return true;
}

export interface SweepResult {
  republished: number;
  failed: number;
}

export async function sweepOutbox(deps: { store: Store; publisher: Publisher; config: AppConfig; metrics?: Metrics }, now = new Date()): Promise<SweepResult> {
  const stuckBefore = new Date(now.getTime() - deps.config.OUTBOX_STUCK_AFTER_SECONDS * 1000);
  const candidates = await deps.store.findOutboxCandidates(now, PENDING_GRACE_MS, stuckBefore, MAX_JOBS_PER_SWEEP);
  deps.metrics?.outboxPending.set(candidates.length);
  let republished = 0;
  let failed = 0;
  for (const job of candidates) {
    try {
      await deps.publisher.publish(deps.config.NSQ_TOPIC, jobMessage(job));
    } catch {
      failed++;
      continue;
    }
    if (job.status === 'pending') await deps.store.markPublished(job.job_id, now);
    else await deps.store.touchRepublished(job.job_id, now);
    deps.metrics?.outboxPublished.inc({ cause: job.status === 'pending' ? 'retry_failed_publish' : 'stuck' });
    republished++;
  }
  return { republished, failed };
}
