/**
 * Monitoring (`enrichment:monitoring:Monitoring`): Prometheus, Alertmanager and Grafana, with the
 * rules of `alerts/*.rules.yml`, the Alertmanager routing of `alerts/alertmanager.ts` and the five
 * dashboards of `dashboards/index.ts`.
 *
 * Plain manifests, not kube-prometheus-stack: the Prometheus Operator would add CRDs, an operator
 * Deployment and a second way of writing scrape jobs, while this platform needs one Prometheus
 * with a fixed set of jobs. Every object is therefore visible (and policy-checked) as written here.
 *
 * Checklist Phase 9b: 9b-prom-01 (StatefulSet with a PVC), 9b-prom-02 ({@link scrapeConfigs}:
 * one job per `SCRAPE_JOBS` entry of `app/src/metrics/exporters.ts`), 9b-prom-03
 * (`--storage.tsdb.retention.time=<retentionDays>d`), 9b-prom-04 (a ConfigMap with one
 * key per rules file), 9b-prom-05, 9b-graf-01, 9b-graf-02 and 9b-graf-08 (Grafana with the five
 * dashboards and its Prometheus datasource), alert channels with credentials from Secrets
 * (mounted as files, never inline).
 *
 * Kubernetes also gets kube-state-metrics and node-exporter (unless
 * `monitoring.installClusterExporters` is false because the cluster runs them already), a
 * blackbox exporter (Ollama model probes, public API TLS probes) and the RBAC of Prometheus's
 * Kubernetes service discovery. cert-manager (installed by the Tls component) and NVIDIA's DCGM
 * exporter (part of the GPU operator, when GPUs are used) are scraped where they run.
 *
 * Docker (dev): the same Prometheus, Alertmanager, Grafana and blackbox exporter as containers,
 * configs uploaded as files, data on volumes, only Grafana published (on 127.0.0.1).
 *
 * Given the Logging component (`logging` arg), Grafana also gets its Loki datasource (checklist
 * 9b Logging: logs can be searched and analysed).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as time from '@pulumiverse/time';
import { SignJWT } from 'jose';
import { stringify as toYaml } from 'yaml';
import { buildAlertmanagerConfig, toYaml as alertmanagerToYaml } from '../../../alerts/alertmanager.js';
import { configSchema as appConfigSchema } from '../../../app/src/config.js';
import { AGENT_NAMES } from '../../../app/src/domain/fields.js';
import { SCRAPE_JOBS } from '../../../app/src/metrics/exporters.js';
import { API_JWT_ALGORITHM } from '../../../app/src/services/http/auth.js';
import { METRICS_ROLE } from '../../../app/src/services/http/service-app.js';
import { buildDashboards } from '../../../dashboards/index.js';
import type { InfraConfig } from '../config.js';
import { agentWorkload, ANNOTATION, COMPONENT, LABEL, MONITORING_PORT, MONITORING_WORKLOAD, OLLAMA_MODELS, PART_OF, PORT, WORKLOAD } from '../conventions.js';
import { endpoints } from '../endpoints.js';
import { dockerContainerNames, dockerLogging, remoteImage, secretFileUpload, wgetHealthcheck } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, podDisruptionBudget, podSecurityContext, readWriteOnceClaimSpec, secretKeyRefEnv, volumeClaimTemplate } from '../lib/kubernetes.js';
import { dockerWorkloadLabels, nameSelector, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources, type K8sResources } from '../lib/resources.js';
import type { ComponentBaseArgs, DockerTarget, KubernetesTarget, SecretRef } from '../types.js';
import type { Logging } from './logging.js';
import { SECRET_NAME, type PlatformSecrets } from './secrets.js';
import { CERT_MANAGER_NAMESPACE } from './tls.js';

/** The Pulumi type token of {@link Monitoring}. */
export const MONITORING_TYPE = 'enrichment:monitoring:Monitoring';

/** The alert rule files: every `*.rules.yml` directly in `alerts/`. */
export const ALERTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../alerts');
const RULE_FILE_RE = /\.rules\.ya?ml$/;

/** In-container paths. */
const PROM_CONFIG_DIR = '/etc/prometheus';
const PROM_RULES_DIR = '/etc/prometheus/rules';
const PROM_SECRETS_DIR = '/etc/prometheus/secrets';
const PROM_DATA_DIR = '/prometheus';
const AM_CONFIG_DIR = '/etc/alertmanager';
/** Receiver credentials as files (Alertmanager `*_file` settings). */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';
const AM_DATA_DIR = '/alertmanager';
const GRAFANA_PROVISIONING_DIR = '/etc/grafana/provisioning';
const GRAFANA_DASHBOARDS_DIR = '/etc/grafana/dashboards/enrichment';
const GRAFANA_DATA_DIR = '/var/lib/grafana';
const GRAFANA_SECRETS_DIR = '/run/secrets/grafana';
const BLACKBOX_CONFIG_DIR = '/etc/blackbox_exporter';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** File (in {@link PROM_SECRETS_DIR}) and Secret key of the metrics-role bearer token of the APIs. */
export const API_TOKEN_KEY = 'api-metrics-token';
/** Kubernetes Secret (monitoring namespace) holding {@link API_TOKEN_KEY}. */
export const API_TOKEN_SECRET = 'prometheus-api-token';
/** Lifetime of the metrics token: longer than its yearly re-issue, so a late `pulumi up` still scrapes. */
export const API_TOKEN_LIFETIME_DAYS = 400;
/** The token is re-issued (new `iat`/`exp`) when this rotation comes round. */
export const API_TOKEN_ROTATION_DAYS = 365;

/** Grafana datasource uids (the dashboards' `$datasource` variable defaults to Prometheus). */
export const DATASOURCE_UID = { prometheus: 'prometheus', alertmanager: 'alertmanager' } as const;

/** Non-root users of the upstream images. */
const NOBODY = 65534;
const GRAFANA_UID = 472;

