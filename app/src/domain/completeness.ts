/**
 * Completeness scoring and the auto-approval rule. Pure functions.
 *
 * Checklist 8-tests-02 and 8-tests-03 (mean completeness of 0.95 or more; nine in ten documents
 * approved without review).
 */
import { DOCUMENT_TYPE_SCHEMAS } from './document-types.js';
import type { DocumentType, ExtractedField, FieldName } from './fields.js';

export interface ApprovalThresholds {
  /** Minimum completeness score in [0, 1] for auto-approval. Default 0.95. */
  minCompleteness: number;
  /** Minimum confidence in [0, 1] of every required field for auto-approval. */
  minFieldConfidence: number;
}

export interface CompletenessReport {
  /** Share of required fields present and valid, in [0, 1]. */
  completenessScore: number;
  required: FieldName[];
  missing: FieldName[];
  invalid: FieldName[];
  /** Present and valid, but below `minFieldConfidence`. */
  lowConfidence: FieldName[];
}

export type ExtractedFields = Partial<Record<FieldName, ExtractedField>>;

/** Scores a document's fields against its type's required list. */
export function scoreCompleteness(
  type: DocumentType,
  fields: ExtractedFields,
  thresholds: Pick<ApprovalThresholds, 'minFieldConfidence'>,
): CompletenessReport {
  const required = [...DOCUMENT_TYPE_SCHEMAS[type].required];
  const missing: FieldName[] = [];
  const invalid: FieldName[] = [];
  const lowConfidence: FieldName[] = [];
  let present = 0;
  for (const name of required) {
    const f = fields[name];
    if (!f) missing.push(name);
    else if (!f.valid) invalid.push(name);
    else {
      present++;
      if (f.confidence < thresholds.minFieldConfidence) lowConfidence.push(name);
    }
  }
  return {
    completenessScore: required.length === 0 ? 1 : present / required.length,
    required,
    missing,
    invalid,
    lowConfidence,
  };
}

export type ApprovalDecision =
  | { status: 'auto_approved'; reasons: [] }
  | { status: 'pending_review'; reasons: string[] };

/** Auto-approves when completeness and every required field's confidence meet the thresholds. */
export function decideApproval(report: CompletenessReport, thresholds: ApprovalThresholds): ApprovalDecision {
  const reasons: string[] = [];
  if (report.completenessScore < thresholds.minCompleteness) {
    reasons.push(
      `completeness ${report.completenessScore.toFixed(3)} < ${thresholds.minCompleteness} (missing: ${[...report.missing, ...report.invalid].join(', ') || 'none'})`,
    );
  }
  if (report.lowConfidence.length > 0) {
    reasons.push(`confidence below ${thresholds.minFieldConfidence}: ${report.lowConfidence.join(', ')}`);
  }
  return reasons.length === 0 ? { status: 'auto_approved', reasons: [] } : { status: 'pending_review', reasons };
}

/** Fields that phase 2 should retry: missing, invalid or low-confidence required fields. */
export function fieldsNeedingEscalation(report: CompletenessReport): FieldName[] {
  return [...report.missing, ...report.invalid, ...report.lowConfidence];
}
