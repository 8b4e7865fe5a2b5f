/**
 * The typed stack config of the infra program: every size, replica count, hostname, retention
 * period and threshold, as one zod schema validated before any resource is declared.
 *
 * A stack's values come from `Pulumi.<stack>.yaml` (keys under `enrichment-platform:`), deep-merged
 * over {@link STACK_DEFAULTS}; prod's defaults are the checklist's figures. The schema checks shapes
 * and ranges only: checklist minimums (replicas, retention, sizes) are the policy pack's job, so a
 * deliberately weak config still builds and the pack can show the violation.
 *
 * Secrets (Anthropic key, passwords, JWT secrets) are not part of this schema: they are read with
 * `config.getSecret` in `infra/index.ts` and stay Pulumi secrets end to end.
 */
import { z } from 'zod';

/** The stacks this program knows (`pulumi stack select <name>`). */
export const STACKS = ['dev', 'staging', 'prod'] as const;
export type StackName = (typeof STACKS)[number];

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as 500m, 512Mi or 50Gi');
const storage = z.string().regex(/^\d+(Mi|Gi|Ti)$/, 'must be a storage size such as 512Mi, 20Gi or 1Ti');
const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'must be a DNS name such as review.example.com');
const replicas = z.number().int().min(1).max(100);
const cron = z.string().regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression');

/** CPU and memory requests and limits of one container (checklist 9c-run-07). */
export const resourcesSchema = z.strictObject({
  cpuRequest: quantity,
  memoryRequest: quantity,
  cpuLimit: quantity,
  memoryLimit: quantity,
});
export type ContainerResources = z.infer<typeof resourcesSchema>;