/** The rule files, name → content, sorted by name (read at plan time). */
export function ruleFiles(dir: string = ALERTS_DIR): Record<string, string> {
  const names = readdirSync(dir)
    .filter((f) => RULE_FILE_RE.test(f))
    .sort();
  return Object.fromEntries(names.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

/** The dashboards, `<uid>.json` → JSON text, in checklist order. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(buildDashboards().map((d) => [`${d.uid}.json`, `${JSON.stringify(d.json, null, 2)}\n`]));
}

/**
 * Signs the bearer token Prometheus presents to the Review and Cost APIs' `/metrics`: an HS256 JWT
 * (`API_JWT_ALGORITHM`) with role `metrics` only (`METRICS_ROLE`: it opens `/metrics` and nothing
 * else), signed with `API_JWT_SECRET` and issued by the APIs' `API_JWT_ISSUER` default.
 *
 * Deterministic for a given secret and issue time, so an unchanged stack does not re-issue it.
 *
 * @param secret     the APIs' JWT secret.
 * @param issuedAt   issue time, Unix seconds.
 * @returns the compact JWT; expires {@link API_TOKEN_LIFETIME_DAYS} days after `issuedAt`.
 */
export async function signMetricsToken(secret: string, issuedAt: number): Promise<string> {
  const issuer = appConfigSchema.parse({}).API_JWT_ISSUER;
  return new SignJWT({ roles: [METRICS_ROLE] })
    .setProtectedHeader({ alg: API_JWT_ALGORITHM, typ: 'JWT' })
    .setSubject(WORKLOAD.prometheus)
    .setIssuer(issuer)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + API_TOKEN_LIFETIME_DAYS * 86_400)
    .sign(new TextEncoder().encode(secret));
}

/** Where Prometheus runs: the namespaces (Kubernetes) or the container names (Docker). */
export type ScrapeSite = { kind: 'kubernetes'; appNamespace: string; monitoringNamespace: string } | { kind: 'docker' };

type YamlObject = Record<string, unknown>;

/** A service in-cluster DNS name (`<name>.<ns>.svc.cluster.local`) or its Docker container name. */
function hostOf(site: ScrapeSite, name: string, namespace?: string): string {
  return site.kind === 'kubernetes' ? `${name}.${namespace ?? site.monitoringNamespace}.svc.cluster.local` : name;
}

/**
 * A job scraping the pods labelled `app.kubernetes.io/name=<workload>` (Kubernetes service
 * discovery; pods of several replicas each become a target) or fixed container names (Docker).
 */
function workloadJob(
  site: ScrapeSite,
  job: string,
  spec: {
    workload: string;
    port: number;
    /** Pod namespaces; undefined: all namespaces. */
    namespaces?: string[];
    /** Extra label selector terms (`key=value`). */
    extraSelector?: string[];
    dockerTargets: string[];
    https?: { bearerTokenFile?: string };
    metricsPath?: string;
  },
): YamlObject | undefined {
  const common: YamlObject = {
    job_name: job,
    ...(spec.metricsPath ? { metrics_path: spec.metricsPath } : {}),
    ...(spec.https
      ? {
          scheme: 'https',
          // Targets are pod IPs and container names; the certificates name the public hosts and
          // come from a private CA that is not mounted here. The token opens /metrics only.
          tls_config: { insecure_skip_verify: true },
          ...(spec.https.bearerTokenFile ? { authorization: { type: 'Bearer', credentials_file: spec.https.bearerTokenFile } } : {}),
        }
      : {}),
  };
  if (site.kind === 'docker') {
    if (spec.dockerTargets.length === 0) return undefined;
    return { ...common, static_configs: [{ targets: spec.dockerTargets.map((t) => `${t}:${spec.port}`) }] };
  }
  const selector = [`${LABEL.name}=${spec.workload}`, ...(spec.extraSelector ?? [])].join(',');
  return {
    ...common,
    kubernetes_sd_configs: [
      {
        role: 'pod',
        ...(spec.namespaces ? { namespaces: { names: spec.namespaces } } : {}),
        selectors: [{ role: 'pod', label: selector }],
      },
    ],
    relabel_configs: podRelabel(spec.port),
  };
}

/**
 * Relabelling of a pod target: running pods only, address `<pod IP>:<port>` (one target per pod
 * whatever the declared container ports: identical targets are merged by Prometheus), and the
 * `namespace` and `pod` labels. No `service` label: the API metrics carry their own.
 */
function podRelabel(port: number): YamlObject[] {
  return [
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed|Unknown', action: 'drop' },
    { source_labels: ['__meta_kubernetes_pod_ip'], regex: '(.+)', target_label: '__address__', replacement: `$1:${port}` },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
  ];
}

/** Blackbox module name of the model probe of one Ollama model. */
export function ollamaModelModule(model: string): string {
  return `ollama_model_${model.replace(/[^A-Za-z0-9_]/g, '_')}`;
}
/** Blackbox module of the public HTTPS probes. */
const HTTPS_HEALTH_MODULE = 'https_health';

/** A blackbox probe job: each target becomes `?target=<url>&module=<module>` on the exporter. */
function probeJob(site: ScrapeSite, job: string, groups: { targets: string[]; labels: Record<string, string> }[]): YamlObject {
  return {
    job_name: job,
    metrics_path: '/probe',
    static_configs: groups,
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: `${hostOf(site, MONITORING_WORKLOAD.blackboxExporter)}:${MONITORING_PORT.blackboxExporter}` },
    ],
  };
}

/**
 * Every Prometheus scrape job of the stack, one per entry of `SCRAPE_JOBS`
 * (`app/src/metrics/exporters.ts`, the jobs the alert rules name) plus the own metrics of Grafana,
 * the blackbox exporter, and the Logging component's Loki and Alloy. On Docker the cluster-only
 * jobs (kube-state-metrics, node-exporter, kubelet, cert-manager, DCGM) do not exist.
 *
 * @param config the stack config (replicas, GPU, hosts, models).
 * @param site   namespaces (Kubernetes) or Docker.
 * @returns `scrape_configs` entries, `job_name` unique.
 */
