/**
 * Compliant fixture stacks for the policy unit tests, written as small Pulumi programs with the
 * real SDK classes (so a wrong field name fails to compile) and recorded by `planStack` under
 * mocks, exactly as the plan check records the platform. Every policy passes on them; each test
 * then breaks one field and expects one exact message.
 *
 * They do not depend on `infra/src/components/` (the components have their own tests and the plan
 * check evaluates the real platform); they only use the naming conventions.
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as tls from '@pulumi/tls';
import { stringify as toYaml } from 'yaml';
import { AGENT_NAMES } from '../../app/src/domain/fields.js';
import {
  agentWorkload,
  ANNOTATION,
  COMPONENT,
  LABEL,
  MONITORING_WORKLOAD,
  OLLAMA_MODELS,
  PART_OF,
  PORT,
  TLS_SECRET,
  TOPICS,
  WORKLOAD,
} from '../../infra/src/conventions.js';
import { planStack, type PlannedResource } from '../../infra/src/plan.js';

/** Namespaces of the Kubernetes fixture. */
export const NS = { app: 'enrichment', monitoring: 'monitoring' } as const;

/** A password that is not a default and long enough for a JWT secret. */
export const STRONG_SECRET = 'Zq8x0mB3vN7cL1kP4tR6yW9eA2sD5fG8hJ0uI3oK';

/** Number of alerting rules in the fixture (the pack's minimum). */
export const FIXTURE_ALERT_RULES = 30;

const labels = (workload: string, component: string) => ({ [LABEL.name]: workload, [LABEL.component]: component, [LABEL.partOf]: PART_OF });
const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
const httpProbe = (port: number, path = '/health') => ({ httpGet: { path, port }, periodSeconds: 10 });
const secretEnv = (name: string, secret: string, key = name) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

type Container = k8s.types.input.core.v1.Container;

/** A long-running container with resources and both probes. */
function container(name: string, image: string, port: number, extra: Partial<Container> = {}): Container {
  return { name, image, ports: [{ containerPort: port }], resources, livenessProbe: httpProbe(port), readinessProbe: httpProbe(port), ...extra };
}

// --- monitoring documents, shared by both targets ---

/** The services the fixture's Prometheus scrapes (every app workload and exporter). */
export const SCRAPED = [WORKLOAD.worker, ...AGENT_NAMES.map(agentWorkload), WORKLOAD.reviewApi, WORKLOAD.costApi, WORKLOAD.mongodbExporter, WORKLOAD.nsqExporter];

export function prometheusYaml(alertmanager: string): string {
  return toYaml({
    global: { scrape_interval: '30s' },
    rule_files: ['/etc/prometheus/rules/*.yml'],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] },
    scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] }, ...SCRAPED.map((job) => ({ job_name: job, static_configs: [{ targets: [`${job}:9464`] }] }))],
  });
}

/** Two rule files holding {@link FIXTURE_ALERT_RULES} distinct alerts in all. */
export function ruleFiles(): Record<string, string> {
  const rule = (i: number) => ({ alert: `FixtureAlert${i}`, expr: `vector(${i}) > ${i + 1}`, for: '5m', labels: { severity: 'warning' } });
  const half = FIXTURE_ALERT_RULES / 2;
  return {
    'a.rules.yml': toYaml({ groups: [{ name: 'a', rules: Array.from({ length: half }, (_, i) => rule(i)) }] }),
    'b.rules.yml': toYaml({ groups: [{ name: 'b', rules: [{ record: 'job:up:sum', expr: 'sum(up)' }, ...Array.from({ length: half }, (_, i) => rule(half + i))] }] }),
  };
}

export const DASHBOARD_TITLES = ['Enrichment Overview', 'Agent Performance', 'Cost Tracking', 'Document Quality', 'Processing Throughput'];

