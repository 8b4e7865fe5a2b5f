/**
 * Logging (`enrichment:monitoring:Logging`): central log storage, shipping and search. Checklist
 * Phase 9b, Logging: logs gathered in one central store as well as kept as local files for
 * debugging, kept for a week or more, and searchable. (Errors being tracked, the section's last
 * line, is the app's `enrichment_log_messages_total` counter and the `ErrorLogRateHigh` alert.)
 *
 * - **Grafana Loki** (single binary, filesystem storage) keeps every container's log lines for
 *   `logging.retentionDays` (`limits_config.retention_period`, deleted by the compactor with
 *   `retention_enabled`). Grafana queries it: {@link Logging.grafanaDatasource} is provisioned
 *   beside Prometheus by the Monitoring component (search with LogQL in Explore,
 *   `docs/runbooks/logs.md`).
 * - **Grafana Alloy** ships the logs to Loki, labelled `app` (the `app.kubernetes.io/name` of the
 *   workload), `container` and, on Kubernetes, `namespace`, `pod` and `node`.
 * - **Local files** stay where they are: on Kubernetes the kubelet writes and rotates each
 *   container's log under `/var/log/pods` (what `kubectl logs` reads); on Docker every container
 *   of the platform uses the rotated `json-file` driver (`dockerLogging()` of `lib/docker.ts`).
 *
 * Kubernetes (monitoring namespace): ConfigMap, StatefulSet (volumeClaimTemplate), headless
 * Service and PDB `loki`; ConfigMap `alloy-config`, DaemonSet `alloy` (every node, GPU pool
 * included) reading `/var/log/pods` read-only, with a ServiceAccount and a read-only ClusterRole
 * for pod discovery. Docker (dev): containers `loki` (volume, backend network, no published port)
 * and `alloy` (Docker discovery through the Docker socket, see {@link Logging}).
 */
import { createHash } from 'node:crypto';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { stringify as toYaml } from 'yaml';
import type { InfraConfig } from '../config.js';
import { COMPONENT, LABEL, MONITORING_PORT, MONITORING_WORKLOAD, PART_OF } from '../conventions.js';
import { bashHttpHealthcheck, DOCKER_HEALTHCHECK_TIMING, dockerLogging, remoteImage } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, podDisruptionBudget, podSecurityContext, volumeClaimTemplate } from '../lib/kubernetes.js';
import { dockerWorkloadLabels, nameSelector, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources } from '../lib/resources.js';
import type { ComponentBaseArgs, DockerTarget, KubernetesTarget } from '../types.js';
import type { GrafanaDatasource } from './monitoring.js';
import { INGRESS_CONTROLLER_NAMESPACE } from './network.js';
import { CERT_MANAGER_NAMESPACE } from './tls.js';

/** The Pulumi type token of {@link Logging}. */
export const LOGGING_TYPE = 'enrichment:monitoring:Logging';

/** Grafana datasource uid of Loki (Explore links and dashboards may name it). */
export const LOKI_DATASOURCE_UID = 'loki';

/** Loki's data directory (PVC / Docker volume): chunks, TSDB index, compactor state. */
export const LOKI_DATA_DIR = '/loki';
const LOKI_CONFIG_DIR = '/etc/loki';
const LOKI_CONFIG_FILE = 'loki.yaml';
/** The non-root user of the grafana/loki image. */
const LOKI_UID = 10001;

const ALLOY_CONFIG_DIR = '/etc/alloy';
const ALLOY_CONFIG_FILE = 'config.alloy';
/** Alloy's `--storage.path`: read positions of each log file (so a restart does not ship twice). */
const ALLOY_DATA_DIR = '/var/lib/alloy/data';
/** Where the kubelet writes container logs (`<namespace>_<pod>_<uid>/<container>/<n>.log`). */
export const POD_LOGS_DIR = '/var/log/pods';
/** The Docker engine's API socket (dev collector). */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** Loki's schema start date: fixed, since changing it would orphan the data written before. */
const LOKI_SCHEMA_FROM = '2024-01-01';

