/**
 * Phase logic of `enrichDocument` and `mergeCandidates`. A scripted {@link AgentCaller} stands in
 * for the five MCP agents: it records every call and answers from a per-tier table.
 */
import { describe, expect, it } from 'vitest';
import type { ExtractedFields } from '../../app/src/domain/completeness.js';
import { AGENT_NAMES, FIELD_OWNERS, fieldsOwnedBy, type AgentName, type FieldCandidate, type FieldName } from '../../app/src/domain/fields.js';
import type { CallRecord } from '../../app/src/llm/provider.js';
import {
  enrichDocument,
  mergeCandidates,
  type AgentCallArgs,
  type AgentCallResult,
  type AgentCaller,
  type EnrichOptions,
  type LedgerEntry,
  type Tier,
} from '../../app/src/pipeline/enrich.js';

const DOC = { document_id: 'T-1', ocr_lines: ['SEDAP MART', 'TOTAL 12.40'] };

const PROVIDER: Record<Tier, { provider: string; model: string }> = {
  offline: { provider: 'offline', model: 'rules' },
  local: { provider: 'ollama', model: 'llama3.2' },
  escalation: { provider: 'anthropic', model: 'claude-haiku-4-5' },
};

function callRecord(tier: Tier, costUsd = 0, attempt = 1): CallRecord {
  const p = PROVIDER[tier];
  return {
    provider: p.provider as CallRecord['provider'],
    model: p.model,
    attempt,
    outcome: 'ok',
    input_tokens: 10,
    output_tokens: 5,
    duration_seconds: 0.01,
    gpu_seconds: 0,
    cost_usd: costUsd,
    price_table_version: 'test',
  };
}

type Candidates = Partial<Record<FieldName, FieldCandidate>>;

/** Valid values of every field a receipt wants, at confidence 0.9. */
const RECEIPT: Candidates = {
  document_type: { value: 'receipt', confidence: 0.9 },
  language: { value: 'en', confidence: 0.9 },
  vendor_name: { value: 'Sedap Mart', confidence: 0.9 },
  vendor_address: { value: '7 Jalan Contoh, Shah Alam', confidence: 0.9 },
  document_date: { value: '2019-03-05', confidence: 0.9 },
  document_number: { value: 'R-0042', confidence: 0.9 },
  organizations: { value: ['Sedap Mart'], confidence: 0.9 },
  people: { value: ['A. Tester'], confidence: 0.9 },
  total_amount: { value: 12.4, confidence: 0.9 },
  currency: { value: 'MYR', confidence: 0.9 },
  title: { value: 'Sedap Mart receipt', confidence: 0.9 },
  summary: { value: 'Grocery receipt totalling 12.40 MYR.', confidence: 0.9 },
  keywords: { value: ['grocery'], confidence: 0.9 },
  line_items: { value: [{ description: 'Tea', quantity: 1, unit_price: 12.4, amount: 12.4 }], confidence: 0.9 },
  sections: { value: ['header', 'items'], confidence: 0.9 },
};

interface TierScript {
  /** Candidates the tier's agents answer with; each agent returns only the fields it was asked for. */
  candidates?: Candidates;
  /** USD of the single call record each agent of this tier reports. */
  costPerCall?: number;
  /** Errors thrown instead of answering, by agent. */
  errors?: Partial<Record<AgentName, Error>>;
}

class ScriptedAgents implements AgentCaller {
  readonly calls: { agent: AgentName; args: AgentCallArgs }[] = [];
  constructor(private readonly script: Partial<Record<Tier, TierScript>>) {}

  async call(agent: AgentName, args: AgentCallArgs): Promise<AgentCallResult> {
    this.calls.push({ agent, args: structuredClone(args) });
    const tier = this.script[args.tier] ?? {};
    const error = tier.errors?.[agent];
    if (error) throw error;
    const fields: Candidates = {};
    for (const f of args.fields) {
      const c = tier.candidates?.[f];
      if (c) fields[f] = c;
    }
    return {
      agent,
      tier: args.tier,
      ...PROVIDER[args.tier],
      prompt_version: `${agent}-v1`,
      fields,
      calls: [callRecord(args.tier, tier.costPerCall ?? 0)],
    };
  }