export function scrapeConfigs(config: InfraConfig, site: ScrapeSite): YamlObject[] {
  const app = site.kind === 'kubernetes' ? [site.appNamespace] : undefined;
  const mon = site.kind === 'kubernetes' ? [site.monitoringNamespace] : undefined;
  const token = { bearerTokenFile: `${PROM_SECRETS_DIR}/${API_TOKEN_KEY}` };
  const ollamaTags = `${endpoints(config, site.kind === 'kubernetes' ? site.appNamespace : undefined).ollamaUrl}/api/tags`;
  const apiProbeTargets =
    site.kind === 'kubernetes'
      ? { [WORKLOAD.reviewApi]: `https://${config.apis.reviewHost}/health`, [WORKLOAD.costApi]: `https://${config.apis.costHost}/health` }
      : { [WORKLOAD.reviewApi]: `https://${WORKLOAD.reviewApi}:${PORT.reviewApi}/health`, [WORKLOAD.costApi]: `https://${WORKLOAD.costApi}:${PORT.costApi}/health` };

  const jobs: (YamlObject | undefined)[] = [
    { job_name: SCRAPE_JOBS.prometheus, static_configs: [{ targets: [`localhost:${PORT.prometheus}`] }] },
    workloadJob(site, SCRAPE_JOBS.alertmanager, { workload: WORKLOAD.alertmanager, port: PORT.alertmanager, namespaces: mon, dockerTargets: [WORKLOAD.alertmanager] }),
    workloadJob(site, WORKLOAD.grafana, { workload: WORKLOAD.grafana, port: PORT.grafana, namespaces: mon, dockerTargets: [WORKLOAD.grafana] }),
    workloadJob(site, MONITORING_WORKLOAD.blackboxExporter, {
      workload: MONITORING_WORKLOAD.blackboxExporter,
      port: MONITORING_PORT.blackboxExporter,
      namespaces: mon,
      dockerTargets: [MONITORING_WORKLOAD.blackboxExporter],
    }),
    // The Logging component's Loki and collectors: a collector down means logs stop arriving
    // (PrometheusTargetDown).
    workloadJob(site, MONITORING_WORKLOAD.loki, { workload: MONITORING_WORKLOAD.loki, port: MONITORING_PORT.loki, namespaces: mon, dockerTargets: [MONITORING_WORKLOAD.loki] }),
    workloadJob(site, MONITORING_WORKLOAD.logCollector, {
      workload: MONITORING_WORKLOAD.logCollector,
      port: MONITORING_PORT.logCollector,
      namespaces: mon,
      dockerTargets: [MONITORING_WORKLOAD.logCollector],
    }),
    workloadJob(site, SCRAPE_JOBS.worker, {
      workload: WORKLOAD.worker,
      port: PORT.workerMetrics,
      namespaces: app,
      dockerTargets: dockerContainerNames(WORKLOAD.worker, config.worker.replicas),
    }),
    ...AGENT_NAMES.map((agent) =>
      workloadJob(site, agentWorkload(agent), {
        workload: agentWorkload(agent),
        port: PORT.agent,
        namespaces: app,
        dockerTargets: dockerContainerNames(agentWorkload(agent), config.agents.replicas),
      }),
    ),
    workloadJob(site, SCRAPE_JOBS.reviewApi, {
      workload: WORKLOAD.reviewApi,
      port: PORT.reviewApi,
      namespaces: app,
      dockerTargets: dockerContainerNames(WORKLOAD.reviewApi, config.apis.replicas),
      https: token,
    }),
    workloadJob(site, SCRAPE_JOBS.costApi, {
      workload: WORKLOAD.costApi,
      port: PORT.costApi,
      namespaces: app,
      dockerTargets: dockerContainerNames(WORKLOAD.costApi, config.apis.replicas),
      https: token,
    }),
    workloadJob(site, SCRAPE_JOBS.mongodbExporter, {
      workload: WORKLOAD.mongodbExporter,
      port: PORT.mongodbExporter,
      namespaces: app,
      dockerTargets: [WORKLOAD.mongodbExporter],
    }),
    workloadJob(site, SCRAPE_JOBS.nsqExporter, {
      workload: WORKLOAD.nsqExporter,
      port: PORT.nsqExporter,
      namespaces: app,
      // One exporter per nsqd (`nsqd-1` → `nsq-exporter-1`; see the Nsq component).
      dockerTargets: endpoints(config).nsqExportersHttp.map((address) => address.split(':')[0]!),
    }),
    probeJob(
      site,
      SCRAPE_JOBS.ollamaModelProbe,
      OLLAMA_MODELS.map((model) => ({ targets: [ollamaTags], labels: { model, __param_module: ollamaModelModule(model) } })),
    ),
    probeJob(
      site,
      SCRAPE_JOBS.apiTlsProbe,
      Object.entries(apiProbeTargets).map(([service, url]) => ({ targets: [url], labels: { service, __param_module: HTTPS_HEALTH_MODULE } })),
    ),
  ];
  if (site.kind === 'kubernetes') {
    // Cluster components, found by label in whatever namespace they run.
    jobs.push(
      workloadJob(site, SCRAPE_JOBS.kubeStateMetrics, { workload: MONITORING_WORKLOAD.kubeStateMetrics, port: MONITORING_PORT.kubeStateMetrics, dockerTargets: [] }),
      {
        ...workloadJob(site, SCRAPE_JOBS.nodeExporter, { workload: MONITORING_WORKLOAD.nodeExporter, port: MONITORING_PORT.nodeExporter, dockerTargets: [] }),
        // hostNetwork pods: the pod IP is the node's; name the instance after the node.
        relabel_configs: [...podRelabel(MONITORING_PORT.nodeExporter), { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'instance' }],
      },
      {
        job_name: SCRAPE_JOBS.kubelet,
        scheme: 'https',
        // Kubelet serving certificates are often self-signed per node.
        tls_config: { ca_file: `${SA_DIR}/ca.crt`, insecure_skip_verify: true },
        authorization: { type: 'Bearer', credentials_file: `${SA_DIR}/token` },
        kubernetes_sd_configs: [{ role: 'node' }],
        relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }],
      },
      workloadJob(site, SCRAPE_JOBS.certManager, {
        workload: 'cert-manager',
        extraSelector: [`${LABEL.component}=controller`],
        port: MONITORING_PORT.certManager,
        namespaces: [CERT_MANAGER_NAMESPACE],
        dockerTargets: [],
      }),
    );
    if (config.ollama.gpu.enabled) {
      // The GPU operator labels its exporter `app=nvidia-dcgm-exporter`; the standalone chart
      // `app.kubernetes.io/name=dcgm-exporter`.
      jobs.push({
        job_name: SCRAPE_JOBS.dcgmExporter,
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          {
            source_labels: ['__meta_kubernetes_pod_label_app', '__meta_kubernetes_pod_label_app_kubernetes_io_name'],
            separator: ';',
            regex: 'nvidia-dcgm-exporter;.*|.*;dcgm-exporter',
            action: 'keep',
          },
          ...podRelabel(MONITORING_PORT.dcgmExporter),
        ],
      });
    }
  }
  return jobs.filter((j): j is YamlObject => j !== undefined);
}

/**
 * `prometheus.yml`: global intervals, the rule files, Alertmanager, and {@link scrapeConfigs}.
 *
 * @param config the stack config (`monitoring.scrapeIntervalSeconds`).
 * @param stack  the stack name, set as external label `stack` on every alert and series sent out.
 * @param site   namespaces (Kubernetes) or Docker.
 */
export function prometheusConfig(config: InfraConfig, stack: string, site: ScrapeSite): YamlObject {
  const interval = `${config.monitoring.scrapeIntervalSeconds}s`;
  return {
    global: { scrape_interval: interval, evaluation_interval: interval, external_labels: { stack } },
    rule_files: [`${PROM_RULES_DIR}/*.rules.yml`],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`${hostOf(site, WORKLOAD.alertmanager)}:${PORT.alertmanager}`] }] }] },
    scrape_configs: scrapeConfigs(config, site),
  };
}

