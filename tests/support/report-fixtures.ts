/** Hand-built run reports for unit tests of the report maths and the analysis. */
import { DOCUMENT_TYPE_SCHEMAS } from '../../app/src/domain/document-types.js';
import type { DocumentType, FieldName } from '../../app/src/domain/fields.js';
import type { PerDocument, RunReport } from '../../app/src/reporting/run-report.js';

/** One document of a type, pending review, with the given gaps among its required fields. */
export function perDocument(id: string, documentType: DocumentType, gaps: { missing?: FieldName[]; invalid?: FieldName[]; low?: FieldName[] }): PerDocument {
  return {
    document_id: id,
    job_id: `job-${id}`,
    document_type: documentType,
    required_fields: [...DOCUMENT_TYPE_SCHEMAS[documentType].required],
    completeness_score: 0,
    approval_status: 'pending_review',
    missing_fields: gaps.missing ?? [],
    invalid_fields: gaps.invalid ?? [],
    low_confidence_fields: gaps.low ?? [],
    fields_by_agent: {},
    phases: ['offline'],
    cost_usd: 0,
    accuracy: [],
  };
}

/** A report of these documents with neutral figures; `overrides` replace top-level keys. */
export function reportOf(docs: PerDocument[], overrides: Partial<RunReport> = {}): RunReport {
  return {
    schema_version: 1,
    generated_at: '2020-01-01T00:00:00.000Z',
    corpus: 'test',
    provider_mode: 'offline',
    models: {},
    documents: { submitted: docs.length, accepted: docs.length, rejected: 0, completed: docs.length, failed: 0, lost: 0, unfinished: 0 },
    average_completeness: null,
    auto_approval_rate: null,
    cost_per_document_usd: { mean: 0, p95: 0, max: 0, total: 0 },
    throughput_docs_per_hour: null,
    wall_seconds: 0,
    accuracy: {},
    key_value_pairs: { matched: 0, total: 0, rate: null },
    auto_approved_fully_correct: { correct: 0, total: 0, rate: null },
    cost_breakdown: { by_agent: {}, by_provider: {}, by_model: {}, by_tier: {} },
    price_table_versions: [],
    rejections: [],
    failures: [],
    lost_jobs: [],
    unfinished_jobs: [],
    per_document: docs,
    ...overrides,
  };
}
