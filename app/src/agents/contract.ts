/**
 * The `extract_fields` tool contract shared by the agent servers and the worker's client: input
 * shape, structured output, and the call records carried on both success and failure.
 */
import { z } from 'zod';
import { FIELD_NAMES, type AgentName, type FieldName } from '../domain/fields.js';
import { MAX_OCR_LINE_CHARS, MAX_OCR_LINES } from '../domain/input-document.js';
import type { CallRecord } from '../llm/provider.js';
import { AGENTS } from './registry.js';

export const EXTRACT_FIELDS_TOOL = 'extract_fields';

/** JWT audience of an agent: the worker signs for it, the agent requires it. */
export function agentAudience(agent: AgentName): string {
  return `enrichment-agent:${agent}`;
}

export const TIERS = ['offline', 'local', 'escalation'] as const;
/** Which provider serves a call: offline rules (phase 0), Ollama (phase 1), Claude (phase 2). */
export type Tier = (typeof TIERS)[number];

// Input bounds are ingest's (app/src/domain/input-document.ts), so an accepted document always fits.

/** Zod of a {@link CallRecord}, to validate the records an agent sends back. */
export const callRecordSchema = z.object({
  provider: z.enum(['offline', 'ollama', 'anthropic']),
  model: z.string(),
  attempt: z.number().int().min(1),
  outcome: z.enum(['ok', 'invalid_output', 'error']),
  error: z.string().optional(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  duration_seconds: z.number().nonnegative(),
  gpu_seconds: z.number().nonnegative(),
  cost_usd: z.number().nonnegative(),
  price_table_version: z.string(),
}) satisfies z.ZodType<CallRecord>;

const fieldCandidateSchema = z.object({
  value: z.unknown().describe('Extracted value in the shape of the field schema; null when not found'),
  confidence: z.number().min(0).max(1).describe('Probability that the value is exactly right, in [0, 1]'),
});

/**
 * Input shape of `extract_fields` for one agent. `fields` is limited to the agent's owned
 * fields; any other name fails validation with a message listing the owned ones.
 */
export function extractFieldsInputShape(agent: AgentName) {
  const owned = AGENTS[agent].fields as [FieldName, ...FieldName[]];
  const ownedList = owned.join(', ');
  return {
    document_id: z.string().min(1).max(200).describe('Id of the document (ocr_jobs id), recorded on every model call'),
    ocr_lines: z
      .array(z.string().max(MAX_OCR_LINE_CHARS))
      .min(1)
      .max(MAX_OCR_LINES)
      .describe('OCR text of the document, one entry per line, in reading order'),
    fields: z
      .array(
        z.enum(owned, {
          error: (issue) => `field ${JSON.stringify(issue.input)} is not owned by the ${agent} agent (owned: ${ownedList})`,
        }),
      )
      .min(1)
      .describe(`Fields wanted from this call; a subset of: ${ownedList}`),
    tier: z.enum(TIERS).describe("Which model serves the call: 'offline' rules, 'local' Ollama, 'escalation' Claude"),
    context: z
      .partialRecord(z.enum(FIELD_NAMES), z.unknown())
      .optional()
      .describe('Values found by earlier phases or agents, as hints (e.g. document_type)'),
    budget_usd: z
      .number()
      .nonnegative()
      .optional()
      .describe('Most this call may spend, in USD; a paid provider refuses a call that could exceed it'),
  };
}

export interface ExtractFieldsArgs {
  document_id: string;
  ocr_lines: string[];
  fields: FieldName[];
  tier: Tier;
  context?: Partial<Record<FieldName, unknown>>;
  budget_usd?: number;
}

/**
 * Structured output of `extract_fields`, for success and failure alike. On a failed call
 * (`isError: true`) `fields` is empty and `error` / `transient` are set; `calls` still lists
 * every model call made, so the caller can write a cost record for each.
 */
export function extractFieldsOutputSchema(agent: AgentName) {
  const owned = AGENTS[agent].fields as [FieldName, ...FieldName[]];
  return z.object({
    agent: z.literal(agent),
    tier: z.enum(TIERS),
    provider: z.string().describe('Provider that served the call: offline, ollama or anthropic'),
    model: z.string(),
    prompt_version: z.string().describe('Semver of the agent prompt used'),
    fields: z.partialRecord(z.enum(owned), fieldCandidateSchema).describe('Fields found; absent means not found'),
    calls: z.array(callRecordSchema).describe('Every model call made, failed attempts and re-asks included'),
    error: z.string().optional().describe('Set on failure: why the provider gave up'),
    transient: z.boolean().optional().describe('Set on failure: true when a retry later may succeed'),
  });
}

export interface ExtractFieldsResult {
  agent: AgentName;
  tier: Tier;
  provider: string;
  model: string;
  prompt_version: string;
  fields: Partial<Record<FieldName, { value: unknown; confidence: number }>>;
  calls: CallRecord[];
  error?: string;
  transient?: boolean;
}
