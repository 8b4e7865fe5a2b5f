/**
 * The live Prometheus check (checklist, Prometheus setup and Grafana dashboards: scrape jobs for
 * all services, alert rules loaded, five dashboards): a real Prometheus scrapes the processes of a
 * running pipeline with every `alerts/*.rules.yml` loaded, then
 *  (a) every query of every panel of every dashboard (`dashboards/index.ts`) runs through
 *      `/api/v1/query` with Grafana's variables substituted; a panel whose metrics all come from
 *      the app (catalog, runtime defaults, `up`) must return data, a panel that uses an exporter's
 *      metric is listed as "needs exporter";
 *  (b) `/api/v1/rules` and `/api/v1/alerts` are read: no alert may fire except `Watchdog`, which
 *      must fire when it is defined (it proves the rules are evaluated), and no rule may be
 *      unhealthy;
 *  (c) every scrape target must be up.
 *
 * Importable: {@link runLiveCheck} (against a running Prometheus), {@link checkWithPrometheus}
 * (starts one, scrapes, checks, stops) and {@link formatLiveCheck}. `scripts/e2e.ts
 * --with-prometheus` runs it after an end-to-end run. As a command, see {@link USAGE}.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { METRIC_CATALOG, type MetricSpec } from '../app/src/metrics/catalog.js';
import { SCRAPE_JOBS } from '../app/src/metrics/exporters.js';
import { buildDashboards } from '../dashboards/index.js';
import { extractSelectors, parsePromQL, PromQLParseError, substituteGrafanaVariables } from '../dashboards/src/promql.js';
import { REPO_ROOT } from './lib/local-services.js';
import { resolveMetric, type ResolvedMetric } from './lib/metric-references.js';
import {
  DEFAULT_SCRAPE_SECONDS,
  PrometheusApi,
  PrometheusApiError,
  resultSeriesCount,
  startPrometheus,
  type ActiveAlert,
  type LoadedRule,
  type QueryData,
  type ScrapeJob,
} from './lib/prometheus.js';

export { DEFAULT_SCRAPE_SECONDS };

/** The one alert that must fire: it proves the alerting pipeline runs (see alerts/README.md). */
export const WATCHDOG_ALERT = 'Watchdog';
/** Shortest `$__rate_interval` of the live queries: 30 scrapes at the default 2 s interval. */
export const DEFAULT_RATE_INTERVAL = '1m';
/** How long {@link checkWithPrometheus} waits for every target to be scraped once. */
const TARGETS_UP_TIMEOUT_MS = 30_000;

/** Every `alerts/*.rules.yml` of the repository (absolute paths, sorted). */
export async function alertRuleFiles(dir = path.join(REPO_ROOT, 'alerts')): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.rules.yml')).sort().map((n) => path.join(dir, n));
}

// --- dashboards -------------------------------------------------------------------------------

/** One dashboard as `dashboards/index.ts` builds it. */
export interface DashboardInput {
  uid: string;
  title: string;
  /** Grafana dashboard JSON model. */
  json: unknown;
}

const targetSchema = z.looseObject({ refId: z.string().optional(), expr: z.string().optional(), hide: z.boolean().optional() });
type PanelJson = { id?: number; title?: string; type?: string; targets?: z.infer<typeof targetSchema>[]; panels?: PanelJson[] };
const panelSchema: z.ZodType<PanelJson> = z.lazy(() =>
  z.looseObject({
    id: z.number().optional(),
    title: z.string().optional(),
    type: z.string().optional(),
    targets: z.array(targetSchema).optional(),
    panels: z.array(panelSchema).optional(),
  }),
);
const variableSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  includeAll: z.boolean().optional(),
  allValue: z.string().nullish(),
  current: z.looseObject({ value: z.union([z.string(), z.array(z.string())]).optional() }).nullish(),
  options: z.array(z.looseObject({ value: z.string().optional() })).optional(),
  query: z.unknown().optional(),
});
const dashboardSchema = z.looseObject({
  panels: z.array(panelSchema).default([]),
  templating: z.looseObject({ list: z.array(variableSchema).default([]) }).optional(),
});

/** A panel with the PromQL of its visible targets. */
export interface PanelQueries {
  id?: number;
  title: string;
  queries: Array<{ refId: string; expr: string }>;
}

/**
 * The panels of a dashboard JSON model that query something (rows are walked into, text panels
 * and hidden targets skipped), in layout order.
 * @throws ZodError when the JSON is not a dashboard model.
 */
