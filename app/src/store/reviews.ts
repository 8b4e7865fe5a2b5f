/**
 * Review-queue queries and reviewer decisions for the Review API, on the pipeline's own
 * collections (`review_queue`, `enriched_documents`, `ocr_jobs`, `cost_records`) plus
 * `review_decisions`.
 *
 * Everything here runs on MongoDB 7 and on FerretDB 1.24 (docs/ferretdb-gaps.md): no
 * transactions, one accumulator per `$group`, no date expressions. A decision is won with one
 * atomic `findOneAndUpdate` on `{ _id, version, status: 'pending' }` (optimistic concurrency).
 */
import type { Collection, Filter } from 'mongodb';
import { DOCUMENT_TYPE_SCHEMAS } from '../domain/document-types.js';
import { decideApproval, scoreCompleteness, type ApprovalThresholds, type CompletenessReport } from '../domain/completeness.js';
import {
  FIELD_OWNERS,
  fieldsOwnedBy,
  validateField,
  type AgentName,
  type DocumentType,
  type ExtractedField,
  type FieldName,
} from '../domain/fields.js';
import { groupedSums } from './aggregate.js';
import {
  COLLECTIONS,
  type DecisionSnapshot,
  type EnrichedDocument,
  type OcrJob,
  type ReviewDecision,
  type ReviewItem,
} from './collections.js';
import { isDuplicateKeyError, type Store } from './store.js';

export type ReviewStatus = ReviewItem['status'];
export type ReviewSort = 'uncertainty' | 'age';

