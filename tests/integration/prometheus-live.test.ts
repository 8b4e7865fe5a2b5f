/**
 * The live Prometheus check (scripts/prometheus-live-check.ts) against a small real pipeline run:
 * real nsqd and FerretDB, five agent MCP servers, a worker, the Review API and the Cost API, each
 * serving /metrics over HTTP, scraped by a real Prometheus (Debian's package) with every
 * `alerts/*.rules.yml` loaded. Probe panels and a probe alert prove that the check catches a
 * panel without data, an undeclared metric and a firing alert.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AGENT_NAMES, type AgentName } from '../../app/src/domain/fields.js';
import { createMetrics, METRIC_CATALOG, type MetricSpec } from '../../app/src/metrics/catalog.js';
import { SCRAPE_JOBS } from '../../app/src/metrics/exporters.js';
import { registerOpsRoutes } from '../../app/src/ops/http.js';
import { signToken } from '../../app/src/services/http/auth.js';
import { METRICS_ROLE } from '../../app/src/services/http/service-app.js';
import { buildCostApi } from '../../app/src/services/cost-api/app.js';
import { buildReviewApi } from '../../app/src/services/review-api/app.js';
import { McpAgentCaller } from '../../app/src/services/worker/agent-caller.js';
import { EnrichmentWorker } from '../../app/src/services/worker/worker.js';
import { buildDashboards } from '../../dashboards/index.js';
import { resolveMetric } from '../../scripts/lib/metric-references.js';
import { requirePrometheusTool, startPrometheus, type PrometheusServer, type ScrapeJob } from '../../scripts/lib/prometheus.js';
import {
  alertRuleFiles,
  dashboardVariableValues,
  formatLiveCheck,
  runLiveCheck,
  summarize,
  vectorSelectors,
  waitForScrapes,
  WATCHDOG_ALERT,
  type DashboardInput,
  type LiveCheckResult,
} from '../../scripts/prometheus-live-check.js';
import { newApiSecret } from '../support/api-tokens.js';
import { startHarness, writeDocuments, type Harness } from '../support/pipeline-harness.js';
import { FORM_A, RECEIPT_A, RECEIPT_B } from '../support/synthetic-documents.js';

/** Scrape and rule-evaluation interval: short, so that a few seconds hold several samples. */
const INTERVAL_S = 1;
const PROBE_ALERT = 'LiveCheckProbeAlwaysFiring';

const PROBE_DASHBOARD: DashboardInput = {
  uid: 'live-check-probe',
  title: 'Live check probe',
  json: {
    panels: [
      { id: 1, title: 'unknown label value', type: 'stat', targets: [{ refId: 'A', expr: 'sum(enrichment_jobs_processed_total{outcome="no_such_outcome"})' }] },
      { id: 2, title: 'exporter metric', type: 'stat', targets: [{ refId: 'A', expr: 'max(nsq_topic_depth{topic="enrichment"})' }] },
      { id: 3, title: 'undeclared metric', type: 'stat', targets: [{ refId: 'A', expr: 'sum(enrichment_no_such_metric_total)' }] },
      { id: 5, title: 'unparsable query', type: 'stat', targets: [{ refId: 'A', expr: 'sum(rate(enrichment_jobs_processed_total[5m])' }] },
      {
        type: 'row',
        title: 'collapsed row',
        panels: [{ id: 4, title: 'inside a row', type: 'stat', targets: [{ refId: 'A', expr: 'sum(rate(enrichment_jobs_processed_total[$__rate_interval]))' }, { refId: 'B', expr: 'x', hide: true }] }],
      },
    ],
  },
};

const quiet = pino({ level: 'silent' });
const hostPort = (app: FastifyInstance) => `127.0.0.1:${(app.server.address() as AddressInfo).port}`;

