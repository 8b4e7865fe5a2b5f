/**
 * The output envelope every model is asked to answer in, and the parser of its answers.
 *
 * Envelope: `{ "fields": { "<name>": { "value": <value or null>, "confidence": <0..1> } } }`.
 * A `null` value means "not found in the document" and is dropped by the parser, so a provider
 * only returns the candidates it found (see `LLMProvider`).
 *
 * Two levels of checking, on purpose:
 * - the envelope (JSON, `fields` object, `{ value, confidence }` per field) decides whether the
 *   answer is usable at all; a broken envelope is `invalid_output` and triggers a re-ask;
 * - the value schemas of `FIELD_SCHEMAS` are NOT enforced here: a value that fails its schema is
 *   still returned, and the pipeline records it as an invalid field (never silently dropped).
 */
import { z } from 'zod';
import { FIELD_SCHEMAS, type FieldCandidate, type FieldName } from '../domain/fields.js';

/** Confidence as the envelope requires it: a number in [0, 1]. */
const confidenceSchema = z.number().min(0).max(1);

/** The envelope of one field, strict value schema included (what the model is told to produce). */
function strictFieldEnvelope(field: FieldName) {
  return z.object({ value: FIELD_SCHEMAS[field].nullable(), confidence: confidenceSchema });
}

/** The envelope of one field as the parser accepts it: any value, well-formed confidence. */
const looseFieldEnvelope = z.object({ value: z.unknown(), confidence: confidenceSchema });

/** Top level of an answer: only `fields` must be an object; its entries are checked one by one. */
const looseEnvelope = z.object({ fields: z.record(z.string(), z.unknown()) });

export interface OutputSchema {
  /** Strict zod schema of the envelope for the requested fields (value schemas included). */
  zod: z.ZodType;
  /**
   * JSON Schema (draft 2020-12, from `z.toJSONSchema`) of the same envelope, as sent to the
   * model (`format` for Ollama, `output_config.format.schema` for Anthropic).
   */
  jsonSchema: Record<string, unknown>;
}

/**
 * Builds the output envelope for a set of fields.
 *
 * @param fields the wanted fields; each becomes an optional key of `fields`.
 * @returns the strict zod schema and its JSON Schema export.
 * @throws Error when `fields` is empty (a call that asks for nothing is a caller bug).
 */
export function buildOutputSchema(fields: readonly FieldName[]): OutputSchema {
  if (fields.length === 0) throw new Error('buildOutputSchema: no fields requested');
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) shape[field] = strictFieldEnvelope(field).optional();
  const envelope = z.object({ fields: z.object(shape) });
  return { zod: envelope, jsonSchema: z.toJSONSchema(envelope) as Record<string, unknown> };
}

/** A field entry the parser dropped, with the reason (kept for the re-ask message and logs). */
export interface DroppedField {
  field: string;
  reason: string;
}

export type ParsedModelOutput =
  | {
      ok: true;
      /** Found fields (non-null values), value schemas NOT applied. */
      fields: Partial<Record<FieldName, FieldCandidate>>;
      /** Entries ignored: not requested, or a malformed `{ value, confidence }`. */
      dropped: DroppedField[];
    }
  | {
      ok: false;
      /** Why the answer is unusable, phrased so it can be sent back to the model. */
      reason: string;
    };

/**
 * Parses a model's text answer against the envelope.
 *
 * Invalid (`ok: false`) only when the text is not JSON, the top level is not
 * `{ "fields": { ... } }`, or every entry in `fields` is malformed. Otherwise the well-formed
 * entries of requested fields are returned; `null` values (not found) are left out. A value
 * failing its `FIELD_SCHEMAS` entry is still returned.
 *
 * Tolerates one surrounding Markdown code fence, which some models add despite instructions.
 */