export interface ListReviewsQuery {
  status?: ReviewStatus;
  documentType?: DocumentType;
  /** Items with a missing, invalid or low-confidence field owned by this agent (FIELD_OWNERS). */
  agent?: AgentName;
  /** Items where this field is missing or invalid. */
  missingField?: FieldName;
  /** `uncertainty`: lowest completeness first; `age`: oldest first. Ties broken by `_id`. */
  sort: ReviewSort;
  /** 1..MAX_PAGE_SIZE. */
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface ReviewPage {
  items: ReviewItem[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

/** Largest page a listing returns; bounds the memory and time of one request. */
export const MAX_PAGE_SIZE = 200;
/** Days of decisions the stats report. */
export const STATS_DAYS = 30;

/** A cursor that does not decode, or was made for another sort. */
export class InvalidCursorError extends Error {
  constructor(message = 'invalid cursor') {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

/** The item is unknown. */
export class ReviewNotFoundError extends Error {
  constructor(documentId: string) {
    super(`no review item for document ${documentId}`);
    this.name = 'ReviewNotFoundError';
  }
}

/** The item moved on (another decision won, or it is no longer pending). */
export class ReviewConflictError extends Error {
  constructor(
    readonly current: Pick<ReviewItem, 'status' | 'version'>,
    requestedVersion: number,
  ) {
    super(`review item is at version ${current.version} (status ${current.status}); the decision was made on version ${requestedVersion}`);
    this.name = 'ReviewConflictError';
  }
}

/** A corrected value failed its field schema. */
export class InvalidCorrectionError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid corrections: ${problems.join('; ')}`);
    this.name = 'InvalidCorrectionError';
  }
}

interface CursorPayload {
  s: ReviewSort;
  /** Sort key: completeness score, or created_at in ms. */
  k: number;
  id: string;
}

function encodeCursor(sort: ReviewSort, item: ReviewItem): string {
  const k = sort === 'uncertainty' ? item.completeness_score : item.created_at.getTime();
  return Buffer.from(JSON.stringify({ s: sort, k, id: item._id } satisfies CursorPayload)).toString('base64url');
}

function decodeCursor(cursor: string, sort: ReviewSort): CursorPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const p = parsed as Partial<CursorPayload> | null;
  if (!p || typeof p.k !== 'number' || !Number.isFinite(p.k) || typeof p.id !== 'string') throw new InvalidCursorError();
  if (p.s !== sort) throw new InvalidCursorError(`cursor was made for sort=${String(p.s)}, not sort=${sort}`);
  return p as CursorPayload;
}

export interface ItemDetail {
  item: ReviewItem;
  document: EnrichedDocument | null;
  ocrLines: string[];
  cost: { usd: number; calls: number };
}

export interface DecisionResult {
  item: ReviewItem;
  decision: ReviewDecision;
}

/**
 * The approval rule after a reviewer's correction: approved when the re-scored completeness
 * reaches `minCompleteness` (AUTO_APPROVE_MIN_COMPLETENESS, default 0.95, which for every document
 * type, at most 9 required fields, means every required field present and valid); otherwise
 * pending, with the completeness shortfall as the reason.
 *
 * Unlike the pipeline's auto-approval (`decideApproval`), required fields below
 * `minFieldConfidence` do not hold the item back: the reviewer has seen the whole item, including
 * its low-confidence fields, and corrected what was wrong. They are still reported in
 * `lowConfidence` (and stored as `low_confidence_fields`).
 */
export function decideAfterCorrection(
  report: CompletenessReport,
  thresholds: ApprovalThresholds,
): { status: 'approved'; reasons: [] } | { status: 'pending'; reasons: string[] } {
  const rule = decideApproval({ ...report, lowConfidence: [] }, thresholds);
  return rule.status === 'auto_approved' ? { status: 'approved', reasons: [] } : { status: 'pending', reasons: rule.reasons };
}

/** UTC day `YYYY-MM-DD`. */
function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The Review API's data access. Construct once per process with the shared {@link Store}.
 */
export class ReviewStore {
  constructor(private readonly store: Store) {}

  /** `review_decisions`; resolved on use, so building an app (e.g. for `npm run openapi`) needs no database. */
  get decisions(): Collection<ReviewDecision> {
    return this.store.db.collection<ReviewDecision>(COLLECTIONS.reviewDecisions);
  }

  /**
   * One page of the queue. Sorted by (completeness_score | created_at, _id) ascending, resuming
   * after the cursor's key.
   * @throws InvalidCursorError when the cursor does not decode or was made for another sort.
   */
  async list(query: ListReviewsQuery): Promise<ReviewPage> {
    const sortField = query.sort === 'uncertainty' ? 'completeness_score' : 'created_at';
    const and: Filter<ReviewItem>[] = [];
    if (query.status) and.push({ status: query.status });
    if (query.documentType) and.push({ document_type: query.documentType });
    if (query.missingField) {
      and.push({ $or: [{ missing_fields: query.missingField }, { invalid_fields: query.missingField }] });
    }
    if (query.agent) {
      const owned = fieldsOwnedBy(query.agent);
      and.push({ $or: [{ missing_fields: { $in: owned } }, { invalid_fields: { $in: owned } }, { low_confidence_fields: { $in: owned } }] });
    }
    if (query.cursor) {
      const c = decodeCursor(query.cursor, query.sort);
      const key = query.sort === 'uncertainty' ? c.k : new Date(c.k);
      and.push({ $or: [{ [sortField]: { $gt: key } }, { [sortField]: key, _id: { $gt: c.id } }] } as Filter<ReviewItem>);
    }
    const limit = Math.min(Math.max(1, query.limit), MAX_PAGE_SIZE);
    const rows = await this.store.reviewQueue
      .find(and.length > 0 ? { $and: and } : {})
      .sort({ [sortField]: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(query.sort, last) : null };
  }

  /** The item with its document, OCR lines and model spend so far; null when unknown. */
  async get(documentId: string): Promise<ItemDetail | null> {
    const item = await this.store.reviewQueue.findOne({ _id: documentId });
    if (!item) return null;
    const [document, job] = await Promise.all([
      this.store.enrichedDocuments.findOne({ _id: documentId }),
      this.store.ocrJobs.findOne({ _id: item.job_id }) as Promise<OcrJob | null>,
    ]);
    // The worker keeps the document's spend on the document itself (two `_id` lookups, no scan);
    // documents written before `model_calls` existed fall back to summing their cost records.
    const cost =
      document && typeof document.model_calls === 'number'
        ? { usd: document.cost_usd, calls: document.model_calls }
        : await this.store.jobSpend(item.job_id);
    return { item, document, ocrLines: job?.ocr_lines ?? [], cost };
  }

  /**
   * Approves or rejects a pending item at `version`, then records the decision.
   * @throws ReviewNotFoundError, ReviewConflictError (another decision won or it is not pending).
   */
  async decide(
    documentId: string,
    input: { decision: 'approve' | 'reject'; version: number; reviewer: string; reason?: string },
    now = new Date(),
  ): Promise<DecisionResult> {
    const status: ReviewStatus = input.decision === 'approve' ? 'approved' : 'rejected';
    const after = await this.store.reviewQueue.findOneAndUpdate(
      { _id: documentId, version: input.version, status: 'pending' },
      { $set: { status, updated_at: now }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (!after) throw await this.lostRace(documentId, input.version);
    const decision = await this.record(after, {
      decision: input.decision,
      reviewer: input.reviewer,
      reason: input.reason ?? null,
      now,
      before: { status: 'pending', version: input.version, completeness_score: after.completeness_score, fields: {} },
    });
    return { item: after, decision };
  }

  /**
   * Applies a reviewer's field corrections to a pending item at `version` (issue 3: "correct
   * fields, which recomputes the completeness score and approves when the document becomes
   * complete"):
   * - each value is checked with `validateField` and stored with the reviewer as its source:
   *   confidence 1, provider `human`, model = the reviewer's token `sub`, agent = the field's owner;
   * - completeness is re-scored for the (possibly corrected) document type;
   * - the item is approved when the new score reaches `thresholds.minCompleteness`
   *   ({@link decideAfterCorrection}; low model confidence of the other fields no longer holds it
   *   back), else it stays pending with the new score, missing lists and reasons.
   * The decision record keeps each corrected field's value before and after.
   * @throws InvalidCorrectionError, ReviewNotFoundError, ReviewConflictError (stale `version` or no
   *   longer pending: the optimistic check).
   */
  async correct(
    documentId: string,
    input: { version: number; reviewer: string; fields: Partial<Record<FieldName, unknown>> },
    thresholds: ApprovalThresholds,
    now = new Date(),
  ): Promise<DecisionResult> {
    const corrected: Partial<Record<FieldName, ExtractedField>> = {};
    const problems: string[] = [];
    for (const [name, value] of Object.entries(input.fields) as [FieldName, unknown][]) {
      const check = validateField(name, value);
      if (!check.valid) problems.push(check.reason);
      else corrected[name] = { value: check.value, confidence: 1, agent: FIELD_OWNERS[name], provider: 'human', model: input.reviewer, valid: true };
    }
    if (problems.length > 0) throw new InvalidCorrectionError(problems);
    if (Object.keys(corrected).length === 0) throw new InvalidCorrectionError(['no fields to correct']);

    const current = await this.store.reviewQueue.findOne({ _id: documentId });
    if (!current) throw new ReviewNotFoundError(documentId);
    if (current.version !== input.version || current.status !== 'pending') throw new ReviewConflictError(current, input.version);
    const document = await this.store.enrichedDocuments.findOne({ _id: documentId });
    const fieldsBefore = document?.fields ?? {};
    const fields = { ...fieldsBefore, ...corrected };
    const typeField = fields.document_type;
    const documentType = (typeField?.valid ? typeField.value : (document?.document_type ?? current.document_type)) as DocumentType;
    const report = scoreCompleteness(documentType, fields, thresholds);
    const approval = decideAfterCorrection(report, thresholds);
    const status = approval.status;

    const after = await this.store.reviewQueue.findOneAndUpdate(
      { _id: documentId, version: input.version, status: 'pending' },
      {
        $set: {
          status,
          document_type: documentType,
          completeness_score: report.completenessScore,
          missing_fields: report.missing,
          invalid_fields: report.invalid,
          low_confidence_fields: report.lowConfidence,
          reasons: approval.reasons,
          updated_at: now,
        },
        $inc: { version: 1 },
      },
      { returnDocument: 'after' },
    );
    if (!after) throw await this.lostRace(documentId, input.version);

    // Field names come from the FIELD_SCHEMAS enum (the route schema refuses others), so these
    // dotted paths are ours, never the client's.
    const setFields = Object.fromEntries(Object.entries(corrected).map(([name, f]) => [`fields.${name}`, f]));
    await this.store.enrichedDocuments.updateOne(
      { _id: documentId },
      {
        $set: {
          ...setFields,
          document_type: documentType,
          required_fields: [...DOCUMENT_TYPE_SCHEMAS[documentType].required],
          completeness_score: report.completenessScore,
          missing_fields: report.missing,
          invalid_fields: report.invalid,
          low_confidence_fields: report.lowConfidence,
          approval_reasons: approval.reasons,
          updated_at: now,
        },
      },
    );
    const before: DecisionSnapshot = {
      status: 'pending',
      version: input.version,
      completeness_score: current.completeness_score,
      fields: Object.fromEntries(Object.keys(corrected).map((name) => [name, fieldsBefore[name as FieldName] ?? null])),
    };
    const decision = await this.record(after, { decision: 'correct', reviewer: input.reviewer, reason: null, now, before, afterFields: corrected });
    return { item: after, decision };
  }

  /**
   * Queue stats: items per status, the age of the oldest pending item (seconds, null when none)
   * and decisions per UTC day over the last {@link STATS_DAYS} days (days without decisions omitted).
   */
  async stats(now = new Date()): Promise<{
    counts: Record<ReviewStatus, number>;
    oldestPendingAgeSeconds: number | null;
    oldestPendingCreatedAt: Date | null;
    decisionsPerDay: { day: string; approve: number; reject: number; correct: number; total: number }[];
  }> {
    const since = new Date(now.getTime() - STATS_DAYS * 86_400_000);
    const [byStatus, oldest, byDay] = await Promise.all([
      groupedSums<ReviewItem, ReviewStatus>(this.store.reviewQueue, {}, '$status', { n: 1 }),
      this.store.reviewQueue.find({ status: 'pending' }).sort({ created_at: 1, _id: 1 }).limit(1).toArray(),
      groupedSums<ReviewDecision, { day: string; decision: ReviewDecision['decision'] }>(
        this.decisions,
        { decided_at: { $gte: since } },
        { day: '$day', decision: '$decision' },
        { n: 1 },
      ),
    ]);
    const counts: Record<ReviewStatus, number> = { pending: 0, approved: 0, rejected: 0 };
    for (const row of byStatus) if (row.key in counts) counts[row.key] = row.sums['n'] ?? 0;
    const days = new Map<string, { day: string; approve: number; reject: number; correct: number; total: number }>();
    for (const row of byDay) {
      const entry = days.get(row.key.day) ?? { day: row.key.day, approve: 0, reject: 0, correct: 0, total: 0 };
      const n = row.sums['n'] ?? 0;
      entry[row.key.decision] += n;
      entry.total += n;
      days.set(row.key.day, entry);
    }
    const oldestCreated = oldest[0]?.created_at ?? null;
    return {
      counts,
      oldestPendingAgeSeconds: oldestCreated ? Math.max(0, (now.getTime() - oldestCreated.getTime()) / 1000) : null,
      oldestPendingCreatedAt: oldestCreated,
      decisionsPerDay: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    };
  }

  /** The decisions recorded for one document, oldest first. */
  async history(documentId: string): Promise<ReviewDecision[]> {
    return this.decisions.find({ document_id: documentId }).sort({ decided_at: 1 }).toArray();
  }

  /** After a lost `findOneAndUpdate`: 404 when the item is gone, else 409 with its current state. */
  private async lostRace(documentId: string, version: number): Promise<Error> {
    const current = await this.store.reviewQueue.findOne({ _id: documentId });
    return current ? new ReviewConflictError(current, version) : new ReviewNotFoundError(documentId);
  }

  private async record(
    after: ReviewItem,
    input: {
      decision: ReviewDecision['decision'];
      reviewer: string;
      reason: string | null;
      now: Date;
      before: DecisionSnapshot;
      afterFields?: DecisionSnapshot['fields'];
    },
  ): Promise<ReviewDecision> {
    const decision: ReviewDecision = {
      _id: `${after._id}:v${input.before.version}`,
      document_id: after.document_id,
      job_id: after.job_id,
      document_type: after.document_type,
      decision: input.decision,
      reviewer: input.reviewer,
      decided_at: input.now,
      day: utcDay(input.now),
      reason: input.reason,
      before: input.before,
      after: { status: after.status, version: after.version, completeness_score: after.completeness_score, fields: input.afterFields ?? {} },
    };
    try {
      await this.decisions.insertOne(decision);
    } catch (error) {
      // Only the winner of the version check reaches here, so a duplicate is this very decision
      // written already (a retried request); keep the first.
      if (!isDuplicateKeyError(error)) throw error;
    }
    return decision;
  }
}
