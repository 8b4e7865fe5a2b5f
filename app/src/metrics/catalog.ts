/**
 * The one catalog of every metric this application exports. Names follow Prometheus
 * conventions: base units in the name (`_seconds`, `_usd`, `_bytes`), `_total` on counters.
 *
 * Processes never declare metrics of their own: they call {@link createMetrics} and use the
 * typed handles. The monitoring issue builds alerts and dashboards from this list, and its
 * cross-check tests read {@link METRIC_CATALOG}.
 */
import client from 'prom-client';
import { AGENT_NAMES, DOCUMENT_TYPES, FIELD_NAMES } from '../domain/fields.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Base unit, or '1' for a count or ratio. */
  unit: 'seconds' | 'usd' | 'bytes' | 'ratio' | '1';
  buckets?: readonly number[];
  /** Known label values, zeroed at start-up so that series exist before the first event. */
  knownLabelValues?: Readonly<Record<string, readonly string[]>>;
  /** Set when a metric is deliberately not used by any dashboard or alert, with the reason. */
  noDashboardReason?: string;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;
const RATIO_BUCKETS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1] as const;
const USD_BUCKETS = [0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

const PROVIDERS = ['offline', 'ollama', 'anthropic'] as const;
const TIERS = ['offline', 'local', 'escalation'] as const;

export const METRIC_CATALOG = {
  // --- ingest ---
  documentsSubmitted: {
    name: 'enrichment_documents_submitted_total',
    type: 'counter',
    help: 'Documents accepted by `enrich submit` and recorded as ocr_jobs.',
    labels: [],
    unit: '1',
    noDashboardReason: 'counted by the short-lived `enrich submit` process, which Prometheus does not scrape; the run report and ocr_jobs carry the figure',
  },
  documentsRejected: {
    name: 'enrichment_documents_rejected_total',
    type: 'counter',
    help: 'Documents rejected at ingest (bad JSON, no text, too large, invalid UTF-8, duplicate id), by reason class.',
    labels: ['reason'] as const,
    unit: '1',
    knownLabelValues: { reason: ['invalid_utf8', 'malformed_json', 'invalid_document', 'no_text', 'too_large', 'duplicate_id'] },
    noDashboardReason: 'counted by the short-lived `enrich submit` process; every rejection is recorded in ocr_jobs with its reason and shown in the run report',
  },
  outboxPublished: {
    name: 'enrichment_outbox_published_total',
    type: 'counter',
    help: 'Jobs published to NSQ from the ocr_jobs outbox, by cause (first publish or republish of a stuck job).',
    labels: ['cause'] as const,
    unit: '1',
    knownLabelValues: { cause: ['initial', 'retry_failed_publish', 'stuck'] },
  },
  outboxPending: {
    name: 'enrichment_outbox_pending_jobs',
    type: 'gauge',
    help: 'ocr_jobs waiting to be (re)published at the last outbox sweep.',
    labels: [],
    unit: '1',
  },
  // --- worker ---
  jobsProcessed: {
    name: 'enrichment_jobs_processed_total',
    type: 'counter',
    help: 'Jobs the EnrichmentWorker finished, by outcome.',
    labels: ['outcome'] as const,
    unit: '1',
    knownLabelValues: { outcome: ['auto_approved', 'pending_review', 'failed', 'duplicate_delivery'] },
  },
  jobsRequeued: {
    name: 'enrichment_jobs_requeued_total',
    type: 'counter',
    help: 'NSQ messages requeued with backoff after a transient error.',
    labels: [],
    unit: '1',
  },
  deadLettered: {
    name: 'enrichment_dead_letter_messages_total',
    type: 'counter',
    help: 'Messages sent to the enrichment_dead topic after maxAttempts.',
    labels: [],
    unit: '1',
  },
  jobDuration: {
    name: 'enrichment_job_duration_seconds',
    type: 'histogram',
    help: 'Wall time of one job in the worker, from message receipt to stored result.',
    labels: [],
    unit: 'seconds',
    buckets: SECONDS_BUCKETS,
  },
  jobQueueLatency: {
    name: 'enrichment_job_queue_latency_seconds',
    type: 'histogram',
    help: 'Time from ocr_jobs creation to the worker picking the job up.',
    labels: [],
    unit: 'seconds',
    buckets: SECONDS_BUCKETS,
  },
  jobsInFlight: {
    name: 'enrichment_jobs_in_flight',
    type: 'gauge',
    help: 'Jobs the worker is processing right now.',
    labels: [],
    unit: '1',
  },
  // --- quality ---
  completeness: {
    name: 'enrichment_document_completeness_ratio',
    type: 'histogram',
    help: 'Completeness score of each enriched document (share of required fields present and valid).',
    labels: ['document_type'] as const,
    unit: 'ratio',
    buckets: RATIO_BUCKETS,
    knownLabelValues: { document_type: DOCUMENT_TYPES },
  },
  documentsApproved: {
    name: 'enrichment_documents_total',
    type: 'counter',
    help: 'Enriched documents by approval decision and document type.',
    labels: ['decision', 'document_type'] as const,
    unit: '1',
    knownLabelValues: { decision: ['auto_approved', 'pending_review'], document_type: DOCUMENT_TYPES },
  },
  fieldsMissing: {
    name: 'enrichment_fields_missing_total',
    type: 'counter',
    help: 'Required fields still missing, invalid or low-confidence after all phases, by field and agent.',
    labels: ['field', 'agent', 'kind'] as const,
    unit: '1',
    knownLabelValues: { field: FIELD_NAMES, kind: ['missing', 'invalid', 'low_confidence'] },
  },
  escalations: {
    name: 'enrichment_escalations_total',
    type: 'counter',
    help: 'Fields sent to a later phase (local model or Claude) because earlier phases left them missing, invalid or low-confidence.',
    labels: ['tier', 'agent'] as const,
    unit: '1',
    knownLabelValues: { tier: ['local', 'escalation'], agent: AGENT_NAMES },
  },
  // --- agents and models ---
  agentRequests: {
    name: 'enrichment_agent_requests_total',
    type: 'counter',
    help: 'MCP tool calls made to an agent, by tier and outcome.',
    labels: ['agent', 'tier', 'outcome'] as const,
    unit: '1',
    knownLabelValues: { agent: AGENT_NAMES, tier: TIERS, outcome: ['ok', 'error'] },
  },
  agentRequestDuration: {
    name: 'enrichment_agent_request_duration_seconds',
    type: 'histogram',
    help: 'Duration of one MCP tool call to an agent, as seen by the caller.',
    labels: ['agent', 'tier'] as const,
    unit: 'seconds',
    buckets: SECONDS_BUCKETS,
    // Zeroed from the start, so rate() sees the first calls (a series born with its first
    // observation has no earlier sample to increase from).
    knownLabelValues: { agent: AGENT_NAMES, tier: TIERS },
  },
  llmCalls: {
    name: 'enrichment_llm_calls_total',
    type: 'counter',
    help: 'Model calls (every attempt, re-asks included), by provider, model and outcome.',
    labels: ['agent', 'provider', 'model', 'outcome'] as const,
    unit: '1',
    knownLabelValues: { provider: PROVIDERS, outcome: ['ok', 'invalid_output', 'error'] },
  },
  llmCallDuration: {
    name: 'enrichment_llm_call_duration_seconds',
    type: 'histogram',
    help: 'Duration of one model call.',
    labels: ['provider', 'model'] as const,
    unit: 'seconds',
    buckets: SECONDS_BUCKETS,
  },
  llmTokens: {
    name: 'enrichment_llm_tokens_total',
    type: 'counter',
    help: 'Tokens sent to and received from models.',
    labels: ['provider', 'model', 'direction'] as const,
    unit: '1',
    knownLabelValues: { direction: ['input', 'output'] },
  },
  llmRateLimited: {
    name: 'enrichment_llm_rate_limited_total',
    type: 'counter',
    help: 'Model calls answered with HTTP 429.',
    labels: ['provider'] as const,
    unit: '1',
    knownLabelValues: { provider: PROVIDERS },
  },
  // --- cost ---
  costUsd: {
    name: 'enrichment_cost_usd_total',
    type: 'counter',
    help: 'Model spend in USD from cost records, by agent, provider and model.',
    labels: ['agent', 'provider', 'model'] as const,
    unit: 'usd',
  },
  documentCost: {
    name: 'enrichment_document_cost_usd',
    type: 'histogram',
    help: 'Total model spend per enriched document in USD (checklist target: ≤ $0.50).',
    labels: [],
    unit: 'usd',
    buckets: USD_BUCKETS,
  },
  gpuSeconds: {
    name: 'enrichment_gpu_seconds_total',
    type: 'counter',
    help: 'GPU time billed for local model calls.',
    labels: ['model'] as const,
    unit: 'seconds',
  },
  // --- Review API and Cost API ---
  apiRequests: {
    name: 'enrichment_api_requests_total',
    type: 'counter',
    help: 'HTTP requests answered by the Review API or the Cost API, by route pattern and status code.',
    labels: ['service', 'route', 'status_code'] as const,
    unit: '1',
  },
  apiRequestDuration: {
    name: 'enrichment_api_request_duration_seconds',
    type: 'histogram',
    help: 'Time from request receipt to response sent in the Review API or the Cost API, by route pattern.',
    labels: ['service', 'route'] as const,
    unit: 'seconds',
    buckets: SECONDS_BUCKETS,
  },
  reviewDecisions: {
    name: 'enrichment_review_decisions_total',
    type: 'counter',
    help: 'Reviewer decisions recorded by the Review API (approve, reject, corrections).',
    labels: ['decision'] as const,
    unit: '1',
    knownLabelValues: { decision: ['approve', 'reject', 'correct'] },
  },
  // --- every process ---
  logMessages: {
    name: 'enrichment_log_messages_total',
    type: 'counter',
    help: 'Log lines written at warn level or above, by level (counted by the shared logger, app/src/ops/logger.ts): the error-tracking signal.',
    labels: ['level'] as const,
    unit: '1',
    knownLabelValues: { level: ['warn', 'error', 'fatal'] },
  },
  healthCheck: {
    name: 'enrichment_dependency_up',
    type: 'gauge',
    help: '1 when the last health check of a dependency passed, else 0.',
    labels: ['dependency'] as const,
    unit: '1',
  },
  build: {
    name: 'enrichment_build_info',
    type: 'gauge',
    help: 'Always 1; labels carry the running component and version.',
    labels: ['component', 'version'] as const,
    unit: '1',
    noDashboardReason: 'informational join target only',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRIC_CATALOG;

type Handle<S> = S extends { type: 'counter'; labels: readonly (infer L extends string)[] }
  ? client.Counter<L>
  : S extends { type: 'gauge'; labels: readonly (infer L extends string)[] }
    ? client.Gauge<L>
    : S extends { type: 'histogram'; labels: readonly (infer L extends string)[] }
      ? client.Histogram<L>
      : never;

export type Metrics = { [K in MetricKey]: Handle<(typeof METRIC_CATALOG)[K]> } & { registry: client.Registry };

/**
 * Creates every catalog metric on a private registry, with default process metrics, and zeroes
 * the known label values. One call per process (tests may call it as often as they like).
 */
export function createMetrics(component: string, version = process.env.npm_package_version ?? '0.0.0'): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ component });
  client.collectDefaultMetrics({ register: registry });
  const out: Record<string, unknown> = { registry };
  for (const [key, spec] of Object.entries(METRIC_CATALOG) as [MetricKey, MetricSpec][]) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    const metric =
      spec.type === 'counter'
        ? new client.Counter(common)
        : spec.type === 'gauge'
          ? new client.Gauge(common)
          : new client.Histogram({ ...common, buckets: [...(spec.buckets ?? SECONDS_BUCKETS)] });
    zeroKnownLabels(metric, spec);
    out[key] = metric;
  }
  const metrics = out as Metrics;
  metrics.build.set({ component, version }, 1);
  return metrics;
}

function zeroKnownLabels(metric: client.Counter | client.Gauge | client.Histogram, spec: MetricSpec): void {
  const known = spec.knownLabelValues;
  if (!known || spec.labels.length === 0) return;
  // Zero only when every label has known values; partial combinations would invent series.
  if (!spec.labels.every((l) => known[l])) return;
  const combos = spec.labels.reduce<Record<string, string>[]>(
    (acc, label) => acc.flatMap((c) => known[label]!.map((v) => ({ ...c, [label]: v }))),
    [{}],
  );
  for (const labels of combos) {
    if (metric instanceof client.Histogram) metric.zero(labels);
    else metric.inc(labels, 0);
  }
}
