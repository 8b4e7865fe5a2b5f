/**
 * The enrichment field model: which fields exist, which agent owns each, and the shape of an
 * extracted value. Pure data, no I/O.
 *
 * Source: the five agents of the pipeline issue (classification, metadata, entities, summary,
 * structure) and the SROIE/FUNSD ground truth those fields are scored against.
 */
import { z } from 'zod';

/** The five MCP agents. Order is the order phase 1 reports them in. */
export const AGENT_NAMES = ['classification', 'metadata', 'entities', 'summary', 'structure'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** Document types the classification agent may return. */
export const DOCUMENT_TYPES = ['receipt', 'invoice', 'form', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** Line item on a receipt or invoice. Amounts are in the document's currency, as numbers. */
export const lineItemSchema = z.object({
  description: z.string().min(1),
  quantity: z.number().nullable(),
  unit_price: z.number().nullable(),
  amount: z.number().nullable(),
});
export type LineItem = z.infer<typeof lineItemSchema>;

/** A form's question/answer pair, as printed. */
export const keyValueSchema = z.object({ key: z.string().min(1), value: z.string() });
export type KeyValue = z.infer<typeof keyValueSchema>;

/**
 * Every field the pipeline extracts, with its value schema. A value that fails its schema is
 * recorded as invalid (never silently dropped) and counts as missing for completeness.
 *
 * Conventions: dates are ISO calendar dates (`YYYY-MM-DD`); amounts are numbers without currency;
 * currency is an ISO 4217 code; language is an ISO 639-1 code.
 */
export const FIELD_SCHEMAS = {
  document_type: z.enum(DOCUMENT_TYPES),
  language: z.string().regex(/^[a-z]{2}$/, 'ISO 639-1 code'),
  vendor_name: z.string().trim().min(2).max(200),
  vendor_address: z.string().trim().min(8).max(500),
  document_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'ISO date YYYY-MM-DD').refine(isCalendarDate, 'not a calendar date'),
  document_number: z.string().trim().min(1).max(100),
  organizations: z.array(z.string().min(1)).min(1),
  people: z.array(z.string().min(1)).min(1),
  total_amount: z.number().finite().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
  title: z.string().trim().min(2).max(300),
  summary: z.string().trim().min(10).max(2000),
  keywords: z.array(z.string().min(1)).min(1).max(20),
  line_items: z.array(lineItemSchema).min(1),
  sections: z.array(z.string().min(1)).min(1),
  key_values: z.array(keyValueSchema).min(1),
} as const;

export type FieldName = keyof typeof FIELD_SCHEMAS;
export const FIELD_NAMES = Object.keys(FIELD_SCHEMAS) as FieldName[];
export type FieldValueOf<F extends FieldName> = z.infer<(typeof FIELD_SCHEMAS)[F]>;

/** Which agent owns (is asked for) each field. Every field has exactly one owner. */
export const FIELD_OWNERS: Record<FieldName, AgentName> = {
  document_type: 'classification',
  language: 'classification',
  vendor_name: 'metadata',
  vendor_address: 'metadata',
  document_date: 'metadata',
  document_number: 'metadata',
  organizations: 'entities',
  people: 'entities',
  total_amount: 'entities',
  currency: 'entities',
  title: 'summary',
  summary: 'summary',
  keywords: 'summary',
  line_items: 'structure',
  sections: 'structure',
  key_values: 'structure',
};

/** The fields an agent owns, in catalog order. */
export function fieldsOwnedBy(agent: AgentName): FieldName[] {
  return FIELD_NAMES.filter((f) => FIELD_OWNERS[f] === agent);
}

/** One candidate value for a field, as a provider returns it. `confidence` is in [0, 1]. */
export interface FieldCandidate {
  value: unknown;
  confidence: number;
}

/** A field as stored on an enriched document: the value plus where it came from. */
export interface ExtractedField {
  value: unknown;
  /** In [0, 1]. */
  confidence: number;
  agent: AgentName;
  provider: string;
  model: string;
  /** False when `value` failed the field's schema; `invalid_reason` then says why. */
  valid: boolean;
  invalid_reason?: string;
}

/** Validates a candidate against its field schema; returns the parsed value or the reason. */
export function validateField(
  field: FieldName,
  value: unknown,
): { valid: true; value: unknown } | { valid: false; reason: string } {
  const result = FIELD_SCHEMAS[field].safeParse(value);
  if (result.success) return { valid: true, value: result.data };
  const issue = result.error.issues[0];
  return { valid: false, reason: issue ? `${issue.path.join('.') || field}: ${issue.message}` : 'invalid' };
}

function isCalendarDate(iso: string): boolean {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