const toleration = z.strictObject({
  key: z.string(),
  operator: z.enum(['Exists', 'Equal']).default('Exists'),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

export const infraConfigSchema = z.strictObject({
  /** dev: local Docker (`@pulumi/docker`); staging, prod: Kubernetes (`@pulumi/kubernetes`). */
  target: z.enum(['docker', 'kubernetes']),
  /** Kubernetes namespace of the app and data tier (monitoring has its own). */
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label'),
  /** The app image (`Dockerfile` at the repository root), built and pushed by the program. */
  image: z.strictObject({
    /** Registry and repository, e.g. `ghcr.io/acme/enrichment-platform`. */
    repository: z.string().min(1),
    tag: z.string().regex(/^[\w][\w.-]{0,127}$/, 'must be a Docker tag'),
    /** Build and push from the repository (false: use an image pushed by CI). */
    build: z.boolean(),
    /** Registry login for the push; the password comes from the `registryPassword` secret. */
    registryUsername: z.string().optional(),
  }),
  mongodb: z.strictObject({
    image: z.string().min(1),
    /** Replica set members (checklist 9a-db-13; prod: 3). */
    replicas,
    storageSize: storage,
    resources: resourcesSchema,
    database: z.string().min(1),
    backup: z.strictObject({
      /** Cron schedule of the backup CronJob (checklist 9a-db-04: once a day). */
      schedule: cron,
      /** Days a backup is kept (checklist 9a-db-05: at least a month). */
      retentionDays: z.number().int().min(1).max(3650),
      /** S3-compatible storage (checklist 9a-db-06). */
      s3Endpoint: z.url(),
      s3Bucket: z.string().min(3),
      s3Region: z.string().min(1),
      s3Prefix: z.string(),
    }),
  }),
  nsq: z.strictObject({
    image: z.string().min(1),
    /** nsqlookupd replicas (checklist 9a-mq-02: three or more). */
    nsqlookupdReplicas: replicas,
    /** nsqd replicas (checklist 9a-mq-03: two or more). */
    nsqdReplicas: replicas,
    nsqdStorageSize: storage,
    /** Messages kept in memory per topic/channel before spilling to disk (`--mem-queue-size`). */
    memQueueSize: z.number().int().min(0),
    /** Longest a message may stay in flight (`--max-msg-timeout`), seconds. */
    maxMsgTimeoutSeconds: z.number().int().min(1),
    resources: resourcesSchema,
  }),
  ollama: z.strictObject({
    image: z.string().min(1),
    /** Model storage (checklist 9a-llm-05: 30GB or more; mixtral alone is ~26GB). */
    storageSize: storage,
    models: z.array(z.string().min(1)).min(1),
    resources: resourcesSchema,
    gpu: z.strictObject({
      enabled: z.boolean(),
      /** `nvidia.com/gpu` limit (Kubernetes) or device count (Docker). */
      count: z.number().int().min(1),
      /** Install the NVIDIA device plugin DaemonSet (false when the GPU operator is present). */
      installDevicePlugin: z.boolean(),
      nodeSelector: z.record(z.string(), z.string()),
      tolerations: z.array(toleration),
      runtimeClassName: z.string().optional(),
    }),
  }),
  worker: z.strictObject({
    /** EnrichmentWorker replicas (checklist 9c-scale-01: two or more); the HPA's minimum. */
    replicas,
    maxReplicas: z.number().int().min(1).max(100),
    /** HPA target CPU utilisation, percent. */
    targetCpuPercent: z.number().int().min(1).max(100),
    maxInFlight: z.number().int().min(1).max(256),
    resources: resourcesSchema,
  }),
  agents: z.strictObject({
    replicas,
    resources: resourcesSchema,
  }),
  apis: z.strictObject({
    replicas,
    resources: resourcesSchema,
    reviewHost: hostname,
    costHost: hostname,
    /** CORS allow-list (checklist 9a-net-12). */
    corsOrigins: z.array(z.url()),
    /** Requests per minute per client (checklist 9a-net-11). */
    rateLimitPerMinute: z.number().int().min(1),
    /** Per-document budget, USD (checklist 8-tests-04: fifty cents at most). */
    documentBudgetUsd: z.number().min(0),
    monthlyBudgetUsd: z.number().min(0),
  }),
  tls: z.strictObject({
    /** Certificate lifetime, hours (checklist 9a-tls-03: two years or more, ≥ 17520). */
    durationHours: z.number().int().min(1),
    /** Renew this many hours before expiry (checklist ops-monthly-02: sixty days ahead). */
    renewBeforeHours: z.number().int().min(1),
    /** cert-manager chart version, installed when `installCertManager`. */
    installCertManager: z.boolean(),
    certManagerVersion: z.string(),
  }),
  ingress: z.strictObject({
    className: z.string().min(1),
    /** Install ingress-nginx (its Service is the only LoadBalancer). */
    installController: z.boolean(),
    controllerVersion: z.string(),
  }),
  monitoring: z.strictObject({
    prometheusImage: z.string().min(1),
    alertmanagerImage: z.string().min(1),
    grafanaImage: z.string().min(1),
    /** Prometheus TSDB retention, days (checklist 9b-prom-03: 30 days or more). */
    retentionDays: z.number().int().min(1),
    storageSize: storage,
    scrapeIntervalSeconds: z.number().int().min(1).max(300),
    resources: resourcesSchema,
    /** Host port of Grafana on the Docker target (dev only). */
    grafanaHostPort: z.number().int().min(1).max(65535),
    /** Alertmanager's silences and notification log (`--storage.path`), a PVC / Docker volume. */
    alertmanagerStorageSize: storage,
    /** Grafana's database (users, annotations; dashboards are provisioned from code). */
    grafanaStorageSize: storage,
    /** Probes of Ollama's `/api/tags` per model and of the APIs' public TLS endpoints. */
    blackboxExporterImage: z.string().min(1),
    /** kube-state-metrics and node-exporter images (Kubernetes; see `installClusterExporters`). */
    kubeStateMetricsImage: z.string().min(1),
    nodeExporterImage: z.string().min(1),
    /**
     * Install kube-state-metrics and node-exporter (false where the cluster already runs them;
     * Prometheus finds them by their `app.kubernetes.io/name` label in any namespace).
     */
    installClusterExporters: z.boolean(),
    /** Requests and limits of the exporters (blackbox, kube-state-metrics, node-exporter). */
    exporterResources: resourcesSchema,
    alerting: z.strictObject({
      emailTo: z.email(),
      emailFrom: z.email(),
      smtpSmarthost: z.string().regex(/^[^:]+:\d+$/, 'must be host:port'),
      smtpUsername: z.string(),
      slackChannel: z.string().regex(/^#[\w-]+$/, 'must be a channel such as #alerts'),
    }),
  }),
  /**
   * Central logging (the Logging component; checklist 9b Logging): Loki keeps the logs
   * every container writes, Alloy ships them there, Grafana searches them.
   */
  logging: z.strictObject({
    /** Grafana Loki image, pinned (single binary, filesystem storage). */
    lokiImage: z.string().min(1),
    /** Grafana Alloy image, pinned (the collector: a DaemonSet on Kubernetes, one container on Docker). */
    collectorImage: z.string().min(1),
    /**
     * Days Loki keeps logs before its compactor deletes them (`limits_config.retention_period`;
     * the checklist wants a week or more, enforced by the policy `logging-retention-days`).
     */
    retentionDays: z.number().int().min(1),
    /** Loki's volume (chunks, index, compactor state): a PVC on Kubernetes. */
    storageSize: storage,
    /** Requests and limits of Loki. */
    resources: resourcesSchema,
    /** Requests and limits of the collector (per node on Kubernetes). */
    collectorResources: resourcesSchema,
  }),
});

/** The validated config of one stack. */
export type InfraConfig = z.infer<typeof infraConfigSchema>;

const small = { cpuRequest: '100m', memoryRequest: '128Mi', cpuLimit: '500m', memoryLimit: '512Mi' };

/** Prod values: the checklist's figures. Staging and dev override what differs. */
const PROD: InfraConfig = {
  target: 'kubernetes',
  namespace: 'enrichment',
  image: { repository: 'ghcr.io/enrichment-platform/enrichment-platform', tag: 'latest', build: true },
  mongodb: {
    image: 'mongo:7.0',
    replicas: 3,
    storageSize: '50Gi',
    resources: { cpuRequest: '500m', memoryRequest: '1Gi', cpuLimit: '2', memoryLimit: '4Gi' },
    database: 'enrichment',
    backup: {
      schedule: '0 2 * * *',
      retentionDays: 30,
      s3Endpoint: 'https://s3.eu-west-1.amazonaws.com',
      s3Bucket: 'enrichment-platform-backups',
      s3Region: 'eu-west-1',
      s3Prefix: 'mongodb/prod',
    },
  },
  nsq: {
    image: 'nsqio/nsq:v1.3.0',
    nsqlookupdReplicas: 3,
    nsqdReplicas: 2,
    nsqdStorageSize: '20Gi',
    memQueueSize: 10000,
    maxMsgTimeoutSeconds: 900,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '1', memoryLimit: '1Gi' },
  },
  ollama: {
    image: 'ollama/ollama:0.12.6',
    storageSize: '50Gi',
    models: ['llama3.2', 'mixtral'],
    resources: { cpuRequest: '2', memoryRequest: '16Gi', cpuLimit: '8', memoryLimit: '48Gi' },
    gpu: {
      enabled: true,
      count: 1,
      installDevicePlugin: true,
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    },
  },
  worker: {
    replicas: 2,
    maxReplicas: 8,
    targetCpuPercent: 70,
    maxInFlight: 8,
    resources: { cpuRequest: '250m', memoryRequest: '256Mi', cpuLimit: '1', memoryLimit: '1Gi' },
  },
  agents: { replicas: 2, resources: { cpuRequest: '100m', memoryRequest: '192Mi', cpuLimit: '1', memoryLimit: '512Mi' } },
  apis: {
    replicas: 2,
    resources: small,
    reviewHost: 'review.enrichment.example.com',
    costHost: 'cost.enrichment.example.com',
    corsOrigins: ['https://review-ui.enrichment.example.com'],
    rateLimitPerMinute: 600,
    documentBudgetUsd: 0.5,
    monthlyBudgetUsd: 1000,
  },
  tls: { durationHours: 17520, renewBeforeHours: 1440, installCertManager: true, certManagerVersion: 'v1.19.1' },
  ingress: { className: 'nginx', installController: true, controllerVersion: '4.13.3' },
  monitoring: {
    prometheusImage: 'prom/prometheus:v3.7.3',
    alertmanagerImage: 'prom/alertmanager:v0.28.1',
    grafanaImage: 'grafana/grafana:11.6.7',
    retentionDays: 30,
    storageSize: '100Gi',
    scrapeIntervalSeconds: 30,
    resources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '2', memoryLimit: '4Gi' },
    grafanaHostPort: 3000,
    alertmanagerStorageSize: '2Gi',
    grafanaStorageSize: '5Gi',
    blackboxExporterImage: 'prom/blackbox-exporter:v0.27.0',
    kubeStateMetricsImage: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0',
    nodeExporterImage: 'prom/node-exporter:v1.9.1',
    installClusterExporters: true,
    exporterResources: { cpuRequest: '50m', memoryRequest: '64Mi', cpuLimit: '250m', memoryLimit: '256Mi' },
    alerting: {
      emailTo: 'oncall@enrichment.example.com',
      emailFrom: 'alertmanager@enrichment.example.com',
      smtpSmarthost: 'smtp.example.com:587',
      smtpUsername: 'alertmanager',
      slackChannel: '#enrichment-alerts',
    },
  },
  logging: {
    lokiImage: 'grafana/loki:3.5.8',
    collectorImage: 'grafana/alloy:v1.11.3',
    // Twice the checklist's 7 days: a week-old incident can still be read after a weekend.
    retentionDays: 14,
    storageSize: '50Gi',
    resources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '2', memoryLimit: '2Gi' },
    collectorResources: { cpuRequest: '50m', memoryRequest: '128Mi', cpuLimit: '500m', memoryLimit: '512Mi' },
  },
};

