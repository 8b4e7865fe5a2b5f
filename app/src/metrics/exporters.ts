/**
 * The metrics this platform reads from software it does not write: Kubernetes (kube-state-metrics,
 * the kubelet), node-exporter, the MongoDB and NSQ exporters, cert-manager, NVIDIA's DCGM
 * exporter, the blackbox exporter, and Prometheus and Alertmanager themselves.
 *
 * The app's own metrics live in {@link METRIC_CATALOG} (`./catalog.ts`); this module is its twin
 * for everything else. Alert rules (`alerts/*.rules.yml`) and dashboards may only select metrics
 * and labels declared in one of the two, and {@link findMetric} resolves a series name against
 * both. Each list names only what this repository relies on, not all an exporter publishes.
 *
 * Names and labels were checked against each project's source or reference docs (the `source`
 * field of each exporter says which).
 */
import { METRIC_CATALOG, type MetricKey, type MetricSpec } from './catalog.js';

/** Prometheus metric types as exporters declare them (`# TYPE`). */
export type ExporterMetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** One metric family an exporter publishes. */
export interface ExporterMetricSpec {
  /** Family name as exposed, e.g. `nsq_channel_depth`. */
  name: string;
  type: ExporterMetricType;
  help: string;
  /** Labels the exporter itself sets (target labels such as `job`/`instance` come on top). */
  labels: readonly string[];
  /**
   * Unit of the value: a base unit, `timestamp_seconds` for Unix epoch seconds, `mebibytes` for
   * DCGM's framebuffer figures (MiB, as the exporter publishes them), `celsius`, or `1`.
   */
  unit: 'seconds' | 'timestamp_seconds' | 'bytes' | 'mebibytes' | 'celsius' | 'ratio' | '1';
  /** Anything a query writer must know (cumulative value exposed as a gauge, required flag...). */
  note?: string;
}

/** A Prometheus scrape job the alerts expect, with the labels its scrape config must add. */
export interface ScrapeJob {
  /** The `job` label value. */
  job: string;
  /** Labels the scrape config sets on every series of the job, besides `job` and `instance`. */
  targetLabels: readonly string[];
  /** What the job scrapes or probes. */
  description: string;
}

/** One external exporter: where its names come from, how it is scraped, what we use from it. */
export interface ExporterSpec {
  /** Upstream project and the release line whose names are listed. */
  source: string;
  /** Flags or settings the listed names depend on. */
  requires?: string;
  scrapeJobs: readonly ScrapeJob[];
  metrics: readonly ExporterMetricSpec[];
}

/**
 * `job` label of every scrape job the alert rules name. App jobs match the workload names of the
 * infra program (`app.kubernetes.io/name`); each agent is its own job, `agent-<name>`.
 *
 * App jobs must not add a `service` target label: the API metrics carry `service` themselves.
 */
export const SCRAPE_JOBS = {
  worker: 'enrichment-worker',
  /** Regex matching the five agent jobs (`agent-classification` ... `agent-structure`). */
  agentsRegex: 'agent-.+',
  reviewApi: 'review-api',
  costApi: 'cost-api',
  kubeStateMetrics: 'kube-state-metrics',
  nodeExporter: 'node-exporter',
  kubelet: 'kubelet',
  mongodbExporter: 'mongodb-exporter',
  nsqExporter: 'nsq-exporter',
  certManager: 'cert-manager',
  dcgmExporter: 'dcgm-exporter',
  /** Blackbox probe of Ollama's `GET /api/tags`, one target per required model (label `model`). */
  ollamaModelProbe: 'ollama-model-probe',
  /** Blackbox HTTPS probe of the APIs' `/health` through their public TLS endpoint (label `service`). */
  apiTlsProbe: 'api-tls-probe',
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
} as const;

/** Names of the workloads and objects the Kubernetes alerts select (infra naming conventions). */
export const KUBE_OBJECTS = {
  workerDeployment: 'enrichment-worker',
  nsqdStatefulSet: 'nsqd',
  nsqlookupdStatefulSet: 'nsqlookupd',
  /** The daily MongoDB backup CronJob; its Jobs are named `mongodb-backup-<minutes since epoch>`. */
  backupCronJob: 'mongodb-backup',
} as const;