  callsOf(tier: Tier): { agent: AgentName; args: AgentCallArgs }[] {
    return this.calls.filter((c) => c.args.tier === tier);
  }
}

function options(over: Partial<EnrichOptions> = {}): EnrichOptions {
  return {
    thresholds: { minCompleteness: 0.95, minFieldConfidence: 0.7 },
    escalateBelowConfidence: 0.7,
    tiers: { local: false, escalation: false },
    documentBudgetUsd: 0.5,
    ...over,
  };
}

function without(c: Candidates, ...names: FieldName[]): Candidates {
  const out = { ...c };
  for (const n of names) delete out[n];
  return out;
}

/**
 * Phase 0 of a receipt that leaves: vendor_address missing, document_date invalid, total_amount
 * below 0.7, currency exactly at 0.7, and the optional document_number and people missing.
 */
const PATCHY_RECEIPT: Candidates = {
  ...without(RECEIPT, 'vendor_address', 'document_number', 'people'),
  document_date: { value: '2019-02-30', confidence: 0.9 },
  total_amount: { value: 12.4, confidence: 0.5 },
  currency: { value: 'MYR', confidence: 0.7 },
};

describe('enrichDocument: phase 0 (offline)', () => {
  it('calls all five agents once with every field each owns, at tier offline, with no budget', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: RECEIPT } });
    const out = await enrichDocument(DOC, agents, options(), []);
    expect(agents.calls.map((c) => c.agent).sort()).toEqual([...AGENT_NAMES].sort());
    for (const { agent, args } of agents.calls) {
      expect(args.tier).toBe('offline');
      expect(args.fields).toEqual(fieldsOwnedBy(agent));
      expect(args.document_id).toBe('T-1');
      expect(args.ocr_lines).toEqual(DOC.ocr_lines);
      expect(args).not.toHaveProperty('budget_usd');
    }
    expect(out.phases).toEqual(['offline']);
    expect(out.escalated).toEqual([]);
    expect(out.documentType).toBe('receipt');
    expect(out.report.completenessScore).toBe(1);
    expect(out.decision).toEqual({ status: 'auto_approved', reasons: [] });
  });

  it('stores each field with the agent, provider and model that produced it', async () => {
    const out = await enrichDocument(DOC, new ScriptedAgents({ offline: { candidates: RECEIPT } }), options(), []);
    expect(out.fields.total_amount).toEqual({ value: 12.4, confidence: 0.9, agent: 'entities', provider: 'offline', model: 'rules', valid: true });
  });

  it('falls back to document type "other" when classification finds nothing', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: without(RECEIPT, 'document_type') } });
    const out = await enrichDocument(DOC, agents, options(), []);
    expect(out.documentType).toBe('other');
    // 'other' requires document_type, title, summary: two of three present.
    expect(out.report.missing).toEqual(['document_type']);
    expect(out.report.completenessScore).toBe(2 / 3);
  });

  it('falls back to "other" when the classification answer is not a known type', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: { ...RECEIPT, document_type: { value: 'letter', confidence: 0.99 } } } });
    const out = await enrichDocument(DOC, agents, options(), []);
    expect(out.documentType).toBe('other');
    expect(out.fields.document_type?.valid).toBe(false);
    expect(out.report.invalid).toEqual(['document_type']);
  });
});

