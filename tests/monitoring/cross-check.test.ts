/**
 * Cross-checks between the metrics the app and the exporters declare and the PromQL that watches
 * them (checklist, Monitoring & Observability: alert rules and dashboards must query what exists):
 * - every metric named in an alert expression (`alerts/*.rules.yml`) or a dashboard query exists
 *   in the app catalog or an exporter list, and every label used with it exists on it;
 * - every catalog metric is used by a dashboard or an alert, unless it says why not
 *   (`noDashboardReason`);
 * - promtool parses every dashboard expression (as recording rules, Grafana variables
 *   substituted).
 * The checker itself is tested on deliberately wrong names and labels, so a green run means the
 * references were checked, not skipped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { METRIC_CATALOG } from '../../app/src/metrics/catalog.js';
import { buildDashboards } from '../../dashboards/index.js';
import { extractSelectors, substituteGrafanaVariables } from '../../dashboards/src/promql.js';
import { checkReferences, resolveMetric, unusedCatalogMetrics, type ExpressionUse } from '../../scripts/lib/metric-references.js';
import { findPrometheusTool, INSTALL_PROMETHEUS_HINT, promtoolCheckRules } from '../../scripts/lib/prometheus.js';
import { alertRuleFiles, dashboardPanels, dashboardVariableValues } from '../../scripts/prometheus-live-check.js';

const ruleFileSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(z.union([z.object({ alert: z.string(), expr: z.string() }), z.object({ record: z.string(), expr: z.string() })])),
    }),
  ),
});

const ruleFiles = await alertRuleFiles();
const alertExprs = ruleFiles.flatMap((file) =>
  ruleFileSchema.parse(parse(readFileSync(file, 'utf8'))).groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `${path.basename(file)}: ${'alert' in r ? r.alert : r.record}`, expr: r.expr })),
  ),
);
const dashboardExprs = buildDashboards().flatMap((d) => {
  const variables = dashboardVariableValues(d.json);
  return dashboardPanels(d.json).flatMap((panel) =>
    panel.queries.map((q) => ({
      where: `dashboard ${d.uid} / "${panel.title}" ${q.refId}`,
      uid: d.uid,
      refId: q.refId,
      expr: q.expr,
      // Grafana's own variables keep the representative values of dashboards/src/promql.ts.
      substituted: substituteGrafanaVariables(q.expr, variables),
    })),
  );
});
const uses: ExpressionUse[] = [
  ...alertExprs.map((a) => ({ where: a.where, expr: a.expr, selectors: extractSelectors(a.expr) })),
  ...dashboardExprs.map((d) => ({ where: d.where, expr: d.expr, selectors: extractSelectors(d.substituted) })),
];

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** `promtool check rules` on the given expressions written as recording rules in a temp file. */
function promtoolParses(exprs: Array<{ record: string; expr: string }>): { ok: boolean; output: string } {
  if (!findPrometheusTool('promtool')) {
    throw new Error(`promtool is not installed: run \`${INSTALL_PROMETHEUS_HINT}\` (Debian's prometheus package)`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-rules-'));
  tempDirs.push(dir);
  const file = path.join(dir, 'dashboard-exprs.rules.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard-exprs', rules: exprs }] }));
  return promtoolCheckRules(file);
}

describe('metric references of the alert rules and dashboards', () => {
  it('finds the rule files and the dashboard queries it checks', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(alertExprs.length).toBeGreaterThanOrEqual(30); // checklist: "30+ rules active"
    expect(dashboardExprs.length).toBeGreaterThan(0);
    expect(new Set(dashboardExprs.map((d) => d.uid)).size).toBe(5);
    // Every expression selects at least one named metric, or there is nothing to cross-check;
    // only the always-firing Watchdog (`vector(1)`) selects nothing at all.
    for (const use of uses) {
      if (use.selectors.length === 0) expect(use.where).toMatch(/: Watchdog$/);
      else expect(use.selectors.some((s) => s.metric !== null), use.where).toBe(true);
    }
  });

  it('names only declared metrics, each with labels it carries', () => {
    const problems = checkReferences(uses).map((p) => p.message);
    expect(problems).toEqual([]);
  });

  it('uses every catalog metric in a dashboard or an alert, unless it declares noDashboardReason', () => {
    const used = uses.flatMap((u) => u.selectors.map((s) => s.metric).filter((m): m is string => m !== null));
    expect(unusedCatalogMetrics(used).map((spec) => spec.name), 'query these in a dashboard or an alert, or give them noDashboardReason in app/src/metrics/catalog.ts').toEqual([]);
  });

  it('has promtool parse every dashboard expression (as recording rules)', () => {
    const rules = dashboardExprs.map((d, i) => ({ record: `dashboard_check:${d.uid.replace(/-/g, '_')}:q${i}_${d.refId}`, expr: d.substituted }));
    const result = promtoolParses(rules);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.ok, result.output).toBe(true);
  });
});

