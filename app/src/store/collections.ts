/**
 * The four collections of the pipeline, their document shapes and their indexes.
 *
 * Source: the checklist's "Indexes created" lines. `INDEX_SPECS` is the single source of truth:
 * the app creates them at start-up, the infra index Job and the policy pack read the same list.
 * Everything here works on MongoDB 7 and on FerretDB 1.24 (see docs/ferretdb-gaps.md).
 */
import type { AgentName, DocumentType, ExtractedField, FieldName } from '../domain/fields.js';
import type { CallRecord } from '../llm/provider.js';

export const COLLECTIONS = {
  ocrJobs: 'ocr_jobs',
  enrichedDocuments: 'enriched_documents',
  reviewQueue: 'review_queue',
  costRecords: 'cost_records',
  reviewDecisions: 'review_decisions',
} as const;
export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

export interface IndexSpec {
  collection: CollectionName;
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Where the index comes from: a checklist line or the code path that needs it. */
  reason: string;
}

export const INDEX_SPECS: readonly IndexSpec[] = [
  { collection: 'ocr_jobs', name: 'job_id_unique', key: { job_id: 1 }, unique: true, reason: 'checklist: ocr_jobs on job_id' },
  { collection: 'ocr_jobs', name: 'status', key: { status: 1 }, reason: 'checklist: ocr_jobs on status' },
  { collection: 'ocr_jobs', name: 'created_at', key: { created_at: 1 }, reason: 'checklist: ocr_jobs on created_at' },
  {
    collection: 'ocr_jobs',
    name: 'dedupe_key_unique',
    key: { dedupe_key: 1 },
    unique: true,
    reason: 'ingest: one accepted job per document id (duplicate ids are rejected)',
  },
  {
    collection: 'enriched_documents',
    name: 'document_id_unique',
    key: { document_id: 1 },
    unique: true,
    reason: 'checklist: enriched_documents on document_id',
  },
  {
    collection: 'enriched_documents',
    name: 'completeness_score',
    key: { completeness_score: 1 },
    reason: 'checklist: enriched_documents on completeness_score',
  },
  { collection: 'review_queue', name: 'status', key: { status: 1 }, reason: 'checklist: review_queue on status' },
  { collection: 'review_queue', name: 'created_at', key: { created_at: 1 }, reason: 'checklist: review_queue on created_at' },
  {
    collection: 'review_queue',
    name: 'document_id_unique',
    key: { document_id: 1 },
    unique: true,
    reason: 'checklist: review_queue on document_id (one item per document keeps redelivery idempotent)',
  },
  {
    collection: 'cost_records',
    name: 'enrichment_job_id',
    key: { enrichment_job_id: 1 },
    reason: 'checklist: cost_records on enrichment_job_id',
  },
  { collection: 'cost_records', name: 'created_at', key: { created_at: 1 }, reason: 'checklist: cost_records on created_at' },
  {
    collection: 'review_decisions',
    name: 'document_id',
    key: { document_id: 1 },
    reason: 'Review API: the decision history of one document',
  },
  {
    collection: 'review_decisions',
    name: 'decided_at',
    key: { decided_at: 1 },
    reason: 'Review API: decisions per day over a time range (GET /queue/stats)',
  },
];

/**
 * Job lifecycle. `rejected`, `completed` and `failed` are terminal.
 * pending (recorded, not yet published) → queued (published) → processing (leased by a worker)
 * → completed | failed; a transient failure returns the job to queued.
 */
export const JOB_STATUSES = ['rejected', 'pending', 'queued', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['rejected', 'completed', 'failed'];

/** An `ocr_jobs` entry: the source of truth for a submitted document (and the outbox). */
export interface OcrJob {
  _id: string;
  job_id: string;
  /** The document's own id; absent only for a rejected file whose id could not be read. */
  document_id: string | null;
  /** `document_id` for accepted jobs, `rejected:<job_id>` for rejected ones (unique index). */
  dedupe_key: string;
  status: JobStatus;
  batch_id: string;
  source_file: string | null;
  source: string | null;
  ocr_lines: string[];
  ground_truth: Record<string, string> | null;
  key_values: { question: string; answer: string }[] | null;
  reject_reason: string | null;
  failure_reason: string | null;
  last_error: string | null;
  /** Worker deliveries that claimed this job. */
  attempts: number;
  publish_count: number;
  lease_owner: string | null;
  lease_until: Date | null;
  outcome: 'auto_approved' | 'pending_review' | null;
  completeness_score: number | null;
  cost_usd: number | null;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
}

/** An `enriched_documents` entry: the merged result, one per document id. */
export interface EnrichedDocument {
  _id: string;
  document_id: string;
  job_id: string;
  document_type: DocumentType;
  fields: Partial<Record<FieldName, ExtractedField>>;
  required_fields: FieldName[];
  missing_fields: FieldName[];
  invalid_fields: FieldName[];
  low_confidence_fields: FieldName[];
  /** In [0, 1]. */
  completeness_score: number;
  approval_status: 'auto_approved' | 'pending_review';
  approval_reasons: string[];
  /** Model spend on this document across all attempts, USD. */
  cost_usd: number;
  /** Model calls (cost records) behind `cost_usd`, across all attempts. */
  model_calls: number;
  /** Tiers that ran, in order. */
  phases: ('offline' | 'local' | 'escalation')[];
  created_at: Date;
  updated_at: Date;
}

/** A `review_queue` item for a document that was not auto-approved. */
export interface ReviewItem {
  _id: string;
  document_id: string;
  job_id: string;
  document_type: DocumentType;
  status: 'pending' | 'approved' | 'rejected';
  missing_fields: FieldName[];
  invalid_fields: FieldName[];
  low_confidence_fields: FieldName[];
  completeness_score: number;
  reasons: string[];
  /** Optimistic-concurrency version, bumped on every decision. */
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A `cost_records` entry: one model call. `_id` is deterministic so rewrites are idempotent. */
export interface CostRecord extends CallRecord {
  _id: string;
  enrichment_job_id: string;
  document_id: string;
  agent: AgentName;
  tier: 'offline' | 'local' | 'escalation';
  /** Worker delivery attempt of the job that made the call. */
  job_attempt: number;
  prompt_version: string;
  created_at: Date;
}

/** A field's state in a {@link ReviewDecision}: the stored field, or null when it was absent. */
export type DecisionFieldState = ExtractedField | null;

/** One side (before or after) of a reviewer's decision. */
export interface DecisionSnapshot {
  status: ReviewItem['status'];
  version: number;
  /** In [0, 1]. */
  completeness_score: number;
  /** Only the fields the decision corrected (empty for approve and reject). */
  fields: Partial<Record<FieldName, DecisionFieldState>>;
}

/**
 * A `review_decisions` entry: one reviewer decision on a review item, kept so that corrections
 * can feed prompt optimisation. `_id` is `<document_id>:v<version before>`, so a decision can be
 * recorded once per item version.
 */
export interface ReviewDecision {
  _id: string;
  document_id: string;
  job_id: string;
  document_type: DocumentType;
  decision: 'approve' | 'reject' | 'correct';
  /** The token `sub` of the reviewer. */
  reviewer: string;
  decided_at: Date;
  /** UTC calendar day of `decided_at` (`YYYY-MM-DD`), grouped on by the stats (FerretDB has no `$dateToString`). */
  day: string;
  /** The reject reason; null for other decisions. */
  reason: string | null;
  before: DecisionSnapshot;
  after: DecisionSnapshot;
}
