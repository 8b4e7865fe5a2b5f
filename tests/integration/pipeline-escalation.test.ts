/**
 * Phase 1 (Ollama) and phase 2 (Claude) through the real pipeline: submit → nsqd → worker → five
 * MCP agents with providers built from config (`buildProviders`) → FerretDB. The model endpoints
 * are played by stand-ins that speak the real `/api/chat` and `/v1/messages` protocols.
 *
 * The stand-ins answer from the request only (`{fields: {}}`, or a fixed valid value for each
 * requested field); they never see ground truth, and nothing here says anything about quality.
 *
 * What phase 0 leaves undone is not hard-coded: each test first runs phase 0 of the same document
 * through the harness's own agents (tier `offline`, real MCP calls) and derives from that which
 * fields phases 1 and 2 must ask for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_TYPE_SCHEMAS, wantedFields } from '../../app/src/domain/document-types.js';
import { AGENT_NAMES, FIELD_OWNERS, type AgentName, type FieldName } from '../../app/src/domain/fields.js';
import type { ExtractedFields } from '../../app/src/domain/completeness.js';
import { ANTHROPIC_PRICES } from '../../app/src/llm/prices.js';
import { enrichDocument, type EnrichmentOutcome } from '../../app/src/pipeline/enrich.js';
import { McpAgentCaller } from '../../app/src/services/worker/agent-caller.js';
import type { CostRecord } from '../../app/src/store/collections.js';
import { start as startFakeAnthropic, type AnthropicMessagesBody, type FakeAnthropic } from '../support/fake-anthropic.js';
import { start as startFakeOllama, type FakeOllama, type OllamaChatBody } from '../support/fake-ollama.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { RECEIPT_A, RECEIPT_B } from '../support/synthetic-documents.js';

/**
 * A receipt (written for this test) that prints no vendor address and no currency, and whose
 * vendor line has no company suffix: phase 0 leaves required fields missing and others
 * low-confidence, while the total, date and type are clear.
 */
const RECEIPT_NO_ADDRESS = {
  id: 'SYN-RCPT-NOADDR',
  ocr_lines: ['SUNRISE GROCER', 'RECEIPT NO: 4471', 'DATE: 2021-05-09', 'APPLES 2 X 1.50 3.00', 'MILK 1 X 2.25 2.25', 'TOTAL 5.25', 'CASH 10.00', 'CHANGE 4.75', 'THANK YOU'],
};

/** GPU time the stand-in Ollama reports per answer (`total_duration`, ns): 1.8 s. */
const REPORTED_GPU_NS = 1_800_000_000;
/** An hourly GPU price unlike the default, so the cost figure proves the config is used. */
const GPU_HOUR_USD = 2.75;
/** Token usage the stand-in Claude reports per successful answer. */
const CLAUDE_USAGE = { inputTokens: 1_537, outputTokens: 83 };
const ANTHROPIC_KEY = 'sk-ant-test-stand-in-key';

/** A value valid under `FIELD_SCHEMAS` for every field: what the stand-in Claude answers. */
const STAND_IN_VALUES: Record<FieldName, unknown> = {
  document_type: 'receipt',
  language: 'en',
  vendor_name: 'STAND-IN VENDOR',
  vendor_address: '1 STAND-IN ROAD, NOWHERE',
  document_date: '2000-01-01',
  document_number: 'SI-1',
  organizations: ['STAND-IN ORG'],
  people: ['STAND-IN PERSON'],
  total_amount: 1,
  // XTS is the ISO 4217 code reserved for testing.
  currency: 'XTS',
  title: 'Stand-in title',
  summary: 'A stand-in summary of the document.',
  keywords: ['stand-in'],
  line_items: [{ description: 'stand-in', quantity: 1, unit_price: 1, amount: 1 }],
  sections: ['stand-in'],
  key_values: [{ key: 'stand-in', value: 'value' }],
};

// --- reading what the stand-ins were asked ---------------------------------------------------

type ChatMessage = { role: string; content: unknown };

/** The document id of an extraction, from the user turn `Document <id>, OCR lines:`. */
function documentIdOf(messages: ChatMessage[]): string {
  const text = firstUserText(messages);
  const match = /^Document (.+?), OCR lines:/m.exec(text);
  if (!match?.[1]) throw new Error(`no document id in user turn: ${text.slice(0, 120)}`);
  return match[1];
}

