/**
 * MongoDB access for every process, through the official `mongodb` driver only.
 *
 * `Store.connect` opens the client and creates the indexes of {@link INDEX_SPECS} idempotently.
 * The methods here are the only places that read or write the pipeline's collections, so the
 * worker, the ingest CLI and the APIs share one data layer.
 */
import { MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import { groupedSums } from './aggregate.js';
import {
  COLLECTIONS,
  INDEX_SPECS,
  TERMINAL_JOB_STATUSES,
  type CostRecord,
  type EnrichedDocument,
  type OcrJob,
  type ReviewItem,
} from './collections.js';

export interface StoreOptions {
  uri: string;
  dbName: string;
  /** Driver pool size; the worker needs about maxInFlight × 2. */
  maxPoolSize?: number;
}

export const DUPLICATE_KEY = 11000;

/**
 * True for a unique-index violation: E11000 on MongoDB; on FerretDB some paths report SQLite's
 * `UNIQUE constraint failed` as InternalError (code 1) instead (docs/ferretdb-gaps.md).
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return false;
  return err.code === DUPLICATE_KEY || (err.code === 1 && /UNIQUE constraint failed/.test(err.message));
}

export class Store {
  readonly ocrJobs: Collection<OcrJob>;
  readonly enrichedDocuments: Collection<EnrichedDocument>;
  readonly reviewQueue: Collection<ReviewItem>;
  readonly costRecords: Collection<CostRecord>;

  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
  ) {
    this.ocrJobs = db.collection<OcrJob>(COLLECTIONS.ocrJobs);
    this.enrichedDocuments = db.collection<EnrichedDocument>(COLLECTIONS.enrichedDocuments);
    this.reviewQueue = db.collection<ReviewItem>(COLLECTIONS.reviewQueue);
    this.costRecords = db.collection<CostRecord>(COLLECTIONS.costRecords);
  }

  /** Connects and ensures the indexes. Throws the driver's error when the server is unreachable. */
  static async connect(options: StoreOptions): Promise<Store> {
    const client = new MongoClient(options.uri, {
      maxPoolSize: options.maxPoolSize ?? 20,
      serverSelectionTimeoutMS: 10_000,
      appName: 'enrichment-platform',
    });
    await client.connect();
    const store = new Store(client, client.db(options.dbName));
    await store.ensureIndexes();
    return store;
  }

  /**
   * Creates every index in INDEX_SPECS; re-running with the same specs is a no-op. One
   * `createIndex` per index: FerretDB drops the connection on a multi-index `createIndexes`
   * whose indexes all exist already (docs/ferretdb-gaps.md).
   */
  async ensureIndexes(): Promise<void> {
    for (const spec of INDEX_SPECS) {
      await this.db.collection(spec.collection).createIndex(spec.key, { name: spec.name, ...(spec.unique ? { unique: true } : {}) });
    }
  }

  /** Liveness of the database, for /health. */
  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // --- ocr_jobs -----------------------------------------------------------------------------
  // A job's `_id` is its `job_id`; lookups go by `_id`, the one key FerretDB pushes down to
  // SQLite (it scans for every other filter, docs/ferretdb-gaps.md). On MongoDB both are indexed.

  /**
   * Records an accepted job. Returns `duplicate` when an accepted job already exists for the
   * document id (the unique `dedupe_key` index decides, so concurrent submits cannot both win).
   */
  async insertAcceptedJob(job: OcrJob): Promise<'inserted' | 'duplicate'> {
    try {
      await this.ocrJobs.insertOne(job);
      return 'inserted';
    } catch (err) {
      if (isDuplicateKeyError(err)) return 'duplicate';
      throw err;
    }
  }

  async insertRejectedJob(job: OcrJob): Promise<void> {
    await this.ocrJobs.insertOne(job);
  }

  async markPublished(jobId: string, now = new Date()): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, status: { $in: ['pending', 'queued'] } },
      { $set: { status: 'queued', published_at: now, updated_at: now }, $inc: { publish_count: 1 } },
    );
  }

  /**
   * Outbox candidates: jobs never published (or whose publish failed) older than `pendingGraceMs`,
   * and queued/processing jobs untouched since `stuckBefore` whose lease has expired.
   */
  async findOutboxCandidates(now: Date, pendingGraceMs: number, stuckBefore: Date, limit: number): Promise<OcrJob[]> {
    const pending = await this.ocrJobs
      .find({ status: 'pending', created_at: { $lt: new Date(now.getTime() - pendingGraceMs) } })
      .sort({ created_at: 1 })
      .limit(limit)
      .toArray();
    const stuck = await this.ocrJobs
      .find({ status: { $in: ['queued', 'processing'] }, updated_at: { $lt: stuckBefore } })
      .sort({ created_at: 1 })
      .limit(limit)
      .toArray();
    return [...pending, ...stuck.filter((j) => !j.lease_until || j.lease_until < now)];
  }

  /** Marks a stuck job as republished so it is not picked again until it is stuck once more. */
  async touchRepublished(jobId: string, now = new Date()): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, status: { $nin: [...TERMINAL_JOB_STATUSES] } },
      { $set: { status: 'queued', published_at: now, updated_at: now, lease_owner: null, lease_until: null }, $inc: { publish_count: 1 } },
    );
  }

  /**
   * Claims a job for processing with a lease. Returns the claimed job, or null when the job is
   * terminal, leased by another worker, or unknown. Atomic: two deliveries cannot both claim it.
   */
  async claimJob(jobId: string, owner: string, leaseMs: number, now = new Date()): Promise<OcrJob | null> {
    return this.ocrJobs.findOneAndUpdate(
      {
        _id: jobId,
        status: { $in: ['pending', 'queued', 'processing'] },
        $or: [{ lease_until: null }, { lease_until: { $lt: now } }],
      },
      {
        $set: {
          status: 'processing',
          lease_owner: owner,
          lease_until: new Date(now.getTime() + leaseMs),
          started_at: now,
          updated_at: now,
        },
        $inc: { attempts: 1 },
      },
      { returnDocument: 'after' },
    );
  }

  async getJob(jobId: string): Promise<OcrJob | null> {
    return this.ocrJobs.findOne({ _id: jobId });
  }

  /** Extends a held lease (the worker does this while a long job is still running). */
  async extendLease(jobId: string, owner: string, leaseMs: number, now = new Date()): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, lease_owner: owner, status: 'processing' },
      { $set: { lease_until: new Date(now.getTime() + leaseMs), updated_at: now } },
    );
  }

  /** Gives the lease back after a transient failure so a redelivery can claim the job. */
  async releaseJob(jobId: string, owner: string, error: string, now = new Date()): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, lease_owner: owner },
      { $set: { status: 'queued', lease_owner: null, lease_until: null, last_error: error, updated_at: now } },
    );
  }

  async completeJob(
    jobId: string,
    owner: string,
    result: { outcome: 'auto_approved' | 'pending_review'; completeness_score: number; cost_usd: number },
    now = new Date(),
  ): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, lease_owner: owner },
      {
        $set: {
          status: 'completed',
          ...result,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          completed_at: now,
          updated_at: now,
        },
      },
    );
  }

  async failJob(jobId: string, reason: string, now = new Date()): Promise<void> {
    await this.ocrJobs.updateOne(
      { _id: jobId, status: { $nin: ['completed', 'rejected'] } },
      {
        $set: {
          status: 'failed',
          failure_reason: reason,
          last_error: reason,
          lease_owner: null,
          lease_until: null,
          completed_at: now,
          updated_at: now,
        },
      },
    );
  }

  // --- results ------------------------------------------------------------------------------

  /**
   * Writes cost records idempotently: each `_id` is deterministic, so a rewrite after a crash or
   * redelivery replaces rather than duplicates.
   */
  async writeCostRecords(records: CostRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.costRecords.bulkWrite(
      records.map((r) => ({ replaceOne: { filter: { _id: r._id }, replacement: r, upsert: true } })),
      { ordered: false },
    );
  }

  /** USD spent and model calls made on a job across all attempts (indexed on enrichment_job_id). */
  async jobSpend(jobId: string): Promise<{ usd: number; calls: number }> {
    const [row] = await groupedSums(this.costRecords, { enrichment_job_id: jobId }, null, { usd: '$cost_usd', calls: 1 });
    return { usd: row?.sums['usd'] ?? 0, calls: row?.sums['calls'] ?? 0 };
  }

  /** Upserts the enriched document (`_id` = document_id), keeping its first created_at. */
  async saveEnrichedDocument(doc: Omit<EnrichedDocument, 'created_at'>, now = new Date()): Promise<void> {
    const { _id, ...rest } = doc;
    await this.enrichedDocuments.updateOne(
      { _id },
      { $set: { ...rest, updated_at: now }, $setOnInsert: { created_at: now } },
      { upsert: true },
    );
  }

  /**
   * Puts a document in the review queue (one item per document id), or removes a stale pending
   * item when a later attempt auto-approved it. Decisions already made by reviewers are kept.
   */
  async syncReviewItem(item: Omit<ReviewItem, 'created_at' | 'updated_at' | 'version' | 'status'> | null, documentId: string, now = new Date()): Promise<void> {
    // An item's `_id` is its document_id, so these are primary-key operations.
    if (item === null) {
      await this.reviewQueue.deleteOne({ _id: documentId, status: 'pending' });
      return;
    }
    const { _id, ...rest } = item;
    await this.reviewQueue.updateOne(
      { _id, status: 'pending' },
      { $set: { ...rest, updated_at: now }, $setOnInsert: { status: 'pending', version: 1, created_at: now } },
      { upsert: true },
    ).catch((err: unknown) => {
      // A reviewer already decided this document: the unique document_id index refuses a second item.
      if (!isDuplicateKeyError(err)) throw err;
    });
  }
}
