/**
 * Names, labels, ports and annotations shared by the infra program (`infra/`) and the policy pack
 * (`policies/`). The policy pack recognises workloads by these labels and reads the checklist
 * figures from these annotations, so both sides import them from here and never spell them out.
 */
import { AGENT_NAMES, type AgentName } from '../../app/src/domain/fields.js';

/** The Kubernetes namespace of the application and its data tier. */
export const APP_NAMESPACE = 'enrichment';
/** The Kubernetes namespace of Prometheus, Alertmanager and Grafana. */
export const MONITORING_NAMESPACE = 'monitoring';

/** Recommended Kubernetes labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** Value of `app.kubernetes.io/part-of` on everything this program creates. */
export const PART_OF = 'enrichment-platform';

/**
 * `app.kubernetes.io/name` of each workload (also the Docker container name suffix and the
 * Prometheus `job` label).
 */
export const WORKLOAD = {
  mongodb: 'mongodb',
  mongodbExporter: 'mongodb-exporter',
  mongodbBackup: 'mongodb-backup',
  mongodbIndexes: 'mongodb-indexes',
  mongodbRestore: 'mongodb-restore',
  nsqlookupd: 'nsqlookupd',
  nsqd: 'nsqd',
  nsqadmin: 'nsqadmin',
  nsqExporter: 'nsq-exporter',
  nsqTopics: 'nsq-topics',
  ollama: 'ollama',
  ollamaModels: 'ollama-models',
  worker: 'enrichment-worker',
  reviewApi: 'review-api',
  costApi: 'cost-api',
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
} as const;

/** `app.kubernetes.io/name` of an agent's workload, e.g. `agent-metadata`. */
export function agentWorkload(agent: AgentName): `agent-${AgentName}` {
  return `agent-${agent}`;
}

/** Every agent workload name, in `AGENT_NAMES` order. */
export const AGENT_WORKLOADS = AGENT_NAMES.map(agentWorkload);

/** `app.kubernetes.io/component` values. */
export const COMPONENT = {
  database: 'database',
  queue: 'queue',
  llm: 'llm',
  app: 'app',
  agent: 'agent',
  api: 'api',
  monitoring: 'monitoring',
} as const;

/** Ports (checklist "Health Checks" and the app's defaults in `app/src/config.ts`). */
export const PORT = {
  mongodb: 27017,
  mongodbExporter: 9216,
  nsqdTcp: 4150,
  nsqdHttp: 4151,
  nsqlookupdTcp: 4160,
  nsqlookupdHttp: 4161,
  nsqadmin: 4171,
  nsqExporter: 9117,
  ollama: 11434,
  reviewApi: 5001,
  costApi: 5002,
  /** `WORKER_METRICS_PORT`: the worker's /health and /metrics. */
  workerMetrics: 9464,
  /** Every agent listens on this port in its own pod/container (`AGENT_PORT`). */
  agent: 5100,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  https: 443,
} as const;

/**
 * `app.kubernetes.io/name` of the helpers the Monitoring and Logging components deploy besides
 * `WORKLOAD.prometheus`, `alertmanager` and `grafana` (NetworkSegmentation opens their flows).
 */
export const MONITORING_WORKLOAD = {
  blackboxExporter: 'blackbox-exporter',
  kubeStateMetrics: 'kube-state-metrics',
  nodeExporter: 'node-exporter',
  /** Grafana Loki, the central log store (the Logging component). */
  loki: 'loki',
  /** Grafana Alloy, the log collector shipping container logs to Loki (the Logging component). */
  logCollector: 'alloy',
} as const;

/** Ports of the monitoring helpers and of the cluster components Prometheus scrapes. */
export const MONITORING_PORT = {
  blackboxExporter: 9115,
  kubeStateMetrics: 8080,
  /** kube-state-metrics' own telemetry (`/readyz`). */
  kubeStateMetricsTelemetry: 8081,
  nodeExporter: 9100,
  kubelet: 10250,
  certManager: 9402,
  dcgmExporter: 9400,
  /** Loki's HTTP API: push, query, `/ready`, `/metrics`. */
  loki: 3100,
  /** Alloy's HTTP server: `/-/ready`, `/-/healthy`, `/metrics`. */
  logCollector: 12345,
} as const;

/** NSQ topics the pipeline uses (`NSQ_TOPIC`, `NSQ_DEAD_LETTER_TOPIC`). */
export const TOPICS = ['enrichment', 'enrichment_dead'] as const;
/** Models the agents need on Ollama (`OLLAMA_PHASE1_MODEL`, `OLLAMA_STRUCTURE_MODEL`). */
export const OLLAMA_MODELS = ['llama3.2', 'mixtral'] as const;

/**
 * Annotations that carry checklist facts the policy pack cannot read from a resource's spec
 * alone. Each is set by the component that makes the fact true.
 */
export const ANNOTATION = {
  /** On the backup CronJob: days a backup is kept before the job deletes it. */
  backupRetentionDays: 'enrichment-platform/backup-retention-days',
  /** On the index Job: `collection:field,field;collection:field` of the indexes it creates. */
  mongodbIndexes: 'enrichment-platform/mongodb-indexes',
  /** On the topic Job: comma-separated NSQ topics it creates. */
  nsqTopics: 'enrichment-platform/nsq-topics',
  /** On the model-pull Job (or Ollama workload): comma-separated models pulled. */
  ollamaModels: 'enrichment-platform/ollama-models',
  /** On a Service or Docker container that is allowed to be reached from outside. */
  publicEndpoint: 'enrichment-platform/public',
  /** On app pod templates: digest (not the value) of the Secret values the pod reads at start. */
  secretDigest: 'enrichment-platform/secret-digest',
  /** On the ingress controller's Service: allowed to be a LoadBalancer. */
  ingressController: 'enrichment-platform/ingress-controller',
} as const;

/** Kubernetes Secrets holding the APIs' certificates (cert-manager writes them; the Ingress reads them). */
export const TLS_SECRET = { reviewApi: 'review-api-tls', costApi: 'cost-api-tls' } as const;

/** Docker labels mirror the Kubernetes label keys (same names, same values). */
export const DOCKER_LABEL = LABEL;
