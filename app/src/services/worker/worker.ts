/**
 * EnrichmentWorker: consumes NSQ topic `enrichment`, runs the phases for each job through the
 * MCP agents, and stores the enriched document, its review item and a cost record per model call.
 *
 * Delivery guarantees:
 * - Idempotent per job: a job is claimed atomically with a lease (`Store.claimJob`); a delivery
 *   for a finished or leased job is finished without work. Results are upserts keyed by
 *   document id, cost records have deterministic ids.
 * - Transient errors: the lease is released and the message requeued with exponential backoff.
 *   After WORKER_MAX_ATTEMPTS the job is marked failed with its reason and the message is
 *   published to `enrichment_dead`. Non-transient errors fail the job at once.
 * - SIGTERM (`stop()`): RDY 0 so nsqd sends nothing more, wait for in-flight jobs (bounded by
 *   WORKER_SHUTDOWN_TIMEOUT_SECONDS), then close the reader, the publisher and the sweep.
 */
import { randomUUID } from 'node:crypto';
import type nsq from 'nsqjs';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import type { FieldName } from '../../domain/fields.js';
import { FIELD_OWNERS } from '../../domain/fields.js';
import type { Metrics } from '../../metrics/catalog.js';
import { enrichDocument, type AgentCaller, type LedgerEntry } from '../../pipeline/enrich.js';
import { createReader, ensureTopology, jobMessageSchema, type DeadLetterMessage, type Publisher } from '../../queue/nsq.js';
import { sweepOutbox } from '../../queue/outbox.js';
import type { CostRecord, OcrJob } from '../../store/collections.js';
import type { Store } from '../../store/store.js';

/**
 * Touch in-flight messages (and extend the job's lease) this often, so neither nsqd's msg-timeout
 * nor the lease runs out while a long LLM call is still going.
 */
const TOUCH_INTERVAL_MS = 20_000;

export interface WorkerDeps {
  config: AppConfig;
  store: Store;
  publisher: Publisher;
  agents: AgentCaller;
  metrics: Metrics;
  logger: Logger;
  /** Identifies this worker in job leases; defaults to a random id. */
  workerId?: string;
}

/** Error classification used for requeue decisions. */
export function isTransient(err: unknown): boolean {
  const flag = (err as { transient?: unknown })?.transient;
  return typeof flag === 'boolean' ? flag : true;
}

