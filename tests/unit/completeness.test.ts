import { describe, expect, it } from 'vitest';
import {
  decideApproval,
  fieldsNeedingEscalation,
  scoreCompleteness,
  type CompletenessReport,
  type ExtractedFields,
} from '../../app/src/domain/completeness.js';
import { DOCUMENT_TYPE_SCHEMAS, wantedFields } from '../../app/src/domain/document-types.js';
import { DOCUMENT_TYPES, FIELD_NAMES, type ExtractedField, type FieldName } from '../../app/src/domain/fields.js';

const THRESHOLDS = { minCompleteness: 0.95, minFieldConfidence: 0.7 };

function field(confidence: number, valid = true): ExtractedField {
  return {
    value: 'x',
    confidence,
    agent: 'metadata',
    provider: 'offline',
    model: 'rules',
    valid,
    ...(valid ? {} : { invalid_reason: 'test' }),
  };
}

/** Every listed field present, valid, at `confidence`. */
function allValid(names: readonly FieldName[], confidence = 0.9): ExtractedFields {
  return Object.fromEntries(names.map((n) => [n, field(confidence)]));
}

describe('DOCUMENT_TYPE_SCHEMAS', () => {
  it.each(DOCUMENT_TYPES)('%s: required and optional are disjoint known fields', (type) => {
    const { required, optional } = DOCUMENT_TYPE_SCHEMAS[type];
    expect(required.filter((f) => optional.includes(f))).toEqual([]);
    for (const f of [...required, ...optional]) expect(FIELD_NAMES).toContain(f);
    expect(wantedFields(type)).toEqual([...required, ...optional]);
  });
});

describe('scoreCompleteness', () => {
  it('scores the same three fields against each type’s own required list', () => {
    const fields = allValid(['document_type', 'title', 'summary']);
    const score = (t: (typeof DOCUMENT_TYPES)[number]) => scoreCompleteness(t, fields, THRESHOLDS).completenessScore;
    // Required counts: receipt 8, invoice 9, form 4, other 3.
    expect(score('receipt')).toBe(3 / 8);
    expect(score('invoice')).toBe(3 / 9);
    expect(score('form')).toBe(3 / 4);
    expect(score('other')).toBe(1);
  });

  it('scores 0 with nothing extracted and lists every required field as missing', () => {
    const r = scoreCompleteness('invoice', {}, THRESHOLDS);
    expect(r.completenessScore).toBe(0);
    expect(r.required).toEqual(DOCUMENT_TYPE_SCHEMAS.invoice.required);
    expect(r.missing).toEqual(DOCUMENT_TYPE_SCHEMAS.invoice.required);
    expect(r.invalid).toEqual([]);
    expect(r.lowConfidence).toEqual([]);
  });

  it('separates missing, invalid and low-confidence fields and counts only valid ones', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.receipt.required);
    delete fields.vendor_address;
    fields.document_date = field(0.95, false);
    fields.total_amount = field(0.4);
    const r = scoreCompleteness('receipt', fields, THRESHOLDS);
    expect(r.missing).toEqual(['vendor_address']);
    expect(r.invalid).toEqual(['document_date']);
    expect(r.lowConfidence).toEqual(['total_amount']);
    // Low confidence still counts as present: 8 required − 1 missing − 1 invalid.
    expect(r.completenessScore).toBe(6 / 8);
  });

  it('ignores optional fields, present or not', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.other.required);
    fields.language = field(0.1, false);
    const r = scoreCompleteness('other', fields, THRESHOLDS);
    expect(r.completenessScore).toBe(1);
    expect([...r.missing, ...r.invalid, ...r.lowConfidence]).toEqual([]);
  });

  it('treats a confidence equal to minFieldConfidence as confident, and just below as low', () => {
    const at = allValid(DOCUMENT_TYPE_SCHEMAS.other.required, 0.7);
    expect(scoreCompleteness('other', at, THRESHOLDS).lowConfidence).toEqual([]);
    const below = allValid(DOCUMENT_TYPE_SCHEMAS.other.required, 0.7);
    below.title = field(0.6999);
    expect(scoreCompleteness('other', below, THRESHOLDS).lowConfidence).toEqual(['title']);
  });
});

describe('decideApproval', () => {
  const report = (over: Partial<CompletenessReport>): CompletenessReport => ({
    completenessScore: 1,
    required: ['document_type', 'title', 'summary'],
    missing: [],
    invalid: [],
    lowConfidence: [],
    ...over,
  });

  it('auto-approves a complete, confident document', () => {
    const r = scoreCompleteness('receipt', allValid(DOCUMENT_TYPE_SCHEMAS.receipt.required), THRESHOLDS);
    expect(decideApproval(r, THRESHOLDS)).toEqual({ status: 'auto_approved', reasons: [] });
  });

  it('approves at exactly 0.95 completeness and rejects just below', () => {
    expect(decideApproval(report({ completenessScore: 0.95 }), THRESHOLDS).status).toBe('auto_approved');
    expect(decideApproval(report({ completenessScore: 0.9499 }), THRESHOLDS).status).toBe('pending_review');
  });

  it('approves when every required field sits exactly at 0.7 confidence', () => {
    const r = scoreCompleteness('form', allValid(DOCUMENT_TYPE_SCHEMAS.form.required, 0.7), THRESHOLDS);
    expect(decideApproval(r, THRESHOLDS).status).toBe('auto_approved');
  });

  it('gives the completeness reason with missing then invalid fields', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.receipt.required);
    delete fields.currency;
    fields.document_date = field(0.9, false);
    const r = scoreCompleteness('receipt', fields, THRESHOLDS);
    expect(decideApproval(r, THRESHOLDS)).toEqual({
      status: 'pending_review',
      reasons: ['completeness 0.750 < 0.95 (missing: currency, document_date)'],
    });
  });

  it('gives the confidence reason alone when the document is complete', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.other.required);
    fields.title = field(0.5);
    fields.summary = field(0.1);
    const r = scoreCompleteness('other', fields, THRESHOLDS);
    expect(decideApproval(r, THRESHOLDS)).toEqual({
      status: 'pending_review',
      reasons: ['confidence below 0.7: title, summary'],
    });
  });

  it('gives both reasons, completeness first', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.form.required);
    delete fields.key_values;
    fields.title = field(0.2);
    const r = scoreCompleteness('form', fields, THRESHOLDS);
    expect(decideApproval(r, THRESHOLDS).reasons).toEqual([
      'completeness 0.750 < 0.95 (missing: key_values)',
      'confidence below 0.7: title',
    ]);
  });

  it('says "none" when a low score lists no missing field', () => {
    expect(decideApproval(report({ completenessScore: 0.5 }), THRESHOLDS).reasons).toEqual(['completeness 0.500 < 0.95 (missing: none)']);
  });
});

describe('fieldsNeedingEscalation', () => {
  it('lists missing, then invalid, then low-confidence required fields', () => {
    const fields = allValid(DOCUMENT_TYPE_SCHEMAS.invoice.required);
    delete fields.title;
    delete fields.vendor_name;
    fields.currency = field(0.9, false);
    fields.document_number = field(0.3);
    fields.language = field(0.1); // optional: never escalated
    const r = scoreCompleteness('invoice', fields, THRESHOLDS);
    expect(fieldsNeedingEscalation(r)).toEqual(['vendor_name', 'title', 'currency', 'document_number']);
  });

  it('is empty for a complete, confident document', () => {
    const r = scoreCompleteness('other', allValid(DOCUMENT_TYPE_SCHEMAS.other.required), THRESHOLDS);
    expect(fieldsNeedingEscalation(r)).toEqual([]);
  });
});
