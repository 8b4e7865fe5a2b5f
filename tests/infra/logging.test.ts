/**
 * The Logging component (`enrichment:monitoring:Logging`, checklist 9b Logging): Loki with
 * retention on a volume, the Alloy collectors, the Loki datasource in Grafana, rotated local log
 * files on every Docker container, and the flows that let logs travel. The component alone on
 * each target, then the assembled prod and dev stacks.
 */
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGGING_TYPE, lokiConfig, Logging, validateLoggingArgs } from '../../infra/src/components/logging.js';
import { LABEL, MONITORING_NAMESPACE, MONITORING_PORT, MONITORING_WORKLOAD, PART_OF, PORT, WORKLOAD } from '../../infra/src/conventions.js';
import { bashHttpHealthcheck, DOCKER_LOG_ROTATION } from '../../infra/src/lib/docker.js';
import { ofType, planStack, type Plan, type PlannedResource } from '../../infra/src/plan.js';
import {
  componentObjects,
  containerNamed,
  expectConventionalMetadata,
  expectSchemaValid,
  objectNamed,
  planComponent,
  podSpecOf,
  runHealthcheck,
  startHealthStub,
  TEST_NETWORK,
  TYPE,
} from './support.js';

const LOKI = MONITORING_WORKLOAD.loki;
const ALLOY = MONITORING_WORKLOAD.logCollector;
/** The checklist keeps logs a week or more. */
const CHECKLIST_MIN_RETENTION_DAYS = 7;

/** Plans Logging alone on the stack's target. */
async function planLogging(stack: 'prod' | 'dev', overrides?: Record<string, unknown>): Promise<Plan> {
  const { plan } = await planComponent(stack, (args) => new Logging('logging', args), {
    ...(overrides ? { overrides } : {}),
    outputs: (l) => ({ lokiUrl: l.lokiUrl, datasource: l.grafanaDatasource }),
  });
  return plan;
}

/** Hours of a Loki `retention_period` written in hours (`336h`). */
function retentionHours(doc: any): number {
  const m = /^(\d+)h$/.exec(doc.limits_config.retention_period);
  if (!m) throw new Error(`not an hour duration: ${doc.limits_config.retention_period}`);
  return Number(m[1]);
}