/** The five dashboards, keyed by file name. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    DASHBOARD_TITLES.map((title) => {
      const uid = title.toLowerCase().replace(/ /g, '-');
      return [`${uid}.json`, JSON.stringify({ uid, title, time: { from: 'now-24h', to: 'now' }, panels: [{ type: 'stat', title: 'x' }] })];
    }),
  );
}

export function datasourcesYaml(prometheusUrl: string): string {
  return toYaml({ apiVersion: 1, datasources: [{ name: 'Prometheus', type: 'prometheus', url: prometheusUrl, isDefault: true }] });
}

/** A Loki configuration keeping logs 14 days (retention applied by the compactor). */
export function lokiYaml(): string {
  return toYaml({
    auth_enabled: false,
    common: { path_prefix: '/loki', replication_factor: 1, storage: { filesystem: { chunks_directory: '/loki/chunks' } } },
    schema_config: { configs: [{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }] },
    limits_config: { retention_period: '336h' },
    compactor: { working_directory: '/loki/compactor', retention_enabled: true, delete_request_store: 'filesystem' },
  });
}

export function alertmanagerYaml(): string {
  return toYaml({
    global: { smtp_smarthost: 'smtp.example.com:587', smtp_from: 'am@example.com', smtp_auth_username: 'am', smtp_auth_password_file: '/etc/alertmanager/secrets/smtp-password' },
    route: { receiver: 'oncall', routes: [{ matchers: ['severity="critical"'], receiver: 'oncall' }] },
    receivers: [{ name: 'oncall', email_configs: [{ to: 'oncall@example.com' }] }],
  });
}

// --- Kubernetes ---