export function parseModelOutput(text: string, fields: readonly FieldName[]): ParsedModelOutput {
  let json: unknown;
  try {
    json = JSON.parse(stripCodeFence(text));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `the answer is not valid JSON (${message})` };
  }
  const top = looseEnvelope.safeParse(json);
  if (!top.success) {
    return { ok: false, reason: 'the answer must be a JSON object of the form {"fields": {"<name>": {"value": ..., "confidence": 0..1}}}' };
  }
  const wanted = new Set<string>(fields);
  const found: Partial<Record<FieldName, FieldCandidate>> = {};
  const dropped: DroppedField[] = [];
  const entries = Object.entries(top.data.fields);
  for (const [name, entry] of entries) {
    if (!wanted.has(name)) {
      dropped.push({ field: name, reason: 'not a requested field' });
      continue;
    }
    const parsed = looseFieldEnvelope.safeParse(entry);
    if (!parsed.success) {
      dropped.push({ field: name, reason: 'expected {"value": ..., "confidence": number in [0, 1]}' });
      continue;
    }
    if (parsed.data.value === null || parsed.data.value === undefined) continue;
    found[name as FieldName] = { value: parsed.data.value, confidence: parsed.data.confidence };
  }
  if (entries.length > 0 && dropped.length === entries.length) {
    return {
      ok: false,
      reason: `no usable field entry: ${dropped.map((d) => `${d.field}: ${d.reason}`).join('; ')}`,
    };
  }
  return { ok: true, fields: found, dropped };
}

/**
 * Per-field conventions told to the model, in the terms of `FIELD_SCHEMAS`. Kept next to the
 * envelope so that prompt and schema cannot drift apart.
 */
const FIELD_INSTRUCTIONS: Record<FieldName, string> = {
  document_type: 'one of "receipt", "invoice", "form", "other"',
  language: 'ISO 639-1 code of the document language, lower case (e.g. "en")',
  vendor_name: 'name of the seller or issuer, as printed',
  vendor_address: 'full postal address of the vendor, as printed, on one line',
  document_date: 'date of the document as an ISO date YYYY-MM-DD',
  document_number: 'receipt/invoice/form number, as printed',
  organizations: 'array of organization names mentioned',
  people: 'array of person names mentioned',
  total_amount: 'grand total paid, as a number without currency symbol',
  currency: 'ISO 4217 code (e.g. "MYR", "USD")',
  title: 'short title describing the document',
  summary: 'one to three sentences summarising the document',
  keywords: 'array of 1 to 20 keywords',
  line_items: 'array of {"description", "quantity", "unit_price", "amount"} (numbers or null)',
  sections: 'array of section headings, in order',
  key_values: 'array of {"key", "value"} question/answer pairs, as printed',
};

/**
 * The instruction block appended to an agent's system prompt: the envelope and, per wanted
 * field, its expected format.
 */
export function fieldInstructions(fields: readonly FieldName[]): string {
  const lines = fields.map((f) => `- ${f}: ${FIELD_INSTRUCTIONS[f]}`);
  return [
    'Answer with one JSON object only, of the form {"fields": {"<field>": {"value": <value>, "confidence": <number 0..1>}}}.',
    'Use "value": null when the document does not contain the field. Do not invent values.',
    'Fields:',
    ...lines,
  ].join('\n');
}

/**
 * The user turn of an extraction: numbered OCR lines, any context from earlier phases, and the
 * wanted fields.
 */
export function extractionUserMessage(request: {
  documentId: string;
  ocrLines: readonly string[];
  fields: readonly FieldName[];
  context?: Partial<Record<FieldName, unknown>>;
}): string {
  const numbered = request.ocrLines.map((line, i) => `${i + 1}: ${line}`).join('\n');
  const context =
    request.context && Object.keys(request.context).length > 0
      ? `\nKnown so far: ${JSON.stringify(request.context)}\n`
      : '';
  return `Document ${request.documentId}, OCR lines:\n${numbered}\n${context}\nExtract these fields: ${request.fields.join(', ')}.`;
}

/** Follow-up turn after an unusable answer, saying what was wrong. */
export function reaskMessage(reason: string): string {
  return `Your previous answer could not be used: ${reason}. Reply again with only the JSON object described, nothing else.`;
}

function stripCodeFence(text: string): string {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed);
  return fenced?.[1] ?? trimmed;
}