describe('Logging on Kubernetes (prod)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planLogging('prod');
  });
  const named = (kind: string, name: string) => objectNamed(plan, kind, name);

  it('registers the component and outputs the in-cluster Loki URL and its Grafana datasource', () => {
    expect(ofType(plan, LOGGING_TYPE)).toHaveLength(1);
    const url = `http://${LOKI}.${MONITORING_NAMESPACE}.svc.cluster.local:${MONITORING_PORT.loki}`;
    expect(plan.outputs).toEqual({ lokiUrl: url, datasource: expect.objectContaining({ type: 'loki', uid: 'loki', url, access: 'proxy' }) });
  });

  it('keeps logs logging.retentionDays (14, at least 7) through compactor retention', () => {
    expect(plan.config.logging.retentionDays).toBe(14);
    expect(plan.config.logging.retentionDays).toBeGreaterThanOrEqual(CHECKLIST_MIN_RETENTION_DAYS);
    const doc = parseYaml(named('ConfigMap', 'loki-config').inputs.data['loki.yaml']);
    expect(retentionHours(doc)).toBe(plan.config.logging.retentionDays * 24);
    expect(doc.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 'filesystem' });
    // Compactor retention needs the 24h index period of a TSDB schema.
    expect(doc.schema_config.configs).toEqual([expect.objectContaining({ store: 'tsdb', object_store: 'filesystem', index: { prefix: 'index_', period: '24h' } })]);
    expect(doc.server.http_listen_port).toBe(MONITORING_PORT.loki);
  });

  it('follows logging.retentionDays', async () => {
    const week = await planLogging('prod', { logging: { retentionDays: 7 } });
    const doc = parseYaml(objectNamed(week, 'ConfigMap', 'loki-config').inputs.data['loki.yaml']);
    expect(doc.limits_config.retention_period).toBe('168h');
  });

  it('runs Loki as a one-replica StatefulSet with its data on a PVC of logging.storageSize, probed on /ready', () => {
    const loki = named('StatefulSet', LOKI);
    const spec = podSpecOf(loki);
    const c = spec.containers[0];
    expect(loki.inputs.spec.replicas).toBe(1);
    expect(c.image).toBe(plan.config.logging.lokiImage);
    expect(c.image).toMatch(/^grafana\/loki:\d+\.\d+\.\d+$/);
    expect(loki.inputs.spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ name: 'data' }), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: plan.config.logging.storageSize } } } }),
    ]);
    const dataMount = c.volumeMounts.find((m: any) => m.name === 'data');
    const doc = parseYaml(named('ConfigMap', 'loki-config').inputs.data['loki.yaml']);
    expect(doc.common.path_prefix).toBe(dataMount.mountPath);
    expect(doc.compactor.working_directory.startsWith(`${dataMount.mountPath}/`)).toBe(true);
    // The config file the args name is the ConfigMap's key, where the ConfigMap is mounted.
    const configMount = c.volumeMounts.find((m: any) => m.name === 'config');
    expect(spec.volumes.find((v: any) => v.name === 'config').configMap.name).toBe('loki-config');
    expect(c.args).toEqual([`-config.file=${configMount.mountPath}/loki.yaml`]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: MONITORING_PORT.loki });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: MONITORING_PORT.loki });
    expect(c.resources).toEqual({
      requests: { cpu: plan.config.logging.resources.cpuRequest, memory: plan.config.logging.resources.memoryRequest },
      limits: { cpu: plan.config.logging.resources.cpuLimit, memory: plan.config.logging.resources.memoryLimit },
    });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(loki.inputs.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('serves Loki through a headless ClusterIP Service, with a PDB that allows drains', () => {
    const service = named('Service', LOKI).inputs.spec;
    expect(service).toMatchObject({ type: 'ClusterIP', clusterIP: 'None', selector: { [LABEL.name]: LOKI } });
    expect(service.ports).toEqual([{ name: 'http', port: MONITORING_PORT.loki, targetPort: MONITORING_PORT.loki, protocol: 'TCP' }]);
    expect(named('StatefulSet', LOKI).inputs.spec.serviceName).toBe(LOKI);
    expect(named('PodDisruptionBudget', LOKI).inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { [LABEL.name]: LOKI } } });
  });

  it('runs the collector on every node, reading /var/log/pods read-only and shipping to Loki', () => {
    const alloy = named('DaemonSet', ALLOY);
    const spec = podSpecOf(alloy);
    const c = spec.containers[0];
    expect(c.image).toBe(plan.config.logging.collectorImage);
    expect(c.image).toMatch(/^grafana\/alloy:v\d+\.\d+\.\d+$/);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const podLogs = spec.volumes.find((v: any) => v.hostPath?.path === '/var/log/pods');
    expect(podLogs.hostPath).toEqual({ path: '/var/log/pods', type: 'Directory' });
    expect(c.volumeMounts.find((m: any) => m.name === podLogs.name)).toEqual({ name: podLogs.name, mountPath: '/var/log/pods', readOnly: true });
    // No other host path: no container runtime socket, no writable host directory.
    expect(spec.volumes.filter((v: any) => v.hostPath)).toHaveLength(1);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: MONITORING_PORT.logCollector });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: MONITORING_PORT.logCollector });
    for (const k of ['requests', 'limits'] as const) {
      expect(c.resources[k].cpu).toBe(plan.config.logging.collectorResources[k === 'requests' ? 'cpuRequest' : 'cpuLimit']);
      expect(c.resources[k].memory).toBe(plan.config.logging.collectorResources[k === 'requests' ? 'memoryRequest' : 'memoryLimit']);
    }
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(c.args).toContain(`--server.http.listen-addr=0.0.0.0:${MONITORING_PORT.logCollector}`);

    const config = named('ConfigMap', 'alloy-config').inputs.data['config.alloy'] as string;
    const configMount = c.volumeMounts.find((m: any) => m.name === 'config');
    expect(c.args.at(-1)).toBe(`${configMount.mountPath}/config.alloy`);
    expect(config).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(config).toContain('replacement = "/var/log/pods/*$1/*.log"');
    expect(config).toContain('stage.cri {}');
    expect(config).toContain(`names = ["${plan.config.namespace}", "${MONITORING_NAMESPACE}", "ingress-nginx", "cert-manager"]`);
    expect(config).toContain(`url = "http://${LOKI}.${MONITORING_NAMESPACE}.svc.cluster.local:${MONITORING_PORT.loki}/loki/api/v1/push"`);
    // The `app` label is the workload name, as Prometheus's job: {app="enrichment-worker"}.
    expect(config).toMatch(/source_labels = \["__meta_kubernetes_pod_label_app_kubernetes_io_name"\]\n\s+target_label = "app"/);
  });

  it('lets the collector only read pods through the Kubernetes API', () => {
    const role = named('ClusterRole', `${PART_OF}-alloy`);
    expect(role.inputs.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    const binding = named('ClusterRoleBinding', `${PART_OF}-alloy`);
    expect(binding.inputs.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${PART_OF}-alloy` });
    expect(binding.inputs.subjects).toEqual([{ kind: 'ServiceAccount', name: ALLOY, namespace: MONITORING_NAMESPACE }]);
    expect(podSpecOf(named('DaemonSet', ALLOY)).serviceAccountName).toBe(named('ServiceAccount', ALLOY).inputs.metadata.name);
    expect(podSpecOf(named('StatefulSet', LOKI)).automountServiceAccountToken).toBe(false);
  });

  it('names, namespaces and labels every object, and each validates against the Kubernetes schemas', async () => {
    const objects = componentObjects(plan);
    expect(objects.map((r) => `${r.inputs.kind}/${r.inputs.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/alloy-config',
        'ConfigMap/loki-config',
        `ClusterRole/${PART_OF}-alloy`,
        `ClusterRoleBinding/${PART_OF}-alloy`,
        `DaemonSet/${ALLOY}`,
        `PodDisruptionBudget/${LOKI}`,
        `Service/${LOKI}`,
        `ServiceAccount/${ALLOY}`,
        `StatefulSet/${LOKI}`,
      ].sort(),
    );
    for (const r of objects) {
      if (r.inputs.kind.startsWith('Cluster')) expect(r.inputs.metadata.labels[LABEL.partOf], r.name).toBe(PART_OF);
      else expectConventionalMetadata(r, MONITORING_NAMESPACE);
    }
    await expectSchemaValid(objects);
  });

  it('refuses a collector image that cannot read its Alloy config, and a non-Loki server', () => {
    expect(() => validateLoggingArgs({ ...plan.config, logging: { ...plan.config.logging, collectorImage: 'grafana/promtail:3.5.8' } })).toThrow(
      "logging.collectorImage must be a grafana/alloy image (the collector config is Alloy syntax); got 'grafana/promtail:3.5.8'",
    );
    expect(() => validateLoggingArgs({ ...plan.config, logging: { ...plan.config.logging, lokiImage: 'elasticsearch:8.15.0' } })).toThrow(
      "logging.lokiImage must be a grafana/loki image; got 'elasticsearch:8.15.0'",
    );
    expect(() => validateLoggingArgs(plan.config)).not.toThrow();
  });
});

