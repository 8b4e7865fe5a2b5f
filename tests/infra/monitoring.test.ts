/**
 * Monitoring (`enrichment:monitoring:Monitoring`) under Pulumi mocks: prod (Kubernetes) and dev
 * (Docker), planned from the real stack files with stand-in secrets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../app/src/config.js';
import { SCRAPE_JOBS } from '../../app/src/metrics/exporters.js';
import { METRICS_ROLE } from '../../app/src/services/http/service-app.js';
import { buildDashboards } from '../../dashboards/index.js';
import {
  ALERTS_DIR,
  API_TOKEN_KEY,
  blackboxConfig,
  MONITORING_TYPE,
  Monitoring,
  ollamaModelModule,
  type MonitoringSecrets,
} from '../../infra/src/components/monitoring.js';
import { appWorkloads } from '../../infra/src/components/app-services.js';
import type { StackName } from '../../infra/src/config.js';
import { AGENT_WORKLOADS, LABEL, MONITORING_NAMESPACE, MONITORING_WORKLOAD, OLLAMA_MODELS, PART_OF, PORT, WORKLOAD } from '../../infra/src/conventions.js';
import { ofType, type Plan, type PlannedResource } from '../../infra/src/plan.js';
import { containerNamed, expectSchemaValid, objectNamed, planComponent, podSpecOf, standInRef as ref, strings } from './support.js';

/** Stand-in secret values: none may appear outside a Secret object or an uploaded file. */
const SECRET = {
  apiJwtSecret: 'standin-api-jwt-secret-1618033988749894',
  smtpPassword: 'standin-smtp-password-5772',
  slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/standin-webhook',
  pagerdutyRoutingKey: 'standin-pagerduty-routing-key-6931',
  grafanaAdminUser: 'standin-admin',
  grafanaAdminPassword: 'standin-grafana-password-4669',
} as const;

function standInSecrets(): MonitoringSecrets {
  const filler = (key: string) => ref('unused', key, `unused-${key}`);
  return {
    refs: {
      apiJwtSecret: ref('app-secrets', 'API_JWT_SECRET', SECRET.apiJwtSecret),
      smtpPassword: ref('alertmanager-receivers', 'smtp-password', SECRET.smtpPassword),
      slackWebhookUrl: ref('alertmanager-receivers', 'slack-webhook-url', SECRET.slackWebhookUrl),
      pagerdutyRoutingKey: ref('alertmanager-receivers', 'pagerduty-routing-key', SECRET.pagerdutyRoutingKey),
      grafanaAdminUser: ref('grafana-admin', 'admin-user', SECRET.grafanaAdminUser),
      grafanaAdminPassword: ref('grafana-admin', 'admin-password', SECRET.grafanaAdminPassword),
      mongodbUri: filler('MONGODB_URI'),
      mcpJwtSecret: filler('MCP_JWT_SECRET'),
      mongodbRootUsername: filler('root-user'),
      mongodbRootPassword: filler('root-password'),
      mongodbAppUsername: filler('app-user'),
      mongodbAppPassword: filler('app-password'),
      mongodbKeyfile: filler('keyfile'),
    },
    secrets: [],
  };
}

/** Plans Monitoring alone on the stack's target, with the stand-in secrets. */
async function planMonitoring(stack: StackName): Promise<Plan> {
  const { plan } = await planComponent(stack, (args) => new Monitoring('monitoring', { ...args, secrets: standInSecrets() }), {
    outputs: (m) => ({ grafanaUrl: m.grafanaUrl }),
  });
  return plan;
}

const RULE_FILES = readdirSync(ALERTS_DIR)
  .filter((f) => f.endsWith('.rules.yml'))
  .sort();
const CHECKLIST_DASHBOARDS = ['Enrichment Overview', 'Agent Performance', 'Cost Tracking', 'Document Quality', 'Processing Throughput'];
/** Jobs the alert rules name (SCRAPE_JOBS), with the agents' regex expanded to the five agent jobs. */
const EXPECTED_JOBS = [...Object.values(SCRAPE_JOBS).filter((j) => j !== SCRAPE_JOBS.agentsRegex), ...AGENT_WORKLOADS];
/** Jobs that exist only on Kubernetes (no cluster on the Docker target). */
const CLUSTER_JOBS: string[] = [SCRAPE_JOBS.kubeStateMetrics, SCRAPE_JOBS.nodeExporter, SCRAPE_JOBS.kubelet, SCRAPE_JOBS.certManager, SCRAPE_JOBS.dcgmExporter];

