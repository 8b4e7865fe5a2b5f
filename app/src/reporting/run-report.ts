/**
 * The run report of an e2e run (or any batch): quality, approval, cost, throughput and accuracy
 * against ground truth, computed from what the pipeline stored. `analyze-results.sh` reads it.
 *
 * Figures (checklist "Test Results Validation" and "Success Criteria"): average completeness,
 * auto-approval rate, cost per document (mean and p95), throughput in documents/hour.
 */
import { AGENT_NAMES, FIELD_OWNERS, type AgentName, type FieldName } from '../domain/fields.js';
import { scoreDocument, type FieldScore } from '../domain/accuracy.js';
import { groupedSums } from '../store/aggregate.js';
import type { CostRecord, EnrichedDocument, OcrJob } from '../store/collections.js';
import type { Store } from '../store/store.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface PerDocument {
  document_id: string;
  job_id: string;
  document_type: string;
  required_fields: FieldName[];
  completeness_score: number;
  approval_status: string;
  missing_fields: FieldName[];
  invalid_fields: FieldName[];
  low_confidence_fields: FieldName[];
  /** Fields each agent contributed. */
  fields_by_agent: Partial<Record<AgentName, FieldName[]>>;
  phases: string[];
  cost_usd: number;
  accuracy: FieldScore[];
}

export interface RunReport {
  schema_version: number;
  generated_at: string;
  corpus: string;
  provider_mode: string;
  models: Record<string, string>;
  /**
   * Job counts. `lost`: the run went to its end (every job terminal, or the deadline passed) and a
   * job is still not terminal, or completed without an enriched document. `unfinished`: the run
   * was stopped early (interrupted, or a process crashed) while the job was still queued or
   * processing; such a job is not lost, nobody waited for it.
   */
  documents: { submitted: number; accepted: number; rejected: number; completed: number; failed: number; lost: number; unfinished: number };
  average_completeness: number | null;
  auto_approval_rate: number | null;
  cost_per_document_usd: { mean: number; p95: number; max: number; total: number };
  throughput_docs_per_hour: number | null;
  wall_seconds: number;
  accuracy: Record<string, { correct: number; total: number; rate: number | null }>;
  key_value_pairs: { matched: number; total: number; rate: number | null };
  /**
   * Of the auto-approved documents that have ground truth, how many are right in every scored
   * field: what auto-approval is worth. Approval is decided on confidence, not on correctness.
   */
  auto_approved_fully_correct: { correct: number; total: number; rate: number | null };
  cost_breakdown: Record<'by_agent' | 'by_provider' | 'by_model' | 'by_tier', Record<string, { calls: number; usd: number }>>;
  price_table_versions: string[];
  rejections: { file: string | null; document_id: string | null; reason: string }[];
  failures: { job_id: string; document_id: string | null; reason: string }[];
  lost_jobs: { job_id: string; document_id: string | null; status: string }[];
  /** Jobs not terminal when a run stopped early (see `documents.unfinished`); empty otherwise. */
  unfinished_jobs: { job_id: string; document_id: string | null; status: string }[];
  per_document: PerDocument[];
}

/** Nearest-rank percentile of a non-empty list; 0 for an empty one. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export interface BuildReportInput {
  store: Store;
  batchId: string;
  corpus: string;
  providerMode: string;
  models: Record<string, string>;
  startedAt: Date;
  finishedAt: Date;
  /**
   * True when the run stopped before its jobs could finish (Ctrl-C, a CI timeout signal, a crashed
   * process): jobs still queued or processing are then `unfinished`, not `lost`. Default false.
   */
  stoppedEarly?: boolean;
}

/** A job as the report lists it among the lost or unfinished ones. */
type JobRef = RunReport['lost_jobs'][number];

/**
 * Sorts the accepted jobs that did not end well: a job still queued or processing is `unfinished`
 * when the run stopped early and `lost` otherwise; a job completed without an enriched document
 * is `lost` either way (the pipeline dropped its result).
 */
