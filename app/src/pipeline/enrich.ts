/**
 * The enrichment phases for one document, independent of NSQ and MongoDB.
 *
 * - Phase 0 (`offline`, $0): every agent extracts its fields with the offline provider.
 * - Phase 1 (`local`): when a local model is configured, the fields phase 0 left missing,
 *   invalid or low-confidence go to the owning agents on Ollama (`llama3.2`, structure on `mixtral`).
 * - Phase 2 (`escalation`): when Claude is configured, only the *required* fields still missing,
 *   invalid or low-confidence go to Claude, within what is left of the per-document budget.
 *
 * After each phase the candidates are validated against the field schemas and merged; then the
 * document is scored and the approval rule applied (app/src/domain/completeness.ts).
 */
import {
  decideApproval,
  fieldsNeedingEscalation,
  scoreCompleteness,
  type ApprovalDecision,
  type ApprovalThresholds,
  type CompletenessReport,
  type ExtractedFields,
} from '../domain/completeness.js';
import { wantedFields } from '../domain/document-types.js';
import {
  AGENT_NAMES,
  DOCUMENT_TYPES,
  FIELD_OWNERS,
  fieldsOwnedBy,
  validateField,
  type AgentName,
  type DocumentType,
  type FieldCandidate,
  type FieldName,
} from '../domain/fields.js';
import type { CallRecord } from '../llm/provider.js';

export type Tier = 'offline' | 'local' | 'escalation';

export interface AgentCallArgs {
  document_id: string;
  ocr_lines: string[];
  fields: FieldName[];
  tier: Tier;
  context?: Record<string, unknown>;
  budget_usd?: number;
}

export interface AgentCallResult {
  agent: AgentName;
  tier: Tier;
  provider: string;
  model: string;
  prompt_version: string;
  fields: Partial<Record<FieldName, FieldCandidate>>;
  calls: CallRecord[];
}

/** How the pipeline reaches an agent. The worker passes MCP clients; tests may pass others. */
export interface AgentCaller {
  /**
   * Calls one agent's `extract_fields` tool. Throws an error with `transient: boolean` and
   * `calls: CallRecord[]` (the model calls made before it failed) when the call fails.
   */
  call(agent: AgentName, args: AgentCallArgs): Promise<AgentCallResult>;
}

/** One model call as the worker will record it. */
export interface LedgerEntry {
  agent: AgentName;
  tier: Tier;
  prompt_version: string;
  call: CallRecord;
}

export interface EnrichOptions {
  thresholds: ApprovalThresholds;
  /** Fields below this confidence after a phase are retried by the next one. */
  escalateBelowConfidence: number;
  /** Tiers this deployment has configured, besides `offline`. */
  tiers: { local: boolean; escalation: boolean };
  /** Per-document budget in USD for the escalation tier. */
  documentBudgetUsd: number;
  /** USD already spent on this document by earlier attempts. */
  spentUsd?: number;
}

export interface EnrichmentOutcome {
  documentType: DocumentType;
  fields: ExtractedFields;
  report: CompletenessReport;
  decision: ApprovalDecision;
  phases: Tier[];
  /** Fields each later phase asked a model for (agents that refused on budget are left out). */
  escalated: { tier: Tier; agent: AgentName; fields: FieldName[] }[];
}

export interface DocumentInput {
  document_id: string;
  ocr_lines: string[];
}

/**
 * Runs the phases for one document. Every model call is appended to `ledger` as soon as its
 * agent answers, so that calls made before a failure are still recorded by the caller.
 * Throws the agent's error when a call fails; the caller decides on requeue.
 */