export function dashboardPanels(json: unknown): PanelQueries[] {
  const out: PanelQueries[] = [];
  const walk = (panels: PanelJson[]) => {
    for (const panel of panels) {
      if (panel.panels) walk(panel.panels);
      const queries = (panel.targets ?? [])
        .filter((t) => !t.hide && t.expr && t.expr.trim() !== '')
        .map((t, i) => ({ refId: t.refId ?? String.fromCharCode(65 + i), expr: t.expr! }));
      if (queries.length > 0) out.push({ ...(panel.id !== undefined ? { id: panel.id } : {}), title: panel.title ?? `panel ${panel.id ?? out.length + 1}`, queries });
    }
  };
  walk(dashboardSchema.parse(json).panels);
  return out;
}

/**
 * Values for a dashboard's own template variables, as Grafana would send with their defaults:
 * a variable set to "All" (or with no current value and `includeAll`) becomes its `allValue`
 * or `.*`; a multi-value selection becomes `(a|b)`; otherwise its current value or first option.
 * Datasource variables are left out (they never appear inside PromQL).
 */
export function dashboardVariableValues(json: unknown): Record<string, string> {
  const list = dashboardSchema.parse(json).templating?.list ?? [];
  const out: Record<string, string> = {};
  for (const v of list) {
    if (v.type === 'datasource') continue;
    const current = v.current?.value;
    const all = v.allValue ?? '.*';
    if (current === '$__all' || (Array.isArray(current) && current.includes('$__all'))) out[v.name] = all;
    else if (Array.isArray(current) && current.length > 1) out[v.name] = `(${current.join('|')})`;
    else if (Array.isArray(current) && current.length === 1) out[v.name] = current[0]!;
    else if (typeof current === 'string' && current !== '') out[v.name] = current;
    else if (v.includeAll || v.type === 'query') out[v.name] = all;
    else if (v.options?.[0]?.value) out[v.name] = v.options[0].value;
    else if (typeof v.query === 'string' && v.type !== 'query') out[v.name] = v.query.split(',')[0]!.trim();
  }
  return out;
}

// --- result types -----------------------------------------------------------------------------

/** Outcome of one panel: `data` or `no data` for app panels, `needs exporter` otherwise. */
export type PanelStatus = 'data' | 'no data' | 'needs exporter' | 'unknown metric' | 'query error';

export interface TargetResult {
  refId: string;
  /** As stored in the dashboard. */
  expr: string;
  /** After Grafana variable substitution: what was sent to Prometheus. */
  query: string;
  /** Series returned (0 = no data). */
  series: number;
  /** Every returned value was NaN (e.g. a ratio of two rates that are both 0). */
  allNaN: boolean;
  error?: string;
}

export interface PanelResult {
  dashboard: string;
  dashboardUid: string;
  panel: string;
  panelId?: number;
  status: PanelStatus;
  /** Metric names the panel's queries select, resolved to their source. */
  metrics: ResolvedMetric[];
  targets: TargetResult[];
  /** For `no data`, `unknown metric` and `query error`: why, per metric or target. */
  reason?: string;
}

export interface LiveCheckResult {
  ok: boolean;
  /** One line per failed condition. */
  failures: string[];
  panels: PanelResult[];
  rules: {
    groups: number;
    alerting: number;
    recording: number;
    /** Rules whose last evaluation failed: `name: lastError`. */
    unhealthy: string[];
    /** Whether an alerting rule named {@link WATCHDOG_ALERT} is loaded. */
    watchdogDefined: boolean;
  };
  alerts: { firing: ActiveAlert[]; pending: ActiveAlert[] };
  /** Scrape targets: `job instance` of each target not up, with its last error. */
  targets: { total: number; up: number; down: string[] };
  /** Query parameters used. */
  parameters: { rateInterval: string; range: string; evaluatedAt: string };
}

export interface LiveCheckOptions {
  /** Base URL of a running Prometheus, or a client. */
  prometheus: string | PrometheusApi;
  /** Default: `buildDashboards()` of `dashboards/index.ts`. */
  dashboards?: DashboardInput[];
  /** `$__range`, `$__range_s`, `$__range_ms`: the span scraped so far, in seconds (≥ 1). */
  rangeSeconds: number;
  /** `$__rate_interval` and `$__interval`. Default: `rangeSeconds`, at least {@link DEFAULT_RATE_INTERVAL}. */
  rateInterval?: string;
  /** Metric name resolver. Default {@link resolveMetric}. */
  resolve?: (name: string) => ResolvedMetric;
}