describe('enrichDocument: phase 1 (local)', () => {
  it('asks the owners for only the wanted fields that are missing, invalid or below escalateBelowConfidence', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT }, local: { candidates: RECEIPT } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: false } }), []);
    const local = agents.callsOf('local');
    expect(local.map((c) => [c.agent, c.args.fields])).toEqual([
      ['metadata', ['vendor_address', 'document_date', 'document_number']],
      ['entities', ['total_amount', 'people']],
    ]);
    expect(out.escalated).toEqual([
      { tier: 'local', agent: 'metadata', fields: ['vendor_address', 'document_date', 'document_number'] },
      { tier: 'local', agent: 'entities', fields: ['total_amount', 'people'] },
    ]);
    expect(out.phases).toEqual(['offline', 'local']);
    // currency sat exactly at 0.7 and key_values is not wanted for a receipt: neither was asked for.
    expect(local.flatMap((c) => c.args.fields)).not.toContain('currency');
    expect(local.flatMap((c) => c.args.fields)).not.toContain('key_values');
    expect(out.fields.document_date).toMatchObject({ value: '2019-03-05', valid: true, provider: 'ollama' });
    expect(out.decision.status).toBe('auto_approved');
  });

  it('passes the valid phase-0 values as context and no budget', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT } });
    await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: false } }), []);
    const metadata = agents.callsOf('local').find((c) => c.agent === 'metadata')!;
    expect(metadata.args.context).toMatchObject({ document_type: 'receipt', vendor_name: 'Sedap Mart' });
    expect(metadata.args.context).not.toHaveProperty('document_date'); // invalid in phase 0
    expect(metadata.args).not.toHaveProperty('budget_usd');
  });

  it('uses the wanted fields of the classified type (form: key_values yes, vendor_address no)', async () => {
    const form: Candidates = {
      document_type: { value: 'form', confidence: 0.9 },
      title: { value: 'Fax cover sheet', confidence: 0.9 },
      summary: { value: 'A fax cover sheet with routing details.', confidence: 0.9 },
    };
    const agents = new ScriptedAgents({ offline: { candidates: form } });
    await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: false } }), []);
    const asked = Object.fromEntries(agents.callsOf('local').map((c) => [c.agent, c.args.fields]));
    expect(asked).toEqual({
      classification: ['language'],
      metadata: ['vendor_name', 'document_date', 'document_number'],
      entities: ['organizations', 'people'],
      summary: ['keywords'],
      structure: ['key_values', 'sections'],
    });
  });

  it('asks classification for document_type again when phase 0 found no type', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: without(RECEIPT, 'document_type') } });
    await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: false } }), []);
    const asked = Object.fromEntries(agents.callsOf('local').map((c) => [c.agent, c.args.fields]));
    // Wanted for 'other': only document_type is lacking.
    expect(asked).toEqual({ classification: ['document_type'] });
  });

  it('makes no local call when phase 0 left nothing to do', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: RECEIPT } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: false } }), []);
    expect(agents.callsOf('local')).toEqual([]);
    expect(out.phases).toEqual(['offline']);
  });

  it('makes no local call when the local tier is not configured', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT } });
    const out = await enrichDocument(DOC, agents, options(), []);
    expect(agents.calls).toHaveLength(5);
    expect(out.decision.status).toBe('pending_review');
  });
});

describe('enrichDocument: phase 2 (escalation)', () => {
  it('escalates only required fields still missing, invalid or low-confidence, splitting the remaining budget', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT }, escalation: { candidates: RECEIPT } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: false, escalation: true }, spentUsd: 0.25 }), []);
    const esc = agents.callsOf('escalation');
    // document_number and people are optional for a receipt: never escalated.
    expect(esc.map((c) => [c.agent, c.args.fields])).toEqual([
      ['metadata', ['vendor_address', 'document_date']],
      ['entities', ['total_amount']],
    ]);
    // (0.5 budget − 0.25 spent) / 2 agents
    for (const c of esc) expect(c.args.budget_usd).toBe(0.125);
    expect(out.phases).toEqual(['offline', 'escalation']);
    expect(out.escalated).toEqual([
      { tier: 'escalation', agent: 'metadata', fields: ['vendor_address', 'document_date'] },
      { tier: 'escalation', agent: 'entities', fields: ['total_amount'] },
    ]);
    expect(out.report.completenessScore).toBe(1);
    expect(out.decision.status).toBe('auto_approved');
  });

  it('counts spend from earlier phases in the ledger against the budget', async () => {
    const agents = new ScriptedAgents({
      offline: { candidates: PATCHY_RECEIPT },
      // Local answers nothing, so the same fields remain; its two calls cost 0.0625 each.
      local: { candidates: {}, costPerCall: 0.0625 },
    });
    await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: true }, spentUsd: 0.125 }), []);
    const esc = agents.callsOf('escalation');
    expect(esc.map((c) => c.agent)).toEqual(['metadata', 'entities']);
    // (0.5 − 0.125 − 2 × 0.0625) / 2
    for (const c of esc) expect(c.args.budget_usd).toBe(0.125);
  });

  it('a single escalated agent gets the whole remaining budget', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: { ...RECEIPT, title: { value: 'x', confidence: 0.9 } } } });
    await enrichDocument(DOC, agents, options({ tiers: { local: false, escalation: true }, documentBudgetUsd: 0.5 }), []);
    expect(agents.callsOf('escalation').map((c) => [c.agent, c.args.fields, c.args.budget_usd])).toEqual([['summary', ['title'], 0.5]]);
  });

  it.each([
    ['exactly spent', 0.5],
    ['overspent', 0.75],
  ])('makes no escalation call when the budget is %s', async (_label, spentUsd) => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: false, escalation: true }, spentUsd }), []);
    expect(agents.callsOf('escalation')).toEqual([]);
    expect(out.phases).toEqual(['offline']);
    expect(out.escalated).toEqual([]);
    expect(out.decision.status).toBe('pending_review');
  });

  it('makes no escalation call when local spend uses up the budget', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT }, local: { candidates: {}, costPerCall: 0.25 } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: true } }), []);
    expect(agents.callsOf('local')).toHaveLength(2);
    expect(agents.callsOf('escalation')).toEqual([]);
    expect(out.phases).toEqual(['offline', 'local']);
  });

  it('makes no escalation call when every required field is valid and confident', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: without(RECEIPT, 'people', 'keywords') } });
    const out = await enrichDocument(DOC, agents, options({ tiers: { local: false, escalation: true } }), []);
    expect(agents.callsOf('escalation')).toEqual([]);
    expect(out.phases).toEqual(['offline']);
  });
});