export async function enrichDocument(
  doc: DocumentInput,
  agents: AgentCaller,
  options: EnrichOptions,
  ledger: LedgerEntry[],
): Promise<EnrichmentOutcome> {
  const fields: ExtractedFields = {};
  const phases: Tier[] = ['offline'];
  const escalated: EnrichmentOutcome['escalated'] = [];
  const record = (result: AgentCallResult) => {
    for (const call of result.calls) ledger.push({ agent: result.agent, tier: result.tier, prompt_version: result.prompt_version, call });
  };
  /** Runs one tier; returns the agents whose call reached a model (made at least one call). */
  const runTier = async (tier: Tier, wanted: Map<AgentName, FieldName[]>, budget?: number): Promise<Set<AgentName>> => {
    const reached = new Set<AgentName>();
    const results = await Promise.allSettled(
      [...wanted].map(async ([agent, agentFields]) => {
        try {
          const result = await agents.call(agent, {
            document_id: doc.document_id,
            ocr_lines: doc.ocr_lines,
            fields: agentFields,
            tier,
            context: contextOf(fields),
            ...(budget !== undefined ? { budget_usd: budget / wanted.size } : {}),
          });
          record(result);
          if (result.calls.length > 0) reached.add(agent);
          mergeCandidates(fields, result);
        } catch (err) {
          const calls = (err as { calls?: CallRecord[] }).calls ?? [];
          for (const call of calls) ledger.push({ agent, tier, prompt_version: (err as { prompt_version?: string }).prompt_version ?? 'unknown', call });
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return reached;
  };
  /** Records a later tier only for the agents it really reached (a budget refusal makes no call). */
  const noteTier = (tier: Tier, wanted: Map<AgentName, FieldName[]>, reached: Set<AgentName>) => {
    if (reached.size > 0) phases.push(tier);
    for (const [agent, f] of wanted) if (reached.has(agent)) escalated.push({ tier, agent, fields: f });
  };

  // Phase 0: everything every agent owns.
  await runTier('offline', new Map(AGENT_NAMES.map((a) => [a, fieldsOwnedBy(a)])));

  const needsWork = (candidates: FieldName[]) =>
    candidates.filter((f) => {
      const got = fields[f];
      return !got || !got.valid || got.confidence < options.escalateBelowConfidence;
    });

  if (options.tiers.local) {
    const wanted = groupByOwner(needsWork(wantedFields(documentTypeOf(fields))));
    if (wanted.size > 0) noteTier('local', wanted, await runTier('local', wanted));
  }

  if (options.tiers.escalation) {
    const type = documentTypeOf(fields);
    const report = scoreCompleteness(type, fields, { minFieldConfidence: options.escalateBelowConfidence });
    const wanted = groupByOwner(fieldsNeedingEscalation(report));
    const spent = (options.spentUsd ?? 0) + ledger.reduce((sum, e) => sum + e.call.cost_usd, 0);
    const remaining = options.documentBudgetUsd - spent;
    if (wanted.size > 0 && remaining > 0) noteTier('escalation', wanted, await runTier('escalation', wanted, remaining));
  }

  const documentType = documentTypeOf(fields);
  const report = scoreCompleteness(documentType, fields, options.thresholds);
  return { documentType, fields, report, decision: decideApproval(report, options.thresholds), phases, escalated };
}

/**
 * Merges one agent's candidates: each is validated against its field schema; a candidate
 * replaces the current value when the current one is absent or invalid, or when both are valid
 * and the new one is more confident. Candidates for fields the agent does not own are ignored.
 */
export function mergeCandidates(fields: ExtractedFields, result: AgentCallResult): void {
  for (const [name, candidate] of Object.entries(result.fields) as [FieldName, FieldCandidate | undefined][]) {
    if (!candidate || FIELD_OWNERS[name] !== result.agent) continue;
    if (candidate.value === null || candidate.value === undefined) continue;
    const confidence = Number.isFinite(candidate.confidence) ? Math.min(1, Math.max(0, candidate.confidence)) : 0;
    const checked = validateField(name, candidate.value);
    const next = {
      value: checked.valid ? checked.value : candidate.value,
      confidence,
      agent: result.agent,
      provider: result.provider,
      model: result.model,
      valid: checked.valid,
      ...(checked.valid ? {} : { invalid_reason: checked.reason }),
    };
    const current = fields[name];
    if (!current || (!current.valid && next.valid) || (current.valid === next.valid && next.confidence > current.confidence)) {
      fields[name] = next;
    }
  }
}

function documentTypeOf(fields: ExtractedFields): DocumentType {
  const f = fields.document_type;
  return f?.valid && (DOCUMENT_TYPES as readonly unknown[]).includes(f.value) ? (f.value as DocumentType) : 'other';
}

function groupByOwner(names: FieldName[]): Map<AgentName, FieldName[]> {
  const out = new Map<AgentName, FieldName[]>();
  for (const name of names) {
    const owner = FIELD_OWNERS[name];
    out.set(owner, [...(out.get(owner) ?? []), name]);
  }
  return out;
}

/** What later agents may use as hints: valid values of earlier phases. */
function contextOf(fields: ExtractedFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fields)) if (f?.valid) out[name] = f.value;
  return out;
}
