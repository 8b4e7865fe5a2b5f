/**
 * The MCP server of one agent: a single `extract_fields` tool that asks the tier's provider for
 * some of the agent's fields and returns them with the call records.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AgentName, FieldCandidate, FieldName } from '../domain/fields.js';
import { buildOutputSchema } from '../llm/output-schema.js';
import { ProviderError, type CallRecord, type LLMProvider } from '../llm/provider.js';
import {
  EXTRACT_FIELDS_TOOL,
  extractFieldsInputShape,
  extractFieldsOutputSchema,
  type ExtractFieldsArgs,
  type ExtractFieldsResult,
  type Tier,
} from './contract.js';
import { loadPrompt } from './registry.js';

/** The providers an agent can route to, one per tier. Only `offline` is always present. */
export interface AgentProviders {
  offline: LLMProvider;
  /** Ollama, when OLLAMA_HOST is configured. */
  local?: LLMProvider;
  /** Claude, when ANTHROPIC_API_KEY is configured. */
  escalation?: LLMProvider;
}

export interface BuildServerOptions {
  /**
   * Called with the call records of every tool call, successful or failed, before the result is
   * returned (metrics). Must not throw.
   */
  onCalls?: (calls: CallRecord[], info: { agent: AgentName; tier: Tier }) => void;
  /** Server version advertised at initialize. */
  version?: string;
}

/**
 * Builds the MCP server of one agent. One instance serves one session (an `McpServer` connects
 * to one transport), so the HTTP layer calls this per session; it is cheap.
 *
 * Tool errors (`isError: true`): a tier with no provider; a provider giving up
 * ({@link ProviderError}; `structuredContent` then carries `calls`, `error` and `transient`);
 * any other exception (non-transient). Input errors (unknown fields, bad tier) are reported by
 * the SDK's input validation, also as `isError: true`.
 */
export function buildServer(agent: AgentName, providers: AgentProviders, options: BuildServerOptions = {}): McpServer {
  const prompt = loadPrompt(agent);
  const server = new McpServer({ name: `enrichment-agent-${agent}`, version: options.version ?? prompt.version });

  server.registerTool(
    EXTRACT_FIELDS_TOOL,
    {
      title: `Extract ${agent} fields`,
      description:
        `Extracts the ${agent} agent's fields from a document's OCR lines with the chosen tier's model. ` +
        'Returns only the fields found, each with a confidence in [0, 1], and a record of every model call.',
      inputSchema: extractFieldsInputShape(agent),
      outputSchema: extractFieldsOutputSchema(agent),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args, extra): Promise<CallToolResult> => {
      const input = args as ExtractFieldsArgs;
      const provider = providers[input.tier];
      if (!provider) {
        return textError(`tier '${input.tier}' is not configured on the ${agent} agent (configured: ${configuredTiers(providers).join(', ')})`);
      }
      const fields = dedupe(input.fields);
      const base = { agent, tier: input.tier, provider: provider.name, model: provider.model, prompt_version: prompt.version };
      try {
        const result = await provider.extract({
          agent,
          promptVersion: prompt.version,
          systemPrompt: prompt.body,
          documentId: input.document_id,
          ocrLines: input.ocr_lines,
          fields,
          outputJsonSchema: buildOutputSchema(fields).jsonSchema,
          ...(input.context ? { context: input.context } : {}),
          ...(input.budget_usd !== undefined ? { budgetUsd: input.budget_usd } : {}),
          signal: extra.signal,
        });
        options.onCalls?.(result.calls, { agent, tier: input.tier });
        const structured: ExtractFieldsResult = {
          ...base,
          provider: result.provider,
          model: result.model,
          fields: keepRequested(result.fields, fields),
          calls: result.calls,
        };
        return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: { ...structured } };
      } catch (error) {
        const calls = error instanceof ProviderError ? error.calls : [];
        const transient = error instanceof ProviderError ? error.transient : false;
        const message = error instanceof Error ? error.message : String(error);
        options.onCalls?.(calls, { agent, tier: input.tier });
        // The SDK skips output validation on error results and passes structuredContent through,
        // so the caller gets the calls of the failed attempts (for cost records) and `transient`.
        const structured: ExtractFieldsResult = { ...base, fields: {}, calls, error: message, transient };
        return {
          isError: true,
          content: [{ type: 'text', text: `${agent} agent, tier ${input.tier}: ${message}` }],
          structuredContent: { ...structured },
        };
      }
    },
  );
  return server;
}

function textError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

function configuredTiers(providers: AgentProviders): Tier[] {
  return (['offline', 'local', 'escalation'] as const).filter((t) => providers[t] !== undefined);
}

function dedupe(fields: FieldName[]): FieldName[] {
  return [...new Set(fields)];
}

/** Drops candidates for fields that were not asked for, and clamps confidence into [0, 1]. */
function keepRequested(
  found: Partial<Record<FieldName, FieldCandidate>>,
  wanted: FieldName[],
): Partial<Record<FieldName, FieldCandidate>> {
  const out: Partial<Record<FieldName, FieldCandidate>> = {};
  for (const name of wanted) {
    const candidate = found[name];
    if (!candidate) continue;
    const confidence = Number.isFinite(candidate.confidence) ? Math.min(1, Math.max(0, candidate.confidence)) : 0;
    out[name] = { value: candidate.value ?? null, confidence };
  }
  return out;
}
