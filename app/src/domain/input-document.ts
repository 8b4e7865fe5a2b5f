/**
 * The input document shape accepted by `enrich submit` (the corpus JSON shape):
 *
 * ```json
 * { "id": "X00016469669", "ocr_lines": ["TAN CHAY YEE", "..."],
 *   "source": "optional provenance",
 *   "ground_truth": { "company": "...", "date": "...", "address": "...", "total": "31.00" },
 *   "key_values": [{ "question": "TO:", "answer": "George Baroody" }] }
 * ```
 *
 * `ground_truth` and `key_values` are optional and only used to measure accuracy.
 */
import { z } from 'zod';

/**
 * Bounds on one document's text, shared with the agents' tool input schema so that whatever
 * ingest accepts, every agent accepts: far above any real receipt or form (the corpus tops out
 * near 200 lines), low enough that one document cannot pin an agent with megabytes of text.
 */
export const MAX_OCR_LINES = 5_000;
export const MAX_OCR_LINE_CHARS = 4_000;

export const inputDocumentSchema = z.object({
  id: z
    .string()
    .trim()
    .min(1, 'id must be a non-empty string')
    .max(200, 'id is longer than 200 characters')
    .regex(/^[A-Za-z0-9._:-]+$/, 'id may contain only letters, digits and . _ : -'),
  source: z.string().nullish().transform((v) => v ?? undefined),
  ocr_lines: z
    .array(z.string().max(MAX_OCR_LINE_CHARS, `a line is longer than ${MAX_OCR_LINE_CHARS} characters`))
    .min(1, 'ocr_lines is empty')
    .max(MAX_OCR_LINES, `more than ${MAX_OCR_LINES} lines`),
  // Ground truth only measures accuracy, so it never rejects a document: numbers become strings
  // and nulls are dropped.
  ground_truth: z
    .record(z.string(), z.union([z.string(), z.number(), z.null()]))
    .nullish()
    .transform((gt) => (gt ? Object.fromEntries(Object.entries(gt).flatMap(([k, v]) => (v === null ? [] : [[k, String(v)]]))) : undefined)),
  key_values: z
    .array(z.object({ question: z.string(), answer: z.string().nullable().transform((a) => a ?? '') }))
    .nullish()
    .transform((kv) => kv ?? undefined),
});
/** A validated input document. */
export interface InputDocument {
  id: string;
  source?: string;
  ocr_lines: string[];
  ground_truth?: Record<string, string>;
  key_values?: { question: string; answer: string }[];
}

export interface InputLimits {
  /** Maximum total OCR text size in bytes (UTF-8). */
  maxTextBytes: number;
}

export type ParseResult =
  | { ok: true; document: InputDocument }
  | { ok: false; reason: string; documentId?: string };

/**
 * Parses one raw file's bytes into a document, or the reason it is rejected: invalid UTF-8,
 * malformed JSON, a shape error, no text, or text over `maxTextBytes`.
 */
export function parseInputDocument(raw: Uint8Array, limits: InputLimits): ParseResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, reason: 'invalid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
  const rawId = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  // Only a usable id is echoed back, so a rejection never records a blank document_id.
  const documentId = typeof rawId === 'string' && rawId.trim() !== '' ? rawId.trim() : undefined;
  const parsed = inputDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `invalid document: ${issue.path.join('.') || '(root)'}: ${issue.message}`, documentId };
  }
  const doc: InputDocument = parsed.data;
  if (doc.ocr_lines.every((l) => l.trim() === '')) {
    return { ok: false, reason: 'no text: every ocr_lines entry is blank', documentId: doc.id };
  }
  const bytes = Buffer.byteLength(doc.ocr_lines.join('\n'), 'utf8');
  if (bytes > limits.maxTextBytes) {
    return { ok: false, reason: `text is ${bytes} bytes, over the limit of ${limits.maxTextBytes}`, documentId: doc.id };
  }
  return { ok: true, document: doc };
}
