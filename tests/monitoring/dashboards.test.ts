/**
 * The five Grafana dashboards of the checklist ("Grafana Dashboards"): identity, datasource
 * binding, default time range, panel hygiene (unit, description, query), the checklist targets
 * drawn as thresholds, PromQL validity (official Prometheus lezer grammar), metric and label
 * names against the app's metric catalog, and the committed generated files being up to date.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG, type MetricSpec } from '../../app/src/metrics/catalog.js';
import { buildDashboards } from '../../dashboards/index.js';
import { query, statPanel, tablePanel, timeseriesPanel } from '../../dashboards/src/factories.js';
import { extractSelectors, parsePromQL, substituteGrafanaVariables } from '../../dashboards/src/promql.js';
import { APP_DEFAULT_LABELS, approval, completeness, cost, EXPORTER_METRICS, SCRAPE_LABELS, throughput } from '../../dashboards/src/queries.js';
import { dashboardFileName, renderDashboardFile } from '../../dashboards/src/render.js';
import { CHECKLIST_TARGETS } from '../../dashboards/src/targets.js';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps: { value: number | null; color: string }[] } } };
}
interface DashboardJson {
  uid: string;
  title: string;
  time: { from: string; to: string };
  refresh?: string;
  tags?: string[];
  templating: { list: { type: string; name: string; query?: unknown }[] };
  panels: Panel[];
}

const dashboards = buildDashboards();
const jsonOf = (d: (typeof dashboards)[number]) => d.json as unknown as DashboardJson;
const allPanels = dashboards.flatMap((d) => jsonOf(d).panels.map((panel) => ({ dashboard: d.uid, panel })));
const allTargets = allPanels.flatMap(({ dashboard, panel }) => (panel.targets ?? []).map((target) => ({ dashboard, panel: panel.title, target })));

describe('the five dashboards', () => {
  it('are exactly the checklist dashboards, with stable uids', () => {
    expect(dashboards.map((d) => [d.uid, d.title])).toEqual([
      ['enrichment-overview', 'Enrichment Overview'],
      ['agent-performance', 'Agent Performance'],
      ['cost-tracking', 'Cost Tracking'],
      ['document-quality', 'Document Quality'],
      ['processing-throughput', 'Processing Throughput'],
    ]);
    for (const d of dashboards) {
      expect(jsonOf(d).uid).toBe(d.uid);
      expect(jsonOf(d).title).toBe(d.title);
    }
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
  });

  it('build identically on every call (stable output for provisioning)', () => {
    expect(buildDashboards()).toEqual(dashboards);
  });

  it('default to the last 24 hours, refresh, and carry tags', () => {
    for (const d of dashboards) {
      expect(jsonOf(d).time, d.uid).toEqual({ from: 'now-24h', to: 'now' });
      expect(jsonOf(d).refresh, d.uid).toMatch(/^\d+[smh]$/);
      expect(jsonOf(d).tags, d.uid).toContain('enrichment-platform');
    }
  });

  it('declare a Prometheus `datasource` variable that every panel and target uses', () => {
    for (const d of dashboards) {
      const variables = jsonOf(d).templating.list;
      expect(variables.filter((v) => v.name === 'datasource'), d.uid).toEqual([expect.objectContaining({ type: 'datasource', query: 'prometheus' })]);
    }
    for (const { dashboard, panel } of allPanels) {
      expect(panel.datasource, `${dashboard} / ${panel.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    for (const { dashboard, panel, target } of allTargets) {
      expect(target.datasource, `${dashboard} / ${panel}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('have 6 to 13 panels each, with unique ids, on the 24-column grid', () => {
    for (const d of dashboards) {
      const panels = jsonOf(d).panels;
      expect(panels.length, d.uid).toBeGreaterThanOrEqual(6);
      // 13: the Enrichment Overview's twelve plus "Errors logged" (checklist 9b error tracking).
      expect(panels.length, d.uid).toBeLessThanOrEqual(13);
      expect(new Set(panels.map((p) => p.id)).size, d.uid).toBe(panels.length);
      for (const p of panels) expect(p.gridPos!.x + p.gridPos!.w, `${d.uid} / ${p.title}`).toBeLessThanOrEqual(24);
    }
  });

  it('give every panel a title, unit, description and at least one non-empty query', () => {
    for (const { dashboard, panel } of allPanels) {
      const where = `${dashboard} / ${panel.title}`;
      expect(panel.title?.trim(), where).toBeTruthy();
      expect(panel.description?.trim(), where).toBeTruthy();
      expect(panel.fieldConfig?.defaults?.unit?.trim(), where).toBeTruthy();
      expect(panel.targets?.length, where).toBeGreaterThan(0);
      for (const t of panel.targets!) expect(t.expr?.trim(), where).toBeTruthy();
    }
  });

  it('draw each checklist target as a threshold wherever they plot its figure', () => {
    const targetOf = new Map<string, number>([
      [completeness.meanOverRange, CHECKLIST_TARGETS.minCompletenessRatio],
      [completeness.mean, CHECKLIST_TARGETS.minCompletenessRatio],
      [completeness.meanByType, CHECKLIST_TARGETS.minCompletenessRatio],
      [approval.rateOverRange, CHECKLIST_TARGETS.minAutoApprovalRatio],
      [approval.rate, CHECKLIST_TARGETS.minAutoApprovalRatio],
      [approval.rateByType, CHECKLIST_TARGETS.minAutoApprovalRatio],
      [cost.perDocumentOverRange, CHECKLIST_TARGETS.maxCostPerDocumentUsd],
      [cost.perDocument, CHECKLIST_TARGETS.maxCostPerDocumentUsd],
      [throughput.docsPerHourOverRange, CHECKLIST_TARGETS.minThroughputDocsPerHour],
      [throughput.docsPerHour, CHECKLIST_TARGETS.minThroughputDocsPerHour],
      [throughput.workerReplicas, CHECKLIST_TARGETS.minWorkerReplicas],
    ]);
    const seen = new Set<number>();
    for (const { dashboard, panel } of allPanels) {
      for (const t of panel.targets ?? []) {
        const target = targetOf.get(t.expr!);
        if (target === undefined) continue;
        const steps = panel.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value) ?? [];
        expect(steps, `${dashboard} / ${panel.title}`).toContain(target);
        seen.add(target);
      }
    }
    // Each target is plotted somewhere: the map above is not stale.
    expect([...seen].sort()).toEqual(
      [
        CHECKLIST_TARGETS.minCompletenessRatio,
        CHECKLIST_TARGETS.minAutoApprovalRatio,
        CHECKLIST_TARGETS.maxCostPerDocumentUsd,
        CHECKLIST_TARGETS.minThroughputDocsPerHour,
        CHECKLIST_TARGETS.minWorkerReplicas,
      ].sort(),
    );
  });
});

describe('dashboard queries', () => {
  it('all parse with the Prometheus grammar after Grafana variable substitution', () => {
    expect(allTargets.length).toBeGreaterThan(50);
    for (const { dashboard, panel, target } of allTargets) {
      expect(() => parsePromQL(target.expr!), `${dashboard} / ${panel}: ${target.expr}`).not.toThrow();
    }
  });

  it('use $__rate_interval or $__range for every range vector', () => {
    for (const { dashboard, panel, target } of allTargets) {
      for (const [, window] of target.expr!.matchAll(/\[([^\]]*)\]/g)) {
        expect(['$__rate_interval', '$__range'], `${dashboard} / ${panel}: ${target.expr}`).toContain(window);
      }
    }
  });

  it('use only catalog metrics (and a few declared exporter metrics) with their labels', () => {
    const known = new Map<string, Set<string>>();
    for (const spec of Object.values(METRIC_CATALOG) as MetricSpec[]) {
      const labels = [...spec.labels, ...APP_DEFAULT_LABELS, ...SCRAPE_LABELS];
      if (spec.type === 'histogram') {
        known.set(`${spec.name}_bucket`, new Set([...labels, 'le']));
        known.set(`${spec.name}_sum`, new Set(labels));
        known.set(`${spec.name}_count`, new Set(labels));
      } else {
        known.set(spec.name, new Set(labels));
      }
    }
    for (const { name, labels } of Object.values(EXPORTER_METRICS)) known.set(name, new Set([...labels, ...SCRAPE_LABELS]));

    const used = new Set<string>();
    for (const { dashboard, panel, target } of allTargets) {
      for (const { metric, labels } of extractSelectors(target.expr!)) {
        const where = `${dashboard} / ${panel}: ${target.expr}`;
        expect(metric, where).not.toBeNull();
        expect(known.has(metric!), `${where}: unknown metric ${metric}`).toBe(true);
        for (const label of labels) expect(known.get(metric!)!.has(label), `${where}: ${metric} has no label ${label}`).toBe(true);
        used.add(metric!);
      }
    }
    // Every exporter metric declared for the dashboards is used by one (the list is not stale).
    for (const { name } of Object.values(EXPORTER_METRICS)) expect(used, name).toContain(name);
  });

  it('match label values against the catalog’s known values', () => {
    for (const { dashboard, panel, target } of allTargets) {
      for (const [, metric, matchers] of target.expr!.matchAll(/(enrichment_\w+?)(?:_bucket|_sum|_count)?\{([^}]*)\}/g)) {
        const spec = (Object.values(METRIC_CATALOG) as MetricSpec[]).find((s) => s.name === metric);
        for (const [, label, op, value] of matchers!.matchAll(/(\w+)\s*(=|!=)\s*"([^"]*)"/g)) {
          const known = spec?.knownLabelValues?.[label!];
          if (!known) continue;
          expect(known, `${dashboard} / ${panel}: ${label}${op}"${value}"`).toContain(value);
        }
      }
    }
  });
});

describe('committed generated files', () => {
  const generatedDir = fileURLToPath(new URL('../../dashboards/generated/', import.meta.url));

  it('equal a fresh build (run `npm run dashboards:build` after changing a dashboard)', () => {
    for (const d of dashboards) {
      const onDisk = readFileSync(generatedDir + dashboardFileName(d), 'utf8');
      expect(onDisk, `dashboards/generated/${dashboardFileName(d)} is stale`).toBe(renderDashboardFile(d));
    }
  });

  it('hold no dashboard that the code no longer builds', () => {
    const files = readdirSync(generatedDir).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(dashboards.map(dashboardFileName).sort());
  });
});

describe('panel factories', () => {
  const base = { title: 'x', description: 'd', unit: 'short', queries: [query('up', 'up')] as const, width: 6, height: 4 };

  it('refuse a panel without a unit or a description', () => {
    expect(() => statPanel({ ...base, unit: '' })).toThrow('panel "x" has no unit');
    expect(() => timeseriesPanel({ ...base, description: ' ' })).toThrow('panel "x" has no description');
  });

  it('refuse an empty query and a range query in a table', () => {
    expect(() => query('  ', 'legend')).toThrow('empty PromQL expression');
    expect(() => tablePanel(base)).toThrow('needs instant queries');
  });
});

describe('substituteGrafanaVariables', () => {
  it('replaces built-in and dashboard variables in all three syntaxes', () => {
    expect(substituteGrafanaVariables('rate(x[$__rate_interval])')).toBe('rate(x[5m])');
    expect(substituteGrafanaVariables('increase(x[${__range}]) / $__range_s', {})).toBe('increase(x[1d]) / 86400');
    expect(substituteGrafanaVariables('x{agent=~"${agent:regex}", tier="[[tier]]"}', { agent: 'summary', tier: 'local' })).toBe(
      'x{agent=~"summary", tier="local"}',
    );
  });

  it('leaves regex group references alone and rejects unknown variables', () => {
    expect(substituteGrafanaVariables('label_replace(x, "a", "$1", "b", "(.*)")')).toBe('label_replace(x, "a", "$1", "b", "(.*)")');
    expect(() => substituteGrafanaVariables('x{a="$nope"}')).toThrow('no value for Grafana variable "nope"');
  });
});

describe('parsePromQL', () => {
  it('accepts valid PromQL and reports error nodes for invalid PromQL', () => {
    expect(parsePromQL('sum by (le) (rate(x_bucket[$__rate_interval]))').text).toBe('sum by (le) (rate(x_bucket[5m]))');
    expect(() => parsePromQL('rate(x[5m]')).toThrow(/invalid PromQL at 10-10/);
    expect(() => parsePromQL('sum by (a (x)')).toThrow(/invalid PromQL/);
    expect(() => parsePromQL('')).toThrow(/invalid PromQL/);
  });
});

describe('extractSelectors', () => {
  it('reads metric names, label matchers and aggregation labels', () => {
    expect(extractSelectors('histogram_quantile(0.95, sum by (agent, le) (rate(d_bucket{tier="local"}[$__rate_interval])))')).toEqual([
      { metric: 'd_bucket', labels: ['agent', 'le', 'tier'] },
    ]);
    expect(extractSelectors('sum without (instance) (a) / sum(b{job=~"x|y"})')).toEqual([
      { metric: 'a', labels: ['instance'] },
      { metric: 'b', labels: ['job'] },
    ]);
  });

  it('merges repeated metrics and reads `__name__` and quoted names', () => {
    expect(extractSelectors('sum(rate(a{x="1"}[5m])) / sum by (y) (rate(a[5m]))')).toEqual([{ metric: 'a', labels: ['x', 'y'] }]);
    expect(extractSelectors('{__name__="m", "dotted.label"="v"}')).toEqual([{ metric: 'm', labels: ['dotted.label'] }]);
    expect(extractSelectors('{job="x"}')).toEqual([{ metric: null, labels: ['job'] }]);
  });

  it('attributes vector-matching labels to the right operands', () => {
    expect(extractSelectors('a * on (k) group_left (extra) b')).toEqual([
      { metric: 'a', labels: ['k'] },
      { metric: 'b', labels: ['extra', 'k'] },
    ]);
    expect(extractSelectors('a / ignoring (k) group_right (extra) b')).toEqual([
      { metric: 'a', labels: ['extra', 'k'] },
      { metric: 'b', labels: ['k'] },
    ]);
  });

  it('does not attribute labels that the expression creates', () => {
    expect(extractSelectors('sum by (dst) (label_replace(x, "dst", "$1", "src", "(.*)"))')).toEqual([{ metric: 'x', labels: ['src'] }]);
    expect(extractSelectors('max by (v) (count_values("v", y))')).toEqual([{ metric: 'y', labels: [] }]);
    expect(extractSelectors('label_join(z, "j", ",", "p", "q")')).toEqual([{ metric: 'z', labels: ['p', 'q'] }]);
  });

  it('refuses an expression that does not parse', () => {
    expect(() => extractSelectors('sum(')).toThrow(/invalid PromQL/);
  });
});