const KSM = 'kubernetes/kube-state-metrics v2.x (docs/metrics/workload, docs/metrics/storage)';

/**
 * What this platform reads from each external exporter. Keys are the exporter names used in
 * {@link FoundMetric}.
 */
export const EXPORTER_METRICS = {
  'kube-state-metrics': {
    source: KSM,
    scrapeJobs: [{ job: SCRAPE_JOBS.kubeStateMetrics, targetLabels: [], description: 'Kubernetes object state' }],
    metrics: [
      { name: 'kube_deployment_status_replicas_available', type: 'gauge', help: 'Available replicas of a Deployment.', labels: ['namespace', 'deployment'], unit: '1' },
      { name: 'kube_deployment_spec_replicas', type: 'gauge', help: 'Desired replicas of a Deployment.', labels: ['namespace', 'deployment'], unit: '1' },
      { name: 'kube_statefulset_status_replicas_ready', type: 'gauge', help: 'Ready replicas of a StatefulSet.', labels: ['namespace', 'statefulset'], unit: '1' },
      { name: 'kube_statefulset_replicas', type: 'gauge', help: 'Desired replicas of a StatefulSet.', labels: ['namespace', 'statefulset'], unit: '1' },
      { name: 'kube_pod_container_status_waiting_reason', type: 'gauge', help: '1 while a container waits for the given reason (e.g. CrashLoopBackOff).', labels: ['namespace', 'pod', 'container', 'reason'], unit: '1' },
      { name: 'kube_pod_container_status_restarts_total', type: 'counter', help: 'Container restarts.', labels: ['namespace', 'pod', 'container'], unit: '1' },
      { name: 'kube_cronjob_created', type: 'gauge', help: 'Creation time of a CronJob.', labels: ['namespace', 'cronjob'], unit: 'timestamp_seconds' },
      {
        name: 'kube_cronjob_status_last_successful_time',
        type: 'gauge',
        help: 'Last time a Job of the CronJob completed successfully.',
        labels: ['namespace', 'cronjob'],
        unit: 'timestamp_seconds',
        note: 'absent until the first successful run',
      },
      { name: 'kube_cronjob_status_last_schedule_time', type: 'gauge', help: 'Last time the CronJob was scheduled.', labels: ['namespace', 'cronjob'], unit: 'timestamp_seconds' },
      { name: 'kube_job_status_failed', type: 'gauge', help: 'Failed pods of a Job.', labels: ['namespace', 'job_name', 'reason'], unit: '1' },
      { name: 'kube_job_status_succeeded', type: 'gauge', help: 'Succeeded pods of a Job.', labels: ['namespace', 'job_name'], unit: '1' },
      { name: 'kube_job_created', type: 'gauge', help: 'Creation time of a Job.', labels: ['namespace', 'job_name'], unit: 'timestamp_seconds' },
      { name: 'kube_job_owner', type: 'gauge', help: 'Owner of a Job (a CronJob for scheduled runs).', labels: ['namespace', 'job_name', 'owner_kind', 'owner_name', 'owner_is_controller'], unit: '1' },
    ],
  },
  'node-exporter': {
    source: 'prometheus/node_exporter v1.x (filesystem collector)',
    scrapeJobs: [{ job: SCRAPE_JOBS.nodeExporter, targetLabels: [], description: 'node filesystems' }],
    metrics: [
      { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available to non-root users.', labels: ['device', 'fstype', 'mountpoint'], unit: 'bytes' },
      { name: 'node_filesystem_size_bytes', type: 'gauge', help: 'Filesystem size.', labels: ['device', 'fstype', 'mountpoint'], unit: 'bytes' },
      { name: 'node_filesystem_readonly', type: 'gauge', help: '1 when the filesystem is mounted read-only.', labels: ['device', 'fstype', 'mountpoint'], unit: '1' },
    ],
  },
  kubelet: {
    source: 'Kubernetes kubelet /metrics (volume stats of mounted PersistentVolumeClaims)',
    scrapeJobs: [{ job: SCRAPE_JOBS.kubelet, targetLabels: [], description: 'kubelet of every node' }],
    metrics: [
      { name: 'kubelet_volume_stats_available_bytes', type: 'gauge', help: 'Bytes available in a mounted volume.', labels: ['namespace', 'persistentvolumeclaim'], unit: 'bytes' },
      { name: 'kubelet_volume_stats_capacity_bytes', type: 'gauge', help: 'Capacity of a mounted volume.', labels: ['namespace', 'persistentvolumeclaim'], unit: 'bytes' },
    ],
  },
  'mongodb-exporter': {
    source: 'percona/mongodb_exporter v0.40+ (exporter/replset_status, v1 compatibility)',
    requires: '--compatible-mode (for mongodb_mongod_replset_member_replication_lag) and --collector.replicasetstatus',
    scrapeJobs: [{ job: SCRAPE_JOBS.mongodbExporter, targetLabels: [], description: 'one exporter per MongoDB member' }],
    metrics: [
      { name: 'mongodb_up', type: 'gauge', help: '1 when the exporter could connect to its mongod.', labels: [], unit: '1' },
      {
        name: 'mongodb_mongod_replset_member_replication_lag',
        type: 'gauge',
        help: 'Seconds a member is behind the primary.',
        labels: ['name', 'set', 'state', 'self'],
        unit: 'seconds',
        note: 'published in --compatible-mode only',
      },
      { name: 'mongodb_rs_members_health', type: 'gauge', help: 'Health of each replica-set member as seen by this member (1 healthy).', labels: ['rs_nm', 'member_idx', 'member_state', 'rs_state'], unit: '1' },
      { name: 'mongodb_ss_connections', type: 'gauge', help: 'Server connections by kind (current, available, ...).', labels: ['conn_type'], unit: '1' },
    ],
  },
  'nsq-exporter': {
    source: 'lovoo/nsq_exporter master (collector/collector_stats_topic.go, collector_stats_channel.go, executor.go)',
    requires: '-collect=stats.topics,stats.channels; one exporter per nsqd',
    scrapeJobs: [{ job: SCRAPE_JOBS.nsqExporter, targetLabels: [], description: 'nsqd /stats of each nsqd' }],
    metrics: [
      { name: 'nsq_topic_depth', type: 'gauge', help: 'Messages queued in a topic (memory + disk), i.e. not yet copied to any channel.', labels: ['topic', 'paused'], unit: '1' },
      { name: 'nsq_topic_message_count', type: 'gauge', help: 'Messages published to a topic since nsqd started.', labels: ['topic', 'paused'], unit: '1', note: 'cumulative value exposed as a gauge; resets when nsqd restarts' },
      { name: 'nsq_channel_depth', type: 'gauge', help: 'Messages queued in a channel (memory + disk).', labels: ['topic', 'channel', 'paused'], unit: '1' },
      { name: 'nsq_channel_in_flight_count', type: 'gauge', help: 'Messages delivered to a channel client and not yet finished.', labels: ['topic', 'channel', 'paused'], unit: '1' },
      { name: 'nsq_channel_client_count', type: 'gauge', help: 'Clients subscribed to a channel.', labels: ['topic', 'channel', 'paused'], unit: '1' },
      { name: 'nsq_channel_timeout_count', type: 'gauge', help: 'Messages whose in-flight timeout expired.', labels: ['topic', 'channel', 'paused'], unit: '1', note: 'cumulative value exposed as a gauge; resets when nsqd restarts' },
      { name: 'nsq_channel_requeue_count', type: 'gauge', help: 'Messages requeued by clients.', labels: ['topic', 'channel', 'paused'], unit: '1', note: 'cumulative value exposed as a gauge; resets when nsqd restarts' },
      { name: 'nsq_exporter_scrape_duration_seconds', type: 'summary', help: 'Duration of one read of nsqd /stats, by result (success, error).', labels: ['result'], unit: 'seconds' },
    ],
  },
  'cert-manager': {
    source: 'cert-manager v1.x controller metrics (pkg/metrics/certificates.go)',
    scrapeJobs: [{ job: SCRAPE_JOBS.certManager, targetLabels: [], description: 'cert-manager controller :9402' }],
    metrics: [
      {
        name: 'certmanager_certificate_expiration_timestamp_seconds',
        type: 'gauge',
        help: 'Time after which the certificate is no longer valid (notAfter).',
        labels: ['name', 'namespace', 'issuer_name', 'issuer_kind', 'issuer_group'],
        unit: 'timestamp_seconds',
      },
      { name: 'certmanager_certificate_ready_status', type: 'gauge', help: '1 for the current Ready condition of a Certificate (True, False or Unknown).', labels: ['name', 'namespace', 'condition', 'issuer_name', 'issuer_kind', 'issuer_group'], unit: '1' },
    ],
  },
  'dcgm-exporter': {
    source: 'NVIDIA/dcgm-exporter 3.x (default-counters.csv)',
    scrapeJobs: [{ job: SCRAPE_JOBS.dcgmExporter, targetLabels: [], description: 'GPU nodes (only where a GPU is present)' }],
    metrics: [
      { name: 'DCGM_FI_DEV_FB_USED', type: 'gauge', help: 'Framebuffer (GPU) memory used, MiB.', labels: ['gpu', 'UUID', 'device', 'modelName', 'Hostname'], unit: 'mebibytes' },
      { name: 'DCGM_FI_DEV_FB_FREE', type: 'gauge', help: 'Framebuffer (GPU) memory free, MiB.', labels: ['gpu', 'UUID', 'device', 'modelName', 'Hostname'], unit: 'mebibytes' },
      { name: 'DCGM_FI_DEV_GPU_UTIL', type: 'gauge', help: 'GPU utilisation, percent.', labels: ['gpu', 'UUID', 'device', 'modelName', 'Hostname'], unit: '1' },
      { name: 'DCGM_FI_DEV_GPU_TEMP', type: 'gauge', help: 'GPU temperature.', labels: ['gpu', 'UUID', 'device', 'modelName', 'Hostname'], unit: 'celsius' },
    ],
  },
  'blackbox-exporter': {
    source: 'prometheus/blackbox_exporter v0.24+ (http prober)',
    scrapeJobs: [
      {
        job: SCRAPE_JOBS.ollamaModelProbe,
        targetLabels: ['model'],
        description:
          "GET http://ollama:11434/api/tags once per required model; the module fails unless the body lists the model (fail_if_body_not_matches_regexp '\"name\":\"<model>(:[^\"]*)?\"')",
      },
      { job: SCRAPE_JOBS.apiTlsProbe, targetLabels: ['service'], description: 'GET https://<public host>/health of review-api and cost-api' },
    ],
    metrics: [
      { name: 'probe_success', type: 'gauge', help: '1 when the probe succeeded (module checks included).', labels: [], unit: '1' },
      { name: 'probe_http_status_code', type: 'gauge', help: 'HTTP status of the probe response; 0 when no response came.', labels: [], unit: '1' },
      { name: 'probe_ssl_earliest_cert_expiry', type: 'gauge', help: 'Earliest notAfter of the certificate chain served.', labels: [], unit: 'timestamp_seconds' },
    ],
  },
  prometheus: {
    source: 'prometheus/prometheus v2.42+ (self-scrape, and the per-target series every scrape writes)',
    scrapeJobs: [{ job: SCRAPE_JOBS.prometheus, targetLabels: [], description: 'Prometheus itself' }],
    metrics: [
      { name: 'up', type: 'gauge', help: 'Written by Prometheus for every target: 1 when the last scrape succeeded.', labels: [], unit: '1' },
      { name: 'prometheus_rule_evaluation_failures_total', type: 'counter', help: 'Rule evaluations that failed.', labels: ['rule_group'], unit: '1' },
      { name: 'prometheus_notifications_errors_total', type: 'counter', help: 'Errors sending alerts to an Alertmanager.', labels: ['alertmanager'], unit: '1' },
      { name: 'prometheus_notifications_sent_total', type: 'counter', help: 'Alerts sent to an Alertmanager.', labels: ['alertmanager'], unit: '1' },
    ],
  },
  alertmanager: {
    source: 'prometheus/alertmanager v0.25+ (notify/notify.go)',
    scrapeJobs: [{ job: SCRAPE_JOBS.alertmanager, targetLabels: [], description: 'Alertmanager' }],
    metrics: [
      { name: 'alertmanager_notifications_total', type: 'counter', help: 'Notification attempts, by integration.', labels: ['integration'], unit: '1' },
      { name: 'alertmanager_notifications_failed_total', type: 'counter', help: 'Failed notifications, by integration.', labels: ['integration'], unit: '1' },
    ],
  },
} as const satisfies Record<string, ExporterSpec>;

/** Name of an external exporter in {@link EXPORTER_METRICS}. */
export type ExporterName = keyof typeof EXPORTER_METRICS;

/** Every exporter name, in declaration order. */
export const EXPORTER_NAMES = Object.keys(EXPORTER_METRICS) as ExporterName[];

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS = ['job', 'instance'] as const;

/** Label every app series carries: the registry default label set by `createMetrics(component)`. */
export const APP_DEFAULT_LABELS = ['component'] as const;

/** A series name resolved to its declaration. */
export type FoundMetric =
  | {
      source: 'app';
      /** Key in {@link METRIC_CATALOG}. */
      key: MetricKey;
      /** Absent for app metrics (present so that `found.exporter` reads on either branch). */
      exporter?: undefined;
      metric: MetricSpec;
      /** The series name looked up (`x`, `x_bucket`, `x_sum` or `x_count`). */
      series: string;
      /** Every label a series of that name can carry: the spec's, `le` on buckets, `component`, `job`, `instance`. */
      labels: readonly string[];
    }
  | {
      source: 'exporter';
      exporter: ExporterName;
      metric: ExporterMetricSpec;
      series: string;
      /** The spec's labels, `le`/`quantile` where the suffix implies it, the exporter's target labels, `job`, `instance`. */
      labels: readonly string[];
    };

/** Series a family of the given type exposes, with the extra label each adds. */
function seriesOf(name: string, type: string): { series: string; extra: readonly string[] }[] {
  if (type === 'histogram') {
    return [
      { series: `${name}_bucket`, extra: ['le'] },
      { series: `${name}_sum`, extra: [] },
      { series: `${name}_count`, extra: [] },
    ];
  }
  if (type === 'summary') {
    return [
      { series: name, extra: ['quantile'] },
      { series: `${name}_sum`, extra: [] },
      { series: `${name}_count`, extra: [] },
    ];
  }
  return [{ series: name, extra: [] }];
}

const unique = (labels: Iterable<string>): readonly string[] => [...new Set(labels)];

function buildIndex(): ReadonlyMap<string, FoundMetric> {
  const index = new Map<string, FoundMetric>();
  const add = (found: FoundMetric) => {
    const clash = index.get(found.series);
    if (clash) throw new Error(`metric series ${found.series} is declared twice (${clash.source} and ${found.source})`);
    index.set(found.series, found);
  };
  for (const [key, spec] of Object.entries(METRIC_CATALOG) as [MetricKey, MetricSpec][]) {
    for (const { series, extra } of seriesOf(spec.name, spec.type)) {
      add({ source: 'app', key, metric: spec, series, labels: unique([...spec.labels, ...extra, ...APP_DEFAULT_LABELS, ...TARGET_LABELS]) });
    }
  }
  for (const exporter of EXPORTER_NAMES) {
    const spec: ExporterSpec = EXPORTER_METRICS[exporter];
    const targetLabels = spec.scrapeJobs.flatMap((j) => j.targetLabels);
    for (const metric of spec.metrics) {
      for (const { series, extra } of seriesOf(metric.name, metric.type)) {
        add({ source: 'exporter', exporter, metric, series, labels: unique([...metric.labels, ...extra, ...targetLabels, ...TARGET_LABELS]) });
      }
    }
  }
  return index;
}

let index: ReadonlyMap<string, FoundMetric> | undefined;

/**
 * Resolves a series name as written in PromQL to its declaration in the app catalog or an
 * exporter list. Histogram families resolve from `_bucket` (with `le`), `_sum` and `_count`;
 * summaries from the bare name (with `quantile`), `_sum` and `_count`.
 *
 * @param name a series name, e.g. `enrichment_job_duration_seconds_bucket` or `nsq_channel_depth`.
 * @returns the declaration and the label names the series can carry, or `undefined` when neither
 *   the catalog nor any exporter list declares it.
 * @throws Error on first use if two declarations expose the same series name.
 */
export function findMetric(name: string): FoundMetric | undefined {
  index ??= buildIndex();
  return index.get(name);
}

/** Every series name {@link findMetric} resolves (app and exporters), sorted. */
export function knownSeriesNames(): string[] {
  index ??= buildIndex();
  return [...index.keys()].sort();
}