describe('the reference checker itself', () => {
  const check = (expr: string) => checkReferences([{ where: 'probe', expr, selectors: extractSelectors(expr) }]);

  it('accepts correct references: labels, histogram series with le, target labels and up', () => {
    expect(check('sum by (agent, tier, le) (rate(enrichment_agent_request_duration_seconds_bucket{job="w", component="worker"}[5m]))')).toEqual([]);
    expect(check('sum(rate(enrichment_job_duration_seconds_sum[5m])) / sum(rate(enrichment_job_duration_seconds_count[5m]))')).toEqual([]);
    expect(check('sum by (job) (up{instance="a:1"})')).toEqual([]);
    expect(check('max by (topic, channel) (nsq_channel_depth{topic="enrichment"})')).toEqual([]);
  });

  it('rejects a metric name that nothing declares', () => {
    const problems = check('sum(rate(enrichment_documents_enriched_total[5m]))');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ metric: 'enrichment_documents_enriched_total' });
    expect(problems[0]!.label).toBeUndefined();
    // A histogram family is only selectable through its _bucket/_sum/_count series.
    expect(check('enrichment_job_duration_seconds').map((p) => p.metric)).toEqual(['enrichment_job_duration_seconds']);
  });

  it('rejects a label the metric does not carry, in a matcher and in by/without/on', () => {
    expect(check('enrichment_cost_usd_total{provider="ollama", tier="local"}')).toMatchObject([{ metric: 'enrichment_cost_usd_total', label: 'tier' }]);
    expect(check('sum by (model) (rate(enrichment_jobs_processed_total[5m]))')).toMatchObject([{ metric: 'enrichment_jobs_processed_total', label: 'model' }]);
    expect(check('sum without (agent) (enrichment_documents_total)')).toMatchObject([{ metric: 'enrichment_documents_total', label: 'agent' }]);
    // `le` exists on _bucket only.
    expect(check('sum by (le) (rate(enrichment_job_duration_seconds_sum[5m]))')).toMatchObject([{ metric: 'enrichment_job_duration_seconds_sum', label: 'le' }]);
    // Exporter metrics carry their declared labels and the target labels only.
    expect(check('nsq_topic_depth{channel="x"}')).toMatchObject([{ metric: 'nsq_topic_depth', label: 'channel' }]);
  });

  it('resolves sources: app, exporter, and Prometheus\'s own series', () => {
    expect(resolveMetric('enrichment_job_duration_seconds_bucket')).toMatchObject({ source: 'app', family: 'enrichment_job_duration_seconds', owner: 'jobDuration' });
    expect(resolveMetric('enrichment_job_duration_seconds_bucket').labels).toContain('le');
    expect(resolveMetric('nsq_channel_depth')).toMatchObject({ source: 'exporter', owner: 'nsq-exporter' });
    expect(resolveMetric('up')).toMatchObject({ source: 'prometheus', labels: ['instance', 'job'] });
    expect(resolveMetric('no_such_metric')).toMatchObject({ source: 'unknown', labels: [] });
  });

  it('reports a catalog metric that nothing uses', () => {
    const all = Object.values(METRIC_CATALOG).map((spec) => (spec.type === 'histogram' ? `${spec.name}_count` : spec.name));
    expect(unusedCatalogMetrics(all)).toEqual([]);
    const withoutOne = all.filter((n) => !n.startsWith(METRIC_CATALOG.gpuSeconds.name));
    expect(unusedCatalogMetrics(withoutOne).map((s) => s.name)).toEqual([METRIC_CATALOG.gpuSeconds.name]);
    // A metric with noDashboardReason is never reported.
    expect(unusedCatalogMetrics([]).map((s) => s.name)).not.toContain(METRIC_CATALOG.build.name);
  });

  it('has promtool refuse an expression that does not parse', () => {
    const result = promtoolParses([{ record: 'dashboard_check:bad', expr: 'sum by (agent (rate(enrichment_agent_requests_total[5m]))' }]);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/parse error/);
  });
});