type Job = Record<string, any> & { job_name: string };

describe('Monitoring on Kubernetes (prod)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planMonitoring('prod');
  });

  const kind = (k: string) => plan.resources.filter((r) => r.custom && r.inputs.kind === k);
  const named = (k: string, name: string) => objectNamed(plan, k, name);
  const podSpec = podSpecOf;
  const promConfig = () => parseYaml(named('ConfigMap', 'prometheus-config').inputs.data['prometheus.yml']) as { scrape_configs: Job[]; rule_files: string[]; global: any; alerting: any };
  const job = (name: string) => {
    const found = promConfig().scrape_configs.find((j) => j.job_name === name);
    if (!found) throw new Error(`no scrape job ${name}`);
    return found;
  };
  const mountOf = (r: PlannedResource, volume: (v: any) => boolean) => {
    const v = podSpec(r).volumes.find(volume);
    return { volume: v, mount: podSpec(r).containers[0].volumeMounts.find((m: any) => m.name === v?.name) };
  };

  it('registers the component and outputs the in-cluster Grafana URL', () => {
    expect(plan.resources.filter((r) => r.type === MONITORING_TYPE)).toHaveLength(1);
    expect(plan.outputs).toEqual({ grafanaUrl: `http://grafana.${MONITORING_NAMESPACE}.svc.cluster.local:${PORT.grafana}` });
  });

  it('runs Prometheus as a StatefulSet keeping 30 days on its own volume, probed on /-/healthy and /-/ready', () => {
    const prometheus = named('StatefulSet', WORKLOAD.prometheus);
    const c = podSpec(prometheus).containers[0];
    expect(plan.config.monitoring.retentionDays).toBe(30);
    expect(c.args).toContain('--storage.tsdb.retention.time=30d');
    expect(c.image).toBe(plan.config.monitoring.prometheusImage);
    expect(prometheus.inputs.spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: plan.config.monitoring.storageSize } } } }),
    ]);
    const dataMount = c.volumeMounts.find((m: any) => m.name === 'data');
    expect(c.args).toContain(`--storage.tsdb.path=${dataMount.mountPath}`);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: PORT.prometheus });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: PORT.prometheus });
    expect(podSpec(prometheus).serviceAccountName).toBe(WORKLOAD.prometheus);
  });

  it('gives every container requests, limits, and HTTP liveness and readiness probes', () => {
    const workloads = [...kind('StatefulSet'), ...kind('Deployment'), ...kind('DaemonSet')];
    expect(workloads.map((w) => w.inputs.metadata.name).sort()).toEqual(
      [WORKLOAD.prometheus, WORKLOAD.alertmanager, WORKLOAD.grafana, MONITORING_WORKLOAD.blackboxExporter, MONITORING_WORKLOAD.kubeStateMetrics, MONITORING_WORKLOAD.nodeExporter].sort(),
    );
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        const name = `${w.inputs.metadata.name}/${c.name}`;
        for (const k of ['requests', 'limits']) {
          expect(c.resources[k].cpu, `${name} ${k}`).toMatch(/^\d/);
          expect(c.resources[k].memory, `${name} ${k}`).toMatch(/^\d/);
        }
        expect(c.livenessProbe?.httpGet?.path, name).toMatch(/^\//);
        expect(c.readinessProbe?.httpGet?.path, name).toMatch(/^\//);
        expect(c.securityContext.allowPrivilegeEscalation, name).toBe(false);
        expect(podSpec(w).securityContext.runAsNonRoot, name).toBe(true);
      }
    }
    expect(podSpec(named('Deployment', WORKLOAD.grafana)).containers[0].livenessProbe.httpGet.path).toBe('/api/health');
  });

  it('has a scrape job for every service the alerts name, each app job on its workload port', () => {
    const config = promConfig();
    const names = config.scrape_configs.map((j) => j.job_name);
    expect(new Set(names).size).toBe(names.length);
    expect(plan.config.ollama.gpu.enabled).toBe(true);
    for (const expected of EXPECTED_JOBS) expect(names, expected).toContain(expected);
    // The app's workloads (worker, agents, APIs) by their label, on the port they serve /metrics on.
    for (const w of appWorkloads(plan.config, plan.config.namespace, standInSecrets().refs)) {
      const j = job(w.workload);
      expect(j.kubernetes_sd_configs[0].namespaces.names).toEqual([plan.config.namespace]);
      expect(j.kubernetes_sd_configs[0].selectors).toEqual([{ role: 'pod', label: `${LABEL.name}=${w.workload}` }]);
      const address = j.relabel_configs.find((r: any) => r.target_label === '__address__');
      expect(address.replacement, w.workload).toBe(`$1:${w.port}`);
      // No `service` target label: the API metrics carry `service` themselves.
      expect(j.relabel_configs.some((r: any) => r.target_label === 'service'), w.workload).toBe(false);
    }
    expect(job(WORKLOAD.mongodbExporter).relabel_configs.find((r: any) => r.target_label === '__address__').replacement).toBe(`$1:${PORT.mongodbExporter}`);
    expect(job(WORKLOAD.nsqExporter).relabel_configs.find((r: any) => r.target_label === '__address__').replacement).toBe(`$1:${PORT.nsqExporter}`);
    expect(config.global.scrape_interval).toBe(`${plan.config.monitoring.scrapeIntervalSeconds}s`);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual([`alertmanager.${MONITORING_NAMESPACE}.svc.cluster.local:${PORT.alertmanager}`]);
  });

  it('scrapes the APIs over HTTPS with a metrics-role token from a mounted Secret', async () => {
    const prometheus = named('StatefulSet', WORKLOAD.prometheus);
    const { volume, mount } = mountOf(prometheus, (v) => v.secret);
    const tokenSecret = named('Secret', volume.secret.secretName);
    const token = tokenSecret.inputs.stringData[API_TOKEN_KEY] as string;
    for (const api of [WORKLOAD.reviewApi, WORKLOAD.costApi]) {
      const j = job(api);
      expect(j.scheme).toBe('https');
      expect(j.authorization).toEqual({ type: 'Bearer', credentials_file: `${mount.mountPath}/${API_TOKEN_KEY}` });
    }
    // The token is what the APIs accept on /metrics: HS256, their issuer, the metrics role only.
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET.apiJwtSecret), {
      issuer: configSchema.parse({}).API_JWT_ISSUER,
      algorithms: ['HS256'],
      currentDate: new Date('2026-01-02T00:00:00Z'),
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.roles).toEqual([METRICS_ROLE]);
    expect(payload.exp! - payload.iat!).toBe(400 * 86_400);
    // Deterministic: planning again yields the same token (no diff on every `pulumi up`).
    const again = await planMonitoring('prod');
    const secretAgain = again.resources.find((r) => r.inputs.kind === 'Secret' && r.inputs.metadata.name === volume.secret.secretName);
    expect(secretAgain?.inputs.stringData[API_TOKEN_KEY]).toBe(token);
  });

  it('loads every alerts/*.rules.yml into one ConfigMap key each, mounted where rule_files points', () => {
    const rules = named('ConfigMap', 'prometheus-rules');
    expect(Object.keys(rules.inputs.data).sort()).toEqual(RULE_FILES);
    expect(RULE_FILES.length).toBeGreaterThanOrEqual(10);
    let count = 0;
    for (const file of RULE_FILES) {
      expect(rules.inputs.data[file]).toBe(readFileSync(path.join(ALERTS_DIR, file), 'utf8'));
      count += (parseYaml(rules.inputs.data[file]).groups as { rules: unknown[] }[]).reduce((n, g) => n + g.rules.length, 0);
    }
    // Checklist 9b-prom-04: thirty or more rules.
    expect(count).toBeGreaterThanOrEqual(30);
    const { mount } = mountOf(named('StatefulSet', WORKLOAD.prometheus), (v) => v.configMap?.name === 'prometheus-rules');
    expect(promConfig().rule_files).toEqual([`${mount.mountPath}/*.rules.yml`]);
  });

  it('probes each Ollama model and the public API endpoints through the blackbox exporter', () => {
    const modules = (blackboxConfig() as { modules: Record<string, unknown> }).modules;
    const ollama = job(SCRAPE_JOBS.ollamaModelProbe);
    expect(ollama.static_configs.map((g: any) => g.labels.model).sort()).toEqual([...OLLAMA_MODELS].sort());
    for (const g of ollama.static_configs) {
      expect(g.targets).toEqual([`http://ollama.${plan.config.namespace}.svc.cluster.local:${PORT.ollama}/api/tags`]);
      expect(modules[g.labels.__param_module]).toBeDefined();
    }
    const apis = job(SCRAPE_JOBS.apiTlsProbe);
    expect(apis.static_configs.map((g: any) => [g.labels.service, g.targets[0]])).toEqual([
      [WORKLOAD.reviewApi, `https://${plan.config.apis.reviewHost}/health`],
      [WORKLOAD.costApi, `https://${plan.config.apis.costHost}/health`],
    ]);
    const cm = named('ConfigMap', 'blackbox-exporter-config');
    expect(parseYaml(cm.inputs.data['blackbox.yml'])).toEqual(blackboxConfig());
  });

  it('configures Alertmanager with receiver credentials as files from the receivers Secret', () => {
    const am = named('StatefulSet', WORKLOAD.alertmanager);
    const { volume, mount } = mountOf(am, (v) => v.secret);
    expect(volume.secret.secretName).toBe('alertmanager-receivers');
    const yamlText = named('ConfigMap', 'alertmanager-config').inputs.data['alertmanager.yml'] as string;
    const config = parseYaml(yamlText);
    expect(config.global.smtp_auth_password_file).toBe(`${mount.mountPath}/smtp-password`);
    const receivers = Object.fromEntries(config.receivers.map((r: any) => [r.name, r]));
    expect(receivers.page.pagerduty_configs[0].routing_key_file).toBe(`${mount.mountPath}/pagerduty-routing-key`);
    expect(receivers.ticket.slack_configs[0].api_url_file).toBe(`${mount.mountPath}/slack-webhook-url`);
    expect(receivers.ticket.email_configs[0].to).toBe(plan.config.monitoring.alerting.emailTo);
    expect(am.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(plan.config.monitoring.alertmanagerStorageSize);
    const c = podSpec(am).containers[0];
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/-/healthy', '/-/ready']);
  });

  it('provisions Grafana with the Prometheus datasource and all five dashboards', () => {
    const grafana = named('Deployment', WORKLOAD.grafana);
    const datasources = parseYaml(named('ConfigMap', 'grafana-datasources').inputs.data['datasources.yaml']).datasources;
    expect(datasources.find((d: any) => d.uid === 'prometheus')).toMatchObject({
      type: 'prometheus',
      isDefault: true,
      url: `http://prometheus.${MONITORING_NAMESPACE}.svc.cluster.local:${PORT.prometheus}`,
    });
    const dashboards = named('ConfigMap', 'grafana-dashboards').inputs.data as Record<string, string>;
    const built = buildDashboards();
    // (The engine's wire format sorts map keys, so compare as sets.)
    expect(Object.keys(dashboards).sort()).toEqual(built.map((d) => `${d.uid}.json`).sort());
    expect(Object.values(dashboards).map((text) => JSON.parse(text).title).sort()).toEqual([...CHECKLIST_DASHBOARDS].sort());
    for (const d of built) expect(JSON.parse(dashboards[`${d.uid}.json`]!)).toEqual(d.json);
    const provider = parseYaml(named('ConfigMap', 'grafana-dashboard-provider').inputs.data['dashboards.yaml']).providers[0];
    const { mount } = mountOf(grafana, (v) => v.configMap?.name === 'grafana-dashboards');
    expect(provider.options.path).toBe(mount.mountPath);
    const env = Object.fromEntries(podSpec(grafana).containers[0].env.map((e: any) => [e.name, e]));
    expect(env.GF_SECURITY_ADMIN_USER.valueFrom).toEqual({ secretKeyRef: { name: 'grafana-admin', key: 'admin-user' } });
    expect(env.GF_SECURITY_ADMIN_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } });
    expect(named('PersistentVolumeClaim', 'grafana-data').inputs.spec.resources.requests.storage).toBe(plan.config.monitoring.grafanaStorageSize);
  });

  it('keeps secret values out of everything but Secret objects', () => {
    for (const r of plan.resources.filter((x) => x.inputs.kind !== 'Secret')) {
      const text = strings(r.inputs);
      for (const value of Object.values(SECRET)) expect(text.filter((s) => s.includes(value)), r.name).toEqual([]);
    }
  });

  it('uses ClusterIP Services (headless for the StatefulSets) and a PDB per workload', () => {
    const services: Record<string, any> = Object.fromEntries(kind('Service').map((s) => [s.inputs.metadata.name, s.inputs.spec]));
    for (const spec of Object.values(services)) expect(spec.type).toBe('ClusterIP');
    expect(services[WORKLOAD.prometheus]!.clusterIP).toBe('None');
    expect(services[WORKLOAD.alertmanager]!.clusterIP).toBe('None');
    expect(services[WORKLOAD.grafana]!.clusterIP).toBeUndefined();
    const pdbs = kind('PodDisruptionBudget');
    expect(pdbs.map((p) => p.inputs.metadata.name).sort()).toEqual(
      [WORKLOAD.prometheus, WORKLOAD.alertmanager, WORKLOAD.grafana, MONITORING_WORKLOAD.blackboxExporter, MONITORING_WORKLOAD.kubeStateMetrics].sort(),
    );
    for (const p of pdbs) expect(p.inputs.spec.maxUnavailable).toBe(1);
    for (const r of plan.resources.filter((x) => x.custom && x.inputs.metadata && x.inputs.kind !== 'Namespace')) {
      expect(r.inputs.metadata.name, r.name).toBeTruthy();
      expect(r.inputs.metadata.labels[LABEL.partOf], r.name).toBe(PART_OF);
      if (!r.inputs.kind.startsWith('Cluster')) expect(r.inputs.metadata.namespace, r.name).toBe(MONITORING_NAMESPACE);
    }
  });

  it('lets Prometheus discover pods and nodes, and read kubelet metrics', () => {
    const role = named('ClusterRole', `${PART_OF}-prometheus`);
    const core = role.inputs.rules.find((r: any) => r.apiGroups.includes(''));
    expect(core.resources).toEqual(expect.arrayContaining(['pods', 'nodes', 'nodes/metrics']));
    expect(core.verbs).toEqual(['get', 'list', 'watch']);
    const binding = named('ClusterRoleBinding', `${PART_OF}-prometheus`);
    expect(binding.inputs.subjects).toEqual([{ kind: 'ServiceAccount', name: WORKLOAD.prometheus, namespace: MONITORING_NAMESPACE }]);
  });

  it('declares only objects that validate against the Kubernetes schemas (types, enums, required fields)', async () => {
    await expectSchemaValid(plan.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:') && r.inputs.kind));
  });
});

