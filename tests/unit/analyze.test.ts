import { describe, expect, it } from 'vitest';
import { analyzeReport, formatAnalysis } from '../../app/src/reporting/analyze.js';
import type { PerDocument, RunReport } from '../../app/src/reporting/run-report.js';
import { perDocument, reportOf as baseReport } from '../support/report-fixtures.js';

function reportOf(docs: PerDocument[], costs?: RunReport['cost_breakdown']): RunReport {
  return baseReport(docs, { cost_per_document_usd: { mean: 0.0125, p95: 0.03, max: 0.04, total: 0.05 }, ...(costs ? { cost_breakdown: costs } : {}) });
}

// Counts over the four documents:
//   vendor_address 3 (missing ×3), currency 3 (missing, invalid, low confidence),
//   document_date, document_number, summary, title, total_amount 1 each.
const REPORT = reportOf(
  [
    perDocument('a', 'receipt', { missing: ['vendor_address', 'currency'], invalid: ['document_date'], low: ['total_amount'] }),
    perDocument('b', 'receipt', { missing: ['vendor_address'], invalid: ['currency'] }),
    perDocument('c', 'other', { missing: ['title'], low: ['summary'] }),
    perDocument('d', 'invoice', { missing: ['document_number', 'vendor_address'], low: ['currency'] }),
  ],
  {
    by_agent: { metadata: { calls: 4, usd: 0.01 }, entities: { calls: 4, usd: 0.04 } },
    by_provider: { anthropic: { calls: 8, usd: 0.05 } },
    by_model: { 'claude-haiku-4-5': { calls: 8, usd: 0.05 } },
    by_tier: { escalation: { calls: 8, usd: 0.05 } },
  },
);

describe('analyzeReport', () => {
  const analysis = analyzeReport(REPORT);

  it('counts the documents', () => {
    expect(analysis.documents).toBe(4);
  });

  it('ranks the top 3 overall by count, ties broken by field name', () => {
    expect(analysis.top_missing_overall).toEqual([
      { field: 'currency', count: 3, missing: 1, invalid: 1, low_confidence: 1 },
      { field: 'vendor_address', count: 3, missing: 3, invalid: 0, low_confidence: 0 },
      // Five fields tie at 1; document_date sorts first.
      { field: 'document_date', count: 1, missing: 0, invalid: 1, low_confidence: 0 },
    ]);
  });

  it('ranks per agent over the fields each owns, omitting agents with no gaps', () => {
    expect(Object.keys(analysis.top_missing_by_agent).sort()).toEqual(['entities', 'metadata', 'summary']);
    expect(analysis.top_missing_by_agent.metadata?.map((m) => [m.field, m.count])).toEqual([
      ['vendor_address', 3],
      ['document_date', 1],
      ['document_number', 1],
    ]);
    expect(analysis.top_missing_by_agent.entities?.map((m) => [m.field, m.count])).toEqual([
      ['currency', 3],
      ['total_amount', 1],
    ]);
    expect(analysis.top_missing_by_agent.summary?.map((m) => [m.field, m.count])).toEqual([
      ['summary', 1],
      ['title', 1],
    ]);
  });

  it('ranks per document type over that type’s documents only', () => {
    const byType = Object.fromEntries(Object.entries(analysis.top_missing_by_document_type).map(([t, items]) => [t, items.map((m) => [m.field, m.count])]));
    expect(byType).toEqual({
      receipt: [
        ['currency', 2],
        ['vendor_address', 2],
        ['document_date', 1],
      ],
      other: [
        ['summary', 1],
        ['title', 1],
      ],
      invoice: [
        ['currency', 1],
        ['document_number', 1],
        ['vendor_address', 1],
      ],
    });
  });

  it('carries completeness per agent and the cost figures through', () => {
    expect(analysis.completeness_by_agent.classification).toBe(1);
    expect(analysis.completeness_by_agent.structure).toBeNull();
    expect(analysis.cost_breakdown).toBe(REPORT.cost_breakdown);
    expect(analysis.cost_per_document_usd).toEqual({ mean: 0.0125, p95: 0.03, max: 0.04, total: 0.05 });
  });

  it('has empty rankings for a report with no gaps', () => {
    const clean = analyzeReport(reportOf([perDocument('x', 'other', {})]));
    expect(clean.top_missing_overall).toEqual([]);
    expect(clean.top_missing_by_agent).toEqual({});
    expect(clean.top_missing_by_document_type).toEqual({ other: [] });
  });
});

describe('formatAnalysis', () => {
  const text = formatAnalysis(analyzeReport(REPORT));
  const lines = text.split('\n');

  it('prints the top 3 missing fields overall, numbered, under their heading', () => {
    const at = lines.indexOf('Top 3 missing fields overall:');
    expect(at).toBeGreaterThan(-1);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '    1. currency: 3 docs (missing 1, invalid 1, low confidence 1)',
      '    2. vendor_address: 3 docs (missing 3, invalid 0, low confidence 0)',
      '    3. document_date: 1 docs (missing 0, invalid 1, low confidence 0)',
    ]);
  });

  it('prints the document count, per-agent completeness and cost lines', () => {
    expect(lines[0]).toBe('Documents analysed: 4');
    expect(text).toContain('Top missing fields per agent:');
    expect(text).toContain('Top missing fields per document type:');
    expect(lines).toContain(`  ${'classification'.padEnd(15)} 100.0%`);
    expect(lines).toContain(`  ${'structure'.padEnd(15)} n/a`);
    expect(text).toContain('Cost per document: mean $0.012500, p95 $0.030000, max $0.040000, total $0.050000');
  });

  it('lists cost rows most expensive first', () => {
    const entities = lines.findIndex((l) => l.trimStart().startsWith('entities ') && l.includes('calls'));
    const metadata = lines.findIndex((l) => l.trimStart().startsWith('metadata ') && l.includes('calls'));
    expect(entities).toBeGreaterThan(-1);
    expect(entities).toBeLessThan(metadata);
  });

  it('prints "(none)" for an empty ranking', () => {
    const clean = formatAnalysis(analyzeReport(reportOf([perDocument('x', 'other', {})])));
    const cl = clean.split('\n');
    expect(cl[cl.indexOf('Top 3 missing fields overall:') + 1]).toBe('    (none)');
  });
});