describe('Logging on Docker (dev)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planLogging('dev');
  });
  const container = (name: string) => containerNamed(plan, name).inputs;
  const upload = (name: string, file: string) => (container(name).uploads as { file: string; content: string }[]).find((u) => u.file === file)?.content;

  it('runs Loki on the backend network only, with no published port, its data on a volume', () => {
    const loki = container(LOKI);
    // The container runs the image pulled by the RemoteImage of the pinned config image (the
    // container's `image` is that RemoteImage's imageId, so a tag move cannot swap it silently).
    const pulled = ofType(plan, 'docker:index/remoteImage:RemoteImage').filter((r) => r.inputs.name === plan.config.logging.lokiImage);
    expect(plan.config.logging.lokiImage).toMatch(/^grafana\/loki:\d+\.\d+\.\d+$/);
    expect(pulled).toHaveLength(1);
    expect(loki.image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(loki.ports ?? []).toEqual([]);
    expect(loki.networksAdvanced.map((n: { name: string }) => n.name)).toEqual([TEST_NETWORK.backend]);
    const volumes = ofType(plan, TYPE.volume).map((v) => v.inputs.name);
    expect(loki.volumes).toEqual([{ volumeName: `${PART_OF}-${LOKI}-data`, containerPath: '/loki' }]);
    expect(volumes).toContain(`${PART_OF}-${LOKI}-data`);
    const doc = parseYaml(upload(LOKI, '/etc/loki/loki.yaml')!);
    expect(doc).toEqual(lokiConfig(plan.config));
    expect(retentionHours(doc)).toBeGreaterThanOrEqual(CHECKLIST_MIN_RETENTION_DAYS * 24);
    expect(loki.command).toEqual(['-config.file=/etc/loki/loki.yaml']);
    expect(loki.healthcheck.tests).toEqual(['CMD', '/busybox/wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${MONITORING_PORT.loki}/ready`]);
    expect(loki.restart).toBe('unless-stopped');
    expect(Number(loki.cpus)).toBeGreaterThan(0);
    expect(loki.memory).toBeGreaterThan(0);
  });

  it('runs the collector with the Docker socket read-only, shipping the platform containers to Loki', () => {
    const alloy = container(ALLOY);
    expect(alloy.ports ?? []).toEqual([]);
    expect(alloy.networksAdvanced.map((n: { name: string }) => n.name)).toEqual([TEST_NETWORK.backend]);
    expect(alloy.volumes).toContainEqual({ hostPath: '/var/run/docker.sock', containerPath: '/var/run/docker.sock', readOnly: true });
    // The socket is the only host path.
    expect((alloy.volumes as { hostPath?: string }[]).filter((v) => v.hostPath)).toHaveLength(1);
    const config = upload(ALLOY, '/etc/alloy/config.alloy')!;
    expect(alloy.command.at(-1)).toBe('/etc/alloy/config.alloy');
    expect(config).toContain('discovery.docker "containers"');
    expect(config).toContain(`values = ["${LABEL.partOf}=${PART_OF}"]`);
    expect(config).toContain('loki.source.docker "containers"');
    expect(config).toContain(`url = "http://${LOKI}:${MONITORING_PORT.loki}/loki/api/v1/push"`);
    expect(config).toMatch(/source_labels = \["__meta_docker_container_label_app_kubernetes_io_name"\]\n\s+target_label = "app"/);
    expect(alloy.healthcheck.tests.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
    expect(alloy.healthcheck.tests[3]).toContain(`/dev/tcp/127.0.0.1/${MONITORING_PORT.logCollector}`);
    expect(alloy.restart).toBe('unless-stopped');
    expect(plan.outputs).toMatchObject({ lokiUrl: `http://${LOKI}:${MONITORING_PORT.loki}` });
  });

  it('rotates the local log files of both containers', () => {
    for (const name of [LOKI, ALLOY]) {
      expect(container(name).logDriver, name).toBe('json-file');
      expect(container(name).logOpts, name).toEqual({ 'max-size': '10m', 'max-file': '5' });
    }
  });

  describe('the collector healthcheck (bash /dev/tcp, the image has no wget or curl)', () => {
    let stub: Awaited<ReturnType<typeof startHealthStub>>;
    beforeAll(async () => {
      stub = await startHealthStub('/-/ready');
    });
    afterAll(async () => {
      await stub.close();
    });
    it('exits 0 on a 200 and 1 on a 503 or a refused connection', async () => {
      expect(await runHealthcheck(bashHttpHealthcheck(stub.port, '/-/ready').tests)).toBe(0);
      expect(await runHealthcheck(bashHttpHealthcheck(stub.port, '/-/healthy').tests)).toBe(1);
      expect(await runHealthcheck(bashHttpHealthcheck(1, '/-/ready').tests)).toBe(1);
    });
  });
});

describe('the assembled prod stack', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack('prod');
  }, 120_000);
  const policy = (name: string) => objectNamed(plan, 'NetworkPolicy', name).inputs.spec;
  const pods = (workload: string) => ({ podSelector: { matchLabels: { [LABEL.name]: workload } } });
  const tcp = (port: number) => [{ port, protocol: 'TCP' }];

  it('provisions the Loki datasource in Grafana beside Prometheus', () => {
    const datasources = parseYaml(objectNamed(plan, 'ConfigMap', 'grafana-datasources').inputs.data['datasources.yaml']).datasources;
    expect(datasources.map((d: { type: string }) => d.type)).toEqual(['prometheus', 'alertmanager', 'loki']);
    expect(datasources.find((d: { uid: string }) => d.uid === 'prometheus').isDefault).toBe(true);
    expect(datasources.find((d: { type: string }) => d.type === 'loki')).toMatchObject({
      name: 'Loki',
      uid: 'loki',
      access: 'proxy',
      url: `http://${LOKI}.${MONITORING_NAMESPACE}.svc.cluster.local:${MONITORING_PORT.loki}`,
    });
  });

  it('lets the collectors, Grafana and Prometheus reach Loki, and nothing else', () => {
    expect(policy(`allow-${LOKI}`).ingress).toEqual([
      { from: [pods(ALLOY)], ports: tcp(MONITORING_PORT.loki) },
      { from: [pods(WORKLOAD.grafana)], ports: tcp(MONITORING_PORT.loki) },
      { from: [pods(WORKLOAD.prometheus)], ports: tcp(MONITORING_PORT.loki) },
    ]);
    expect(policy(`allow-${LOKI}`).policyTypes).toEqual(['Ingress']);
    expect(policy(`allow-${ALLOY}`).egress).toContainEqual({ to: [pods(LOKI)], ports: tcp(MONITORING_PORT.loki) });
    expect(policy(`allow-${ALLOY}`).ingress).toEqual([{ from: [pods(WORKLOAD.prometheus)], ports: tcp(MONITORING_PORT.logCollector) }]);
    expect(policy(`allow-${WORKLOAD.grafana}`).egress).toContainEqual({ to: [pods(LOKI)], ports: tcp(MONITORING_PORT.loki) });
  });

  it('scrapes Loki and the collectors in the monitoring namespace', () => {
    const config = parseYaml(objectNamed(plan, 'ConfigMap', 'prometheus-config').inputs.data['prometheus.yml']);
    for (const [workload, port] of [
      [LOKI, MONITORING_PORT.loki],
      [ALLOY, MONITORING_PORT.logCollector],
    ] as const) {
      const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === workload);
      expect(job.kubernetes_sd_configs[0]).toEqual({ role: 'pod', namespaces: { names: [MONITORING_NAMESPACE] }, selectors: [{ role: 'pod', label: `${LABEL.name}=${workload}` }] });
      expect(job.relabel_configs.find((r: any) => r.target_label === '__address__').replacement).toBe(`$1:${port}`);
    }
  });
});

