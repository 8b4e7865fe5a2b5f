/**
 * Every PromQL expression the dashboards plot, kept apart from the layout. Application metric
 * names come from `METRIC_CATALOG` (`app/src/metrics/catalog.ts`), so a renamed metric fails to
 * compile here instead of silently emptying a panel; label names and values are the catalog's.
 * Exporter metrics (NSQ, Prometheus, DCGM) are looked up in `app/src/metrics/exporters.ts`.
 *
 * Windows: `$__rate_interval` for curves, `$__range` (the dashboard's time range, 24 h by
 * default) for the single figures compared with the checklist targets.
 *
 * Labels outside a metric's catalog entry: `component` (the default label `createMetrics` puts on
 * every series of a process: `worker`, `review-api`, `agent-<name>`…) and the scrape labels
 * `job` / `instance` that Prometheus adds.
 */
import { configSchema as appConfigSchema } from '../../app/src/config.js';
import { METRIC_CATALOG as C } from '../../app/src/metrics/catalog.js';
import { APP_DEFAULT_LABELS, findMetric, TARGET_LABELS } from '../../app/src/metrics/exporters.js';

/** Window of curves: Grafana's `$__rate_interval` (at least four scrape intervals). */
export const RATE = '$__rate_interval';
/** Window of range figures: the whole dashboard time range. */
export const RANGE = '$__range';

/**
 * An exporter metric as `app/src/metrics/exporters.ts` declares it (the one list of metrics this
 * platform reads from software it does not write): its name and the labels the exporter puts on it.
 *
 * @throws Error when the series is not declared there as an exporter metric, so a dashboard
 *   cannot read an undeclared metric.
 */
function exporterMetric(series: string): { name: string; labels: readonly string[] } {
  const found = findMetric(series);
  if (found?.source !== 'exporter') throw new Error(`${series} is not an exporter metric of app/src/metrics/exporters.ts`);
  return { name: found.metric.name, labels: found.metric.labels };
}

/**
 * The exporter metrics the dashboards read (not exported by the app), resolved in
 * `app/src/metrics/exporters.ts`: nsq_exporter's topic and channel depth, Prometheus's `up`,
 * dcgm-exporter's framebuffer memory used (MiB). Prometheus adds `job` and `instance` to every series.
 */
export const EXPORTER_METRICS = {
  nsqTopicDepth: exporterMetric('nsq_topic_depth'),
  nsqChannelDepth: exporterMetric('nsq_channel_depth'),
  up: exporterMetric('up'),
  gpuMemoryUsedMiB: exporterMetric('DCGM_FI_DEV_FB_USED'),
};

/** Labels every scraped series carries besides its own: the scrape job and target (`TARGET_LABELS`). */
export const SCRAPE_LABELS = TARGET_LABELS;

/** Default label `createMetrics` puts on every application series (`worker`, `agent-<name>`…). */
export { APP_DEFAULT_LABELS };

/** Exporter metric names, short for the expressions below. */
const X = {
  nsqTopicDepth: EXPORTER_METRICS.nsqTopicDepth.name,
  nsqChannelDepth: EXPORTER_METRICS.nsqChannelDepth.name,
  up: EXPORTER_METRICS.up.name,
  gpuMemoryUsedMiB: EXPORTER_METRICS.gpuMemoryUsedMiB.name,
};

/** NSQ topics of the pipeline: the app config's `NSQ_TOPIC` and `NSQ_DEAD_LETTER_TOPIC` defaults. */
const APP_DEFAULTS = appConfigSchema.parse({});
const WORK_TOPIC = APP_DEFAULTS.NSQ_TOPIC;
const TOPICS = `${WORK_TOPIC}|${APP_DEFAULTS.NSQ_DEAD_LETTER_TOPIC}`;

/** `sum(` or `sum by (a, b) (`. */
const sumBy = (labels: readonly string[]) => (labels.length > 0 ? `sum by (${labels.join(', ')}) (` : 'sum(');