export function openJobs(accepted: readonly OcrJob[], hasEnriched: (documentId: string) => boolean, stoppedEarly: boolean): { lost: JobRef[]; unfinished: JobRef[] } {
  const lost: JobRef[] = [];
  const unfinished: JobRef[] = [];
  for (const j of accepted) {
    const ref = { job_id: j.job_id, document_id: j.document_id, status: j.status };
    if (j.status === 'completed') {
      if (!j.document_id || !hasEnriched(j.document_id)) lost.push(ref);
    } else if (j.status !== 'failed') {
      (stoppedEarly ? unfinished : lost).push(ref);
    }
  }
  return { lost, unfinished };
}

/**
 * Builds the report of one batch from ocr_jobs, enriched_documents and cost_records.
 * Jobs that did not end well are sorted by {@link openJobs}.
 */
export async function buildRunReport(input: BuildReportInput): Promise<RunReport> {
  const { store, batchId } = input;
  const jobs = await store.ocrJobs.find({ batch_id: batchId }).toArray();
  const accepted = jobs.filter((j) => j.status !== 'rejected');
  const completedJobs = accepted.filter((j) => j.status === 'completed');
  const documentIds = accepted.map((j) => j.document_id!).filter(Boolean);
  const enriched = new Map<string, EnrichedDocument>();
  for (const d of await store.enrichedDocuments.find({ document_id: { $in: documentIds } }).toArray()) enriched.set(d.document_id, d);

  const { lost, unfinished } = openJobs(accepted, (id) => enriched.has(id), input.stoppedEarly ?? false);

  const jobIds = accepted.map((j) => j.job_id);
  const breakdownRows = (
    await groupedSums<CostRecord, { agent: string; provider: string; model: string; tier: string; price: string }>(
      store.costRecords,
      { enrichment_job_id: { $in: jobIds } },
      { agent: '$agent', provider: '$provider', model: '$model', tier: '$tier', price: '$price_table_version' },
      { calls: 1, usd: '$cost_usd' },
    )
  ).map((r) => ({ _id: r.key, calls: r.sums.calls!, usd: r.sums.usd! }));
  const breakdown: RunReport['cost_breakdown'] = { by_agent: {}, by_provider: {}, by_model: {}, by_tier: {} };
  const add = (bucket: Record<string, { calls: number; usd: number }>, key: string, calls: number, usd: number) => {
    const b = (bucket[key] ??= { calls: 0, usd: 0 });
    b.calls += calls;
    b.usd += usd;
  };
  for (const row of breakdownRows) {
    add(breakdown.by_agent, row._id.agent, row.calls, row.usd);
    add(breakdown.by_provider, row._id.provider, row.calls, row.usd);
    add(breakdown.by_model, row._id.model, row.calls, row.usd);
    add(breakdown.by_tier, row._id.tier, row.calls, row.usd);
  }

  const perDocument: PerDocument[] = completedJobs
    .filter((j) => enriched.has(j.document_id!))
    .map((j) => perDocumentOf(j, enriched.get(j.document_id!)!));

  const accuracy: RunReport['accuracy'] = {};
  const pairs = { matched: 0, total: 0 };
  for (const doc of perDocument) {
    for (const score of doc.accuracy) {
      if (score.field === 'key_values') {
        pairs.matched += score.matched ?? 0;
        pairs.total += score.total ?? 0;
        continue;
      }
      const a = (accuracy[score.field] ??= { correct: 0, total: 0, rate: null });
      a.total++;
      if (score.correct) a.correct++;
    }
  }
  for (const a of Object.values(accuracy)) a.rate = a.total ? a.correct / a.total : null;

  const approvedScored = perDocument.filter((d) => d.approval_status === 'auto_approved' && d.accuracy.some((a) => a.field !== 'key_values'));
  const approvedCorrect = approvedScored.filter((d) => d.accuracy.every((a) => a.field === 'key_values' || a.correct)).length;

  const costs = perDocument.map((d) => d.cost_usd);
  const finished = completedJobs.map((j) => j.completed_at?.getTime() ?? 0).filter((t) => t > 0);
  const firstCreated = Math.min(...accepted.map((j) => j.created_at.getTime()));
  const spanHours = finished.length > 0 ? (Math.max(...finished) - firstCreated) / 3_600_000 : 0;

  return {
    schema_version: REPORT_SCHEMA_VERSION,
    generated_at: new Date().toISOString(),
    corpus: input.corpus,
    provider_mode: input.providerMode,
    models: input.models,
    documents: {
      submitted: jobs.length,
      accepted: accepted.length,
      rejected: jobs.length - accepted.length,
      completed: completedJobs.length,
      failed: accepted.filter((j) => j.status === 'failed').length,
      lost: lost.length,
      unfinished: unfinished.length,
    },
    average_completeness: mean(perDocument.map((d) => d.completeness_score)),
    auto_approval_rate: perDocument.length ? perDocument.filter((d) => d.approval_status === 'auto_approved').length / perDocument.length : null,
    cost_per_document_usd: {
      mean: mean(costs) ?? 0,
      p95: percentile(costs, 95),
      max: costs.length ? Math.max(...costs) : 0,
      total: costs.reduce((a, b) => a + b, 0),
    },
    throughput_docs_per_hour: spanHours > 0 ? completedJobs.length / spanHours : null,
    wall_seconds: (input.finishedAt.getTime() - input.startedAt.getTime()) / 1000,
    accuracy,
    key_value_pairs: { ...pairs, rate: pairs.total ? pairs.matched / pairs.total : null },
    auto_approved_fully_correct: {
      correct: approvedCorrect,
      total: approvedScored.length,
      rate: approvedScored.length ? approvedCorrect / approvedScored.length : null,
    },
    cost_breakdown: breakdown,
    price_table_versions: [...new Set(breakdownRows.map((r) => r._id.price))].sort(),
    rejections: jobs.filter((j) => j.status === 'rejected').map((j) => ({ file: j.source_file, document_id: j.document_id, reason: j.reject_reason ?? '' })),
    failures: accepted.filter((j) => j.status === 'failed').map((j) => ({ job_id: j.job_id, document_id: j.document_id, reason: j.failure_reason ?? '' })),
    lost_jobs: lost,
    unfinished_jobs: unfinished,
    per_document: perDocument,
  };
}