/** The fields named by the user turn (`Extract these fields: a, b.`), sorted. */
function promptFieldsOf(messages: ChatMessage[]): string[] {
  const match = /Extract these fields: (.+)\.\s*$/m.exec(firstUserText(messages));
  return (match?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).sort();
}

function firstUserText(messages: ChatMessage[]): string {
  const user = messages.find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
}

/** The keys of `properties.fields.properties` of an output JSON schema, sorted. */
function schemaFieldsOf(schema: unknown): string[] {
  const s = schema as { properties?: { fields?: { properties?: Record<string, unknown> } } } | undefined;
  return Object.keys(s?.properties?.fields?.properties ?? {}).sort();
}

/** The one agent owning every field of a request; fails when they belong to several. */
function ownerOf(fields: string[]): AgentName {
  const owners = new Set(fields.map((f) => FIELD_OWNERS[f as FieldName]));
  expect(owners.size, `fields ${fields.join(', ')} belong to one agent`).toBe(1);
  return [...owners][0]!;
}

// --- phase 0 as the reference ------------------------------------------------------------------

/** Runs phase 0 only, through the harness's agents over MCP (tier `offline`). */
async function phaseZero(h: Harness, doc: { id: string; ocr_lines: string[] }): Promise<EnrichmentOutcome> {
  const caller = new McpAgentCaller(
    Object.fromEntries(AGENT_NAMES.map((a) => [a, h.agents[a].url])) as Record<AgentName, string>,
    { jwtSecret: h.config.MCP_JWT_SECRET!, issuer: h.config.MCP_JWT_ISSUER, timeoutMs: 10_000 },
  );
  try {
    return await enrichDocument(
      { document_id: doc.id, ocr_lines: doc.ocr_lines },
      caller,
      {
        thresholds: { minCompleteness: h.config.AUTO_APPROVE_MIN_COMPLETENESS, minFieldConfidence: h.config.AUTO_APPROVE_MIN_FIELD_CONFIDENCE },
        escalateBelowConfidence: h.config.ESCALATE_BELOW_CONFIDENCE,
        tiers: { local: false, escalation: false },
        documentBudgetUsd: h.config.DOCUMENT_BUDGET_USD,
      },
      [],
    );
  } finally {
    await caller.close();
  }
}

/** Fields among `names` that are missing, invalid or below `minConfidence` (the phase-1/2 rule). */
function undone(fields: ExtractedFields, names: readonly FieldName[], minConfidence: number): FieldName[] {
  return names.filter((n) => {
    const f = fields[n];
    return !f || !f.valid || f.confidence < minConfidence;
  });
}

/** `{agent: sorted fields}` of a field list. */
function byOwner(names: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of names) (out[FIELD_OWNERS[n as FieldName]] ??= []).push(n);
  for (const list of Object.values(out)) list.sort();
  return out;
}

async function costsOf(h: Harness, documentId: string): Promise<CostRecord[]> {
  return h.store.costRecords.find({ document_id: documentId }).toArray();
}

function sumUsd(records: readonly { cost_usd: number }[]): number {
  return records.reduce((s, r) => s + r.cost_usd, 0);
}

// --- phase 1 --------------------------------------------------------------------------------

