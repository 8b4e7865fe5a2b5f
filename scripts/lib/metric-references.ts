/**
 * Where a metric name used in PromQL (a dashboard query, an alert expression) comes from, and
 * which label names its series can carry, from the two declared sources and nothing else:
 * {@link METRIC_CATALOG} (`app/src/metrics/catalog.ts`, the app's metrics) and the exporter lists
 * of `app/src/metrics/exporters.ts`, both read through its `findMetric` (which maps histogram
 * `_bucket` (adding `le`), `_sum` and `_count` to their family, and adds `component`, `job` and
 * `instance` where they apply).
 *
 * Of the exporter metrics, those of Prometheus itself (`up` on every target, the
 * `prometheus_*` self-scrape series) are marked `prometheus`: any Prometheus that scrapes the
 * app has them, including the live check's.
 *
 * Used by the live check (`scripts/prometheus-live-check.ts`) to tell app panels from panels that
 * need an exporter, and by `tests/monitoring/cross-check.test.ts`.
 */
import { METRIC_CATALOG, type MetricSpec } from '../../app/src/metrics/catalog.js';
import { findMetric } from '../../app/src/metrics/exporters.js';

/** Where a metric comes from; `unknown` when neither the catalog nor an exporter list declares it. */
export type MetricSource = 'app' | 'prometheus' | 'exporter' | 'unknown';

/** A metric name as used in an expression, resolved to its family and source. */
export interface ResolvedMetric {
  /** The series name as written, e.g. `enrichment_job_duration_seconds_bucket`. */
  name: string;
  source: MetricSource;
  /** The declared family, e.g. `enrichment_job_duration_seconds`; equals `name` when unknown. */
  family: string;
  /** Every label name a series of `name` can carry (sorted); empty when unknown. */
  labels: string[];
  /** The catalog key (`app`), or the exporter's name (`prometheus`, `exporter`). */
  owner?: string;
}

/**
 * Resolves one series name. Never throws for an unknown name: it is `source: 'unknown'`.
 * @throws Error only when the declarations clash (see `findMetric`).
 * @example resolveMetric('enrichment_job_duration_seconds_bucket')
 *   // → { source: 'app', family: 'enrichment_job_duration_seconds', labels: ['component', 'instance', 'job', 'le'], owner: 'jobDuration' }
 */
export function resolveMetric(name: string): ResolvedMetric {
  const found = findMetric(name);
  if (!found) return { name, source: 'unknown', family: name, labels: [] };
  const labels = [...new Set(found.labels)].sort();
  if (found.source === 'app') return { name, source: 'app', family: found.metric.name, labels, owner: found.key };
  const source = found.exporter === 'prometheus' ? 'prometheus' : 'exporter';
  return { name, source, family: found.metric.name, labels, owner: found.exporter };
}

/** The metrics and labels one PromQL expression uses (the shape of `extractSelectors` in dashboards/src/promql.ts). */
export interface ExpressionUse {
  /** Where the expression lives, e.g. `alerts/worker.rules.yml: EnrichmentWorkerDown` or `dashboard cost / panel "Spend"`. */
  where: string;
  expr: string;
  selectors: ReadonlyArray<{ metric: string | null; labels: readonly string[] }>;
}

/** One reference that no source backs: an undeclared metric, or a label its metric does not carry. */
export interface ReferenceProblem {
  where: string;
  expr: string;
  metric: string;
  /** Set for an unknown label. */
  label?: string;
  message: string;
}

/**
 * Checks that every metric an expression selects is declared (app catalog, runtime defaults,
 * Prometheus's own series, exporter lists) and that every label used with it exists on it.
 * Selectors that name no single metric (`{job="x"}`) are skipped: nothing to check them against.
 * @returns every problem found, in input order (empty when all references resolve).
 */
export function checkReferences(uses: Iterable<ExpressionUse>, resolve: (name: string) => ResolvedMetric = resolveMetric): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  for (const use of uses) {
    for (const selector of use.selectors) {
      if (selector.metric === null) continue;
      const resolved = resolve(selector.metric);
      if (resolved.source === 'unknown') {
        problems.push({ where: use.where, expr: use.expr, metric: selector.metric, message: `${use.where}: metric ${selector.metric} is declared neither in the app catalog nor in an exporter list` });
        continue;
      }
      for (const label of selector.labels) {
        if (resolved.labels.includes(label)) continue;
        problems.push({
          where: use.where,
          expr: use.expr,
          metric: selector.metric,
          label,
          message: `${use.where}: label "${label}" is not a label of ${selector.metric} (${resolved.source}; has ${resolved.labels.join(', ') || 'none'})`,
        });
      }
    }
  }
  return problems;
}

/**
 * Catalog metrics that no expression uses and that do not declare `noDashboardReason`.
 * @param usedNames metric names as written in expressions (suffixed histogram names are mapped
 *   to their family).
 */
export function unusedCatalogMetrics(usedNames: Iterable<string>): MetricSpec[] {
  const usedFamilies = new Set<string>();
  for (const name of usedNames) {
    const resolved = resolveMetric(name);
    if (resolved.source === 'app') usedFamilies.add(resolved.family);
  }
  return (Object.values(METRIC_CATALOG) as MetricSpec[]).filter((spec) => !usedFamilies.has(spec.name) && !spec.noDashboardReason);
}