// --- the check --------------------------------------------------------------------------------

function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a single-unit duration: ${d}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function allNaN(data: QueryData): boolean {
  if (data.resultType === 'vector') return data.result.length > 0 && data.result.every((r) => Number.isNaN(Number(r.value[1])));
  if (data.resultType === 'matrix') return data.result.length > 0 && data.result.every((r) => r.values.every((v) => Number.isNaN(Number(v[1]))));
  return Number.isNaN(Number(data.result[1]));
}

/** The vector selectors of a PromQL expression: their text, metric name and matcher label names. */
export function vectorSelectors(expr: string): Array<{ text: string; metric: string | null; matcherLabels: string[] }> {
  const { text, tree } = parsePromQL(expr);
  const out: Array<{ text: string; metric: string | null; matcherLabels: string[] }> = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const identifier = node.getChild('Identifier');
      const matcherLabels: string[] = [];
      let metric = identifier ? text.slice(identifier.from, identifier.to) : null;
      const matchers = node.getChild('LabelMatchers');
      for (let m = matchers?.firstChild; m; m = m.nextSibling) {
        const name = m.getChild('LabelName');
        if (!name) continue;
        const label = text.slice(name.from, name.to);
        const value = m.getChild('StringLiteral');
        if (label === '__name__' && value) metric = JSON.parse(text.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string;
        else matcherLabels.push(label);
      }
      out.push({ text: text.slice(node.from, node.to), metric, matcherLabels });
    },
  });
  return out;
}

/** The single value of an instant `count(...)` query, 0 when it returns nothing. */
async function countOf(api: PrometheusApi, expr: string, at: Date): Promise<number> {
  const data = await api.query(`count(${expr})`, at).catch(() => null);
  return data?.resultType === 'vector' ? Number(data.result[0]?.value[1] ?? 0) : 0;
}

/**
 * Why the given (substituted) queries of an app panel returned nothing, selector by selector:
 * a metric with no series at all (and whether `createMetrics` could have zeroed it, from the
 * catalog's `knownLabelValues`), a selector whose matchers select none of the series that exist
 * (with the label values that do), or, when every selector matches, the expression around them.
 */
async function explainNoData(api: PrometheusApi, queries: string[], resolve: (name: string) => ResolvedMetric, at: Date): Promise<string> {
  const notes = new Set<string>();
  const catalog = METRIC_CATALOG as Record<string, MetricSpec>;
  for (const query of queries) {
    for (const selector of vectorSelectors(query)) {
      if (!selector.metric) continue;
      const resolved = resolve(selector.metric);
      if (resolved.source !== 'app' && resolved.source !== 'prometheus') continue;
      const spec = resolved.owner ? catalog[resolved.owner] : undefined;
      const known = spec?.knownLabelValues ?? {};
      const unzeroed = (spec?.labels ?? []).filter((l) => !known[l]);
      const zeroNote = unzeroed.length > 0 ? `createMetrics zeroes none of its series (no known values for ${unzeroed.join(', ')}), so only a recorded event creates one` : 'createMetrics zeroes its known label values';
      const total = await countOf(api, `{__name__=${JSON.stringify(selector.metric)}}`, at);
      if (total === 0) {
        notes.add(`${selector.metric} has no series: ${zeroNote}`);
        continue;
      }
      if ((await countOf(api, selector.text, at)) > 0) continue;
      let present = '';
      if (selector.matcherLabels.length > 0) {
        const by = [...new Set(selector.matcherLabels)].join(', ');
        const data = await api.query(`count by (${by}) ({__name__=${JSON.stringify(selector.metric)}})`, at).catch(() => null);
        if (data?.resultType === 'vector') {
          present = ` (present: ${data.result
            .slice(0, 6)
            .map((r) => selector.matcherLabels.map((l) => `${l}=${r.metric[l] ?? ''}`).join(','))
            .join(' | ')}${data.result.length > 6 ? ' | …' : ''})`;
        }
      }
      notes.add(`${selector.text} matches none of the ${total} series of ${selector.metric}${present}: ${zeroNote}`);
    }
  }
  return notes.size > 0
    ? [...notes].join('; ')
    : 'every selector matches series; the expression around them yields nothing (a comparison that filters every value, or a binary operation whose other side is empty)';
}