/** `blackbox.yml`: one module per required Ollama model, and the public HTTPS `/health` module. */
export function blackboxConfig(models: readonly string[] = OLLAMA_MODELS): YamlObject {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    modules: {
      ...Object.fromEntries(
        models.map((model) => [
          ollamaModelModule(model),
          {
            prober: 'http',
            timeout: '10s',
            http: {
              method: 'GET',
              valid_status_codes: [200],
              // /api/tags lists `"name":"<model>:<tag>"`; an untagged pull is `:latest`.
              fail_if_body_not_matches_regexp: [`"name":"${escape(model)}(:[^"]*)?"`],
            },
          },
        ]),
      ),
      [HTTPS_HEALTH_MODULE]: {
        prober: 'http',
        timeout: '10s',
        http: {
          method: 'GET',
          valid_status_codes: [200],
          fail_if_not_ssl: true,
          // Our own CA signs the certificates; the probe checks reachability, status and expiry
          // (probe_ssl_earliest_cert_expiry is recorded without verification).
          tls_config: { insecure_skip_verify: true },
        },
      },
    },
  };
}

/** One entry of Grafana's datasource provisioning file (`datasources[]`). */
export interface GrafanaDatasource {
  name: string;
  uid: string;
  /** Plugin id: `prometheus`, `alertmanager`, `loki`. */
  type: string;
  access: 'proxy';
  url: string;
  isDefault?: boolean;
  editable: boolean;
  jsonData?: Record<string, unknown>;
}

/**
 * Grafana provisioning: the datasources and the dashboard provider, as YAML texts.
 *
 * @param extraDatasources datasources of other components, after Prometheus and Alertmanager
 *                         (the Logging component's Loki).
 */
export function grafanaProvisioning(
  prometheusUrl: string,
  alertmanagerUrl: string,
  scrapeIntervalSeconds: number,
  extraDatasources: readonly GrafanaDatasource[] = [],
): { datasources: string; dashboards: string } {
  return {
    datasources: toYaml({
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          uid: DATASOURCE_UID.prometheus,
          type: 'prometheus',
          access: 'proxy',
          url: prometheusUrl,
          isDefault: true,
          editable: false,
          jsonData: { timeInterval: `${scrapeIntervalSeconds}s` },
        },
        {
          name: 'Alertmanager',
          uid: DATASOURCE_UID.alertmanager,
          type: 'alertmanager',
          access: 'proxy',
          url: alertmanagerUrl,
          editable: false,
          jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
        },
        ...extraDatasources,
      ],
    }),
    dashboards: toYaml({
      apiVersion: 1,
      providers: [
        {
          name: PART_OF,
          folder: 'Enrichment Platform',
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 60,
          options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: false },
        },
      ],
    }),
  };
}

/** The receiver credential files Alertmanager reads, by config key; undefined refs are left out. */
function receiverSecrets(secrets: MonitoringSecrets): { smtpPassword?: SecretRef; slackWebhookUrl?: SecretRef; pagerdutyRoutingKey?: SecretRef } {
  const { smtpPassword, slackWebhookUrl, pagerdutyRoutingKey } = secrets.refs;
  return {
    ...(smtpPassword ? { smtpPassword } : {}),
    ...(slackWebhookUrl ? { slackWebhookUrl } : {}),
    ...(pagerdutyRoutingKey ? { pagerdutyRoutingKey } : {}),
  };
}

/**
 * `alertmanager.yml` from `buildAlertmanagerConfig` (alerts/alertmanager.ts), fed from
 * `monitoring.alerting`: email always; SMTP auth, Slack and PagerDuty when their credential is
 * configured (`smtpPassword`, `slackWebhookUrl`, `pagerdutyRoutingKey` stack secrets). Credentials
 * are file paths under {@link ALERTMANAGER_SECRETS_DIR}, where the receivers Secret is mounted.
 *
 * @throws z.ZodError (from the builder) when the alerting config is invalid.
 */
export function alertmanagerYaml(config: InfraConfig, secrets: MonitoringSecrets): string {
  const { smtpPassword, slackWebhookUrl, pagerdutyRoutingKey } = receiverSecrets(secrets);
  const file = (ref: SecretRef) => `${ALERTMANAGER_SECRETS_DIR}/${ref.key}`;
  const a = config.monitoring.alerting;
  const built = buildAlertmanagerConfig({
    email: {
      to: [a.emailTo],
      from: a.emailFrom,
      smarthost: a.smtpSmarthost,
      // The builder needs username and password file together; without a password the relay is used unauthenticated.
      ...(smtpPassword && a.smtpUsername ? { authUsername: a.smtpUsername, authPasswordFile: file(smtpPassword) } : {}),
    },
    ...(slackWebhookUrl ? { slack: { channel: a.slackChannel, apiUrlFile: file(slackWebhookUrl) } } : {}),
    ...(pagerdutyRoutingKey ? { pagerduty: { routingKeyFile: file(pagerdutyRoutingKey) } } : {}),
  });
  return alertmanagerToYaml(built);
}