describe('Monitoring on Docker (dev)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planMonitoring('dev');
  });

  const containers = () => ofType(plan, 'docker:index/container:Container');
  const container = (name: string) => containerNamed(plan, name).inputs;
  const uploads = (name: string) => Object.fromEntries((container(name).uploads as { file: string; content: string }[]).map((u) => [u.file, u.content]));

  it('runs Prometheus, Alertmanager, Grafana and the blackbox exporter with restart, limits and healthchecks', () => {
    expect(containers().map((c) => c.inputs.name).sort()).toEqual([WORKLOAD.alertmanager, MONITORING_WORKLOAD.blackboxExporter, WORKLOAD.grafana, WORKLOAD.prometheus]);
    for (const c of containers()) {
      expect(c.inputs.restart, c.inputs.name).toBe('unless-stopped');
      expect(Number(c.inputs.cpus), c.inputs.name).toBeGreaterThan(0);
      expect(c.inputs.memory, c.inputs.name).toBeGreaterThan(0);
      expect(c.inputs.healthcheck.tests[0], c.inputs.name).toBe('CMD');
    }
    expect(plan.outputs).toEqual({ grafanaUrl: `http://localhost:${plan.config.monitoring.grafanaHostPort}` });
  });

  it('publishes only Grafana, on its configured host port', () => {
    const published = containers().flatMap((c) => (c.inputs.ports ?? []).map((p: any) => [c.inputs.name, p.external, p.internal]));
    expect(published).toEqual([[WORKLOAD.grafana, plan.config.monitoring.grafanaHostPort, PORT.grafana]]);
  });

  it('keeps Prometheus, Alertmanager and Grafana data on volumes', () => {
    const volumeNames = ofType(plan, 'docker:index/volume:Volume').map((v) => v.inputs.name);
    for (const name of [WORKLOAD.prometheus, WORKLOAD.alertmanager, WORKLOAD.grafana]) {
      const mounts = container(name).volumes as { volumeName: string }[];
      expect(mounts, name).toHaveLength(1);
      expect(volumeNames, name).toContain(mounts[0]!.volumeName);
    }
  });

  it('uploads prometheus.yml with a job per service, the rule files, and keeps 30 days', () => {
    const prometheus = container(WORKLOAD.prometheus);
    expect(prometheus.command).toContain('--storage.tsdb.retention.time=30d');
    const files = uploads(WORKLOAD.prometheus);
    const config = parseYaml(files['/etc/prometheus/prometheus.yml']!) as { scrape_configs: Job[] };
    const names = config.scrape_configs.map((j) => j.job_name);
    for (const expected of EXPECTED_JOBS.filter((j) => !CLUSTER_JOBS.includes(j))) expect(names, expected).toContain(expected);
    for (const clusterOnly of CLUSTER_JOBS) expect(names).not.toContain(clusterOnly);
    const targets = (name: string) => config.scrape_configs.find((j) => j.job_name === name)!.static_configs[0].targets;
    expect(targets(WORKLOAD.worker)).toEqual(Array.from({ length: plan.config.worker.replicas }, (_, i) => `${WORKLOAD.worker}-${i + 1}:${PORT.workerMetrics}`));
    for (const a of AGENT_WORKLOADS) expect(targets(a)).toEqual([`${a}:${PORT.agent}`]);
    expect(targets(WORKLOAD.reviewApi)).toEqual([`${WORKLOAD.reviewApi}:${PORT.reviewApi}`]);
    const tokenFile = config.scrape_configs.find((j) => j.job_name === WORKLOAD.costApi)!.authorization.credentials_file;
    expect(files[tokenFile]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const file of RULE_FILES) expect(files[`/etc/prometheus/rules/${file}`]).toBe(readFileSync(path.join(ALERTS_DIR, file), 'utf8'));
  });

  it('gives Grafana its admin login as files and the five dashboards', () => {
    const grafana = container(WORKLOAD.grafana);
    const files = uploads(WORKLOAD.grafana);
    const env = Object.fromEntries((grafana.envs as string[]).map((e) => e.split('=', 2) as [string, string]));
    expect(files[env.GF_SECURITY_ADMIN_USER__FILE!]).toBe(SECRET.grafanaAdminUser);
    expect(files[env.GF_SECURITY_ADMIN_PASSWORD__FILE!]).toBe(SECRET.grafanaAdminPassword);
    const dashboards = Object.keys(files).filter((f) => f.endsWith('.json'));
    expect(dashboards.map((f) => JSON.parse(files[f]!).title)).toEqual(CHECKLIST_DASHBOARDS);
  });

  it('puts no secret value in env or command, and Alertmanager reads receiver credentials from files', () => {
    for (const c of containers()) {
      const text = strings([c.inputs.envs, c.inputs.command, c.inputs.labels]);
      for (const value of Object.values(SECRET)) expect(text.filter((s) => s.includes(value)), c.inputs.name).toEqual([]);
    }
    const files = uploads(WORKLOAD.alertmanager);
    const config = parseYaml(files['/etc/alertmanager/alertmanager.yml']!);
    expect(files[config.global.smtp_auth_password_file]).toBe(SECRET.smtpPassword);
    expect(strings(config).filter((s) => Object.values(SECRET).includes(s as never))).toEqual([]);
  });
});

describe('blackbox modules', () => {
  it('accept /api/tags only when it lists the model', () => {
    const modules = (blackboxConfig() as { modules: Record<string, { http: { fail_if_body_not_matches_regexp: string[] } }> }).modules;
    const matches = (model: string, body: string) => new RegExp(modules[ollamaModelModule(model)]!.http.fail_if_body_not_matches_regexp[0]!).test(body);
    const tags = (...names: string[]) => JSON.stringify({ models: names.map((name) => ({ name, model: name, size: 1 })) });
    expect(matches('llama3.2', tags('llama3.2:latest'))).toBe(true);
    expect(matches('llama3.2', tags('llama3.2'))).toBe(true);
    expect(matches('llama3.2', tags('llama3.20:latest', 'llama3x2:latest'))).toBe(false);
    expect(matches('mixtral', tags('llama3.2:latest', 'mixtral:8x7b'))).toBe(true);
    expect(matches('mixtral', tags('llama3.2:latest'))).toBe(false);
  });
});