/**
 * Runs the check against a running Prometheus that has scraped the pipeline.
 * @throws PrometheusApiError/TypeError only when Prometheus itself cannot be reached; a query
 *   that Prometheus refuses is reported as a `query error` panel, not thrown.
 */
export async function runLiveCheck(options: LiveCheckOptions): Promise<LiveCheckResult> {
  const api = typeof options.prometheus === 'string' ? new PrometheusApi(options.prometheus) : options.prometheus;
  const resolve = options.resolve ?? resolveMetric;
  const dashboards = options.dashboards ?? buildDashboards();
  const rangeSeconds = Math.max(1, Math.round(options.rangeSeconds));
  // The whole scrape window (at least 1m): a rate then covers the run even when it ended well
  // before the check, as a Grafana time series over that window would show it.
  const rateInterval = options.rateInterval ?? `${Math.max(durationMs(DEFAULT_RATE_INTERVAL) / 1000, rangeSeconds)}s`;
  const builtins = {
    __rate_interval: rateInterval,
    __rate_interval_ms: String(durationMs(rateInterval)),
    __interval: rateInterval,
    __interval_ms: String(durationMs(rateInterval)),
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
  };
  const evaluatedAt = new Date();
  const failures: string[] = [];
  const panels: PanelResult[] = [];

  for (const dashboard of dashboards) {
    const variables = { ...builtins, ...dashboardVariableValues(dashboard.json) };
    for (const panel of dashboardPanels(dashboard.json)) {
      const metrics = new Map<string, ResolvedMetric>();
      const targets: TargetResult[] = [];
      const errors: string[] = [];
      for (const q of panel.queries) {
        let query = q.expr;
        try {
          query = substituteGrafanaVariables(q.expr, variables);
          for (const s of extractSelectors(query)) if (s.metric) metrics.set(s.metric, resolve(s.metric));
          const data = await api.query(query, evaluatedAt);
          targets.push({ refId: q.refId, expr: q.expr, query, series: resultSeriesCount(data), allNaN: allNaN(data) });
        } catch (error) {
          // A query Prometheus or the PromQL grammar refuses, or a variable without a value, is
          // the panel's fault and reported as such; anything else (Prometheus gone) is thrown.
          const panelFault = error instanceof PrometheusApiError || error instanceof PromQLParseError || (error instanceof Error && error.message.startsWith('no value for Grafana variable'));
          if (!panelFault) throw error;
          const message = (error as Error).message;
          errors.push(`${q.refId}: ${message}`);
          targets.push({ refId: q.refId, expr: q.expr, query, series: 0, allNaN: false, error: message });
        }
      }
      const resolved = [...metrics.values()].sort((a, b) => a.name.localeCompare(b.name));
      const unknown = resolved.filter((m) => m.source === 'unknown');
      const needsExporter = resolved.some((m) => m.source === 'exporter');
      const result: PanelResult = {
        dashboard: dashboard.title,
        dashboardUid: dashboard.uid,
        panel: panel.title,
        ...(panel.id !== undefined ? { panelId: panel.id } : {}),
        status: 'data',
        metrics: resolved,
        targets,
      };
      const where = `${dashboard.title} / ${panel.title}`;
      if (errors.length > 0) {
        result.status = 'query error';
        result.reason = errors.join('; ');
        failures.push(`${where}: query error: ${result.reason}`);
      } else if (unknown.length > 0) {
        result.status = 'unknown metric';
        result.reason = `not declared anywhere: ${unknown.map((m) => m.name).join(', ')}`;
        failures.push(`${where}: ${result.reason}`);
      } else if (needsExporter) {
        result.status = 'needs exporter';
        result.reason = `exporter metrics: ${resolved.filter((m) => m.source === 'exporter').map((m) => `${m.name} (${m.owner})`).join(', ')}`;
      } else if (targets.some((t) => t.series === 0)) {
        result.status = 'no data';
        const empty = targets.filter((t) => t.series === 0).map((t) => t.refId);
        result.reason = `query ${empty.join(', ')} returned nothing: ${await explainNoData(api, targets.filter((t) => t.series === 0).map((t) => t.query), resolve, evaluatedAt)}`;
        failures.push(`${where}: no data: ${result.reason}`);
      } else if (targets.every((t) => t.allNaN)) {
        // Grafana draws nothing for NaN: a quantile over buckets that never increased.
        result.status = 'no data';
        result.reason = 'every value is NaN (0/0): the histogram had no observations inside the rate window';
        failures.push(`${where}: no data: ${result.reason}`);
      }
      panels.push(result);
    }
  }

  const [rulesData, active, scrapeTargets] = await Promise.all([api.rules(), api.alerts(), api.targets()]);
  const rules: LoadedRule[] = rulesData.groups.flatMap((g) => g.rules);
  const unhealthy = rules.filter((r) => r.health !== 'ok' && r.health !== 'unknown').map((r) => `${r.name}: ${r.lastError ?? r.health}`);
  for (const u of unhealthy) failures.push(`rule ${u}`);
  const firing = active.filter((a) => a.state === 'firing');
  const pending = active.filter((a) => a.state === 'pending');
  for (const alert of firing) {
    if (alert.labels.alertname !== WATCHDOG_ALERT) failures.push(`alert ${alertLabel(alert)} is firing`);
  }
  const watchdogDefined = rules.some((r) => r.type === 'alerting' && r.name === WATCHDOG_ALERT);
  if (watchdogDefined && !firing.some((a) => a.labels.alertname === WATCHDOG_ALERT)) {
    failures.push(`${WATCHDOG_ALERT} is loaded but not firing: rules are not being evaluated`);
  }
  const down = scrapeTargets
    .filter((t) => t.health !== 'up')
    .map((t) => `${t.labels.job} ${t.labels.instance}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`);
  for (const d of down) failures.push(`target ${d}`);

  return {
    ok: failures.length === 0,
    failures,
    panels,
    rules: {
      groups: rulesData.groups.length,
      alerting: rules.filter((r) => r.type === 'alerting').length,
      recording: rules.filter((r) => r.type === 'recording').length,
      unhealthy,
      watchdogDefined,
    },
    alerts: { firing, pending },
    targets: { total: scrapeTargets.length, up: scrapeTargets.length - down.length, down },
    parameters: { rateInterval, range: `${rangeSeconds}s`, evaluatedAt: evaluatedAt.toISOString() },
  };
}