/** Exponential backoff in ms for the n-th attempt (1-based), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export class EnrichmentWorker {
  readonly workerId: string;
  private reader: nsq.Reader | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly deps: WorkerDeps) {
    this.workerId = deps.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Creates the NSQ topology, connects the reader and starts the outbox sweep. */
  async start(): Promise<void> {
    const { config } = this.deps;
    await ensureTopology(config);
    const reader = createReader(config, { topic: config.NSQ_TOPIC, channel: config.NSQ_CHANNEL, maxInFlight: config.WORKER_MAX_IN_FLIGHT });
    reader.on('message', (msg) => {
      const task = this.handle(msg).catch((err: unknown) => this.deps.logger.error({ err }, 'unhandled error in message handler'));
      this.inFlight.add(task);
      void task.finally(() => this.inFlight.delete(task));
    });
    reader.on('error', (err) => this.deps.logger.warn({ err }, 'nsq reader error'));
    await new Promise<void>((resolve) => {
      reader.once('nsqd_connected', () => resolve());
      reader.connect();
      // With nsqlookupd the first connection may come later; do not block start-up on it.
      setTimeout(resolve, 2_000).unref();
    });
    this.reader = reader;
    this.sweepTimer = setInterval(() => void this.sweep(), config.OUTBOX_SWEEP_SECONDS * 1000);
    this.sweepTimer.unref();
    this.deps.logger.info({ workerId: this.workerId, maxInFlight: config.WORKER_MAX_IN_FLIGHT }, 'EnrichmentWorker started');
  }

  /** One outbox sweep; errors are logged, never thrown. */
  async sweep(): Promise<void> {
    try {
      const r = await sweepOutbox(this.deps);
      if (r.republished > 0) this.deps.logger.info(r, 'outbox republished jobs');
    } catch (err) {
      this.deps.logger.warn({ err }, 'outbox sweep failed');
    }
  }

  /** Graceful stop: take no new messages, finish in-flight ones, close connections. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.reader?.pause();
    const deadline = this.deps.config.WORKER_SHUTDOWN_TIMEOUT_SECONDS * 1000;
    this.deps.logger.info({ inFlight: this.inFlight.size }, 'EnrichmentWorker stopping: draining in-flight jobs');
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, deadline).unref())]);
    if (this.inFlight.size > 0) this.deps.logger.warn({ inFlight: this.inFlight.size }, 'shutdown timeout: unfinished jobs will be redelivered');
    this.reader?.close();
    this.reader = null;
  }

  /** Handles one NSQ message. Exported for tests through the class. */
  async handle(msg: nsq.Message): Promise<void> {
    const { config, store, metrics, logger } = this.deps;
    if (this.stopping) {
      msg.requeue(0, false);
      return;
    }
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      body = null;
    }
    const parsed = jobMessageSchema.safeParse(body);
    if (!parsed.success) {
      logger.error({ messageId: msg.id }, 'malformed message on enrichment topic: dead-lettered');
      await this.deadLetter({ job_id: 'unknown', document_id: null, reason: `malformed message: ${msg.body.toString('utf8').slice(0, 200)}`, attempts: msg.attempts, failed_at: new Date().toISOString() });
      msg.finish();
      return;
    }
    const jobId = parsed.data.job_id;
    const received = Date.now();
    const job = await store.claimJob(jobId, this.workerId, config.WORKER_LEASE_SECONDS * 1000);
    if (!job) {
      const existing = await store.getJob(jobId);
      metrics.jobsProcessed.inc({ outcome: 'duplicate_delivery' });
      logger.info({ jobId, status: existing?.status ?? 'unknown' }, 'delivery skipped: job finished, leased elsewhere or unknown');
      msg.finish();
      return;
    }
    metrics.jobQueueLatency.observe((received - job.created_at.getTime()) / 1000);
    metrics.jobsInFlight.inc();
    const touch = setInterval(() => {
      msg.touch();
      store.extendLease(jobId, this.workerId, config.WORKER_LEASE_SECONDS * 1000).catch((err: unknown) => logger.warn({ err, jobId }, 'could not extend the job lease'));
    }, TOUCH_INTERVAL_MS);
    const ledger: LedgerEntry[] = [];
    try {
      await this.process(job, ledger);
      metrics.jobDuration.observe((Date.now() - received) / 1000);
      msg.finish();
    } catch (err) {
      await this.writeCosts(job, ledger).catch((e: unknown) => logger.error({ err: e, jobId }, 'could not write cost records of a failed attempt'));
      const reason = err instanceof Error ? err.message : String(err);
      if (isTransient(err) && msg.attempts < config.WORKER_MAX_ATTEMPTS) {
        const delay = backoffMs(msg.attempts, config.WORKER_BACKOFF_BASE_MS, config.WORKER_BACKOFF_MAX_MS);
        await store.releaseJob(jobId, this.workerId, reason);
        metrics.jobsRequeued.inc();
        logger.warn({ jobId, attempt: msg.attempts, delayMs: delay, reason }, 'transient failure: requeued');
        msg.requeue(delay, false);
      } else {
        const why = isTransient(err) ? `gave up after ${msg.attempts} attempts: ${reason}` : `permanent error: ${reason}`;
        await store.failJob(jobId, why);
        await this.deadLetter({ job_id: jobId, document_id: job.document_id, reason: why, attempts: msg.attempts, failed_at: new Date().toISOString() });
        metrics.jobsProcessed.inc({ outcome: 'failed' });
        logger.error({ jobId, reason: why }, 'job failed: dead-lettered');
        msg.finish();
      }
    } finally {
      clearInterval(touch);
      metrics.jobsInFlight.dec();
    }
  }

  private async process(job: OcrJob, ledger: LedgerEntry[]): Promise<void> {
    const { config, store, metrics } = this.deps;
    const documentId = job.document_id!;
    const spent = job.attempts > 1 ? await store.jobSpend(job.job_id) : { usd: 0, calls: 0 };
    const spentUsd = spent.usd;
    const outcome = await enrichDocument(
      { document_id: documentId, ocr_lines: job.ocr_lines },
      this.deps.agents,
      {
        thresholds: { minCompleteness: config.AUTO_APPROVE_MIN_COMPLETENESS, minFieldConfidence: config.AUTO_APPROVE_MIN_FIELD_CONFIDENCE },
        escalateBelowConfidence: config.ESCALATE_BELOW_CONFIDENCE,
        tiers: { local: Boolean(config.OLLAMA_HOST), escalation: Boolean(config.ANTHROPIC_API_KEY) && config.ENABLE_PHASE_ESCALATION },
        documentBudgetUsd: config.DOCUMENT_BUDGET_USD,
        spentUsd,
      },
      ledger,
    );
    await this.writeCosts(job, ledger);
    const costUsd = spentUsd + ledger.reduce((sum, e) => sum + e.call.cost_usd, 0);
    const { report, decision, documentType } = outcome;
    await store.saveEnrichedDocument({
      _id: documentId,
      document_id: documentId,
      job_id: job.job_id,
      document_type: documentType,
      fields: outcome.fields,
      required_fields: report.required,
      missing_fields: report.missing,
      invalid_fields: report.invalid,
      low_confidence_fields: report.lowConfidence,
      completeness_score: report.completenessScore,
      approval_status: decision.status,
      approval_reasons: decision.reasons,
      cost_usd: costUsd,
      model_calls: spent.calls + ledger.length,
      phases: outcome.phases,
      updated_at: new Date(),
    });
    await store.syncReviewItem(
      decision.status === 'auto_approved'
        ? null
        : {
            _id: documentId,
            document_id: documentId,
            job_id: job.job_id,
            document_type: documentType,
            missing_fields: report.missing,
            invalid_fields: report.invalid,
            low_confidence_fields: report.lowConfidence,
            completeness_score: report.completenessScore,
            reasons: decision.reasons,
          },
      documentId,
    );
    await store.completeJob(job.job_id, this.workerId, { outcome: decision.status, completeness_score: report.completenessScore, cost_usd: costUsd });

    metrics.jobsProcessed.inc({ outcome: decision.status });
    metrics.documentsApproved.inc({ decision: decision.status, document_type: documentType });
    metrics.completeness.observe({ document_type: documentType }, report.completenessScore);
    metrics.documentCost.observe(costUsd);
    const countMissing = (names: FieldName[], kind: string) => {
      for (const field of names) metrics.fieldsMissing.inc({ field, agent: FIELD_OWNERS[field], kind });
    };
    countMissing(report.missing, 'missing');
    countMissing(report.invalid, 'invalid');
    countMissing(report.lowConfidence, 'low_confidence');
    for (const e of outcome.escalated) if (e.tier !== 'offline') metrics.escalations.inc({ tier: e.tier, agent: e.agent }, e.fields.length);
  }

  /** Writes one cost record per ledger entry; ids are deterministic per job attempt and call. */
  private async writeCosts(job: OcrJob, ledger: LedgerEntry[]): Promise<void> {
    const seq = new Map<string, number>();
    const now = new Date();
    const records: CostRecord[] = ledger.map((e) => {
      const key = `${e.agent}:${e.tier}`;
      const n = (seq.get(key) ?? 0) + 1;
      seq.set(key, n);
      return {
        ...e.call,
        _id: `${job.job_id}:${job.attempts}:${key}:${n}`,
        enrichment_job_id: job.job_id,
        document_id: job.document_id!,
        agent: e.agent,
        tier: e.tier,
        job_attempt: job.attempts,
        prompt_version: e.prompt_version,
        created_at: now,
      };
    });
    await this.deps.store.writeCostRecords(records);
    for (const r of records) {
      this.deps.metrics.costUsd.inc({ agent: r.agent, provider: r.provider, model: r.model }, r.cost_usd);
      if (r.gpu_seconds > 0) this.deps.metrics.gpuSeconds.inc({ model: r.model }, r.gpu_seconds);
    }
  }

  private async deadLetter(message: DeadLetterMessage): Promise<void> {
    try {
      await this.deps.publisher.publish(this.deps.config.NSQ_DEAD_LETTER_TOPIC, message);
      this.deps.metrics.deadLettered.inc();
    } catch (err) {
      // The job is already marked failed in ocr_jobs, which stays the source of truth.
      this.deps.logger.error({ err, jobId: message.job_id }, 'could not publish to the dead-letter topic');
    }
  }
}