describe('the assembled dev stack', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack('dev');
  }, 120_000);
  const containers = (): PlannedResource[] => ofType(plan, TYPE.container);

  it('keeps rotated local JSON log files for every container, one-shot ones included', () => {
    expect(containers().length).toBeGreaterThanOrEqual(14);
    for (const c of containers()) {
      expect(c.inputs.logDriver, c.inputs.name).toBe(DOCKER_LOG_ROTATION.driver);
      expect(c.inputs.logOpts, c.inputs.name).toEqual({ 'max-size': '10m', 'max-file': '5' });
    }
  });

  it('publishes no Loki or collector port: host ports stay the two APIs and Grafana', () => {
    const published = containers().flatMap((c) => (c.inputs.ports ?? []).map((p: { external: number }) => [c.inputs.name, p.external]));
    expect(published.sort()).toEqual(
      [
        [WORKLOAD.costApi, PORT.costApi],
        [WORKLOAD.grafana, plan.config.monitoring.grafanaHostPort],
        [WORKLOAD.reviewApi, PORT.reviewApi],
      ].sort(),
    );
  });

  it('provisions the Loki datasource in Grafana, reachable on the shared backend network', () => {
    const grafana = containerNamed(plan, WORKLOAD.grafana).inputs;
    const file = (grafana.uploads as { file: string; content: string }[]).find((u) => u.file.endsWith('/datasources/datasources.yaml'))!;
    const loki = parseYaml(file.content).datasources.find((d: { type: string }) => d.type === 'loki');
    expect(loki).toMatchObject({ uid: 'loki', url: `http://${LOKI}:${MONITORING_PORT.loki}` });
    const networks = (name: string) => (containerNamed(plan, name).inputs.networksAdvanced as { name: string }[]).map((n) => n.name);
    expect(networks(WORKLOAD.grafana)).toEqual(expect.arrayContaining(networks(LOKI)));
    expect(networks(ALLOY)).toEqual(networks(LOKI));
  });
});
