/**
 * One interface for every model behind the agents: offline rules, Ollama, Anthropic.
 *
 * An agent asks a provider for a set of fields of one document; the provider returns the
 * candidates it found (only those it found) and one {@link CallRecord} per model call it made,
 * failed attempts and re-asks included, so that the worker can write a cost record for each.
 */
import type { AgentName, FieldCandidate, FieldName } from '../domain/fields.js';

export type ProviderName = 'offline' | 'ollama' | 'anthropic';

export interface ExtractionRequest {
  agent: AgentName;
  /** Version of the agent's prompt file, recorded on every call. */
  promptVersion: string;
  /** The agent's system prompt (the prompt file's body). */
  systemPrompt: string;
  documentId: string;
  ocrLines: string[];
  /** The fields wanted from this call, all owned by `agent`. */
  fields: FieldName[];
  /** JSON Schema of the wanted output: `{ fields: { <name>: { value, confidence } } }`. */
  outputJsonSchema: Record<string, unknown>;
  /** Hint from earlier phases, e.g. the document type. */
  context?: Partial<Record<FieldName, unknown>>;
  /**
   * Most this request may spend, in USD. A paid provider refuses a call whose worst-case cost
   * (input estimate plus `max_tokens` of output) would exceed it, and records no call.
   */
  budgetUsd?: number;
  /** Abort the call (timeouts, shutdown). */
  signal?: AbortSignal;
}

/** One model call, successful or not. Units: tokens, seconds, USD. */
export interface CallRecord {
  provider: ProviderName;
  model: string;
  /** 1-based attempt number within the request (retries and re-asks count). */
  attempt: number;
  outcome: 'ok' | 'invalid_output' | 'error';
  error?: string;
  input_tokens: number;
  output_tokens: number;
  duration_seconds: number;
  /** Compute time billed for local models; 0 for API providers. */
  gpu_seconds: number;
  cost_usd: number;
  price_table_version: string;
}

export interface ExtractionResult {
  fields: Partial<Record<FieldName, FieldCandidate>>;
  calls: CallRecord[];
  provider: ProviderName;
  model: string;
}

export interface LLMProvider {
  readonly name: ProviderName;
  readonly model: string;
  /**
   * Extracts the requested fields. Never throws for a bad model answer: it re-asks within its
   * own bound and then returns what it has. Throws {@link ProviderError} when the endpoint
   * cannot be reached or keeps failing, with the calls made so far attached.
   */
  extract(request: ExtractionRequest): Promise<ExtractionResult>;
}

/** Thrown when a provider gives up. `transient` errors are worth a requeue of the job. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly calls: CallRecord[],
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}