type YamlObject = Record<string, unknown>;

/**
 * Checks what the config schema cannot: the collector config this component writes is in
 * Alloy's syntax, so the collector image must be Grafana Alloy, and the server must be Loki.
 *
 * @throws pulumi.ResourceError `logging.collectorImage must be a grafana/alloy image (the collector config is Alloy syntax); got '<image>'`,
 *   or `logging.lokiImage must be a grafana/loki image; got '<image>'`.
 */
export function validateLoggingArgs(config: InfraConfig, resource?: pulumi.Resource): void {
  if (!/(^|\/)grafana\/alloy(:|@|$)/.test(config.logging.collectorImage)) {
    throw new pulumi.ResourceError(`logging.collectorImage must be a grafana/alloy image (the collector config is Alloy syntax); got '${config.logging.collectorImage}'`, resource);
  }
  if (!/(^|\/)grafana\/loki(:|@|$)/.test(config.logging.lokiImage)) {
    throw new pulumi.ResourceError(`logging.lokiImage must be a grafana/loki image; got '${config.logging.lokiImage}'`, resource);
  }
}

/**
 * Loki's configuration (`loki.yaml`): one process, filesystem storage under {@link LOKI_DATA_DIR},
 * TSDB index with a 24h period (what compactor retention requires), and retention enabled:
 * `limits_config.retention_period` is `logging.retentionDays` in hours, applied by the compactor
 * (deleted 2 hours after being marked). No authentication (single tenant): only the collector,
 * Grafana and Prometheus may reach it (NetworkPolicy `allow-loki`; Docker: backend network only).
 *
 * @param config the stack config (`logging.retentionDays`).
 */