/** `sum by (labels) (rate(metric{selector}[window]))`. */
function sumRate(metric: string, labels: readonly string[] = [], selector = '', window = RATE): string {
  return `${sumBy(labels)}rate(${metric}${selector}[${window}]))`;
}

/** `sum by (labels) (increase(metric{selector}[window]))`, default window the dashboard range. */
function sumIncrease(metric: string, labels: readonly string[] = [], selector = '', window = RANGE): string {
  return `${sumBy(labels)}increase(${metric}${selector}[${window}]))`;
}

/** Mean of a histogram over a window: `_sum` increase over `_count` increase. */
function histogramMean(histogram: string, labels: readonly string[] = [], window = RATE): string {
  return `${sumRate(`${histogram}_sum`, labels, '', window)} / ${sumRate(`${histogram}_count`, labels, '', window)}`;
}

/** `histogram_quantile(q, sum by (labels, le) (rate(h_bucket[$__rate_interval])))`. */
function histogramQuantile(q: number, histogram: string, labels: readonly string[] = [], selector = ''): string {
  return `histogram_quantile(${q}, ${sumRate(`${histogram}_bucket`, [...labels, 'le'], selector)})`;
}

/** A per-second rate expressed per hour. */
const perHour = (perSecond: string) => `${perSecond} * 3600`;

/**
 * `expr`, or a single 0 when it has no series: for counters whose series only appear with their
 * first event (model errors, Claude calls, GPU time), so a quiet system plots 0, not "No data".
 */
const orZero = (expr: string) => `(${expr}) or on() vector(0)`;

// --- quality (checklist: completeness ≥ 95 %, auto-approval ≥ 90 %) ---

export const completeness = {
  /** Mean completeness of documents enriched in the range (ratio 0–1). */
  meanOverRange: `${sumIncrease(`${C.completeness.name}_sum`)} / ${sumIncrease(`${C.completeness.name}_count`)}`,
  /** Mean completeness, rolling. */
  mean: histogramMean(C.completeness.name),
  /** Mean completeness by document type, rolling. */
  meanByType: histogramMean(C.completeness.name, ['document_type']),
  /** Completeness quantile (e.g. 0.1: the score the worst 10 % of documents fall below). */
  quantile: (q: number) => histogramQuantile(q, C.completeness.name),
};

const autoApproved = `{decision="auto_approved"}`;
const pendingReview = `{decision="pending_review"}`;

export const approval = {
  /** Share of documents auto-approved in the range (ratio 0–1). */
  rateOverRange: `${sumIncrease(C.documentsApproved.name, [], autoApproved)} / ${sumIncrease(C.documentsApproved.name)}`,
  /** Share auto-approved, rolling. */
  rate: `${sumRate(C.documentsApproved.name, [], autoApproved)} / ${sumRate(C.documentsApproved.name)}`,
  /** Share auto-approved by document type, rolling. */
  rateByType: `${sumRate(C.documentsApproved.name, ['document_type'], autoApproved)} / ${sumRate(C.documentsApproved.name, ['document_type'])}`,
  /** Documents sent to human review in the range. */
  sentToReviewOverRange: sumIncrease(C.documentsApproved.name, [], pendingReview),
  /** Reviewer decisions per hour, by decision. */
  reviewDecisionsPerHour: perHour(sumRate(C.reviewDecisions.name, ['decision'])),
};

export const fields = {
  /** Most frequent missing/invalid/low-confidence fields over the range (checklist: top 3 missing fields). */
  topMissingOverRange: `topk(10, ${sumIncrease(C.fieldsMissing.name, ['field', 'agent', 'kind'])})`,
  /** Fields missing per enriched document, by kind, rolling. */
  missingPerDocumentByKind: `${sumRate(C.fieldsMissing.name, ['kind'])} / scalar(${sumRate(C.documentsApproved.name)})`,
  /** Fields missing per enriched document over the range, by owning agent. */
  missingPerDocumentByAgentOverRange: `${sumIncrease(C.fieldsMissing.name, ['agent'])} / scalar(${sumIncrease(C.documentsApproved.name)})`,
  /** Fields escalated to a later tier per hour, by tier and agent. */
  escalationsPerHour: perHour(sumRate(C.escalations.name, ['tier', 'agent'])),
  /** Fields escalated to Claude per hour, by agent. */
  claudeEscalationsPerHour: perHour(sumRate(C.escalations.name, ['agent'], `{tier="escalation"}`)),
};

