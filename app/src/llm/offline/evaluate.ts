/**
 * Measures the offline provider on documents with ground truth: per-field coverage, per-field
 * accuracy, calibration (accuracy per confidence bucket), the offline auto-approval rate and
 * time per document. Used by `scripts/eval-offline.ts` and the corpus test.
 */
import { performance } from 'node:perf_hooks';
import { scoreDocument, type GroundTruthPair } from '../../domain/accuracy.js';
import { DOCUMENT_TYPE_SCHEMAS } from '../../domain/document-types.js';
import { AGENT_NAMES, DOCUMENT_TYPES, FIELD_NAMES, fieldsOwnedBy, type DocumentType, type FieldCandidate, type FieldName } from '../../domain/fields.js';
import type { LLMProvider } from '../provider.js';

export interface EvalDocument {
  id: string;
  ocr_lines: string[];
  ground_truth?: Record<string, string>;
  key_values?: GroundTruthPair[];
}

export interface FieldStats {
  /** Documents where the field was returned. */
  found: number;
  /** Documents where the field was returned with confidence ≥ the escalation threshold. */
  confident: number;
  /** Documents with ground truth for this field. */
  scored: number;
  /** Of `scored`, how many matched (for key_values: sum of per-document ratios). */
  correct: number;
  /** Mean confidence of matched / unmatched predictions, to check calibration. */
  confidenceWhenCorrect: number[];
  confidenceWhenWrong: number[];
  /**
   * One entry per scored document where the field was returned: its confidence and whether it
   * matched (for key_values: the share of ground-truth pairs found, in [0, 1]).
   */
  predictions: { confidence: number; correct: number }[];
}

/**
 * Confidence the pipeline escalates below and auto-approves at (`ESCALATE_BELOW_CONFIDENCE` and
 * `AUTO_APPROVE_MIN_FIELD_CONFIDENCE` defaults).
 */
export const CONFIDENT_AT = 0.7;

/** Lower bounds of the calibration buckets, ascending; the first must be 0. */
export const CALIBRATION_BUCKET_BOUNDS = [0, 0.5, 0.7, 0.85, 0.95] as const;

export interface CalibrationBucket {
  /** Confidence range `[from, to)`; the last bucket's `to` is 1 inclusive. */
  from: number;
  to: number;
  /** Predictions in the range. */
  count: number;
  /** Of `count`, how many matched (sum of ratios for key_values). */
  correct: number;
}

export interface FieldCalibration {
  buckets: CalibrationBucket[];
  /** Predictions at confidence ≥ `threshold`, and how many of them matched. */
  atOrAbove: { count: number; correct: number };
  /** Predictions below `threshold`, and how many of them matched. */
  below: { count: number; correct: number };
}

/**
 * Buckets a field's scored predictions by confidence ({@link CALIBRATION_BUCKET_BOUNDS}) and
 * splits them at `threshold` (the approval confidence, 0.7 by default). Accuracy of a bucket is
 * `correct / count`; an empty bucket has count 0.
 */
export function calibrationOf(stats: Pick<FieldStats, 'predictions'>, threshold = CONFIDENT_AT): FieldCalibration {
  const bounds = [...CALIBRATION_BUCKET_BOUNDS, Number.POSITIVE_INFINITY];
  const buckets: CalibrationBucket[] = CALIBRATION_BUCKET_BOUNDS.map((from, i) => ({ from, to: Math.min(1, bounds[i + 1]!), count: 0, correct: 0 }));
  const atOrAbove = { count: 0, correct: 0 };
  const below = { count: 0, correct: 0 };
  for (const p of stats.predictions) {
    const i = bounds.findIndex((b, k) => p.confidence >= b && p.confidence < bounds[k + 1]!);
    const bucket = buckets[Math.max(0, i)]!;
    bucket.count++;
    bucket.correct += p.correct;
    const side = p.confidence >= threshold ? atOrAbove : below;
    side.count++;
    side.correct += p.correct;
  }
  return { buckets, atOrAbove, below };
}

