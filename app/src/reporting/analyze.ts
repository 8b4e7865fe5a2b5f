/**
 * Analysis of a run report for prompt optimisation (checklist 8-prompts-01 and
 * 8-prompts-02: study the run's results and find the three fields most often missing).
 */
import { FIELD_OWNERS, type AgentName, type FieldName } from '../domain/fields.js';
import { completenessPerAgent, type RunReport } from './run-report.js';

export interface MissingCount {
  field: FieldName;
  /** Documents where the required field was missing, invalid or low-confidence. */
  count: number;
  missing: number;
  invalid: number;
  low_confidence: number;
}

export interface Analysis {
  documents: number;
  top_missing_overall: MissingCount[];
  top_missing_by_agent: Partial<Record<AgentName, MissingCount[]>>;
  top_missing_by_document_type: Record<string, MissingCount[]>;
  completeness_by_agent: Record<AgentName, number | null>;
  cost_breakdown: RunReport['cost_breakdown'];
  cost_per_document_usd: RunReport['cost_per_document_usd'];
}

const TOP_N = 3;

function rank(docs: RunReport['per_document'], filter: (f: FieldName) => boolean): MissingCount[] {
  const counts = new Map<FieldName, MissingCount>();
  const bump = (field: FieldName, kind: 'missing' | 'invalid' | 'low_confidence') => {
    if (!filter(field)) return;
    const c = counts.get(field) ?? { field, count: 0, missing: 0, invalid: 0, low_confidence: 0 };
    c.count++;
    c[kind]++;
    counts.set(field, c);
  };
  for (const d of docs) {
    d.missing_fields.forEach((f) => bump(f, 'missing'));
    d.invalid_fields.forEach((f) => bump(f, 'invalid'));
    d.low_confidence_fields.forEach((f) => bump(f, 'low_confidence'));
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.field.localeCompare(b.field)).slice(0, TOP_N);
}

export function analyzeReport(report: RunReport): Analysis {
  const byAgent: Analysis['top_missing_by_agent'] = {};
  for (const agent of new Set(Object.values(FIELD_OWNERS))) {
    const top = rank(report.per_document, (f) => FIELD_OWNERS[f] === agent);
    if (top.length > 0) byAgent[agent] = top;
  }
  const byType: Analysis['top_missing_by_document_type'] = {};
  for (const type of new Set(report.per_document.map((d) => d.document_type))) {
    byType[type] = rank(
      report.per_document.filter((d) => d.document_type === type),
      () => true,
    );
  }
  return {
    documents: report.per_document.length,
    top_missing_overall: rank(report.per_document, () => true),
    top_missing_by_agent: byAgent,
    top_missing_by_document_type: byType,
    completeness_by_agent: completenessPerAgent(report),
    cost_breakdown: report.cost_breakdown,
    cost_per_document_usd: report.cost_per_document_usd,
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const usd = (x: number) => `$${x.toFixed(6)}`;

/** Human-readable text of an analysis, as `analyze-results.sh` prints it. */
export function formatAnalysis(a: Analysis): string {
  const lines: string[] = [];
  const list = (items: MissingCount[]) =>
    items.length === 0
      ? '    (none)'
      : items.map((m, i) => `    ${i + 1}. ${m.field}: ${m.count} docs (missing ${m.missing}, invalid ${m.invalid}, low confidence ${m.low_confidence})`).join('\n');
  lines.push(`Documents analysed: ${a.documents}`, '', 'Top 3 missing fields overall:', list(a.top_missing_overall), '');
  lines.push('Top missing fields per agent:');
  for (const [agent, items] of Object.entries(a.top_missing_by_agent)) lines.push(`  ${agent}:`, list(items));
  lines.push('', 'Top missing fields per document type:');
  for (const [type, items] of Object.entries(a.top_missing_by_document_type)) lines.push(`  ${type}:`, list(items));
  lines.push('', 'Completeness per agent (required fields it owns, present and valid):');
  for (const [agent, c] of Object.entries(a.completeness_by_agent)) lines.push(`  ${agent.padEnd(15)} ${pct(c)}`);
  lines.push('', 'Cost breakdown:');
  for (const [dimension, rows] of Object.entries(a.cost_breakdown)) {
    lines.push(`  ${dimension}:`);
    for (const [key, v] of Object.entries(rows).sort((x, y) => y[1].usd - x[1].usd)) lines.push(`    ${key.padEnd(28)} ${String(v.calls).padStart(6)} calls  ${usd(v.usd)}`);
  }
  const c = a.cost_per_document_usd;
  lines.push('', `Cost per document: mean ${usd(c.mean)}, p95 ${usd(c.p95)}, max ${usd(c.max)}, total ${usd(c.total)}`);
  return lines.join('\n');
}