/** Partial overrides of {@link PROD} per stack. */
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The defaults of each stack before its `Pulumi.<stack>.yaml` is applied. */
export const STACK_DEFAULTS: Record<StackName, DeepPartial<InfraConfig>> = {
  prod: {},
  staging: {
    mongodb: {
      replicas: 1,
      storageSize: '20Gi',
      backup: { s3Prefix: 'mongodb/staging' },
    },
    nsq: { nsqlookupdReplicas: 1, nsqdReplicas: 2, nsqdStorageSize: '5Gi' },
    worker: { replicas: 2, maxReplicas: 4 },
    agents: { replicas: 1 },
    apis: {
      replicas: 1,
      reviewHost: 'review.staging.enrichment.example.com',
      costHost: 'cost.staging.enrichment.example.com',
      corsOrigins: ['https://review-ui.staging.enrichment.example.com'],
    },
    monitoring: { storageSize: '50Gi' },
    logging: { storageSize: '20Gi' },
  },
  dev: {
    target: 'docker',
    image: { repository: 'enrichment-platform', tag: 'dev', build: true },
    mongodb: {
      replicas: 1,
      storageSize: '5Gi',
      resources: { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '1', memoryLimit: '1Gi' },
      backup: { s3Endpoint: 'http://minio.localhost:9000', s3Bucket: 'enrichment-dev-backups', s3Prefix: 'mongodb/dev' },
    },
    nsq: { nsqlookupdReplicas: 1, nsqdReplicas: 1, nsqdStorageSize: '1Gi' },
    ollama: {
      storageSize: '50Gi',
      resources: { cpuRequest: '1', memoryRequest: '4Gi', cpuLimit: '4', memoryLimit: '16Gi' },
      gpu: { enabled: false, installDevicePlugin: false, nodeSelector: {}, tolerations: [] },
    },
    worker: { replicas: 2, maxReplicas: 2 },
    agents: { replicas: 1 },
    apis: {
      replicas: 1,
      reviewHost: 'review.localhost',
      costHost: 'cost.localhost',
      corsOrigins: ['http://localhost:8080'],
    },
    tls: { installCertManager: false },
    ingress: { installController: false },
    monitoring: { storageSize: '10Gi', retentionDays: 30 },
  },
};