function perDocumentOf(job: OcrJob, doc: EnrichedDocument): PerDocument {
  const byAgent: Partial<Record<AgentName, FieldName[]>> = {};
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const [name, f] of Object.entries(doc.fields) as [FieldName, NonNullable<EnrichedDocument['fields'][FieldName]>][]) {
    (byAgent[f.agent] ??= []).push(name);
    if (f.valid) values[name] = f.value;
  }
  return {
    document_id: doc.document_id,
    job_id: job.job_id,
    document_type: doc.document_type,
    required_fields: doc.required_fields,
    completeness_score: doc.completeness_score,
    approval_status: doc.approval_status,
    missing_fields: doc.missing_fields,
    invalid_fields: doc.invalid_fields,
    low_confidence_fields: doc.low_confidence_fields,
    fields_by_agent: byAgent,
    phases: doc.phases,
    cost_usd: doc.cost_usd,
    accuracy: scoreDocument(job.ground_truth ?? undefined, job.key_values ?? undefined, values),
  };
}

/** Completeness per agent: share of the required fields an agent owns that were present and valid. */
export function completenessPerAgent(report: RunReport): Record<AgentName, number | null> {
  const out = {} as Record<AgentName, number | null>;
  for (const agent of AGENT_NAMES) {
    let owned = 0;
    let missing = 0;
    for (const d of report.per_document) {
      const gaps = new Set([...d.missing_fields, ...d.invalid_fields]);
      for (const f of d.required_fields) {
        if (FIELD_OWNERS[f] !== agent) continue;
        owned++;
        if (gaps.has(f)) missing++;
      }
    }
    out[agent] = owned ? (owned - missing) / owned : null;
  }
  return out;
}