describe('enrichDocument: ledger and failures', () => {
  it('records every call of every phase with agent, tier and prompt version', async () => {
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT }, local: { candidates: {} }, escalation: { candidates: RECEIPT } });
    const ledger: LedgerEntry[] = [];
    await enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: true } }), ledger);
    // One record per agent call: 5 offline + 2 local + 2 escalation.
    expect(ledger).toHaveLength(9);
    expect(ledger.map((e) => `${e.tier}:${e.agent}`).sort()).toEqual(agents.calls.map((c) => `${c.args.tier}:${c.agent}`).sort());
    for (const e of ledger) {
      expect(e.prompt_version).toBe(`${e.agent}-v1`);
      expect(e.call.provider).toBe(PROVIDER[e.tier].provider);
    }
  });

  it('records the calls attached to a thrown error and rethrows it', async () => {
    const failure = Object.assign(new Error('metadata agent down'), {
      transient: true,
      prompt_version: 'metadata-v7',
      calls: [callRecord('offline', 0, 1), callRecord('offline', 0, 2)],
    });
    const agents = new ScriptedAgents({ offline: { candidates: RECEIPT, errors: { metadata: failure } } });
    const ledger: LedgerEntry[] = [];
    await expect(enrichDocument(DOC, agents, options(), ledger)).rejects.toBe(failure);
    const metadata = ledger.filter((e) => e.agent === 'metadata');
    expect(metadata).toEqual([
      { agent: 'metadata', tier: 'offline', prompt_version: 'metadata-v7', call: failure.calls[0] },
      { agent: 'metadata', tier: 'offline', prompt_version: 'metadata-v7', call: failure.calls[1] },
    ]);
    // The other four agents answered; their calls are recorded too.
    expect(ledger).toHaveLength(6);
  });

  it('records a failed call without prompt_version as "unknown"', async () => {
    const failure = Object.assign(new Error('timeout'), { calls: [callRecord('local', 0.01)] });
    const agents = new ScriptedAgents({ offline: { candidates: PATCHY_RECEIPT }, local: { errors: { entities: failure } } });
    const ledger: LedgerEntry[] = [];
    await expect(enrichDocument(DOC, agents, options({ tiers: { local: true, escalation: true } }), ledger)).rejects.toBe(failure);
    expect(ledger.filter((e) => e.tier === 'local' && e.agent === 'entities')).toEqual([
      { agent: 'entities', tier: 'local', prompt_version: 'unknown', call: failure.calls[0] },
    ]);
    expect(agents.callsOf('escalation')).toEqual([]);
  });

  it('rethrows an error that carries no calls', async () => {
    const failure = new Error('boom');
    const agents = new ScriptedAgents({ offline: { errors: { summary: failure } } });
    const ledger: LedgerEntry[] = [];
    await expect(enrichDocument(DOC, agents, options(), ledger)).rejects.toBe(failure);
    expect(ledger.filter((e) => e.agent === 'summary')).toEqual([]);
    expect(ledger).toHaveLength(4);
  });
});