// --- throughput (checklist: ≥ 50 docs/hour, ≥ 2 worker replicas, queue backlog) ---

export const throughput = {
  /** Documents enriched per hour, averaged over the range. */
  docsPerHourOverRange: `${sumIncrease(C.documentsApproved.name)} / (${RANGE}_s / 3600)`,
  /** Documents enriched per hour, rolling. */
  docsPerHour: perHour(sumRate(C.documentsApproved.name)),
  /** Documents enriched per hour by document type. */
  docsPerHourByType: perHour(sumRate(C.documentsApproved.name, ['document_type'])),
  /** Documents enriched per hour by approval decision (stacked, they add up to the throughput). */
  docsPerHourByDecision: perHour(sumRate(C.documentsApproved.name, ['decision'])),
  failedJobsPerHour: perHour(sumRate(C.jobsProcessed.name, [], `{outcome="failed"}`)),
  requeuesPerHour: perHour(sumRate(C.jobsRequeued.name)),
  deadLettersPerHour: perHour(sumRate(C.deadLettered.name)),
  /** Outbox republishes per hour by cause (first publishes excluded). */
  republishesPerHour: perHour(sumRate(C.outboxPublished.name, ['cause'], `{cause!="initial"}`)),
  /** ocr_jobs waiting to be (re)published; every worker sweeps the same collection, so max, not sum. */
  outboxPending: `max(${C.outboxPending.name})`,
  /** Worker processes reporting (one `enrichment_jobs_in_flight` series per worker). */
  workerReplicas: `count(${C.jobsInFlight.name}{component="worker"})`,
  jobsInFlightByWorker: `sum by (instance) (${C.jobsInFlight.name}{component="worker"})`,
  jobDurationQuantile: (q: number) => histogramQuantile(q, C.jobDuration.name),
  queueLatencyQuantile: (q: number) => histogramQuantile(q, C.jobQueueLatency.name),
};

export const queue = {
  /** Messages waiting in the enrichment topic and its channels (the backlog workers must drain). */
  backlog: `sum(${X.nsqTopicDepth}{topic="${WORK_TOPIC}"} or ${X.nsqChannelDepth}{topic="${WORK_TOPIC}"})`,
  /** Topic depth (messages not yet copied to a channel), by topic. */
  topicDepth: `sum by (topic) (${X.nsqTopicDepth}{topic=~"${TOPICS}"})`,
  /** Channel depth (messages waiting for a consumer), by topic and channel. */
  channelDepth: `sum by (topic, channel) (${X.nsqChannelDepth}{topic=~"${TOPICS}"})`,
};

// --- cost (checklist: ≤ $0.50 per document, costs vs budget) ---

