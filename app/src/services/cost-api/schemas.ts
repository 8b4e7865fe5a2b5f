/**
 * JSON schemas of the Cost API's routes: query strings, path params and every response status.
 * Query and params objects are `additionalProperties: false`, so `$`-prefixed or dotted keys are
 * refused with 400 (the shared ajv runs with `removeAdditional: false`, app/src/services/http/schemas.ts).
 */
import { COST_DIMENSIONS } from '../../store/costs.js';
import { dateTimeSchema, documentIdParams, ERROR_RESPONSES } from '../http/schemas.js';

/** Most rows `/costs/by/:dimension` and the budget's over-budget list return. */
export const MAX_ROWS = 1000;
export const DEFAULT_ROWS = 100;

const usd = { type: 'number', minimum: 0 } as const;
const count = { type: 'integer', minimum: 0 } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const versions = { type: 'array', items: { type: 'string' } } as const;
const limit = { type: 'integer', minimum: 1, maximum: MAX_ROWS, default: DEFAULT_ROWS } as const;

const rangeProperties = {
  from: { ...dateTimeSchema, description: 'Start of the range (inclusive), ISO 8601 date-time. Default: `to` minus 30 days.' },
  to: { ...dateTimeSchema, description: 'End of the range (exclusive), ISO 8601 date-time. Default: now.' },
} as const;

/** Routes without query parameters still refuse any (e.g. `?$where=...`). */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const rangeQuery = { type: 'object', additionalProperties: false, properties: rangeProperties } as const;

export const byDimensionQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...rangeProperties, limit: { ...limit, description: 'Most rows to return, by total descending.' } },
} as const;

export const dimensionParams = {
  type: 'object',
  required: ['dimension'],
  additionalProperties: false,
  properties: { dimension: { type: 'string', enum: COST_DIMENSIONS } },
} as const;

export const budgetQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    month: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'UTC month `YYYY-MM`. Default: the current month.' },
    limit: { ...limit, description: 'Most over-budget documents to list (the count covers all).' },
  },
} as const;

const P95_DEFINITION = 'Nearest-rank p95: the value at ascending rank ⌈0.95·n⌉ of the n values (the largest when n ≤ 20).';
const costRowProperties = {
  key: { type: ['string', 'null'], description: 'The group: document id, job id, agent, model, provider or tier; null for records without the field.' },
  calls: { ...count, description: 'Model calls (cost records) in the group.' },
  total_usd: { ...usd, description: 'Sum of cost_usd of the group.' },
  mean_usd_per_call: { ...usd, description: 'total_usd ÷ calls: mean cost of one model call in the group.' },
} as const;
const p95PerCall = { ...usd, description: `p95 of cost_usd over the group's calls. ${P95_DEFINITION}` } as const;
const costRow = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'calls', 'total_usd', 'mean_usd_per_call'],
  properties: costRowProperties,
} as const;
const costRows = { type: 'array', items: costRow } as const;
/** A provider, agent or model row: a category of calls, so it also gives the p95 of one call. */
const callCostRow = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'calls', 'total_usd', 'mean_usd_per_call', 'p95_usd_per_call'],
  properties: { ...costRowProperties, p95_usd_per_call: p95PerCall },
} as const;
/** Rows of `/costs/by/:dimension`: `p95_usd_per_call` is set for agent, model and provider only. */
const dimensionRow = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'calls', 'total_usd', 'mean_usd_per_call'],
  properties: {
    ...costRowProperties,
    p95_usd_per_call: { ...p95PerCall, description: `${p95PerCall.description} Set on agent, model and provider rows; absent on document and job rows (see p95_usd_per_group).` },
  },
} as const;

const summaryResponse = {
  type: 'object',
  additionalProperties: false,
  required: [
    'from', 'to', 'total_usd', 'calls', 'documents', 'mean_usd_per_document', 'p95_usd_per_document',
    'by_provider', 'price_table_versions', 'current_price_table_version',
  ],
  properties: {
    from: instant,
    to: instant,
    total_usd: usd,
    calls: count,
    documents: count,
    mean_usd_per_document: { ...usd, description: 'total_usd ÷ documents.' },
    p95_usd_per_document: { ...usd, description: `p95 of the per-document totals. ${P95_DEFINITION}` },
    by_provider: { type: 'array', items: callCostRow, description: 'Per provider: calls, total, mean and p95 per call.' },
    price_table_versions: versions,
    current_price_table_version: { type: 'string' },
  },
} as const;

const byDimensionResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['dimension', 'from', 'to', 'groups', 'total_usd', 'calls', 'mean_usd_per_group', 'p95_usd_per_group', 'rows'],
  properties: {
    dimension: { type: 'string', enum: COST_DIMENSIONS },
    from: instant,
    to: instant,
    groups: { ...count, description: 'Groups in the range (rows may be capped by limit).' },
    total_usd: usd,
    calls: count,
    mean_usd_per_group: {
      ...usd,
      description: 'total_usd ÷ groups: the mean cost per document or job; for agent, model and provider, the mean spend per category.',
    },
    p95_usd_per_group: {
      ...usd,
      description:
        `p95 of the per-group totals over every group: the p95 cost per document or job. For agent, model and provider ` +
        `(a handful of groups) it is a spread between categories; their per-call p95 is each row's p95_usd_per_call. ${P95_DEFINITION}`,
    },
    rows: { type: 'array', items: dimensionRow },
  },
} as const;

const documentResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['document_id', 'job_ids', 'total_usd', 'calls', 'by_agent', 'by_tier', 'by_provider', 'price_table_versions'],
  properties: {
    document_id: { type: 'string' },
    job_ids: { type: 'array', items: { type: 'string' } },
    total_usd: usd,
    calls: count,
    by_agent: costRows,
    by_tier: costRows,
    by_provider: costRows,
    price_table_versions: versions,
  },
} as const;

const budgetResponse = {
  type: 'object',
  additionalProperties: false,
  required: [
    'month', 'from', 'to', 'document_budget_usd', 'documents', 'documents_over_budget', 'over_budget', 'monthly_budget_usd',
    'spent_usd', 'remaining_usd', 'share_used', 'month_elapsed_share', 'projected_month_usd',
  ],
  properties: {
    month: { type: 'string' },
    from: instant,
    to: instant,
    document_budget_usd: usd,
    documents: count,
    documents_over_budget: count,
    over_budget: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['document_id', 'total_usd'],
        properties: { document_id: { type: 'string' }, total_usd: usd },
      },
    },
    monthly_budget_usd: usd,
    spent_usd: usd,
    remaining_usd: usd,
    share_used: { type: ['number', 'null'], minimum: 0 },
    month_elapsed_share: { type: 'number', minimum: 0, maximum: 1 },
    projected_month_usd: usd,
  },
} as const;

const priceTableResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'anthropic_usd_per_mtok', 'gpu_hour_usd'],
  properties: {
    version: { type: 'string' },
    anthropic_usd_per_mtok: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['input', 'output'],
        properties: { input: usd, output: usd },
      },
    },
    gpu_hour_usd: { ...usd, description: 'USD per GPU-hour pricing local (Ollama) calls (config GPU_HOUR_USD).' },
  },
} as const;

/** Route schemas, keyed by route. Each lists its success schema and every error status. */
export const COST_ROUTE_SCHEMAS = {
  summary: {
    summary: 'Spend over a time range: total, calls, documents, mean and p95 per document, by provider (mean and p95 per call).',
    querystring: rangeQuery,
    response: { 200: summaryResponse, ...ERROR_RESPONSES },
  },
  byDimension: {
    summary: 'Spend grouped by document, enrichment job, agent, model or provider, by total descending.',
    description:
      'Every row gives calls, total and mean per call. Agent, model and provider rows also give p95_usd_per_call: ' +
      "the p95 of cost_usd over that group's calls in the range. The overall figures cover every group: total, calls, " +
      'and the mean and p95 of the per-group totals (for document and job, the cost per document or job). ' +
      P95_DEFINITION,
    params: dimensionParams,
    querystring: byDimensionQuery,
    response: { 200: byDimensionResponse, ...ERROR_RESPONSES },
  },
  document: {
    summary: "One document's spend by agent, tier and provider.",
    params: documentIdParams,
    querystring: noQuery,
    response: { 200: documentResponse, ...ERROR_RESPONSES },
  },
  budget: {
    summary: 'Budget status of a month: documents over the per-document budget, spend against the monthly budget.',
    querystring: budgetQuery,
    response: { 200: budgetResponse, ...ERROR_RESPONSES },
  },
  priceTable: {
    summary: 'The price table in force and its version.',
    querystring: noQuery,
    response: { 200: priceTableResponse, ...ERROR_RESPONSES },
  },
} as const;