/** A stack config that fails validation: every problem, one per line, with its path. */
export class InfraConfigError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(`invalid config for stack '${stackName}':\n  - ${problems.join('\n  - ')}`);
    this.name = 'InfraConfigError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, arrays and scalars replace. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}

/**
 * Validates one stack's config.
 *
 * @param stack  the Pulumi stack name: `dev`, `staging` or `prod`.
 * @param values the stack file's values under `enrichment-platform:` (keys without the prefix,
 *   structured values already parsed), e.g. `{ nsq: { nsqdReplicas: 3 } }`.
 * @throws InfraConfigError for an unknown stack or any invalid or unknown key, listing them all.
 */
export function loadInfraConfig(stack: string, values: Record<string, unknown>): InfraConfig {
  if (!(STACKS as readonly string[]).includes(stack)) {
    throw new InfraConfigError(stack, [`unknown stack (stacks: ${STACKS.join(', ')})`]);
  }
  const merged = deepMerge(deepMerge(PROD as unknown, STACK_DEFAULTS[stack as StackName]), values);
  const result = infraConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new InfraConfigError(
      stack,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/**
 * Secret stack config keys (`pulumi config set --secret <key> ...`), read by PlatformSecrets with
 * `config.getSecret`; they are not part of {@link infraConfigSchema}. All are optional: unset
 * passwords and JWT secrets are generated with `@pulumi/random`; an unset API key, S3 credential
 * or alert receiver credential leaves that feature off.
 */
export const SECRET_CONFIG_KEYS = [
  'anthropicApiKey',
  'mongodbRootPassword',
  'mongodbAppPassword',
  'mcpJwtSecret',
  'apiJwtSecret',
  'backupS3AccessKeyId',
  'backupS3SecretAccessKey',
  'smtpPassword',
  'slackWebhookUrl',
  'pagerdutyRoutingKey',
  'grafanaAdminPassword',
  'registryPassword',
] as const;
/** One of {@link SECRET_CONFIG_KEYS}. */
export type SecretConfigKey = (typeof SECRET_CONFIG_KEYS)[number];

/**
 * The non-secret values under `enrichment-platform:` from a Pulumi config map (as
 * `pulumi.runtime.allConfig()` returns it: structured values are JSON strings).
 */
export function stackValuesFromConfigMap(all: Record<string, string>, project = 'enrichment-platform'): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(all)) {
    if (!key.startsWith(`${project}:`)) continue;
    const name = key.slice(project.length + 1);
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(name)) continue;
    try {
      values[name] = JSON.parse(raw);
    } catch {
      values[name] = raw;
    }
  }
  return values;
}
