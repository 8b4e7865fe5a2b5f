import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { extractFieldsOutputSchema } from '../../app/src/agents/contract.js';
import { loadPrompt } from '../../app/src/agents/registry.js';
import { buildServer, type AgentProviders } from '../../app/src/agents/server.js';
import type { FieldName } from '../../app/src/domain/fields.js';
import {
  ProviderError,
  type CallRecord,
  type ExtractionRequest,
  type ExtractionResult,
  type LLMProvider,
  type ProviderName,
} from '../../app/src/llm/provider.js';

/** Model stand-in: answers `"<field> of <documentId>"` for every wanted field, or throws. */
class StubProvider implements LLMProvider {
  readonly requests: ExtractionRequest[] = [];
  constructor(
    readonly name: ProviderName,
    readonly model: string,
    private readonly behaviour: (r: ExtractionRequest) => Partial<ExtractionResult> | never = () => ({}),
  ) {}
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    this.requests.push(request);
    const override = this.behaviour(request);
    const fields = Object.fromEntries(request.fields.map((f) => [f, { value: `${f} of ${request.documentId}`, confidence: 0.8 }]));
    return { fields, calls: [call(this.name, this.model, 1, 'ok')], provider: this.name, model: this.model, ...override };
  }
}

function call(provider: ProviderName, model: string, attempt: number, outcome: CallRecord['outcome'], error?: string): CallRecord {
  return {
    provider, model, attempt, outcome, ...(error ? { error } : {}),
    input_tokens: 100 * attempt, output_tokens: 20, duration_seconds: 0.05, gpu_seconds: 0, cost_usd: 0.001, price_table_version: 't',
  };
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function connect(providers: AgentProviders, onCalls?: (calls: CallRecord[]) => void) {
  const server = buildServer('metadata', providers, onCalls ? { onCalls } : {});
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  clients.push(client);
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return client;
}

const args = (fields: string[], tier = 'offline') => ({ document_id: 'doc-1', ocr_lines: ['ACME SDN BHD', 'DATE: 05/03/2019'], fields, tier });

describe('buildServer', () => {
  it('publishes one read-only, idempotent tool with described inputs and an output schema', async () => {
    const client = await connect({ offline: new StubProvider('offline', 'rules') });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['extract_fields']);
    const tool = tools[0]!;
    expect(tool.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    const props = tool.inputSchema.properties as Record<string, { description?: string; items?: { enum?: string[] } }>;
    for (const name of ['document_id', 'ocr_lines', 'fields', 'tier', 'context', 'budget_usd']) {
      expect(props[name]?.description, name).toBeTruthy();
    }
    expect(props.fields?.items?.enum).toEqual(['vendor_name', 'vendor_address', 'document_date', 'document_number']);
    expect(tool.inputSchema.required).toEqual(expect.arrayContaining(['document_id', 'ocr_lines', 'fields', 'tier']));
    expect(tool.outputSchema?.properties).toHaveProperty('calls');
  });

  it('passes the prompt, wanted fields, context and budget to the tier provider and returns its fields and calls', async () => {
    const offline = new StubProvider('offline', 'rules');
    const seen: CallRecord[][] = [];
    const client = await connect({ offline }, (calls) => seen.push(calls));
    const result = await client.callTool({
      name: 'extract_fields',
      arguments: { ...args(['vendor_name', 'document_date']), context: { document_type: 'receipt' }, budget_usd: 0.25 },
    });
    expect(result.isError).toBeFalsy();
    const structured = extractFieldsOutputSchema('metadata').parse(result.structuredContent);
    expect(structured).toMatchObject({ agent: 'metadata', tier: 'offline', provider: 'offline', model: 'rules', prompt_version: '1.0.0' });
    expect(structured.fields).toEqual({
      vendor_name: { value: 'vendor_name of doc-1', confidence: 0.8 },
      document_date: { value: 'document_date of doc-1', confidence: 0.8 },
    });
    expect(structured.calls).toHaveLength(1);
    // text content carries the same JSON
    const text = (result.content as { type: string; text: string }[])[0]!.text;
    expect(JSON.parse(text)).toEqual(result.structuredContent);

    const request = offline.requests[0]!;
    expect(request.systemPrompt).toBe(loadPrompt('metadata').body);
    expect(request.promptVersion).toBe('1.0.0');
    expect(request.fields).toEqual(['vendor_name', 'document_date']);
    expect(request.context).toEqual({ document_type: 'receipt' });
    expect(request.budgetUsd).toBe(0.25);
    expect(JSON.stringify(request.outputJsonSchema)).toContain('document_date');
    expect(seen).toEqual([structured.calls]);
  });

  it('drops candidates that were not asked for and clamps confidence into [0, 1]', async () => {
    const offline = new StubProvider('offline', 'rules', () => ({
      fields: { vendor_name: { value: 'ACME', confidence: 1.7 }, title: { value: 'stray', confidence: 0.9 } } as Partial<Record<FieldName, { value: unknown; confidence: number }>>,
    }));
    const client = await connect({ offline });
    const result = await client.callTool({ name: 'extract_fields', arguments: args(['vendor_name']) });
    expect((result.structuredContent as { fields: unknown }).fields).toEqual({ vendor_name: { value: 'ACME', confidence: 1 } });
  });

  it('rejects a field the agent does not own, naming the owned ones, without calling the provider', async () => {
    const offline = new StubProvider('offline', 'rules');
    const client = await connect({ offline });
    const result = await client.callTool({ name: 'extract_fields', arguments: args(['vendor_name', 'total_amount']) });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]!.text;
    expect(text).toContain('"total_amount" is not owned by the metadata agent');
    expect(text).toContain('vendor_name, vendor_address, document_date, document_number');
    expect(offline.requests).toHaveLength(0);
  });

  it('reports a tier without a provider as a tool error', async () => {
    const client = await connect({ offline: new StubProvider('offline', 'rules') });
    const result = await client.callTool({ name: 'extract_fields', arguments: args(['vendor_name'], 'escalation') });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toBe(
      "tier 'escalation' is not configured on the metadata agent (configured: offline)",
    );
  });

  it('turns a ProviderError into an error result that still carries the calls and the transient flag', async () => {
    const calls = [call('ollama', 'llama3.2', 1, 'error', 'HTTP 503'), call('ollama', 'llama3.2', 2, 'error', 'HTTP 503')];
    const local = new StubProvider('ollama', 'llama3.2', () => {
      throw new ProviderError('ollama unreachable after 2 attempts', calls, true);
    });
    const seen: CallRecord[][] = [];
    const client = await connect({ offline: new StubProvider('offline', 'rules'), local }, (c) => seen.push(c));
    const result = await client.callTool({ name: 'extract_fields', arguments: args(['vendor_name'], 'local') });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ agent: 'metadata', tier: 'local', provider: 'ollama', fields: {}, calls, transient: true });
    expect((result.structuredContent as { error: string }).error).toBe('ollama unreachable after 2 attempts');
    expect(seen).toEqual([calls]);
  });
});