function alertLabel(alert: ActiveAlert): string {
  const { alertname, ...rest } = alert.labels;
  const detail = Object.entries(rest)
    .filter(([k]) => k !== 'severity')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return detail ? `${alertname}{${detail}}` : (alertname ?? '?');
}

/** Counts for the summary line. */
export function summarize(result: LiveCheckResult): {
  panels: number;
  appPanels: number;
  appPanelsWithData: number;
  needsExporter: number;
  rulesLoaded: number;
  firing: string[];
  pending: string[];
} {
  const app = result.panels.filter((p) => p.status !== 'needs exporter');
  return {
    panels: result.panels.length,
    appPanels: app.length,
    appPanelsWithData: app.filter((p) => p.status === 'data').length,
    needsExporter: result.panels.length - app.length,
    rulesLoaded: result.rules.alerting + result.rules.recording,
    firing: result.alerts.firing.map(alertLabel),
    pending: result.alerts.pending.map(alertLabel),
  };
}

/**
 * The per-panel table (dashboard, panel, status, detail) followed by the failures and one
 * summary line: `live check PASS|FAIL: panels with data A/B app panels, N need an exporter;
 * rules loaded R (…); alerts firing F (…), pending P; targets up U/T`.
 */
export function formatLiveCheck(result: LiveCheckResult): string {
  const rows = result.panels.map((p) => {
    const nan = p.status === 'data' && p.targets.some((t) => t.allNaN) ? ' (some queries all NaN: 0/0)' : '';
    const detail =
      p.status === 'data'
        ? `${p.targets.map((t) => `${t.refId}:${t.series}`).join(' ')} series${nan}`
        : (p.reason ?? '');
    return [p.dashboard, p.panel, p.status.toUpperCase() === 'DATA' ? 'data' : p.status, detail];
  });
  const header = ['dashboard', 'panel', 'status', 'detail'];
  const widths = [0, 1, 2].map((i) => Math.min(48, Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length))));
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (r: string[]) => `${cut(r[0]!, widths[0]!)}  ${cut(r[1]!, widths[1]!)}  ${cut(r[2]!, widths[2]!)}  ${r[3]}`;
  const s = summarize(result);
  const out = [line(header), line(widths.map((w) => '-'.repeat(w)).concat('------')), ...rows.map(line), ''];
  if (result.failures.length > 0) out.push('failures:', ...result.failures.map((f) => `  - ${f}`), '');
  out.push(
    `live check ${result.ok ? 'PASS' : 'FAIL'}: panels with data ${s.appPanelsWithData}/${s.appPanels} app panels, ${s.needsExporter} need an exporter; ` +
      `rules loaded ${s.rulesLoaded} (${result.rules.alerting} alerting, ${result.rules.recording} recording, ${result.rules.groups} groups); ` +
      `alerts firing ${s.firing.length}${s.firing.length ? ` (${s.firing.join(', ')})` : ''}, pending ${s.pending.length}${s.pending.length ? ` (${s.pending.join(', ')})` : ''}; ` +
      `targets up ${result.targets.up}/${result.targets.total} ` +
      `[rate interval ${result.parameters.rateInterval}, range ${result.parameters.range}]`,
  );
  return out.join('\n');
}