export const cost = {
  /** Mean model spend per enriched document over the range, USD. */
  perDocumentOverRange: `${sumIncrease(`${C.documentCost.name}_sum`)} / ${sumIncrease(`${C.documentCost.name}_count`)}`,
  /** Mean model spend per document, rolling, USD. */
  perDocument: histogramMean(C.documentCost.name),
  perDocumentQuantile: (q: number) => histogramQuantile(q, C.documentCost.name),
  /** Share of documents over the $0.50 limit in the range (the histogram has a 0.5 bucket boundary). */
  shareOverLimitOverRange: `1 - ${sumIncrease(`${C.documentCost.name}_bucket`, [], `{le="0.5"}`)} / ${sumIncrease(`${C.documentCost.name}_count`)}`,
  /** Total model spend in the range, USD. */
  totalOverRange: sumIncrease(C.costUsd.name),
  /** Spend of the range extrapolated to 30 days, USD. */
  projected30Days: `${sumIncrease(C.costUsd.name)} / ${RANGE}_s * 86400 * 30`,
  /** Spend in USD per hour, by provider. */
  perHourByProvider: perHour(sumRate(C.costUsd.name, ['provider'])),
  /** Spend in USD per hour, by agent. */
  perHourByAgent: perHour(sumRate(C.costUsd.name, ['agent'])),
  /** Spend over the range by agent, provider and model, USD. */
  breakdownOverRange: sumIncrease(C.costUsd.name, ['agent', 'provider', 'model']),
  /** GPU seconds billed per hour, by model. */
  gpuSecondsPerHour: orZero(perHour(sumRate(C.gpuSeconds.name, ['model']))),
  /** Claude tokens per hour, by direction (the escalation tier's cost driver). */
  claudeTokensPerHour: orZero(perHour(sumRate(C.llmTokens.name, ['direction'], `{provider="anthropic"}`))),
};

// --- agents and models (checklist 8-tests-05: every agent up and answering) ---

export const agents = {
  /** Agents with at least one successful call in the range. */
  answeringOverRange: `count(${sumIncrease(C.agentRequests.name, ['agent'], `{outcome="ok"}`)} > 0)`,
  /** Share of successful MCP calls per agent over the range. */
  successRatioOverRange: `${sumIncrease(C.agentRequests.name, ['agent'], `{outcome="ok"}`)} / ${sumIncrease(C.agentRequests.name, ['agent'])}`,
  callsPerSecond: sumRate(C.agentRequests.name, ['agent', 'tier']),
  errorRatio: `${sumRate(C.agentRequests.name, ['agent'], `{outcome="error"}`)} / ${sumRate(C.agentRequests.name, ['agent'])}`,
  callDurationQuantile: (q: number) => histogramQuantile(q, C.agentRequestDuration.name, ['agent']),
  modelCallDurationQuantile: (q: number) => histogramQuantile(q, C.llmCallDuration.name, ['provider', 'model']),
  /** Model calls that failed or returned output the agent could not use, per second. */
  badModelCalls: orZero(sumRate(C.llmCalls.name, ['agent', 'outcome'], `{outcome!="ok"}`)),
  tokensPerSecond: sumRate(C.llmTokens.name, ['provider', 'model', 'direction']),
  rateLimited: sumRate(C.llmRateLimited.name, ['provider']),
  /** GPU framebuffer memory in use, MiB, per GPU (dcgm-exporter). */
  gpuMemoryUsed: `max by (gpu) (${X.gpuMemoryUsedMiB})`,
};

// --- services and scrape health ---

export const services = {
  /** Last health-check result per process and dependency (1 up, 0 down). */
  dependencyUp: `min by (component, dependency) (${C.healthCheck.name})`,
  /** Share of scrape targets up, per scrape job. */
  scrapeTargetsUp: `sum by (job) (${X.up}) / count by (job) (${X.up})`,
  /** 95th percentile API latency by service and route (ops routes excluded). */
  apiLatencyP95: histogramQuantile(0.95, C.apiRequestDuration.name, ['service', 'route'], `{route!~"/health|/metrics"}`),
  /** Share of API responses that were server errors (5xx), by service. */
  // No 5xx series yet means a ratio of 0 per service, not "No data".
  apiServerErrorRatio: `(${sumRate(C.apiRequests.name, ['service'], `{status_code=~"5.."}`)} or ${sumRate(C.apiRequests.name, ['service'])} * 0) / ${sumRate(C.apiRequests.name, ['service'])}`,
  /** Error and fatal log lines per hour, by scrape job (the error-tracking counter of the shared logger). */
  errorLogLinesPerHour: perHour(sumRate(C.logMessages.name, ['job'], `{level=~"error|fatal"}`)),
};