/** Declares the compliant Kubernetes fixture (a prod-like stack). */
export function kubernetesProgram(): Record<string, never> {
  const provider = new k8s.Provider('k8s', {});
  const opts = { provider };
  const ns = NS.app;

  const deployment = (workload: string, component: string, c: Container, extra: { replicas?: number; namespace?: string; volumes?: k8s.types.input.core.v1.Volume[] } = {}) =>
    new k8s.apps.v1.Deployment(
      workload,
      {
        metadata: { name: workload, namespace: extra.namespace ?? ns, labels: labels(workload, component) },
        spec: {
          replicas: extra.replicas ?? 2,
          selector: { matchLabels: { [LABEL.name]: workload } },
          template: { metadata: { labels: labels(workload, component) }, spec: { containers: [c], ...(extra.volumes ? { volumes: extra.volumes } : {}) } },
        },
      },
      opts,
    );
  const statefulSet = (
    workload: string,
    component: string,
    replicas: number,
    c: Container,
    claim?: { name: string; size: string },
    namespace: string = ns,
  ) =>
    new k8s.apps.v1.StatefulSet(
      workload,
      {
        metadata: { name: workload, namespace, labels: labels(workload, component) },
        spec: {
          serviceName: workload,
          replicas,
          selector: { matchLabels: { [LABEL.name]: workload } },
          template: { metadata: { labels: labels(workload, component) }, spec: { containers: [c] } },
          ...(claim
            ? { volumeClaimTemplates: [{ metadata: { name: claim.name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: claim.size } } } }] }
            : {}),
        },
      },
      opts,
    );
  const job = (workload: string, component: string, annotations: Record<string, string>) =>
    new k8s.batch.v1.Job(
      workload,
      {
        metadata: { name: workload, namespace: ns, labels: labels(workload, component), annotations },
        spec: {
          template: {
            metadata: { labels: labels(workload, component) },
            spec: { restartPolicy: 'OnFailure', containers: [{ name: workload, image: 'curlimages/curl:8.16.0', args: ['true'], resources }] },
          },
        },
      },
      opts,
    );

  // App: worker, agents, APIs.
  const worker = deployment(
    WORKLOAD.worker,
    COMPONENT.app,
    container(WORKLOAD.worker, 'ghcr.io/acme/enrichment:1', PORT.workerMetrics, {
      args: ['worker'],
      env: [
        { name: 'OLLAMA_HOST', value: 'http://ollama.enrichment.svc:11434' },
        secretEnv('MONGODB_URI', 'app-secrets'),
        secretEnv('MCP_JWT_SECRET', 'app-secrets'),
        secretEnv('ANTHROPIC_API_KEY', 'app-secrets'),
      ],
    }),
  );
  new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    'worker-hpa',
    {
      metadata: { name: WORKLOAD.worker, namespace: ns, labels: labels(WORKLOAD.worker, COMPONENT.app) },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: WORKLOAD.worker }, minReplicas: 2, maxReplicas: 8 },
    },
    { ...opts, dependsOn: [worker] },
  );
  new k8s.policy.v1.PodDisruptionBudget(
    'worker-pdb',
    { metadata: { name: WORKLOAD.worker, namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { [LABEL.name]: WORKLOAD.worker } } } },
    opts,
  );
  for (const agent of AGENT_NAMES) {
    deployment(agentWorkload(agent), COMPONENT.agent, container(agentWorkload(agent), 'ghcr.io/acme/enrichment:1', PORT.agent, { args: ['agent', agent], env: [secretEnv('ANTHROPIC_API_KEY', 'app-secrets')] }));
  }
  for (const [workload, port, tlsSecret] of [
    [WORKLOAD.reviewApi, PORT.reviewApi, TLS_SECRET.reviewApi],
    [WORKLOAD.costApi, PORT.costApi, TLS_SECRET.costApi],
  ] as const) {
    deployment(
      workload,
      COMPONENT.api,
      container(workload, 'ghcr.io/acme/enrichment:1', port, {
        env: [
          secretEnv('MONGODB_URI', 'app-secrets'),
          { name: 'API_JWT_SECRET_FILE', value: '/etc/enrichment/secrets/API_JWT_SECRET' },
          { name: 'API_TLS_CERT_FILE', value: '/etc/enrichment/tls/tls.crt' },
          { name: 'API_CORS_ORIGINS', value: 'https://review-ui.example.com' },
        ],
        volumeMounts: [
          { name: 'secrets', mountPath: '/etc/enrichment/secrets', readOnly: true },
          { name: 'tls', mountPath: '/etc/enrichment/tls', readOnly: true },
        ],
      }),
      {
        volumes: [
          { name: 'secrets', secret: { secretName: 'app-secrets', items: [{ key: 'API_JWT_SECRET', path: 'API_JWT_SECRET' }] } },
          { name: 'tls', secret: { secretName: tlsSecret } },
        ],
      },
    );
    new k8s.core.v1.Service(
      `${workload}-service`,
      { metadata: { name: workload, namespace: ns, annotations: { [ANNOTATION.publicEndpoint]: 'true' } }, spec: { type: 'ClusterIP', selector: { [LABEL.name]: workload }, ports: [{ port }] } },
      opts,
    );
  }

  // Data tier.
  statefulSet(
    WORKLOAD.mongodb,
    COMPONENT.database,
    3,
    container('mongod', 'mongo:7.0', PORT.mongodb, {
      args: ['--replSet', 'rs0', '--bind_ip_all', '--keyFile', '/etc/mongodb/keyfile'],
      env: [secretEnv('MONGO_INITDB_ROOT_USERNAME', 'mongodb-auth', 'root-username'), secretEnv('MONGO_INITDB_ROOT_PASSWORD', 'mongodb-auth', 'root-password')],
      livenessProbe: { tcpSocket: { port: PORT.mongodb } },
      readinessProbe: { exec: { command: ['mongosh', '--quiet', '--eval', 'db.adminCommand("ping")'] } },
      volumeMounts: [{ name: 'data', mountPath: '/data/db' }],
    }),
    { name: 'data', size: '50Gi' },
  );
  new k8s.policy.v1.PodDisruptionBudget(
    'mongodb-pdb',
    { metadata: { name: WORKLOAD.mongodb, namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { [LABEL.name]: WORKLOAD.mongodb } } } },
    opts,
  );
  new k8s.core.v1.Service(
    'mongodb-service',
    { metadata: { name: WORKLOAD.mongodb, namespace: ns, labels: labels(WORKLOAD.mongodb, COMPONENT.database) }, spec: { clusterIP: 'None', selector: { [LABEL.name]: WORKLOAD.mongodb }, ports: [{ port: PORT.mongodb }] } },
    opts,
  );
  deployment(WORKLOAD.mongodbExporter, COMPONENT.database, container(WORKLOAD.mongodbExporter, 'percona/mongodb_exporter:0.47', PORT.mongodbExporter, { env: [secretEnv('MONGODB_URI', 'app-secrets')] }), { replicas: 1 });
  statefulSet(WORKLOAD.nsqlookupd, COMPONENT.queue, 3, container(WORKLOAD.nsqlookupd, 'nsqio/nsq:v1.3.0', PORT.nsqlookupdHttp, { args: ['/nsqlookupd'] }));
  statefulSet(
    WORKLOAD.nsqd,
    COMPONENT.queue,
    2,
    container(WORKLOAD.nsqd, 'nsqio/nsq:v1.3.0', PORT.nsqdHttp, { args: ['/nsqd', '--data-path=/data'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
    { name: 'data', size: '20Gi' },
  );
  deployment(WORKLOAD.nsqExporter, COMPONENT.queue, container(WORKLOAD.nsqExporter, 'lovoo/nsq_exporter:2.0.2', PORT.nsqExporter), { replicas: 1 });
  job(WORKLOAD.nsqTopics, COMPONENT.queue, { [ANNOTATION.nsqTopics]: TOPICS.join(',') });
  job(WORKLOAD.mongodbIndexes, COMPONENT.database, {
    [ANNOTATION.mongodbIndexes]: 'ocr_jobs:job_id,status,created_at,dedupe_key;enriched_documents:document_id,completeness_score;review_queue:status,created_at,document_id;cost_records:enrichment_job_id,created_at',
  });
  new k8s.batch.v1.CronJob(
    'mongodb-backup',
    {
      metadata: { name: WORKLOAD.mongodbBackup, namespace: ns, labels: labels(WORKLOAD.mongodbBackup, COMPONENT.database), annotations: { [ANNOTATION.backupRetentionDays]: '30' } },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: labels(WORKLOAD.mongodbBackup, COMPONENT.database) },
              spec: { restartPolicy: 'OnFailure', containers: [{ name: 'backup', image: 'mongo:7.0', command: ['sh', '-c', 'mongodump --archive --gzip'], env: [secretEnv('MONGODB_URI', 'app-secrets')], resources }] },
            },
          },
        },
      },
    },
    opts,
  );

  // LLM.
  statefulSet(
    WORKLOAD.ollama,
    COMPONENT.llm,
    1,
    container('ollama', 'ollama/ollama:0.12.6', PORT.ollama, {
      resources: { requests: { cpu: '2', memory: '16Gi' }, limits: { cpu: '8', memory: '48Gi', 'nvidia.com/gpu': '1' } },
      readinessProbe: httpProbe(PORT.ollama, '/api/tags'),
      livenessProbe: { tcpSocket: { port: PORT.ollama } },
      volumeMounts: [{ name: 'models', mountPath: '/root/.ollama' }],
    }),
    { name: 'models', size: '50Gi' },
  );
  new k8s.core.v1.Service('ollama-service', { metadata: { name: WORKLOAD.ollama, namespace: ns }, spec: { selector: { [LABEL.name]: WORKLOAD.ollama }, ports: [{ port: PORT.ollama }] } }, opts);
  job(WORKLOAD.ollamaModels, COMPONENT.llm, { [ANNOTATION.ollamaModels]: OLLAMA_MODELS.join(',') });
  new k8s.apps.v1.DaemonSet(
    'nvidia-device-plugin',
    {
      metadata: { name: 'nvidia-device-plugin', namespace: 'kube-system', labels: labels('nvidia-device-plugin', COMPONENT.llm) },
      spec: {
        selector: { matchLabels: { [LABEL.name]: 'nvidia-device-plugin' } },
        template: {
          metadata: { labels: labels('nvidia-device-plugin', COMPONENT.llm) },
          spec: {
            containers: [
              {
                name: 'plugin',
                image: 'nvcr.io/nvidia/k8s-device-plugin:v0.17.4',
                resources,
                livenessProbe: { exec: { command: ['test', '-S', '/var/lib/kubelet/device-plugins/nvidia-gpu.sock'] } },
                readinessProbe: { exec: { command: ['test', '-S', '/var/lib/kubelet/device-plugins/nvidia-gpu.sock'] } },
              },
            ],
          },
        },
      },
    },
    opts,
  );

  // Secrets.
  new k8s.core.v1.Secret(
    'app-secrets',
    {
      metadata: { name: 'app-secrets', namespace: ns },
      stringData: {
        MONGODB_URI: `mongodb://enrichment-app:${STRONG_SECRET}@mongodb-0.mongodb:27017/enrichment?authSource=admin`,
        MCP_JWT_SECRET: STRONG_SECRET,
        API_JWT_SECRET: `${STRONG_SECRET}-api`,
        ANTHROPIC_API_KEY: 'sk-ant-fixture-key',
      },
    },
    opts,
  );
  new k8s.core.v1.Secret(
    'mongodb-auth',
    { metadata: { name: 'mongodb-auth', namespace: ns }, data: { 'root-username': Buffer.from('root').toString('base64'), 'root-password': Buffer.from(`${STRONG_SECRET}-root`).toString('base64') } },
    opts,
  );

  // TLS.
  new k8s.apiextensions.CustomResource('selfsigned-issuer', { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'selfsigned' }, spec: { selfSigned: {} } }, opts);
  new k8s.apiextensions.CustomResource(
    'ca-certificate',
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'enrichment-ca', namespace: 'cert-manager' },
      spec: { isCA: true, commonName: 'enrichment CA', secretName: 'enrichment-ca', duration: '87600h0m0s', issuerRef: { name: 'selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
    },
    opts,
  );
  new k8s.apiextensions.CustomResource('ca-issuer', { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'enrichment-ca' }, spec: { ca: { secretName: 'enrichment-ca' } } }, opts);
  for (const [workload, host, secretName] of [
    [WORKLOAD.reviewApi, 'review.example.com', TLS_SECRET.reviewApi],
    [WORKLOAD.costApi, 'cost.example.com', TLS_SECRET.costApi],
  ] as const) {
    new k8s.apiextensions.CustomResource(
      `${workload}-certificate`,
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: workload, namespace: ns },
        spec: { secretName, dnsNames: [host], duration: '17520h0m0s', renewBefore: '1440h0m0s', issuerRef: { name: 'enrichment-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
      },
      opts,
    );
    new k8s.networking.v1.Ingress(
      `${workload}-ingress`,
      {
        metadata: {
          name: workload,
          namespace: ns,
          annotations: {
            'nginx.ingress.kubernetes.io/limit-rpm': '600',
            'nginx.ingress.kubernetes.io/enable-cors': 'true',
            'nginx.ingress.kubernetes.io/cors-allow-origin': 'https://review-ui.example.com',
          },
        },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: [host], secretName }],
          rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: workload, port: { number: 443 } } } }] } }],
        },
      },
      opts,
    );
  }

  // Network.
  for (const namespace of [NS.app, NS.monitoring]) {
    new k8s.networking.v1.NetworkPolicy(`${namespace}-default-deny`, { metadata: { name: 'default-deny-all', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }, opts);
  }
  new k8s.core.v1.Service(
    'ingress-controller',
    { metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx', annotations: { [ANNOTATION.ingressController]: 'true' } }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } },
    opts,
  );
  new k8s.helm.v3.Release(
    'ingress-nginx',
    { name: 'ingress-nginx', chart: 'ingress-nginx', namespace: 'ingress-nginx', values: { controller: { replicaCount: 2, service: { type: 'LoadBalancer' } } } },
    opts,
  );

  // Monitoring.
  const mon = NS.monitoring;
  new k8s.apps.v1.StatefulSet(
    'prometheus',
    {
      metadata: { name: WORKLOAD.prometheus, namespace: mon, labels: labels(WORKLOAD.prometheus, COMPONENT.monitoring) },
      spec: {
        serviceName: WORKLOAD.prometheus,
        replicas: 1,
        selector: { matchLabels: { [LABEL.name]: WORKLOAD.prometheus } },
        template: {
          metadata: { labels: labels(WORKLOAD.prometheus, COMPONENT.monitoring) },
          spec: {
            containers: [
              container('prometheus', 'prom/prometheus:v3.7.3', PORT.prometheus, {
                args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=30d'],
                volumeMounts: [{ name: 'data', mountPath: '/prometheus' }],
              }),
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } }],
      },
    },
    opts,
  );
  deployment(WORKLOAD.alertmanager, COMPONENT.monitoring, container('alertmanager', 'prom/alertmanager:v0.28.1', PORT.alertmanager), { replicas: 1, namespace: mon });
  deployment(
    WORKLOAD.grafana,
    COMPONENT.monitoring,
    container('grafana', 'grafana/grafana:11.6.7', PORT.grafana, {
      env: [{ name: 'GF_SECURITY_ADMIN_PASSWORD__FILE', value: '/etc/grafana/admin/admin-password' }],
      volumeMounts: [
        { name: 'admin', mountPath: '/etc/grafana/admin', readOnly: true },
        { name: 'data', mountPath: '/var/lib/grafana' },
      ],
    }),
    {
      replicas: 1,
      namespace: mon,
      volumes: [
        { name: 'admin', secret: { secretName: 'grafana-admin' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'grafana-data' } },
      ],
    },
  );
  new k8s.core.v1.PersistentVolumeClaim(
    'grafana-data',
    { metadata: { name: 'grafana-data', namespace: mon }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
    opts,
  );
  const configMap = (name: string, data: Record<string, string>) => new k8s.core.v1.ConfigMap(name, { metadata: { name, namespace: mon }, data }, opts);
  configMap('prometheus-config', { 'prometheus.yml': prometheusYaml('alertmanager.monitoring.svc:9093') });
  configMap('prometheus-rules', ruleFiles());
  configMap('alertmanager-config', { 'alertmanager.yml': alertmanagerYaml() });
  configMap('grafana-dashboards', dashboardFiles());
  configMap('grafana-datasources', { 'datasources.yaml': datasourcesYaml('http://prometheus.monitoring.svc:9090') });

  // Logging: Loki keeping 14 days.
  statefulSet(
    MONITORING_WORKLOAD.loki,
    COMPONENT.monitoring,
    1,
    container('loki', 'grafana/loki:3.5.8', 3100, {
      args: ['-config.file=/etc/loki/loki.yaml'],
      readinessProbe: httpProbe(3100, '/ready'),
      volumeMounts: [{ name: 'data', mountPath: '/loki' }],
    }),
    { name: 'data', size: '50Gi' },
    mon,
  );
  configMap('loki-config', { 'loki.yaml': lokiYaml() });
  return {};
}

// --- Docker ---

/** Declares the compliant Docker fixture (a dev-like stack). */
export function dockerProgram(): Record<string, never> {
  const provider = new docker.Provider('docker', {});
  const opts = { provider };
  const image = 'enrichment-platform:dev';
  const dockerLabels = (workload: string, component: string, extra: Record<string, string> = {}) =>
    Object.entries({ ...labels(workload, component), ...extra }).map(([label, value]) => ({ label, value }));
  const healthcheck = (port: number) => ({ tests: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/health')`], interval: '30s' });
  const volume = (name: string) => new docker.Volume(name, { name: `enrichment-${name}` }, opts);
  const upload = (key: string, content: string) => ({ file: `/run/secrets/${key}`, content });
  const base = (name: string, workload: string, component: string, port: number, extra: Partial<docker.ContainerArgs> = {}): docker.ContainerArgs => ({
    name,
    image,
    restart: 'unless-stopped',
    cpus: '0.5',
    memory: 512,
    logDriver: 'json-file',
    logOpts: { 'max-size': '10m', 'max-file': '5' },
    healthcheck: healthcheck(port),
    labels: dockerLabels(workload, component),
    ...extra,
  });

  for (const name of ['enrichment-worker-1', 'enrichment-worker-2']) {
    new docker.Container(
      name,
      base(name, WORKLOAD.worker, COMPONENT.app, PORT.workerMetrics, {
        command: ['worker'],
        envs: ['MONGODB_URI_FILE=/run/secrets/MONGODB_URI', 'ANTHROPIC_API_KEY_FILE=/run/secrets/ANTHROPIC_API_KEY', 'OLLAMA_HOST=http://ollama:11434'],
        uploads: [upload('MONGODB_URI', `mongodb://enrichment-app:${STRONG_SECRET}@mongodb:27017/enrichment`), upload('ANTHROPIC_API_KEY', 'sk-ant-fixture-key')],
      }),
      opts,
    );
  }
  for (const agent of AGENT_NAMES) {
    new docker.Container(
      agentWorkload(agent),
      base(agentWorkload(agent), agentWorkload(agent), COMPONENT.agent, PORT.agent, {
        command: ['agent', agent],
        envs: ['MCP_JWT_SECRET_FILE=/run/secrets/MCP_JWT_SECRET'],
        uploads: [upload('MCP_JWT_SECRET', STRONG_SECRET)],
      }),
      opts,
    );
  }
  for (const [workload, port] of [
    [WORKLOAD.reviewApi, PORT.reviewApi],
    [WORKLOAD.costApi, PORT.costApi],
  ] as const) {
    new docker.Container(
      workload,
      base(workload, workload, COMPONENT.api, port, {
        envs: ['API_TLS_CERT_FILE=/etc/enrichment/tls/tls.crt', 'API_TLS_KEY_FILE=/etc/enrichment/tls/tls.key', 'API_CORS_ORIGINS=http://localhost:8080', 'API_JWT_SECRET_FILE=/run/secrets/API_JWT_SECRET'],
        uploads: [
          { file: '/etc/enrichment/tls/tls.crt', content: '-----BEGIN CERTIFICATE-----' },
          { file: '/etc/enrichment/tls/tls.key', content: '-----BEGIN PRIVATE KEY-----' },
          upload('API_JWT_SECRET', `${STRONG_SECRET}-api`),
        ],
        ports: [{ internal: port, external: port, ip: '127.0.0.1' }],
        labels: dockerLabels(workload, COMPONENT.api, { [ANNOTATION.publicEndpoint]: 'true' }),
      }),
      opts,
    );
  }
  const mongoData = volume('mongodb-data');
  new docker.Container(
    WORKLOAD.mongodb,
    base(WORKLOAD.mongodb, WORKLOAD.mongodb, COMPONENT.database, PORT.mongodb, {
      image: 'mongo:7.0',
      envs: ['MONGO_INITDB_ROOT_USERNAME=root', 'MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongodb-root-password'],
      uploads: [upload('mongodb-root-password', `${STRONG_SECRET}-root`)],
      healthcheck: { tests: ['CMD', 'mongosh', '--quiet', '--eval', 'db.adminCommand("ping")'] },
      volumes: [{ volumeName: mongoData.name, containerPath: '/data/db' }],
    }),
    opts,
  );
  new docker.Container(WORKLOAD.nsqlookupd, base(WORKLOAD.nsqlookupd, WORKLOAD.nsqlookupd, COMPONENT.queue, PORT.nsqlookupdHttp, { image: 'nsqio/nsq:v1.3.0' }), opts);
  const nsqData = volume('nsqd-data');
  new docker.Container(
    WORKLOAD.nsqd,
    base(WORKLOAD.nsqd, WORKLOAD.nsqd, COMPONENT.queue, PORT.nsqdHttp, { image: 'nsqio/nsq:v1.3.0', volumes: [{ volumeName: nsqData.name, containerPath: '/data' }] }),
    opts,
  );
  const models = volume('ollama-models');
  new docker.Container(
    WORKLOAD.ollama,
    base(WORKLOAD.ollama, WORKLOAD.ollama, COMPONENT.llm, PORT.ollama, {
      image: 'ollama/ollama:0.12.6',
      healthcheck: { tests: ['CMD', 'ollama', 'list'] },
      volumes: [{ volumeName: models.name, containerPath: '/root/.ollama' }],
    }),
    opts,
  );
  new docker.Container(
    WORKLOAD.ollamaModels,
    {
      name: WORKLOAD.ollamaModels,
      image: 'ollama/ollama:0.12.6',
      restart: 'on-failure',
      mustRun: false,
      cpus: '0.5',
      memory: 256,
      logDriver: 'json-file',
      logOpts: { 'max-size': '10m', 'max-file': '5' },
      labels: dockerLabels(WORKLOAD.ollamaModels, COMPONENT.llm, { [ANNOTATION.ollamaModels]: OLLAMA_MODELS.join(',') }),
    },
    opts,
  );
  const promData = volume('prometheus-data');
  new docker.Container(
    WORKLOAD.prometheus,
    base(WORKLOAD.prometheus, WORKLOAD.prometheus, COMPONENT.monitoring, PORT.prometheus, {
      image: 'prom/prometheus:v3.7.3',
      command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=30d'],
      uploads: [
        { file: '/etc/prometheus/prometheus.yml', content: prometheusYaml('alertmanager:9093') },
        ...Object.entries(ruleFiles()).map(([file, content]) => ({ file: `/etc/prometheus/rules/${file}`, content })),
      ],
      volumes: [{ volumeName: promData.name, containerPath: '/prometheus' }],
    }),
    opts,
  );
  new docker.Container(
    WORKLOAD.alertmanager,
    base(WORKLOAD.alertmanager, WORKLOAD.alertmanager, COMPONENT.monitoring, PORT.alertmanager, {
      image: 'prom/alertmanager:v0.28.1',
      uploads: [{ file: '/etc/alertmanager/alertmanager.yml', content: alertmanagerYaml() }],
    }),
    opts,
  );
  new docker.Container(
    WORKLOAD.grafana,
    base(WORKLOAD.grafana, WORKLOAD.grafana, COMPONENT.monitoring, PORT.grafana, {
      image: 'grafana/grafana:11.6.7',
      envs: ['GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/admin-password'],
      uploads: [
        upload('admin-password', `${STRONG_SECRET}-grafana`),
        { file: '/etc/grafana/provisioning/datasources/datasources.yaml', content: datasourcesYaml('http://prometheus:9090') },
        ...Object.entries(dashboardFiles()).map(([file, content]) => ({ file: `/var/lib/grafana/dashboards/${file}`, content })),
      ],
      ports: [{ internal: PORT.grafana, external: 3000, ip: '127.0.0.1' }],
      labels: dockerLabels(WORKLOAD.grafana, COMPONENT.monitoring, { [ANNOTATION.publicEndpoint]: 'true' }),
    }),
    opts,
  );

  const lokiData = volume('loki-data');
  new docker.Container(
    MONITORING_WORKLOAD.loki,
    base(MONITORING_WORKLOAD.loki, MONITORING_WORKLOAD.loki, COMPONENT.monitoring, 3100, {
      image: 'grafana/loki:3.5.8',
      command: ['-config.file=/etc/loki/loki.yaml'],
      uploads: [{ file: '/etc/loki/loki.yaml', content: lokiYaml() }],
      volumes: [{ volumeName: lokiData.name, containerPath: '/loki' }],
    }),
    opts,
  );

  // TLS (local CA).
  const caKey = new tls.PrivateKey('ca-key', { algorithm: 'ECDSA' });
  const ca = new tls.SelfSignedCert('ca-cert', { privateKeyPem: caKey.privateKeyPem, isCaCertificate: true, validityPeriodHours: 87_600, allowedUses: ['cert_signing'] });
  const key = new tls.PrivateKey('review-api-key', { algorithm: 'ECDSA' });
  const csr = new tls.CertRequest('review-api-csr', { privateKeyPem: key.privateKeyPem, dnsNames: ['review.localhost', 'localhost'] });
  new tls.LocallySignedCert('review-api-cert', {
    certRequestPem: csr.certRequestPem,
    caPrivateKeyPem: caKey.privateKeyPem,
    caCertPem: ca.certPem,
    validityPeriodHours: 17_520,
    earlyRenewalHours: 1_440,
    allowedUses: ['server_auth'],
  });
  return {};
}

/** Plans a fixture program (under mocks, as the prod stack) and returns its resources. */
export async function planFixture(program: () => Record<string, never>): Promise<PlannedResource[]> {
  return (await planStack('prod', { program })).resources;
}