export interface EvalReport {
  documents: number;
  fields: Record<FieldName, FieldStats>;
  /** key_values pairs over the whole corpus. */
  pairs: { matched: number; total: number; predicted: number };
  documentTypes: Record<string, number>;
  msPerDocument: number;
  /** Mean share of the assigned type's required fields that were found, in [0, 1]. */
  meanCompleteness: number;
  /** Documents whose required fields were all found at confidence ≥ 0.7 (would auto-approve offline). */
  allRequiredConfident: number;
  /**
   * Of `allRequiredConfident`, those with ground truth whose every scored field matched: how
   * clean the offline auto-approvals are. `approvedScored` counts those with any ground truth.
   */
  approvedAllCorrect: number;
  approvedScored: number;
  /** Per document: id and the scores that were wrong, for error analysis. */
  misses: { id: string; field: FieldName; expected: string; predicted: unknown }[];
}


/**
 * Runs the five agents' requests through `provider` for every document (classification first,
 * its type passed on as context, as the pipeline does) and scores the results.
 */
export async function evaluateDocuments(provider: LLMProvider, documents: readonly EvalDocument[]): Promise<EvalReport> {
  const fields = Object.fromEntries(
    FIELD_NAMES.map((f) => [f, { found: 0, confident: 0, scored: 0, correct: 0, confidenceWhenCorrect: [], confidenceWhenWrong: [], predictions: [] }]),
  ) as unknown as Record<FieldName, FieldStats>;
  const pairs = { matched: 0, total: 0, predicted: 0 };
  const documentTypes: Record<string, number> = {};
  const misses: EvalReport['misses'] = [];
  let elapsedMs = 0;
  let completenessSum = 0;
  let allRequiredConfident = 0;
  let approvedAllCorrect = 0;
  let approvedScored = 0;
  for (const doc of documents) {
    const started = performance.now();
    const got: Partial<Record<FieldName, FieldCandidate>> = {};
    for (const agent of AGENT_NAMES) {
      const result = await provider.extract({
        agent,
        promptVersion: 'eval',
        systemPrompt: '',
        documentId: doc.id,
        ocrLines: doc.ocr_lines,
        fields: fieldsOwnedBy(agent),
        outputJsonSchema: {},
        context: got.document_type ? { document_type: got.document_type.value } : {},
      });
      Object.assign(got, result.fields);
    }
    elapsedMs += performance.now() - started;
    const type = String(got.document_type?.value ?? 'none');
    documentTypes[type] = (documentTypes[type] ?? 0) + 1;
    const required = DOCUMENT_TYPE_SCHEMAS[(DOCUMENT_TYPES as readonly string[]).includes(type) ? (type as DocumentType) : 'other'].required;
    completenessSum += required.filter((f) => got[f]).length / required.length;
    const approved = required.every((f) => (got[f]?.confidence ?? 0) >= CONFIDENT_AT);
    if (approved) allRequiredConfident++;
    for (const f of FIELD_NAMES) {
      const c = got[f];
      if (!c) continue;
      fields[f].found++;
      if (c.confidence >= CONFIDENT_AT) fields[f].confident++;
    }
    const values = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.value])) as Partial<Record<FieldName, unknown>>;
    const scores = scoreDocument(doc.ground_truth, doc.key_values, values);
    if (approved && scores.length > 0) {
      approvedScored++;
      if (scores.every((s) => s.correct)) approvedAllCorrect++;
    }
    for (const s of scores) {
      const st = fields[s.field];
      st.scored++;
      const conf = got[s.field]?.confidence;
      if (s.field === 'key_values') {
        st.correct += s.ratio ?? 0;
        pairs.matched += s.matched ?? 0;
        pairs.total += s.total ?? 0;
        pairs.predicted += Array.isArray(s.predicted) ? s.predicted.length : 0;
      } else if (s.correct) st.correct++;
      if (conf !== undefined) {
        (s.correct ? st.confidenceWhenCorrect : st.confidenceWhenWrong).push(conf);
        st.predictions.push({ confidence: conf, correct: s.field === 'key_values' ? (s.ratio ?? 0) : s.correct ? 1 : 0 });
      }
      if (!s.correct) misses.push({ id: doc.id, field: s.field, expected: s.expected, predicted: s.predicted });
    }
  }
  return { documents: documents.length, fields, pairs, documentTypes, msPerDocument: documents.length ? elapsedMs / documents.length : 0,
    meanCompleteness: documents.length ? completenessSum / documents.length : 0,
    allRequiredConfident,
    approvedAllCorrect,
    approvedScored,
    misses,
  };
}