export function lokiConfig(config: InfraConfig): YamlObject {
  return {
    auth_enabled: false,
    server: { http_listen_port: MONITORING_PORT.loki, log_level: 'info' },
    common: {
      instance_addr: '127.0.0.1',
      path_prefix: LOKI_DATA_DIR,
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
      storage: { filesystem: { chunks_directory: `${LOKI_DATA_DIR}/chunks`, rules_directory: `${LOKI_DATA_DIR}/rules` } },
    },
    schema_config: {
      configs: [{ from: LOKI_SCHEMA_FROM, store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
    },
    limits_config: { retention_period: `${config.logging.retentionDays * 24}h` },
    compactor: {
      working_directory: `${LOKI_DATA_DIR}/compactor`,
      compaction_interval: '10m',
      retention_enabled: true,
      retention_delete_delay: '2h',
      delete_request_store: 'filesystem',
    },
    analytics: { reporting_enabled: false },
  };
}

/** Where the collector runs: a Kubernetes node (namespaces to read) or the Docker engine. */
export type CollectorSite = { kind: 'kubernetes'; namespaces: readonly string[] } | { kind: 'docker' };

/** An Alloy string literal. */
const str = (s: string) => JSON.stringify(s);
/** An Alloy list of string literals. */
const strList = (items: readonly string[]) => `[${items.map(str).join(', ')}]`;

/** One `rule { ... }` block of a `discovery.relabel` component. */
function relabelRule(fields: Record<string, string>): string {
  return ['  rule {', ...Object.entries(fields).map(([k, v]) => `    ${k} = ${v}`), '  }'].join('\n');
}

/**
 * The collector's configuration (`config.alloy`, Alloy syntax).
 *
 * Kubernetes: `discovery.kubernetes` lists the pods of this node (`spec.nodeName` from the
 * `NODE_NAME` env var) in the given namespaces; `local.file_match` + `loki.source.file` tail their
 * files under {@link POD_LOGS_DIR}; `stage.cri` unwraps the CRI log format. Docker:
 * `discovery.docker` lists the platform's containers (label `app.kubernetes.io/part-of`) and
 * `loki.source.docker` reads their logs through the Docker API. Both push to `lokiPushUrl`.
 *
 * @param site        Kubernetes (with the namespaces to collect) or Docker.
 * @param lokiPushUrl Loki's push endpoint (`…/loki/api/v1/push`).
 */
export function collectorConfig(site: CollectorSite, lokiPushUrl: string): string {
  const write = ['loki.write "loki" {', '  endpoint {', `    url = ${str(lokiPushUrl)}`, '  }', '}'].join('\n');
  const header = [
    '// Generated by infra/src/components/logging.ts: container logs to Loki.',
    'logging {',
    '  level  = "info"',
    '  format = "json"',
    '}',
  ].join('\n');
  if (site.kind === 'docker') {
    return [
      header,
      ['discovery.docker "containers" {', `  host = ${str(`unix://${DOCKER_SOCKET}`)}`, '  filter {', '    name   = "label"', `    values = ${strList([`${LABEL.partOf}=${PART_OF}`])}`, '  }', '}'].join('\n'),
      [
        'discovery.relabel "containers" {',
        '  targets = []',
        relabelRule({ source_labels: strList(['__meta_docker_container_name']), regex: str('/(.*)'), target_label: str('container') }),
        relabelRule({ source_labels: strList(['__meta_docker_container_label_app_kubernetes_io_name']), target_label: str('app') }),
        '}',
      ].join('\n'),
      [
        'loki.source.docker "containers" {',
        `  host          = ${str(`unix://${DOCKER_SOCKET}`)}`,
        '  targets       = discovery.docker.containers.targets',
        '  relabel_rules = discovery.relabel.containers.rules',
        '  forward_to    = [loki.write.loki.receiver]',
        '}',
      ].join('\n'),
      write,
    ].join('\n\n') + '\n';
  }
  return [
    header,
    [
      'discovery.kubernetes "pods" {',
      '  role = "pod"',
      '  namespaces {',
      `    names = ${strList(site.namespaces)}`,
      '  }',
      '  selectors {',
      '    role  = "pod"',
      '    field = "spec.nodeName=" + sys.env("NODE_NAME")',
      '  }',
      '}',
    ].join('\n'),
    [
      'discovery.relabel "pods" {',
      '  targets = discovery.kubernetes.pods.targets',
      relabelRule({ source_labels: strList(['__meta_kubernetes_namespace']), target_label: str('namespace') }),
      relabelRule({ source_labels: strList(['__meta_kubernetes_pod_name']), target_label: str('pod') }),
      relabelRule({ source_labels: strList(['__meta_kubernetes_pod_container_name']), target_label: str('container') }),
      relabelRule({ source_labels: strList(['__meta_kubernetes_pod_label_app_kubernetes_io_name']), target_label: str('app') }),
      relabelRule({ source_labels: strList(['__meta_kubernetes_pod_node_name']), target_label: str('node') }),
      relabelRule({
        source_labels: strList(['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name']),
        separator: str('/'),
        target_label: str('__path__'),
        replacement: str(`${POD_LOGS_DIR}/*$1/*.log`),
      }),
      '}',
    ].join('\n'),
    ['local.file_match "pods" {', '  path_targets = discovery.relabel.pods.output', '}'].join('\n'),
    ['loki.source.file "pods" {', '  targets    = local.file_match.pods.targets', '  forward_to = [loki.process.pods.receiver]', '}'].join('\n'),
    ['loki.process "pods" {', '  stage.cri {}', '  forward_to = [loki.write.loki.receiver]', '}'].join('\n'),
    write,
  ].join('\n\n') + '\n';
}

/** Alloy's command line: HTTP on every interface (probes, Prometheus), positions on the data path. */
function collectorArgs(): string[] {
  return ['run', `--server.http.listen-addr=0.0.0.0:${MONITORING_PORT.logCollector}`, `--storage.path=${ALLOY_DATA_DIR}`, `${ALLOY_CONFIG_DIR}/${ALLOY_CONFIG_FILE}`];
}

/**
 * The Grafana datasource of Loki (provisioned by Monitoring beside Prometheus).
 *
 * @param url Loki's base URL as Grafana reaches it.
 */
export function lokiDatasource(url: string): GrafanaDatasource {
  return { name: 'Loki', uid: LOKI_DATASOURCE_UID, type: 'loki', access: 'proxy', url, editable: false, jsonData: { maxLines: 1000 } };
}

/** Short content hash, set as a pod annotation so that a config change rolls the pods. */
function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Arguments of {@link Logging}: only the common ones. */
export type LoggingArgs = ComponentBaseArgs;

/**
 * Deploys Loki and the log collector on the stack's target.
 *
 * Outputs: {@link lokiUrl} (plain: known from the names of `conventions.ts`), {@link grafanaDatasource}.
 *
 * Docker trade-off: the dev collector discovers and reads containers through the Docker socket,
 * mounted read-only. Read-only protects only the socket file: whoever can open the socket can use
 * the whole Docker API (start a privileged container, read any volume), so the collector
 * container is as trusted as root on the host. That is accepted for a developer's own engine,
 * where it is the only way to get container names and labels with the logs; the collector is on
 * the internal backend network only and publishes nothing. Kubernetes never mounts a runtime
 * socket: the DaemonSet reads the kubelet's log files read-only and asks the API server (read-only
 * RBAC on pods) for their labels.
 */
export class Logging extends pulumi.ComponentResource {
  /** Loki's base URL inside the cluster or the Docker network, e.g. `http://loki.monitoring.svc.cluster.local:3100`. */
  readonly lokiUrl: string;
  /** The Loki datasource for Grafana's provisioning (pass the component to Monitoring as `logging`). */
  readonly grafanaDatasource: GrafanaDatasource;

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LOGGING_TYPE, name, {}, opts);
    const { config, target } = args;
    validateLoggingArgs(config, this);
    this.lokiUrl =
      target.kind === 'kubernetes'
        ? `http://${MONITORING_WORKLOAD.loki}.${target.monitoringNamespace}.svc.cluster.local:${MONITORING_PORT.loki}`
        : `http://${MONITORING_WORKLOAD.loki}:${MONITORING_PORT.loki}`;
    this.grafanaDatasource = lokiDatasource(this.lokiUrl);
    if (target.kind === 'kubernetes') this.deployKubernetes(name, config, target);
    else this.deployDocker(name, config, target);
    this.registerOutputs({ lokiUrl: this.lokiUrl, grafanaDatasource: this.grafanaDatasource });
  }

  private deployKubernetes(name: string, config: InfraConfig, target: KubernetesTarget): void {
    const ns = target.monitoringNamespace;
    const opts = { parent: this, provider: target.provider, dependsOn: target.namespaces };
    const labels = (workload: string) => workloadLabels(workload, COMPONENT.monitoring);
    const probe = (urlPath: string, port: number, periodSeconds: number, initialDelaySeconds: number) =>
      httpGetProbe({ path: urlPath, port }, { initialDelaySeconds, periodSeconds, failureThreshold: 3 });
    const tcpProbe = (port: number, initialDelaySeconds: number) => ({ tcpSocket: { port }, initialDelaySeconds, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 });

    // --- Loki ---
    const loki = MONITORING_WORKLOAD.loki;
    const lokiYaml = toYaml(lokiConfig(config));
    new k8s.core.v1.ConfigMap(`${name}-loki-config`, { metadata: { name: 'loki-config', namespace: ns, labels: labels(loki) }, data: { [LOKI_CONFIG_FILE]: lokiYaml } }, opts);
    new k8s.apps.v1.StatefulSet(
      `${name}-loki`,
      {
        metadata: { name: loki, namespace: ns, labels: labels(loki) },
        spec: {
          // One replica: the single binary with filesystem storage does not scale out.
          replicas: 1,
          serviceName: loki,
          selector: { matchLabels: nameSelector(loki) },
          template: {
            metadata: { labels: labels(loki), annotations: { 'checksum/config': checksum(lokiYaml) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(LOKI_UID),
              // Ingesters flush in-memory chunks to the volume on SIGTERM.
              terminationGracePeriodSeconds: 60,
              containers: [
                {
                  name: loki,
                  image: config.logging.lokiImage,
                  args: [`-config.file=${LOKI_CONFIG_DIR}/${LOKI_CONFIG_FILE}`],
                  ports: [{ name: 'http', containerPort: MONITORING_PORT.loki, protocol: 'TCP' }],
                  resources: k8sResources(config.logging.resources),
                  // /ready answers 503 until the ingester has joined its ring (about 15 s).
                  readinessProbe: probe('/ready', MONITORING_PORT.loki, 10, 15),
                  livenessProbe: tcpProbe(MONITORING_PORT.loki, 30),
                  securityContext: containerSecurityContext({ readOnlyRootFilesystem: true, runAsNonRoot: true }),
                  volumeMounts: [
                    { name: 'config', mountPath: LOKI_CONFIG_DIR, readOnly: true },
                    { name: 'data', mountPath: LOKI_DATA_DIR },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'loki-config' } },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaimTemplate('data', labels(loki), config.logging.storageSize)],
        },
      },
      opts,
    );
    new k8s.core.v1.Service(
      `${name}-loki-service`,
      {
        metadata: { name: loki, namespace: ns, labels: labels(loki) },
        spec: {
          type: 'ClusterIP',
          clusterIP: 'None',
          selector: nameSelector(loki),
          ports: [{ name: 'http', port: MONITORING_PORT.loki, targetPort: MONITORING_PORT.loki, protocol: 'TCP' }],
        },
      },
      opts,
    );
    podDisruptionBudget(`${name}-loki-pdb`, { name: loki, namespace: ns, labels: labels(loki) }, nameSelector(loki), opts);

    // --- Alloy: one collector per node ---
    const alloy = MONITORING_WORKLOAD.logCollector;
    const role = `${PART_OF}-alloy`;
    // The platform's namespaces: the app, monitoring, and the two Helm releases' (ingress access logs).
    const namespaces = [target.namespace, ns, INGRESS_CONTROLLER_NAMESPACE, CERT_MANAGER_NAMESPACE];
    const alloyConfig = collectorConfig({ kind: 'kubernetes', namespaces }, `${this.lokiUrl}/loki/api/v1/push`);
    new k8s.core.v1.ConfigMap(`${name}-alloy-config`, { metadata: { name: 'alloy-config', namespace: ns, labels: labels(alloy) }, data: { [ALLOY_CONFIG_FILE]: alloyConfig } }, opts);
    new k8s.core.v1.ServiceAccount(`${name}-alloy-sa`, { metadata: { name: alloy, namespace: ns, labels: labels(alloy) } }, opts);
    new k8s.rbac.v1.ClusterRole(
      `${name}-alloy-clusterrole`,
      {
        metadata: { name: role, labels: labels(alloy) },
        // Pod discovery only: names, labels and uids of the pods whose files it reads.
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      },
      { parent: this, provider: target.provider },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-alloy-clusterrolebinding`,
      {
        metadata: { name: role, labels: labels(alloy) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: alloy, namespace: ns }],
      },
      opts,
    );
    new k8s.apps.v1.DaemonSet(
      `${name}-alloy`,
      {
        metadata: { name: alloy, namespace: ns, labels: labels(alloy) },
        spec: {
          selector: { matchLabels: nameSelector(alloy) },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: labels(alloy), annotations: { 'checksum/config': checksum(alloyConfig) } },
            spec: {
              serviceAccountName: alloy,
              // The kubelet's log files are root:root 0640: reading them takes uid 0 (no capability:
              // all are dropped, and the files are mounted read-only).
              securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
              // Every node, GPU pool included (Ollama's logs).
              tolerations: [{ operator: 'Exists' }],
              containers: [
                {
                  name: alloy,
                  image: config.logging.collectorImage,
                  args: collectorArgs(),
                  env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                  ports: [{ name: 'http-metrics', containerPort: MONITORING_PORT.logCollector, protocol: 'TCP' }],
                  resources: k8sResources(config.logging.collectorResources),
                  readinessProbe: probe('/-/ready', MONITORING_PORT.logCollector, 10, 5),
                  // Alive while it serves HTTP; /-/healthy would restart it whenever Loki is down.
                  livenessProbe: tcpProbe(MONITORING_PORT.logCollector, 10),
                  securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
                  volumeMounts: [
                    { name: 'config', mountPath: ALLOY_CONFIG_DIR, readOnly: true },
                    { name: 'pod-logs', mountPath: POD_LOGS_DIR, readOnly: true },
                    { name: 'data', mountPath: ALLOY_DATA_DIR },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'alloy-config' } },
                { name: 'pod-logs', hostPath: { path: POD_LOGS_DIR, type: 'Directory' } },
                // Positions survive container restarts; a new pod re-reads what the kubelet still keeps.
                { name: 'data', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      },
      opts,
    );
  }

  private deployDocker(name: string, config: InfraConfig, target: DockerTarget): void {
    const opts = { parent: this, provider: target.provider };
    const labels = (workload: string) => dockerWorkloadLabels(workload, COMPONENT.monitoring);
    const volume = (workload: string) => new docker.Volume(`${name}-${workload}-data`, { name: `${PART_OF}-${workload}-data`, labels: labels(workload) }, opts);
    const backend = [{ name: target.backendNetwork.name, aliases: [] as string[] }];

    const loki = MONITORING_WORKLOAD.loki;
    new docker.Container(
      `${name}-loki`,
      {
        name: loki,
        image: remoteImage(`${name}-loki-image`, config.logging.lokiImage, opts).imageId,
        command: [`-config.file=${LOKI_CONFIG_DIR}/${LOKI_CONFIG_FILE}`],
        uploads: [{ file: `${LOKI_CONFIG_DIR}/${LOKI_CONFIG_FILE}`, content: toYaml(lokiConfig(config)) }],
        volumes: [{ volumeName: volume(loki).name, containerPath: LOKI_DATA_DIR }],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...dockerLimits(config.logging.resources, { reserveMemory: true }),
        // The image is distroless with busybox under /busybox.
        healthcheck: { tests: ['CMD', '/busybox/wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${MONITORING_PORT.loki}/ready`], ...DOCKER_HEALTHCHECK_TIMING },
        // Internal network only, no published port: Grafana (same network) is the way in.
        networksAdvanced: backend,
        labels: labels(loki),
      },
      opts,
    );

    const alloy = MONITORING_WORKLOAD.logCollector;
    new docker.Container(
      `${name}-alloy`,
      {
        name: alloy,
        image: remoteImage(`${name}-alloy-image`, config.logging.collectorImage, opts).imageId,
        command: collectorArgs(),
        uploads: [{ file: `${ALLOY_CONFIG_DIR}/${ALLOY_CONFIG_FILE}`, content: collectorConfig({ kind: 'docker' }, `${this.lokiUrl}/loki/api/v1/push`) }],
        volumes: [
          // See the class comment for what a read-only socket does and does not protect.
          { hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET, readOnly: true },
          { volumeName: volume(alloy).name, containerPath: ALLOY_DATA_DIR },
        ],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...dockerLimits(config.logging.collectorResources, { reserveMemory: true }),
        healthcheck: bashHttpHealthcheck(MONITORING_PORT.logCollector, '/-/ready'),
        networksAdvanced: backend,
        labels: labels(alloy),
      },
      opts,
    );
  }
}