// --- Prometheus around a check ----------------------------------------------------------------

export interface CheckWithPrometheusOptions {
  jobs: ScrapeJob[];
  /** Default: every `alerts/*.rules.yml`. */
  ruleFiles?: string[];
  /** Seconds of scraping before the queries run. Default {@link DEFAULT_SCRAPE_SECONDS}. */
  scrapeSeconds?: number;
  /** Seconds between scrapes and rule evaluations. Default 2. */
  intervalSeconds?: number;
  logFile?: string;
  dashboards?: DashboardInput[];
  rateInterval?: string;
  /** Called once Prometheus is ready (e.g. to print its URL). */
  onReady?: (url: string) => void;
}

/**
 * Starts Prometheus on the given jobs, waits until every target has been scraped and
 * `scrapeSeconds` have passed, runs {@link runLiveCheck} and stops Prometheus.
 * @throws Error when Prometheus cannot start (missing binary, invalid rule file).
 */
export async function checkWithPrometheus(options: CheckWithPrometheusOptions): Promise<LiveCheckResult> {
  const prometheus = await startPrometheus({
    jobs: options.jobs,
    ruleFiles: options.ruleFiles ?? (await alertRuleFiles()),
    selfScrapeJob: SCRAPE_JOBS.prometheus,
    ...(options.intervalSeconds ? { intervalSeconds: options.intervalSeconds } : {}),
    ...(options.logFile ? { logFile: options.logFile } : {}),
  });
  try {
    options.onReady?.(prometheus.url);
    await waitForScrapes(prometheus.api, prometheus.readyAt, options.scrapeSeconds ?? DEFAULT_SCRAPE_SECONDS);
    return await runLiveCheck({
      prometheus: prometheus.api,
      rangeSeconds: (Date.now() - prometheus.readyAt.getTime()) / 1000,
      ...(options.dashboards ? { dashboards: options.dashboards } : {}),
      ...(options.rateInterval ? { rateInterval: options.rateInterval } : {}),
    });
  } finally {
    await prometheus.stop();
  }
}

/**
 * Waits until every active target has been scraped at least once (up or down, bounded by 30 s)
 * and `seconds` have passed since `since`.
 */
export async function waitForScrapes(api: PrometheusApi, since: Date, seconds: number): Promise<void> {
  const deadline = Date.now() + TARGETS_UP_TIMEOUT_MS;
  for (;;) {
    const targets = await api.targets();
    if ((targets.length > 0 && targets.every((t) => t.health !== 'unknown')) || Date.now() > deadline) break;
    await sleep(500);
  }
  const remaining = since.getTime() + seconds * 1000 - Date.now();
  if (remaining > 0) await sleep(remaining);
}

// --- command line -----------------------------------------------------------------------------

export const USAGE = `usage: tsx scripts/prometheus-live-check.ts (--prometheus URL | --job JOB=HOST:PORT[,HOST:PORT]...) [options]

Checks the dashboards and alert rules against a Prometheus scraping a running pipeline.

  --prometheus URL        check an already running Prometheus (no scraping of our own)
  --job JOB=ADDRS         scrape these /metrics endpoints as job JOB (repeatable); Prometheus is
                          started on a free loopback port with every alerts/*.rules.yml
  --api-job JOB=ADDRS     as --job, with a bearer token of role "metrics" (the Review API and the
                          Cost API), signed with $API_JWT_SECRET and $API_JWT_ISSUER
  --token-file FILE       use this bearer token for --api-job instead of signing one
  --scrape-seconds S      scrape for S seconds before querying (default ${DEFAULT_SCRAPE_SECONDS})
  --range-seconds S       with --prometheus: value of $__range (default: the scrape window)
  --rate-interval D       value of $__rate_interval (default: the range, at least ${DEFAULT_RATE_INTERVAL})
  --json FILE             also write the result object as JSON

Exit code: 0 when every app panel has data, no alert but Watchdog fires and every target is up;
1 otherwise; 2 for a usage error.

Example, against \`./run-e2e-test.sh --serve\` (APIs on :5001/:5002):
  API_JWT_SECRET=... tsx scripts/prometheus-live-check.ts --api-job review-api=127.0.0.1:5001 --api-job cost-api=127.0.0.1:5002`;