describe('phase 1: Ollama for the fields phase 0 left undone', () => {
  const REASK_DOC = { ...RECEIPT_A, id: 'SYN-P1-REASK' };
  let ollama: FakeOllama;
  let h: Harness;
  let invalidSent = false;

  beforeAll(async () => {
    ollama = await startFakeOllama({
      respond: (body: OllamaChatBody) => {
        // The first answer for the re-ask document is unparsable; every other answer is valid.
        if (!invalidSent && documentIdOf(body.messages) === REASK_DOC.id) {
          invalidSent = true;
          return { invalidJson: true, totalDurationNs: REPORTED_GPU_NS };
        }
        return { reply: { fields: {} }, totalDurationNs: REPORTED_GPU_NS };
      },
    });
    h = await startHarness({ env: { OLLAMA_HOST: ollama.url, GPU_HOUR_USD: String(GPU_HOUR_USD), OLLAMA_TIMEOUT_SECONDS: '10' } });
  });
  afterAll(async () => {
    await h?.close();
    await ollama?.close();
  });

  const chatsFor = (documentId: string) =>
    ollama.requests.filter((r) => r.path === '/api/chat' && documentIdOf((r.body as OllamaChatBody).messages) === documentId);

  it('asks each owning agent only for its undone fields, on llama3.2 or mixtral, and records GPU-priced costs', async () => {
    const docs = [
      { ...RECEIPT_B, id: 'SYN-P1-B' },
      { ...RECEIPT_NO_ADDRESS, id: 'SYN-P1-N' },
    ];
    const references = await Promise.all(docs.map((d) => phaseZero(h, d)));
    const { batch_id } = await h.submit(await writeDocuments(Object.fromEntries(docs.map((d) => [`${d.id}.json`, d]))));
    await h.waitForBatch(batch_id, 20_000);

    const agentsSeen = new Set<AgentName>();
    for (const [i, doc] of docs.entries()) {
      const p0 = references[i]!;
      const expected = byOwner(undone(p0.fields, wantedFields(p0.documentType), h.config.ESCALATE_BELOW_CONFIDENCE));
      expect(Object.keys(expected).length, `phase 0 of ${doc.id} leaves work for phase 1`).toBeGreaterThan(0);

      const asked: Record<string, string[]> = {};
      for (const r of chatsFor(doc.id)) {
        const body = r.body as OllamaChatBody;
        const fields = schemaFieldsOf(body.format);
        // The `format` schema and the prompt name the same fields.
        expect(promptFieldsOf(body.messages)).toEqual(fields);
        const agent = ownerOf(fields);
        expect(body.model, `model of the ${agent} agent`).toBe(agent === 'structure' ? 'mixtral' : 'llama3.2');
        expect(body.stream).toBe(false);
        expect(asked[agent], `one call per agent for ${doc.id}`).toBeUndefined();
        asked[agent] = fields;
        agentsSeen.add(agent);
      }
      expect(asked).toEqual(expected);

      const job = await h.store.ocrJobs.findOne({ document_id: doc.id });
      expect(job?.status).toBe('completed');
      const local = (await costsOf(h, doc.id)).filter((c) => c.tier === 'local');
      expect(local).toHaveLength(Object.keys(expected).length);
      for (const c of local) {
        expect(c).toMatchObject({ provider: 'ollama', outcome: 'ok', attempt: 1, job_attempt: 1 });
        expect(c.model).toBe(c.agent === 'structure' ? 'mixtral' : 'llama3.2');
        expect(c.gpu_seconds).toBeGreaterThan(0);
        expect(c.gpu_seconds).toBeCloseTo(REPORTED_GPU_NS / 1e9, 9);
        expect(c.cost_usd).toBeCloseTo((c.gpu_seconds * GPU_HOUR_USD) / 3600, 12);
      }
      const enriched = await h.store.enrichedDocuments.findOne({ document_id: doc.id });
      expect(enriched?.phases).toEqual(['offline', 'local']);
      expect(enriched?.cost_usd).toBeCloseTo(sumUsd(await costsOf(h, doc.id)), 12);
    }
    // The two documents together exercise every agent, so the model mapping is checked for each.
    expect([...agentsSeen].sort()).toEqual([...AGENT_NAMES].sort());
  });

  it('re-asks once after invalid JSON and records both calls', async () => {
    const p0 = await phaseZero(h, REASK_DOC);
    const expected = byOwner(undone(p0.fields, wantedFields(p0.documentType), h.config.ESCALATE_BELOW_CONFIDENCE));
    const { batch_id } = await h.submit(await writeDocuments({ 'reask.json': REASK_DOC }));
    await h.waitForBatch(batch_id, 20_000);
    expect(invalidSent).toBe(true);
    expect((await h.store.ocrJobs.findOne({ document_id: REASK_DOC.id }))?.status).toBe('completed');

    const local = (await costsOf(h, REASK_DOC.id)).filter((c) => c.tier === 'local');
    const broken = local.filter((c) => c.outcome === 'invalid_output');
    expect(broken).toHaveLength(1);
    const agent = broken[0]!.agent;
    const ofAgent = local.filter((c) => c.agent === agent).sort((a, b) => a.attempt - b.attempt);
    expect(ofAgent.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'invalid_output'],
      [2, 'ok'],
    ]);
    expect(ofAgent[0]!.error).toMatch(/not valid JSON/);
    // An unusable answer still used the GPU and is billed.
    expect(ofAgent[0]!.cost_usd).toBeCloseTo((REPORTED_GPU_NS / 1e9) * (GPU_HOUR_USD / 3600), 12);
    // Every other agent answered well the first time.
    for (const c of local.filter((r) => r.agent !== agent)) expect([c.attempt, c.outcome]).toEqual([1, 'ok']);
    expect(local).toHaveLength(Object.keys(expected).length + 1);

    // The second request is the same conversation plus the broken answer and the re-ask turn.
    const chats = chatsFor(REASK_DOC.id)
      .map((r) => r.body as OllamaChatBody)
      .filter((b) => ownerOf(schemaFieldsOf(b.format)) === agent);
    expect(chats).toHaveLength(2);
    expect(schemaFieldsOf(chats[1]!.format)).toEqual(expected[agent]);
    expect(chats[1]!.messages.slice(0, 2)).toEqual(chats[0]!.messages);
    expect(chats[1]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(chats[1]!.messages[3]!.content).toMatch(/could not be used: the answer is not valid JSON/);
  });
});

