/**
 * The phase-0 provider: deterministic rules and small NLP libraries, no model, no network, no
 * cost. It runs on every document; later phases only see the fields it leaves missing, invalid
 * or below the escalation confidence.
 */
import { performance } from 'node:perf_hooks';
import { validateField, type FieldCandidate, type FieldName } from '../../domain/fields.js';
import { ProviderError, type CallRecord, type ExtractionRequest, type ExtractionResult, type LLMProvider } from '../provider.js';
import { DocumentAnalysis } from './analysis.js';

/** Model name on the offline provider's results and cost records; bump when the rules change meaningfully. */
export const OFFLINE_MODEL = 'offline-rules-v2';

/** Phase-0 {@link LLMProvider}: rule-based extraction, model name `offline-rules-v2`. */
export class OfflineProvider implements LLMProvider {
  readonly name = 'offline' as const;
  readonly model = OFFLINE_MODEL;

  /**
   * Returns a candidate for each requested field the rules find, each value already valid under
   * its `FIELD_SCHEMAS` entry, and one {@link CallRecord} (0 tokens, 0 USD, 0 GPU seconds).
   * A rule that throws leaves its field out and marks the call `error` with the message; the
   * other fields are still returned. Throws {@link ProviderError} (transient) only when
   * `request.signal` is already aborted.
   */
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    if (request.signal?.aborted) {
      throw new ProviderError('offline extraction aborted before start', [], true, { cause: request.signal.reason });
    }
    const started = performance.now();
    const analysis = new DocumentAnalysis(request.ocrLines, request.context?.document_type);
    const fields: Partial<Record<FieldName, FieldCandidate>> = {};
    const failures: string[] = [];
    for (const field of new Set(request.fields)) {
      try {
        const candidate = analysis.candidate(field);
        if (!candidate) continue;
        const checked = validateField(field, candidate.value);
        // A rule's value that fails its schema is a rule bug; leave the field to later phases.
        if (!checked.valid) {
          failures.push(`${field}: ${checked.reason}`);
          continue;
        }
        fields[field] = { value: checked.value, confidence: Math.max(0, Math.min(1, candidate.confidence)) };
      } catch (err) {
        failures.push(`${field}: ${(err as Error).message}`);
      }
    }
    const call: CallRecord = {
      provider: 'offline',
      model: this.model,
      attempt: 1,
      outcome: failures.length > 0 ? 'error' : 'ok',
      ...(failures.length > 0 ? { error: failures.join('; ') } : {}),
      input_tokens: 0,
      output_tokens: 0,
      duration_seconds: (performance.now() - started) / 1000,
      gpu_seconds: 0,
      cost_usd: 0,
      price_table_version: 'n/a',
    };
    return { fields, calls: [call], provider: 'offline', model: this.model };
  }
}