describe('mergeCandidates', () => {
  function result(agent: AgentName, fields: Candidates, tier: Tier = 'offline'): AgentCallResult {
    return { agent, tier, ...PROVIDER[tier], prompt_version: 'v1', fields, calls: [] };
  }

  it('records an invalid candidate with its reason and raw value', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('metadata', { document_date: { value: '2019-02-30', confidence: 0.8 } }));
    expect(fields.document_date).toEqual({
      value: '2019-02-30',
      confidence: 0.8,
      agent: 'metadata',
      provider: 'offline',
      model: 'rules',
      valid: false,
      invalid_reason: 'document_date: not a calendar date',
    });
  });

  it('stores the parsed value of a valid candidate', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('metadata', { vendor_name: { value: '  Sedap Mart ', confidence: 0.8 } }));
    expect(fields.vendor_name?.value).toBe('Sedap Mart');
    expect(fields.vendor_name).not.toHaveProperty('invalid_reason');
  });

  it('keeps a valid value over a later invalid one, even a more confident one', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('entities', { total_amount: { value: 12.4, confidence: 0.3 } }));
    mergeCandidates(fields, result('entities', { total_amount: { value: -5, confidence: 0.99 } }, 'local'));
    expect(fields.total_amount).toMatchObject({ value: 12.4, confidence: 0.3, valid: true, provider: 'offline' });
  });

  it('replaces an invalid value with a valid one, even a less confident one', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('entities', { currency: { value: 'RM', confidence: 0.95 } }));
    mergeCandidates(fields, result('entities', { currency: { value: 'MYR', confidence: 0.2 } }, 'escalation'));
    expect(fields.currency).toMatchObject({ value: 'MYR', confidence: 0.2, valid: true, provider: 'anthropic' });
  });

  it('replaces a valid value only with a strictly more confident valid one', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('summary', { title: { value: 'First', confidence: 0.6 } }));
    mergeCandidates(fields, result('summary', { title: { value: 'Less', confidence: 0.5 } }, 'local'));
    expect(fields.title?.value).toBe('First');
    mergeCandidates(fields, result('summary', { title: { value: 'Equal', confidence: 0.6 } }, 'local'));
    expect(fields.title?.value).toBe('First');
    mergeCandidates(fields, result('summary', { title: { value: 'Better', confidence: 0.61 } }, 'local'));
    expect(fields.title).toMatchObject({ value: 'Better', confidence: 0.61, provider: 'ollama' });
  });

  it('replaces an invalid value with a more confident invalid one', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('classification', { language: { value: 'EN', confidence: 0.4 } }));
    mergeCandidates(fields, result('classification', { language: { value: 'eng', confidence: 0.5 } }, 'local'));
    expect(fields.language).toMatchObject({ value: 'eng', valid: false });
  });

  it('ignores candidates for fields the agent does not own', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('metadata', { total_amount: { value: 12.4, confidence: 1 }, vendor_name: { value: 'Sedap', confidence: 1 } }));
    expect(Object.keys(fields)).toEqual(['vendor_name']);
    expect(FIELD_OWNERS.total_amount).not.toBe('metadata');
  });

  it('ignores null and undefined values and leaves the current value alone', () => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('metadata', { vendor_name: { value: 'Sedap', confidence: 0.5 } }));
    mergeCandidates(fields, result('metadata', { vendor_name: { value: null, confidence: 1 }, document_number: { value: undefined, confidence: 1 } }));
    expect(fields.vendor_name?.value).toBe('Sedap');
    expect(fields).not.toHaveProperty('document_number');
  });

  it.each([
    [1.5, 1],
    [-0.2, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [0.42, 0.42],
  ])('clamps confidence %s to %s', (given, stored) => {
    const fields: ExtractedFields = {};
    mergeCandidates(fields, result('summary', { title: { value: 'A title', confidence: given } }));
    expect(fields.title?.confidence).toBe(stored);
  });
});
