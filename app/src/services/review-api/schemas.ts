/**
 * Request and response schemas of the Review API routes (JSON Schema, for fastify's ajv and
 * the OpenAPI document). Field value schemas come from the domain's zod schemas.
 */
import { z } from 'zod';
import { AGENT_NAMES, DOCUMENT_TYPES, FIELD_NAMES, FIELD_SCHEMAS } from '../../domain/fields.js';
import { MAX_PAGE_SIZE } from '../../store/reviews.js';
import { idSchema } from '../http/schemas.js';

type JsonSchema = Record<string, unknown>;

/** Recursively closes every object schema (`additionalProperties: false`), so no unknown key passes. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) if (k !== '$schema') out[k] = closeObjects(v);
  if (out['type'] === 'object' && out['properties'] && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

/** JSON schema of each field's value, derived from FIELD_SCHEMAS (refinements are re-checked by `validateField`). */
export const fieldValueSchemas: Record<string, JsonSchema> = Object.fromEntries(
  FIELD_NAMES.map((name) => [name, closeObjects(z.toJSONSchema(FIELD_SCHEMAS[name], { target: 'draft-7', io: 'input', unrepresentable: 'any' })) as JsonSchema]),
);

const REVIEW_STATUSES = ['pending', 'approved', 'rejected'] as const;
const fieldList = { type: 'array', items: { type: 'string', enum: FIELD_NAMES } } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const reviewItemSchema = {
  type: 'object',
  required: [
    'document_id',
    'job_id',
    'document_type',
    'status',
    'completeness_score',
    'missing_fields',
    'invalid_fields',
    'low_confidence_fields',
    'reasons',
    'version',
    'created_at',
    'updated_at',
  ],
  properties: {
    document_id: { type: 'string' },
    job_id: { type: 'string' },
    document_type: { type: 'string', enum: DOCUMENT_TYPES },
    status: { type: 'string', enum: REVIEW_STATUSES },
    completeness_score: { type: 'number', minimum: 0, maximum: 1 },
    missing_fields: fieldList,
    invalid_fields: fieldList,
    low_confidence_fields: fieldList,
    reasons: { type: 'array', items: { type: 'string' } },
    version: { type: 'integer', description: 'Send it back with a decision; a stale version gets 409.' },
    created_at: dateTime,
    updated_at: dateTime,
  },
} as const;

export const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: REVIEW_STATUSES },
    document_type: { type: 'string', enum: DOCUMENT_TYPES },
    agent: { type: 'string', enum: AGENT_NAMES, description: 'Items with a missing, invalid or low-confidence field this agent owns.' },
    missing_field: { type: 'string', enum: FIELD_NAMES, description: 'Items where this field is missing or invalid.' },
    sort: { type: 'string', enum: ['uncertainty', 'age'], default: 'uncertainty', description: 'uncertainty: lowest completeness first; age: oldest first.' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
    cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 1000, description: 'next_cursor of the previous page.' },
  },
} as const;

export const listResponseSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: reviewItemSchema },
    next_cursor: { type: ['string', 'null'] },
  },
} as const;

const extractedFieldSchema = {
  type: 'object',
  required: ['field', 'value', 'confidence', 'agent', 'provider', 'model', 'valid'],
  properties: {
    field: { type: 'string', enum: FIELD_NAMES },
    value: { description: 'The extracted value; its shape depends on the field.' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    agent: { type: 'string', enum: AGENT_NAMES },
    provider: { type: 'string', description: 'offline, ollama, anthropic, or human for a reviewer correction.' },
    model: { type: 'string' },
    valid: { type: 'boolean' },
    invalid_reason: { type: 'string' },
  },
} as const;

export const itemDetailSchema = {
  type: 'object',
  required: ['item', 'ocr_lines', 'fields', 'required_fields', 'missing_fields', 'invalid_fields', 'low_confidence_fields', 'cost'],
  properties: {
    item: reviewItemSchema,
    ocr_lines: { type: 'array', items: { type: 'string' } },
    fields: { type: 'array', items: extractedFieldSchema },
    required_fields: fieldList,
    missing_fields: fieldList,
    invalid_fields: fieldList,
    low_confidence_fields: fieldList,
    cost: {
      type: 'object',
      required: ['usd', 'calls'],
      properties: {
        usd: { type: 'number', description: 'Sum of the cost_records of the document’s enrichment job, USD.' },
        calls: { type: 'integer', description: 'Model calls recorded for the job.' },
      },
    },
  },
} as const;

const snapshotSchema = {
  type: 'object',
  required: ['status', 'version', 'completeness_score', 'fields'],
  properties: {
    status: { type: 'string', enum: REVIEW_STATUSES },
    version: { type: 'integer' },
    completeness_score: { type: 'number' },
    fields: { type: 'object', additionalProperties: true },
  },
} as const;

export const decisionResponseSchema = {
  type: 'object',
  required: ['item', 'decision'],
  properties: {
    item: reviewItemSchema,
    decision: {
      type: 'object',
      required: ['id', 'decision', 'reviewer', 'decided_at', 'reason', 'before', 'after'],
      properties: {
        id: { type: 'string' },
        decision: { type: 'string', enum: ['approve', 'reject', 'correct'] },
        reviewer: { type: 'string' },
        decided_at: dateTime,
        reason: { type: ['string', 'null'] },
        before: snapshotSchema,
        after: snapshotSchema,
      },
    },
  },
} as const;

const versionSchema = { type: 'integer', minimum: 1, description: 'The item version the decision was made on.' } as const;

export const approveBodySchema = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { version: versionSchema },
} as const;

export const rejectBodySchema = {
  type: 'object',
  required: ['version', 'reason'],
  additionalProperties: false,
  properties: { version: versionSchema, reason: { type: 'string', minLength: 1, maxLength: 2000 } },
} as const;

export const correctionsBodySchema = {
  type: 'object',
  required: ['version', 'fields'],
  additionalProperties: false,
  properties: {
    version: versionSchema,
    fields: { type: 'object', minProperties: 1, additionalProperties: false, properties: fieldValueSchemas },
  },
} as const;

export const statsResponseSchema = {
  type: 'object',
  required: ['pending', 'approved', 'rejected', 'oldest_pending_age_seconds', 'oldest_pending_created_at', 'decisions_per_day'],
  properties: {
    pending: { type: 'integer' },
    approved: { type: 'integer' },
    rejected: { type: 'integer' },
    oldest_pending_age_seconds: { type: ['number', 'null'] },
    oldest_pending_created_at: { type: ['string', 'null'], format: 'date-time' },
    decisions_per_day: {
      type: 'array',
      description: 'UTC days of the last 30 days with at least one decision, oldest first.',
      items: {
        type: 'object',
        required: ['day', 'approve', 'reject', 'correct', 'total'],
        properties: {
          day: { type: 'string', format: 'date' },
          approve: { type: 'integer' },
          reject: { type: 'integer' },
          correct: { type: 'integer' },
          total: { type: 'integer' },
        },
      },
    },
  },
} as const;

export { idSchema };
