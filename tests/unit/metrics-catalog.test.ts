import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_CATALOG, type MetricSpec } from '../../app/src/metrics/catalog.js';

const SPECS = Object.values(METRIC_CATALOG) as MetricSpec[];

describe('METRIC_CATALOG naming', () => {
  it.each(SPECS.map((s) => [s.name, s] as const))('%s follows the conventions', (name, spec) => {
    expect(name).toMatch(/^enrichment_[a-z0-9_]+$/);
    if (spec.type === 'counter') expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
    if (spec.unit === 'seconds') {
      if (spec.type === 'counter') expect(name).toMatch(/_seconds_total$/);
      else expect(name).toMatch(/_seconds$/);
    }
    if (spec.unit === 'usd') expect(name).toContain('_usd');
    if (spec.unit === 'ratio') expect(name).toContain('_ratio');
    if (spec.unit === 'bytes') expect(name).toContain('_bytes');
  });

  it('has unique names', () => {
    const names = SPECS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives known values only for declared labels', () => {
    for (const spec of SPECS) {
      for (const label of Object.keys(spec.knownLabelValues ?? {})) expect(spec.labels).toContain(label);
    }
  });

  it('gives histograms buckets in increasing order', () => {
    for (const spec of SPECS.filter((s) => s.type === 'histogram')) {
      const buckets = [...(spec.buckets ?? [])];
      expect(buckets.length).toBeGreaterThan(0);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    }
  });
});

describe('createMetrics', () => {
  it('exposes every catalog metric in the registry text', async () => {
    const text = await createMetrics('x').registry.metrics();
    for (const spec of SPECS) {
      expect(text).toContain(`# HELP ${spec.name} `);
      expect(text).toContain(`# TYPE ${spec.name} ${spec.type}\n`);
    }
  });

  it('zeroes known label combinations before any event', async () => {
    const text = await createMetrics('x').registry.metrics();
    const lines = text.split('\n');
    expect(lines).toContain('enrichment_jobs_processed_total{outcome="failed",component="x"} 0');
    expect(lines).toContain('enrichment_documents_rejected_total{reason="duplicate_id",component="x"} 0');
    // Histograms: one _count series per document type.
    const completenessCounts = lines.filter((l) => l.startsWith('enrichment_document_completeness_ratio_count{'));
    expect(completenessCounts).toHaveLength(4);
    for (const l of completenessCounts) expect(l).toMatch(/ 0$/);
    // Two labels: every combination, 2 tiers × 5 agents.
    expect(lines.filter((l) => l.startsWith('enrichment_escalations_total{'))).toHaveLength(10);
    // Three labels: 5 agents × 3 tiers × 2 outcomes.
    expect(lines.filter((l) => l.startsWith('enrichment_agent_requests_total{'))).toHaveLength(30);
  });

  it('does not invent series for labels without known values', async () => {
    const lines = (await createMetrics('x').registry.metrics()).split('\n');
    // `agent` has no known values here, so no combination is zeroed.
    expect(lines.filter((l) => l.startsWith('enrichment_fields_missing_total{'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('enrichment_llm_calls_total{'))).toEqual([]);
  });

  it('sets build_info to 1 with component and version', async () => {
    const text = await createMetrics('worker', '1.2.3').registry.metrics();
    expect(text.split('\n')).toContain('enrichment_build_info{component="worker",version="1.2.3"} 1');
  });

  it('keeps registries apart between calls', async () => {
    const a = createMetrics('a');
    const b = createMetrics('b');
    a.jobsProcessed.inc({ outcome: 'failed' });
    expect((await a.registry.metrics()).split('\n')).toContain('enrichment_jobs_processed_total{outcome="failed",component="a"} 1');
    expect((await b.registry.metrics()).split('\n')).toContain('enrichment_jobs_processed_total{outcome="failed",component="b"} 0');
  });
});