/** Short content hash, set as a pod annotation so that a config change rolls the pods. */
function checksum(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** The secrets Monitoring reads (a {@link PlatformSecrets}, or a stand-in in tests). */
export type MonitoringSecrets = Pick<PlatformSecrets, 'refs' | 'secrets'>;

export interface MonitoringArgs extends ComponentBaseArgs {
  /** Receiver credentials, Grafana admin login, and the APIs' JWT secret (metrics token). */
  secrets: MonitoringSecrets;
  /** The Logging component: its Loki datasource is provisioned in Grafana beside Prometheus. */
  logging?: Pick<Logging, 'grafanaDatasource'>;
}

/**
 * Deploys Prometheus, Alertmanager, Grafana and the exporters of the stack's target.
 *
 * Output {@link grafanaUrl}: Kubernetes `http://grafana.<ns>.svc.cluster.local:3000` (reach it
 * with `kubectl port-forward`; no Ingress: only the APIs are public); Docker
 * `http://localhost:<grafanaHostPort>`.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly grafanaUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MONITORING_TYPE, name, {}, opts);
    const { target, secrets } = args;
    // Re-issued yearly (the Rotating resource is replaced after its rotation time) and whenever
    // the APIs' JWT secret changes.
    const rotation = new time.Rotating(`${name}-api-token-rotation`, { rotationDays: API_TOKEN_ROTATION_DAYS }, { parent: this });
    const apiToken = pulumi.secret(
      pulumi.all([secrets.refs.apiJwtSecret.value, rotation.unix]).apply(([secret, issuedAt]) => signMetricsToken(secret, issuedAt)),
    );
    if (target.kind === 'kubernetes') {
      this.grafanaUrl = this.deployKubernetes(name, args, target, apiToken);
    } else {
      this.grafanaUrl = this.deployDocker(name, args, target, apiToken);
    }
    this.registerOutputs({ grafanaUrl: this.grafanaUrl });
  }

  private deployKubernetes(name: string, args: MonitoringArgs, target: KubernetesTarget, apiToken: pulumi.Output<string>): pulumi.Output<string> {
    const { config, secrets, stack } = args;
    const ns = target.monitoringNamespace;
    const opts = { parent: this, provider: target.provider, dependsOn: target.namespaces };
    const workloadOpts = { ...opts, dependsOn: [...target.namespaces, ...secrets.secrets] };
    const labels = (workload: string) => workloadLabels(workload, COMPONENT.monitoring);
    const selector = (workload: string) => ({ matchLabels: nameSelector(workload) });
    const resources = k8sResources(config.monitoring.resources);
    const exporterResources = k8sResources(config.monitoring.exporterResources);
    const containerSecurity = (readOnlyRootFilesystem: boolean) => containerSecurityContext({ readOnlyRootFilesystem, runAsNonRoot: true });
    const httpProbe = (urlPath: string, port: number | string, periodSeconds: number, failureThreshold: number, initialDelaySeconds = 0) =>
      httpGetProbe({ path: urlPath, port }, { initialDelaySeconds, periodSeconds, failureThreshold });
    const pdb = (workload: string) =>
      podDisruptionBudget(`${name}-${workload}-pdb`, { name: workload, namespace: ns, labels: labels(workload) }, nameSelector(workload), opts);
    const service = (workload: string, port: number, headless: boolean) =>
      new k8s.core.v1.Service(
        `${name}-${workload}-service`,
        {
          metadata: { name: workload, namespace: ns, labels: labels(workload) },
          spec: {
            type: 'ClusterIP',
            ...(headless ? { clusterIP: 'None' } : {}),
            selector: nameSelector(workload),
            ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }],
          },
        },
        opts,
      );
    const configMap = (cmName: string, workload: string, data: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
      new k8s.core.v1.ConfigMap(`${name}-${cmName}`, { metadata: { name: cmName, namespace: ns, labels: labels(workload) }, data }, opts);

    // --- Prometheus: RBAC for Kubernetes service discovery and the kubelet job ---
    const promName = WORKLOAD.prometheus;
    const promAccount = new k8s.core.v1.ServiceAccount(`${name}-prometheus-sa`, { metadata: { name: promName, namespace: ns, labels: labels(promName) } }, opts);
    const clusterRoleName = `${PART_OF}-prometheus`;
    new k8s.rbac.v1.ClusterRole(
      `${name}-prometheus-clusterrole`,
      {
        metadata: { name: clusterRoleName, labels: labels(promName) },
        rules: [
          { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
          { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        ],
      },
      { parent: this, provider: target.provider },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-prometheus-clusterrolebinding`,
      {
        metadata: { name: clusterRoleName, labels: labels(promName) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
        subjects: [{ kind: 'ServiceAccount', name: promName, namespace: ns }],
      },
      opts,
    );

    const site: ScrapeSite = { kind: 'kubernetes', appNamespace: target.namespace, monitoringNamespace: ns };
    const promYaml = toYaml(prometheusConfig(config, stack, site));
    const rules = ruleFiles();
    configMap('prometheus-config', promName, { 'prometheus.yml': promYaml });
    configMap('prometheus-rules', promName, rules);
    new k8s.core.v1.Secret(
      `${name}-${API_TOKEN_SECRET}`,
      {
        metadata: { name: API_TOKEN_SECRET, namespace: ns, labels: labels(promName) },
        type: 'Opaque',
        stringData: { [API_TOKEN_KEY]: apiToken },
      },
      { ...opts, additionalSecretOutputs: ['data', 'stringData'] },
    );
    new k8s.apps.v1.StatefulSet(
      `${name}-prometheus`,
      {
        metadata: { name: promName, namespace: ns, labels: labels(promName) },
        spec: {
          replicas: 1,
          serviceName: promName,
          selector: selector(promName),
          template: {
            metadata: { labels: labels(promName), annotations: { 'checksum/config': checksum(promYaml, ...Object.values(rules)) } },
            spec: {
              serviceAccountName: promAccount.metadata.name,
              securityContext: podSecurityContext(NOBODY),
              terminationGracePeriodSeconds: 120,
              containers: [
                {
                  name: promName,
                  image: config.monitoring.prometheusImage,
                  args: [
                    `--config.file=${PROM_CONFIG_DIR}/prometheus.yml`,
                    `--storage.tsdb.path=${PROM_DATA_DIR}`,
                    `--storage.tsdb.retention.time=${config.monitoring.retentionDays}d`,
                  ],
                  ports: [{ name: 'http', containerPort: PORT.prometheus, protocol: 'TCP' }],
                  resources,
                  // A large TSDB replays its WAL for minutes after a restart: the startup probe waits.
                  startupProbe: httpProbe('/-/ready', PORT.prometheus, 10, 60),
                  readinessProbe: httpProbe('/-/ready', PORT.prometheus, 10, 3),
                  livenessProbe: httpProbe('/-/healthy', PORT.prometheus, 20, 3),
                  securityContext: containerSecurity(true),
                  volumeMounts: [
                    { name: 'config', mountPath: PROM_CONFIG_DIR, readOnly: true },
                    { name: 'rules', mountPath: PROM_RULES_DIR, readOnly: true },
                    { name: 'api-token', mountPath: PROM_SECRETS_DIR, readOnly: true },
                    { name: 'data', mountPath: PROM_DATA_DIR },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'prometheus-config' } },
                { name: 'rules', configMap: { name: 'prometheus-rules' } },
                { name: 'api-token', secret: { secretName: API_TOKEN_SECRET, defaultMode: 0o440 } },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaimTemplate('data', labels(promName), config.monitoring.storageSize)],
        },
      },
      workloadOpts,
    );
    service(promName, PORT.prometheus, true);
    pdb(promName);

    // --- Alertmanager ---
    const amName = WORKLOAD.alertmanager;
    const amYaml = alertmanagerYaml(config, secrets);
    configMap('alertmanager-config', amName, { 'alertmanager.yml': amYaml });
    new k8s.apps.v1.StatefulSet(
      `${name}-alertmanager`,
      {
        metadata: { name: amName, namespace: ns, labels: labels(amName) },
        spec: {
          replicas: 1,
          serviceName: amName,
          selector: selector(amName),
          template: {
            metadata: { labels: labels(amName), annotations: { 'checksum/config': checksum(amYaml) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(NOBODY),
              containers: [
                {
                  name: amName,
                  image: config.monitoring.alertmanagerImage,
                  args: [
                    `--config.file=${AM_CONFIG_DIR}/alertmanager.yml`,
                    `--storage.path=${AM_DATA_DIR}`,
                    // One replica: no gossip cluster.
                    '--cluster.listen-address=',
                  ],
                  ports: [{ name: 'http', containerPort: PORT.alertmanager, protocol: 'TCP' }],
                  resources,
                  readinessProbe: httpProbe('/-/ready', PORT.alertmanager, 10, 3, 5),
                  livenessProbe: httpProbe('/-/healthy', PORT.alertmanager, 20, 3, 10),
                  securityContext: containerSecurity(true),
                  volumeMounts: [
                    { name: 'config', mountPath: AM_CONFIG_DIR, readOnly: true },
                    { name: 'receivers', mountPath: ALERTMANAGER_SECRETS_DIR, readOnly: true },
                    { name: 'data', mountPath: AM_DATA_DIR },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'alertmanager-config' } },
                // Receiver credentials (SMTP password, Slack webhook, PagerDuty key) as files.
                {
                  name: 'receivers',
                  secret: { secretName: SECRET_NAME.alertmanagerReceivers, defaultMode: 0o440 },
                },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaimTemplate('data', labels(amName), config.monitoring.alertmanagerStorageSize)],
        },
      },
      workloadOpts,
    );
    service(amName, PORT.alertmanager, true);
    pdb(amName);

    // --- Grafana ---
    const grafanaName = WORKLOAD.grafana;
    const provisioning = grafanaProvisioning(
      `http://${hostOf(site, promName)}:${PORT.prometheus}`,
      `http://${hostOf(site, amName)}:${PORT.alertmanager}`,
      config.monitoring.scrapeIntervalSeconds,
      args.logging ? [args.logging.grafanaDatasource] : [],
    );
    const dashboards = dashboardFiles();
    configMap('grafana-datasources', grafanaName, { 'datasources.yaml': provisioning.datasources });
    configMap('grafana-dashboard-provider', grafanaName, { 'dashboards.yaml': provisioning.dashboards });
    configMap('grafana-dashboards', grafanaName, dashboards);
    new k8s.core.v1.PersistentVolumeClaim(
      `${name}-grafana-data`,
      {
        metadata: { name: 'grafana-data', namespace: ns, labels: labels(grafanaName) },
        spec: readWriteOnceClaimSpec(config.monitoring.grafanaStorageSize),
      },
      opts,
    );
    new k8s.apps.v1.Deployment(
      `${name}-grafana`,
      {
        metadata: { name: grafanaName, namespace: ns, labels: labels(grafanaName) },
        spec: {
          replicas: 1,
          selector: selector(grafanaName),
          // One ReadWriteOnce volume: the old pod must let go before the new one starts.
          strategy: { type: 'Recreate' },
          template: {
            metadata: {
              labels: labels(grafanaName),
              annotations: { 'checksum/config': checksum(provisioning.datasources, provisioning.dashboards, ...Object.values(dashboards)) },
            },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(GRAFANA_UID),
              containers: [
                {
                  name: grafanaName,
                  image: config.monitoring.grafanaImage,
                  ports: [{ name: 'http', containerPort: PORT.grafana, protocol: 'TCP' }],
                  env: [
                    secretKeyRefEnv('GF_SECURITY_ADMIN_USER', secrets.refs.grafanaAdminUser),
                    secretKeyRefEnv('GF_SECURITY_ADMIN_PASSWORD', secrets.refs.grafanaAdminPassword),
                    ...grafanaEnv(),
                  ],
                  resources,
                  readinessProbe: httpProbe('/api/health', PORT.grafana, 10, 3, 10),
                  livenessProbe: httpProbe('/api/health', PORT.grafana, 20, 6, 60),
                  // Grafana writes plugins and caches outside its data directory.
                  securityContext: containerSecurity(false),
                  volumeMounts: [
                    { name: 'data', mountPath: GRAFANA_DATA_DIR },
                    { name: 'datasources', mountPath: `${GRAFANA_PROVISIONING_DIR}/datasources`, readOnly: true },
                    { name: 'dashboard-provider', mountPath: `${GRAFANA_PROVISIONING_DIR}/dashboards`, readOnly: true },
                    { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: 'data', persistentVolumeClaim: { claimName: 'grafana-data' } },
                { name: 'datasources', configMap: { name: 'grafana-datasources' } },
                { name: 'dashboard-provider', configMap: { name: 'grafana-dashboard-provider' } },
                { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
              ],
            },
          },
        },
      },
      workloadOpts,
    );
    service(grafanaName, PORT.grafana, false);
    pdb(grafanaName);

    // --- blackbox exporter: Ollama model probes, public API probes ---
    const bbName = MONITORING_WORKLOAD.blackboxExporter;
    const bbYaml = toYaml(blackboxConfig());
    configMap('blackbox-exporter-config', bbName, { 'blackbox.yml': bbYaml });
    new k8s.apps.v1.Deployment(
      `${name}-blackbox-exporter`,
      {
        metadata: { name: bbName, namespace: ns, labels: labels(bbName) },
        spec: {
          replicas: 1,
          selector: selector(bbName),
          template: {
            metadata: { labels: labels(bbName), annotations: { 'checksum/config': checksum(bbYaml) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(NOBODY),
              containers: [
                {
                  name: bbName,
                  image: config.monitoring.blackboxExporterImage,
                  args: [`--config.file=${BLACKBOX_CONFIG_DIR}/blackbox.yml`],
                  ports: [{ name: 'http', containerPort: MONITORING_PORT.blackboxExporter, protocol: 'TCP' }],
                  resources: exporterResources,
                  readinessProbe: httpProbe('/-/healthy', MONITORING_PORT.blackboxExporter, 10, 3),
                  livenessProbe: httpProbe('/-/healthy', MONITORING_PORT.blackboxExporter, 20, 3, 10),
                  securityContext: containerSecurity(true),
                  volumeMounts: [{ name: 'config', mountPath: BLACKBOX_CONFIG_DIR, readOnly: true }],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: 'blackbox-exporter-config' } }],
            },
          },
        },
      },
      opts,
    );
    service(bbName, MONITORING_PORT.blackboxExporter, false);
    pdb(bbName);

    if (config.monitoring.installClusterExporters) this.deployClusterExporters(name, config, target, exporterResources);

    return pulumi.output(`http://${hostOf(site, grafanaName)}:${PORT.grafana}`);
  }

  /** kube-state-metrics (Deployment, read-only RBAC) and node-exporter (DaemonSet on every node). */
  private deployClusterExporters(name: string, config: InfraConfig, target: KubernetesTarget, resources: K8sResources): void {
    const ns = target.monitoringNamespace;
    const opts = { parent: this, provider: target.provider, dependsOn: target.namespaces };
    const ksm = MONITORING_WORKLOAD.kubeStateMetrics;
    const ksmLabels = workloadLabels(ksm, COMPONENT.monitoring);
    const ksmRole = `${PART_OF}-kube-state-metrics`;
    // Only the object kinds the alert rules read (app/src/metrics/exporters.ts), so the RBAC stays narrow.
    const ksmResources = {
      '': ['pods', 'secrets', 'nodes', 'persistentvolumeclaims'],
      apps: ['deployments', 'statefulsets', 'daemonsets'],
      batch: ['cronjobs', 'jobs'],
      autoscaling: ['horizontalpodautoscalers'],
      policy: ['poddisruptionbudgets'],
    };
    new k8s.core.v1.ServiceAccount(`${name}-kube-state-metrics-sa`, { metadata: { name: ksm, namespace: ns, labels: ksmLabels } }, opts);
    new k8s.rbac.v1.ClusterRole(
      `${name}-kube-state-metrics-clusterrole`,
      {
        metadata: { name: ksmRole, labels: ksmLabels },
        rules: Object.entries(ksmResources).map(([group, kinds]) => ({ apiGroups: [group], resources: kinds, verbs: ['list', 'watch'] })),
      },
      { parent: this, provider: target.provider },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-kube-state-metrics-clusterrolebinding`,
      {
        metadata: { name: ksmRole, labels: ksmLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ksmRole },
        subjects: [{ kind: 'ServiceAccount', name: ksm, namespace: ns }],
      },
      opts,
    );
    const secure = containerSecurityContext({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    const podSecurity = podSecurityContext(NOBODY, { fsGroup: false });
    const probe = (urlPath: string, port: number, periodSeconds: number) => httpGetProbe({ path: urlPath, port }, { initialDelaySeconds: 5, periodSeconds });
    new k8s.apps.v1.Deployment(
      `${name}-kube-state-metrics`,
      {
        metadata: { name: ksm, namespace: ns, labels: ksmLabels },
        spec: {
          replicas: 1,
          selector: { matchLabels: nameSelector(ksm) },
          template: {
            metadata: { labels: ksmLabels },
            spec: {
              serviceAccountName: ksm,
              securityContext: podSecurity,
              containers: [
                {
                  name: ksm,
                  image: config.monitoring.kubeStateMetricsImage,
                  args: [
                    `--port=${MONITORING_PORT.kubeStateMetrics}`,
                    `--telemetry-port=${MONITORING_PORT.kubeStateMetricsTelemetry}`,
                    `--resources=${Object.values(ksmResources).flat().join(',')}`,
                  ],
                  ports: [
                    { name: 'http-metrics', containerPort: MONITORING_PORT.kubeStateMetrics, protocol: 'TCP' },
                    { name: 'telemetry', containerPort: MONITORING_PORT.kubeStateMetricsTelemetry, protocol: 'TCP' },
                  ],
                  resources,
                  livenessProbe: probe('/livez', MONITORING_PORT.kubeStateMetrics, 20),
                  readinessProbe: probe('/readyz', MONITORING_PORT.kubeStateMetricsTelemetry, 10),
                  securityContext: secure,
                },
              ],
            },
          },
        },
      },
      opts,
    );
    podDisruptionBudget(`${name}-kube-state-metrics-pdb`, { name: ksm, namespace: ns, labels: ksmLabels }, nameSelector(ksm), opts);

    const ne = MONITORING_WORKLOAD.nodeExporter;
    const neLabels = workloadLabels(ne, COMPONENT.monitoring);
    const host = (volume: string, hostPath: string, mountPath: string) => ({
      volume: { name: volume, hostPath: { path: hostPath } },
      mount: { name: volume, mountPath, readOnly: true, mountPropagation: 'HostToContainer' },
    });
    const hostMounts = [host('proc', '/proc', '/host/proc'), host('sys', '/sys', '/host/sys'), host('root', '/', '/host/root')];
    new k8s.apps.v1.DaemonSet(
      `${name}-node-exporter`,
      {
        metadata: { name: ne, namespace: ns, labels: neLabels },
        spec: {
          selector: { matchLabels: nameSelector(ne) },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: neLabels },
            spec: {
              automountServiceAccountToken: false,
              // Node metrics need the host's view of its filesystems and network.
              hostNetwork: true,
              hostPID: true,
              securityContext: podSecurity,
              // Every node, GPU pool included.
              tolerations: [{ operator: 'Exists' }],
              containers: [
                {
                  name: ne,
                  image: config.monitoring.nodeExporterImage,
                  args: [
                    '--path.procfs=/host/proc',
                    '--path.sysfs=/host/sys',
                    '--path.rootfs=/host/root',
                    `--web.listen-address=:${MONITORING_PORT.nodeExporter}`,
                    '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/pods/.+)($|/)',
                  ],
                  ports: [{ name: 'http-metrics', containerPort: MONITORING_PORT.nodeExporter, protocol: 'TCP' }],
                  resources,
                  livenessProbe: probe('/', MONITORING_PORT.nodeExporter, 20),
                  readinessProbe: probe('/', MONITORING_PORT.nodeExporter, 10),
                  securityContext: secure,
                  volumeMounts: hostMounts.map((m) => m.mount),
                },
              ],
              volumes: hostMounts.map((m) => m.volume),
            },
          },
        },
      },
      opts,
    );
  }

  private deployDocker(name: string, args: MonitoringArgs, target: DockerTarget, apiToken: pulumi.Output<string>): pulumi.Output<string> {
    const { config, secrets, stack } = args;
    const opts = { parent: this, provider: target.provider };
    const limits = (r: InfraConfig['monitoring']['resources']) => dockerLimits(r, { reserveMemory: true });
    const labels = (workload: string, extra: Record<string, string> = {}) => dockerWorkloadLabels(workload, COMPONENT.monitoring, extra);
    const image = (workload: string, ref: string) => remoteImage(`${name}-${workload}-image`, ref, opts);
    const volume = (workload: string) =>
      new docker.Volume(`${name}-${workload}-data`, { name: `${PART_OF}-${workload}-data`, labels: labels(workload) }, opts);
    const backend = { name: target.backendNetwork.name, aliases: [] as string[] };
    const site: ScrapeSite = { kind: 'docker' };
    const secretFile = (file: string, content: pulumi.Input<string>, uid: number) => secretFileUpload(file, content, { owner: uid, group: uid });

    // Prometheus
    const promName = WORKLOAD.prometheus;
    const promYaml = toYaml(prometheusConfig(config, stack, site));
    const rules = ruleFiles();
    new docker.Container(
      `${name}-prometheus`,
      {
        name: promName,
        image: image(promName, config.monitoring.prometheusImage).imageId,
        command: [
          `--config.file=${PROM_CONFIG_DIR}/prometheus.yml`,
          `--storage.tsdb.path=${PROM_DATA_DIR}`,
          `--storage.tsdb.retention.time=${config.monitoring.retentionDays}d`,
        ],
        uploads: [
          { file: `${PROM_CONFIG_DIR}/prometheus.yml`, content: promYaml },
          ...Object.entries(rules).map(([file, content]) => ({ file: `${PROM_RULES_DIR}/${file}`, content })),
          secretFile(`${PROM_SECRETS_DIR}/${API_TOKEN_KEY}`, apiToken, NOBODY),
        ],
        volumes: [{ volumeName: volume(promName).name, containerPath: PROM_DATA_DIR }],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...limits(config.monitoring.resources),
        healthcheck: wgetHealthcheck(PORT.prometheus, '/-/healthy'),
        networksAdvanced: [backend],
        labels: labels(promName),
      },
      opts,
    );

    // Alertmanager: backend for Prometheus, frontend for its only way out (SMTP, Slack, PagerDuty).
    const amName = WORKLOAD.alertmanager;
    const receivers = Object.values(receiverSecrets(secrets));
    new docker.Container(
      `${name}-alertmanager`,
      {
        name: amName,
        image: image(amName, config.monitoring.alertmanagerImage).imageId,
        command: [`--config.file=${AM_CONFIG_DIR}/alertmanager.yml`, `--storage.path=${AM_DATA_DIR}`, '--cluster.listen-address='],
        uploads: [
          { file: `${AM_CONFIG_DIR}/alertmanager.yml`, content: alertmanagerYaml(config, secrets) },
          ...receivers.map((ref) => secretFile(`${ALERTMANAGER_SECRETS_DIR}/${ref.key}`, ref.value, NOBODY)),
        ],
        volumes: [{ volumeName: volume(amName).name, containerPath: AM_DATA_DIR }],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...limits(config.monitoring.resources),
        healthcheck: wgetHealthcheck(PORT.alertmanager, '/-/healthy'),
        networksAdvanced: [backend, { name: target.frontendNetwork.name, aliases: [] }],
        labels: labels(amName),
      },
      opts,
    );

    // Grafana: the only monitoring port published, on the host's loopback.
    const grafanaName = WORKLOAD.grafana;
    const provisioning = grafanaProvisioning(
      `http://${promName}:${PORT.prometheus}`,
      `http://${amName}:${PORT.alertmanager}`,
      config.monitoring.scrapeIntervalSeconds,
      args.logging ? [args.logging.grafanaDatasource] : [],
    );
    const { grafanaAdminUser, grafanaAdminPassword } = secrets.refs;
    new docker.Container(
      `${name}-grafana`,
      {
        name: grafanaName,
        image: image(grafanaName, config.monitoring.grafanaImage).imageId,
        envs: [
          // Grafana reads `<VAR>__FILE` for any setting.
          `GF_SECURITY_ADMIN_USER__FILE=${GRAFANA_SECRETS_DIR}/${grafanaAdminUser.key}`,
          `GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_SECRETS_DIR}/${grafanaAdminPassword.key}`,
          ...grafanaEnv().map((e) => `${e.name}=${e.value}`),
        ],
        uploads: [
          { file: `${GRAFANA_PROVISIONING_DIR}/datasources/datasources.yaml`, content: provisioning.datasources },
          { file: `${GRAFANA_PROVISIONING_DIR}/dashboards/dashboards.yaml`, content: provisioning.dashboards },
          ...Object.entries(dashboardFiles()).map(([file, content]) => ({ file: `${GRAFANA_DASHBOARDS_DIR}/${file}`, content })),
          secretFile(`${GRAFANA_SECRETS_DIR}/${grafanaAdminUser.key}`, grafanaAdminUser.value, GRAFANA_UID),
          secretFile(`${GRAFANA_SECRETS_DIR}/${grafanaAdminPassword.key}`, grafanaAdminPassword.value, GRAFANA_UID),
        ],
        volumes: [{ volumeName: volume(grafanaName).name, containerPath: GRAFANA_DATA_DIR }],
        ports: [{ internal: PORT.grafana, external: config.monitoring.grafanaHostPort, ip: '127.0.0.1', protocol: 'tcp' }],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...limits(config.monitoring.resources),
        healthcheck: wgetHealthcheck(PORT.grafana, '/api/health'),
        networksAdvanced: [backend, { name: target.frontendNetwork.name, aliases: [] }],
        labels: labels(grafanaName, { [ANNOTATION.publicEndpoint]: 'true' }),
      },
      opts,
    );

    // Blackbox exporter: probes Ollama's models and the APIs' HTTPS /health.
    const bbName = MONITORING_WORKLOAD.blackboxExporter;
    new docker.Container(
      `${name}-blackbox-exporter`,
      {
        name: bbName,
        image: image(bbName, config.monitoring.blackboxExporterImage).imageId,
        command: [`--config.file=${BLACKBOX_CONFIG_DIR}/blackbox.yml`],
        uploads: [{ file: `${BLACKBOX_CONFIG_DIR}/blackbox.yml`, content: toYaml(blackboxConfig()) }],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...limits(config.monitoring.exporterResources),
        healthcheck: wgetHealthcheck(MONITORING_PORT.blackboxExporter, '/-/healthy'),
        networksAdvanced: [backend],
        labels: labels(bbName),
      },
      opts,
    );

    return pulumi.output(`http://localhost:${config.monitoring.grafanaHostPort}`);
  }
}

/** Grafana settings shared by both targets: no sign-up, no anonymous access, no phoning home. */
function grafanaEnv(): { name: string; value: string }[] {
  return [
    { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
    { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
    { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
    { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
    { name: 'GF_PLUGINS_PREINSTALL_DISABLED', value: 'true' },
    { name: 'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH', value: `${GRAFANA_DASHBOARDS_DIR}/${Object.keys(dashboardFiles())[0]}` },
  ];
}