describe('live Prometheus check on a pipeline run', () => {
  let h: Harness;
  let worker: EnrichmentWorker;
  let caller: McpAgentCaller;
  let prometheus: PrometheusServer;
  let jobs: ScrapeJob[];
  let result: LiveCheckResult;
  const servers: FastifyInstance[] = [];
  let tempDir: string;
  let ruleCount = 0;

  beforeAll(async () => {
    requirePrometheusTool('prometheus'); // fails naming scripts/install-prometheus-tools.sh
    const api = newApiSecret();
    h = await startHarness({ startWorker: false, env: { API_JWT_SECRET: api.secret, API_JWT_ISSUER: api.issuer } });
    // A worker whose metrics this test serves over HTTP, as `enrich worker` does.
    const workerMetrics = createMetrics('worker');
    caller = new McpAgentCaller(Object.fromEntries(AGENT_NAMES.map((a) => [a, h.agents[a].url])) as Record<AgentName, string>, {
      jwtSecret: h.config.MCP_JWT_SECRET!,
      issuer: h.config.MCP_JWT_ISSUER,
      timeoutMs: 30_000,
      metrics: workerMetrics,
    });
    worker = new EnrichmentWorker({ config: h.config, store: h.store, publisher: h.publisher, agents: caller, metrics: workerMetrics, logger: quiet });
    const workerOps = Fastify({ logger: false });
    registerOpsRoutes(workerOps, { metrics: workerMetrics, checks: { mongodb: () => h.store.ping(), agents: () => caller.ping() } });
    const reviewApi = await buildReviewApi({ config: h.config, store: h.store, metrics: createMetrics('review-api'), logger: quiet });
    const costApi = await buildCostApi({ config: h.config, store: h.store, metrics: createMetrics('cost-api'), logger: quiet });
    for (const app of [workerOps, reviewApi, costApi]) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      servers.push(app);
    }
    const scraper = await signToken({ sub: 'prometheus', roles: [METRICS_ROLE], secret: api.secret, issuer: api.issuer });
    jobs = [
      { job: SCRAPE_JOBS.worker, targets: [hostPort(workerOps)] },
      ...AGENT_NAMES.map((a) => ({ job: `agent-${a}`, targets: [new URL(h.agents[a].baseUrl).host] })),
      { job: SCRAPE_JOBS.reviewApi, targets: [hostPort(reviewApi)], bearerToken: scraper },
      { job: SCRAPE_JOBS.costApi, targets: [hostPort(costApi)], bearerToken: scraper },
    ];

    tempDir = await mkdtemp(path.join(tmpdir(), 'live-check-test-'));
    const probeRules = path.join(tempDir, 'probe.rules.yml');
    await writeFile(probeRules, stringify({ groups: [{ name: 'probe', rules: [{ alert: PROBE_ALERT, expr: 'vector(1)', labels: { severity: 'none' } }] }] }));
    const ruleFiles = [...(await alertRuleFiles()), probeRules];
    for (const file of ruleFiles) {
      const doc = parse(await readFile(file, 'utf8')) as { groups: Array<{ rules: unknown[] }> };
      ruleCount += doc.groups.reduce((n, g) => n + g.rules.length, 0);
    }
    // Readiness probes, as a deployment's would: they set enrichment_dependency_up.
    for (const job of jobs) {
      const res = await fetch(`http://${job.targets[0]}/health`);
      expect(res.status, job.job).toBe(200);
    }
    prometheus = await startPrometheus({ jobs, ruleFiles, intervalSeconds: INTERVAL_S, selfScrapeJob: SCRAPE_JOBS.prometheus });
    // A first sample of every counter before the first job, so increase() sees the run.
    await waitForScrapes(prometheus.api, prometheus.readyAt, 0);

    await worker.start();
    const submitted = await h.submit(await writeDocuments({ 'a.json': RECEIPT_A, 'b.json': RECEIPT_B, 'c.json': FORM_A }));
    await h.waitForBatch(submitted.batch_id, 30_000);
    // API traffic twice, scrapes in between: a route's series is born with its first request.
    const reviewer = await signToken({ sub: 'r@example.com', roles: ['reviewer'], secret: api.secret, issuer: api.issuer });
    for (let round = 0; round < 2; round++) {
      const res = await fetch(`http://${hostPort(reviewApi)}/queue/stats`, { headers: { authorization: `Bearer ${reviewer}` } });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 3 * INTERVAL_S * 1000));
    }
    await waitForScrapes(prometheus.api, prometheus.readyAt, 12);
    result = await runLiveCheck({
      prometheus: prometheus.api,
      rangeSeconds: (Date.now() - prometheus.readyAt.getTime()) / 1000,
      dashboards: [...buildDashboards(), PROBE_DASHBOARD],
    });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await worker?.stop();
    await caller?.close();
    for (const app of servers) await app.close();
    await h?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  it('scrapes every process of the run, and loads and evaluates every rule', () => {
    expect(result.targets).toEqual({ total: jobs.length + 1, up: jobs.length + 1, down: [] });
    expect(result.rules.alerting + result.rules.recording).toBe(ruleCount);
    expect(result.rules.unhealthy).toEqual([]);
    expect(result.rules.watchdogDefined).toBe(true);
    expect(result.alerts.firing.map((a) => a.labels.alertname)).toContain(WATCHDOG_ALERT);
  });

  it('fails on a firing alert other than Watchdog, and on nothing else among the alerts', () => {
    const firing = new Set(result.alerts.firing.map((a) => a.labels.alertname));
    expect([...firing].sort()).toEqual([PROBE_ALERT, WATCHDOG_ALERT].sort());
    expect(result.failures).toContain(`alert ${PROBE_ALERT} is firing`);
    expect(result.failures.filter((f) => f.startsWith('alert '))).toHaveLength(1);
    expect(result.ok).toBe(false);
  });

  it('catches a panel without data, an exporter panel and an undeclared metric', () => {
    const probe = (title: string) => result.panels.find((p) => p.dashboardUid === PROBE_DASHBOARD.uid && p.panel === title)!;
    expect(probe('unknown label value')).toMatchObject({ status: 'no data' });
    expect(probe('unknown label value').reason).toMatch(/enrichment_jobs_processed_total\{outcome="no_such_outcome"\} matches none of the \d+ series .*present: [^)]*outcome=auto_approved/);
    expect(probe('exporter metric')).toMatchObject({ status: 'needs exporter' });
    expect(probe('undeclared metric')).toMatchObject({ status: 'unknown metric' });
    expect(probe('unparsable query')).toMatchObject({ status: 'query error' });
    expect(probe('unparsable query').reason).toMatch(/^A: invalid PromQL/);
    // Rows are walked into; hidden targets are not queried.
    expect(probe('inside a row')).toMatchObject({ status: 'data' });
    expect(probe('inside a row').targets.map((t) => t.refId)).toEqual(['A']);
    for (const title of ['unknown label value', 'undeclared metric', 'unparsable query']) expect(result.failures.some((f) => f.startsWith(`${PROBE_DASHBOARD.title} / ${title}:`))).toBe(true);
    expect(result.failures.some((f) => f.startsWith(`${PROBE_DASHBOARD.title} / exporter metric`))).toBe(false);
  });

  it('gets data for every dashboard panel built only from metrics that always have series', () => {
    const catalog = METRIC_CATALOG as Record<string, MetricSpec>;
    // Metrics without labels, or whose every label has zeroed known values, exist from start-up.
    const alwaysPresent = (name: string) => {
      const r = resolveMetric(name);
      if (r.source === 'prometheus') return name === 'up';
      const spec = r.owner ? catalog[r.owner] : undefined;
      return r.source === 'app' && !!spec && spec.labels.every((l) => spec.knownLabelValues?.[l]);
    };
    const real = result.panels.filter((p) => p.dashboardUid !== PROBE_DASHBOARD.uid);
    expect(real.length).toBeGreaterThan(0);
    const guaranteed = real.filter((p) => p.status !== 'needs exporter' && p.metrics.every((m) => alwaysPresent(m.name)));
    expect(guaranteed.length).toBeGreaterThan(0);
    expect(guaranteed.filter((p) => p.status !== 'data').map((p) => `${p.dashboard} / ${p.panel}: ${p.reason}`)).toEqual([]);
    // The others have data too, or name the selector that found nothing and why.
    for (const p of real.filter((x) => x.status === 'no data')) expect(p.reason, p.panel).toMatch(/matches none of the \d+ series|has no series|expression around them|every value is NaN/);
    expect(real.filter((p) => p.status === 'unknown metric' || p.status === 'query error')).toEqual([]);
  });

  it('prints one table row per panel and a summary line with the counts', () => {
    const text = formatLiveCheck(result);
    const s = summarize(result);
    for (const p of result.panels) expect(text).toContain(p.panel.slice(0, 30));
    expect(text).toContain(`live check FAIL: panels with data ${s.appPanelsWithData}/${s.appPanels} app panels, ${s.needsExporter} need an exporter; rules loaded ${ruleCount} `);
    expect(text).toMatch(new RegExp(`targets up ${jobs.length + 1}/${jobs.length + 1}`));
  });
});