// --- phase 2 --------------------------------------------------------------------------------

describe('phase 2: Claude for the required fields still undone', () => {
  const RATE_LIMITED_DOC = { ...RECEIPT_NO_ADDRESS, id: 'SYN-P2-429' };
  const RETRY_AFTER_SECONDS = 1;
  let anthropic: FakeAnthropic;
  let h: Harness;
  /** Arrival of each messages request: document, requested fields, time (ms). */
  const arrivals: { documentId: string; fields: string[]; at: number }[] = [];
  let rateLimitedAgent: AgentName | undefined;

  beforeAll(async () => {
    anthropic = await startFakeAnthropic({
      apiKey: ANTHROPIC_KEY,
      respond: (body: AnthropicMessagesBody) => {
        const documentId = documentIdOf(body.messages);
        const fields = schemaFieldsOf(body.output_config?.format?.schema);
        arrivals.push({ documentId, fields, at: Date.now() });
        if (documentId === RATE_LIMITED_DOC.id && rateLimitedAgent === undefined) {
          rateLimitedAgent = ownerOf(fields);
          return { status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS };
        }
        const answer = Object.fromEntries(fields.map((f) => [f, { value: STAND_IN_VALUES[f as FieldName], confidence: 0.95 }]));
        return { reply: { fields: answer }, ...CLAUDE_USAGE };
      },
    });
    h = await startHarness({ env: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: anthropic.url } });
  });
  afterAll(async () => {
    await h?.close();
    await anthropic?.close();
  });

  const bodiesFor = (documentId: string) =>
    anthropic.requests.map((r) => r.body as AnthropicMessagesBody).filter((b) => documentIdOf(b.messages) === documentId);

  it('asks only for required undone fields, fills them, and prices each call from the price table', async () => {
    const doc = { ...RECEIPT_NO_ADDRESS, id: 'SYN-P2-FILL' };
    const p0 = await phaseZero(h, doc);
    const required = DOCUMENT_TYPE_SCHEMAS[p0.documentType].required;
    const expectedFields = undone(p0.fields, required, h.config.ESCALATE_BELOW_CONFIDENCE);
    expect(p0.report.missing.length, 'phase 0 leaves a required field missing').toBeGreaterThan(0);
    expect(expectedFields.length, 'phase 0 fills some required fields well').toBeLessThan(required.length);

    const { batch_id } = await h.submit(await writeDocuments({ 'fill.json': doc }));
    await h.waitForBatch(batch_id, 20_000);

    const asked: Record<string, string[]> = {};
    for (const body of bodiesFor(doc.id)) {
      const fields = schemaFieldsOf(body.output_config?.format?.schema);
      expect(promptFieldsOf(body.messages)).toEqual(fields);
      expect(body.model).toBe(h.config.ANTHROPIC_MODEL);
      asked[ownerOf(fields)] = fields;
    }
    expect(asked).toEqual(byOwner(expectedFields));

    const enriched = (await h.store.enrichedDocuments.findOne({ document_id: doc.id }))!;
    expect(enriched.phases).toEqual(['offline', 'escalation']);
    for (const name of expectedFields) {
      expect(enriched.fields[name], name).toMatchObject({ provider: 'anthropic', model: h.config.ANTHROPIC_MODEL, valid: true, confidence: 0.95 });
      expect(enriched.fields[name]?.value).toEqual(STAND_IN_VALUES[name]);
    }
    for (const name of required.filter((n) => !expectedFields.includes(n))) expect(enriched.fields[name]?.provider, name).toBe('offline');
    expect(enriched.missing_fields).toEqual([]);

    const costs = await costsOf(h, doc.id);
    const escalation = costs.filter((c) => c.tier === 'escalation');
    expect(escalation.map((c) => c.agent).sort()).toEqual(Object.keys(byOwner(expectedFields)).sort());
    const price = ANTHROPIC_PRICES[h.config.ANTHROPIC_MODEL]!;
    for (const c of escalation) {
      expect(c).toMatchObject({ provider: 'anthropic', outcome: 'ok', attempt: 1, gpu_seconds: 0 });
      expect([c.input_tokens, c.output_tokens]).toEqual([CLAUDE_USAGE.inputTokens, CLAUDE_USAGE.outputTokens]);
      const listPrice = (CLAUDE_USAGE.inputTokens * price.inputUsdPerMTok + CLAUDE_USAGE.outputTokens * price.outputUsdPerMTok) / 1_000_000;
      expect(c.cost_usd).toBeCloseTo(listPrice, 12);
    }
    expect(enriched.cost_usd).toBeGreaterThan(0);
    expect(enriched.cost_usd).toBeCloseTo(sumUsd(costs), 12);
    expect(enriched.cost_usd).toBeLessThanOrEqual(h.config.DOCUMENT_BUDGET_USD);
  });

  it('waits out a 429 with retry-after, then completes with an error and an ok cost record', async () => {
    const { batch_id, jobs } = await h.submit(await writeDocuments({ '429.json': RATE_LIMITED_DOC }));
    await h.waitForBatch(batch_id, 20_000);
    const job = (await h.store.getJob(jobs[0]!.job_id))!;
    expect(job.status).toBe('completed');
    expect(job.attempts).toBe(1);
    expect(rateLimitedAgent).toBeDefined();
    const agent = rateLimitedAgent!;

    const records = (await costsOf(h, RATE_LIMITED_DOC.id))
      .filter((c) => c.tier === 'escalation' && c.agent === agent)
      .sort((a, b) => a.attempt - b.attempt);
    expect(records.map((c) => [c.attempt, c.outcome])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(records[0]!.error).toMatch(/429/);
    expect(records[0]!.cost_usd).toBe(0);
    expect(records[1]!.cost_usd).toBeGreaterThan(0);

    // The retry came no sooner than the server asked (the default backoff alone is 0.5 s).
    const tries = arrivals.filter((a) => a.documentId === RATE_LIMITED_DOC.id && ownerOf(a.fields) === agent);
    expect(tries).toHaveLength(2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - 50);

    const enriched = (await h.store.enrichedDocuments.findOne({ document_id: RATE_LIMITED_DOC.id }))!;
    for (const name of tries[1]!.fields) expect(enriched.fields[name as FieldName]?.provider, name).toBe('anthropic');
    expect(enriched.cost_usd).toBeCloseTo(sumUsd(await costsOf(h, RATE_LIMITED_DOC.id)), 12);
  });
});