function parseJobs(values: string[] | undefined, flag: string): Array<{ job: string; targets: string[] }> {
  return (values ?? []).map((v) => {
    const m = /^([A-Za-z_][\w.-]*)=(.+)$/.exec(v);
    if (!m) throw new UsageError(`${flag} ${v}: expected JOB=HOST:PORT[,HOST:PORT]`);
    const targets = m[2]!.split(',').map((t) => t.trim()).filter(Boolean);
    for (const t of targets) if (!/^[^:/\s]+:\d+$/.test(t)) throw new UsageError(`${flag} ${v}: "${t}" is not HOST:PORT`);
    return { job: m[1]!, targets };
  });
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prometheus: { type: 'string' },
      job: { type: 'string', multiple: true },
      'api-job': { type: 'string', multiple: true },
      'token-file': { type: 'string' },
      'scrape-seconds': { type: 'string' },
      'range-seconds': { type: 'string' },
      'rate-interval': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seconds = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got "${v}"`);
    return n;
  };
  const rateInterval = values['rate-interval'];
  if (rateInterval !== undefined && !/^\d+(ms|s|m|h|d)$/.test(rateInterval)) throw new UsageError(`--rate-interval must be a duration like 1m, got "${rateInterval}"`);
  let result: LiveCheckResult;
  if (values.prometheus) {
    result = await runLiveCheck({
      prometheus: values.prometheus,
      rangeSeconds: seconds('range-seconds', values['range-seconds']) ?? seconds('scrape-seconds', values['scrape-seconds']) ?? DEFAULT_SCRAPE_SECONDS,
      ...(rateInterval ? { rateInterval } : {}),
    });
  } else {
    const plain = parseJobs(values.job, '--job');
    const api = parseJobs(values['api-job'], '--api-job');
    if (plain.length + api.length === 0) throw new UsageError('give --prometheus URL, or at least one --job or --api-job');
    let token: string | undefined;
    if (api.length > 0) token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : await signMetricsToken(process.env);
    const jobs: ScrapeJob[] = [...plain, ...api.map((j) => ({ ...j, bearerToken: token! }))];
    result = await checkWithPrometheus({
      jobs,
      scrapeSeconds: seconds('scrape-seconds', values['scrape-seconds']) ?? DEFAULT_SCRAPE_SECONDS,
      ...(rateInterval ? { rateInterval } : {}),
      onReady: (url) => console.error(`prometheus ${url}: scraping ${jobs.map((j) => j.job).join(', ')}`),
    });
  }
  console.log(formatLiveCheck(result));
  if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2));
  return result.ok ? 0 : 1;
}

/**
 * A bearer token with only the `metrics` role (the APIs open `/metrics` to it; see
 * `METRICS_ROLE` in app/src/services/http/service-app.ts), valid 12 h.
 * @throws Error when `API_JWT_SECRET` is unset.
 */
export async function signMetricsToken(env: Record<string, string | undefined>): Promise<string> {
  const { signToken } = await import('../app/src/services/http/auth.js');
  const { METRICS_ROLE } = await import('../app/src/services/http/service-app.js');
  const secret = env.API_JWT_SECRET;
  if (!secret) throw new UsageError('API_JWT_SECRET is not set: needed to sign the scraper token for --api-job (or pass --token-file)');
  return signToken({ sub: 'prometheus-live-check', roles: [METRICS_ROLE], secret, issuer: env.API_JWT_ISSUER ?? 'enrichment-platform', expiresIn: '12h' });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`prometheus-live-check: ${(err as Error).message}\n\n${USAGE}`);
        process.exit(2);
      }
      console.error(`prometheus-live-check failed: ${(err as Error).stack ?? err}`);
      process.exit(1);
    },
  );
}