describe('dashboard variables of the live queries', () => {
  it('takes All as the allValue or .*, a multi-selection as an alternation, else the current value', () => {
    const json = {
      panels: [],
      templating: {
        list: [
          { name: 'datasource', type: 'datasource', current: { value: 'prom' } },
          { name: 'agent', type: 'query', includeAll: true, current: { value: '$__all' } },
          { name: 'tier', type: 'custom', current: { value: ['local', 'escalation'] } },
          { name: 'provider', type: 'custom', allValue: 'ollama|anthropic', includeAll: true, current: { value: ['$__all'] } },
          { name: 'quantile', type: 'custom', current: { value: '0.95' } },
        ],
      },
    };
    expect(dashboardVariableValues(json)).toEqual({ agent: '.*', tier: '(local|escalation)', provider: 'ollama|anthropic', quantile: '0.95' });
  });

  it('lists the vector selectors of an expression with their matcher labels', () => {
    expect(vectorSelectors('sum by (agent) (rate(enrichment_llm_calls_total{outcome!="ok", provider=~"a|b"}[5m])) / sum(up)')).toEqual([
      { text: 'enrichment_llm_calls_total{outcome!="ok", provider=~"a|b"}', metric: 'enrichment_llm_calls_total', matcherLabels: ['outcome', 'provider'] },
      { text: 'up', metric: 'up', matcherLabels: [] },
    ]);
  });
});