describe('phase 2 within the per-document budget', () => {
  let anthropic: FakeAnthropic;
  let h: Harness;
  beforeAll(async () => {
    anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
    h = await startHarness({ env: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: anthropic.url, DOCUMENT_BUDGET_USD: '0.000001' } });
  });
  afterAll(async () => {
    await h?.close();
    await anthropic?.close();
  });

  it('makes no Claude call over budget and sends the document to review with the field still missing', async () => {
    const doc = { ...RECEIPT_NO_ADDRESS, id: 'SYN-P2-BUDGET' };
    const p0 = await phaseZero(h, doc);
    expect(p0.report.missing.length, 'phase 0 leaves a required field missing').toBeGreaterThan(0);

    const { batch_id, jobs } = await h.submit(await writeDocuments({ 'budget.json': doc }));
    await h.waitForBatch(batch_id, 20_000);
    expect((await h.store.getJob(jobs[0]!.job_id))?.status).toBe('completed');
    expect(anthropic.requests).toHaveLength(0);

    const enriched = (await h.store.enrichedDocuments.findOne({ document_id: doc.id }))!;
    expect(enriched.approval_status).toBe('pending_review');
    for (const name of p0.report.missing) {
      expect(enriched.fields[name], name).toBeUndefined();
      expect(enriched.missing_fields).toContain(name);
    }
    const review = await h.store.reviewQueue.findOne({ document_id: doc.id });
    expect(review?.status).toBe('pending');
    expect(review?.missing_fields).toEqual(enriched.missing_fields);

    const costs = await costsOf(h, doc.id);
    expect(costs.filter((c) => c.provider === 'anthropic' || c.tier === 'escalation')).toEqual([]);
    expect(enriched.cost_usd).toBe(0);
  });
});
