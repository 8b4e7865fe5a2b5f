/**
 * The whole program, per stack file, under Pulumi mocks: it builds, and the checklist's
 * Infrastructure (9a) and Service Deployment (9c) properties hold in the resolved resource inputs.
 * Component details are tested in the per-component files; this file checks the assembled stacks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_WORKLOADS, ANNOTATION, LABEL, OLLAMA_MODELS, PORT, WORKLOAD } from '../../infra/src/conventions.js';
import { ofType, planStack, type Plan, type PlannedResource } from '../../infra/src/plan.js';
import { toGibibytes } from '../../policies/src/lib/quantities.js';
import { byWorkload, containersLabelled, containersOf, POD_WORKLOAD_TYPES as WORKLOAD_TYPES, podSpecOf as podSpec, stringEntries as strings, TYPE, workloadName } from './support.js';

const LONG_RUNNING: readonly string[] = [TYPE.deployment, TYPE.statefulSet, TYPE.daemonSet];

/** Secret inputs given to the plan: none of these may appear as a literal anywhere but in a Secret. */
const SECRETS = {
  anthropicApiKey: 'sk-ant-test-key-0123456789abcdef',
  mongodbRootPassword: 'root-password-from-stack-config-123456',
  apiJwtSecret: 'api-jwt-secret-from-stack-config-0123456789',
};

/**
 * Lower bounds on what the Kubernetes stacks deploy, so the per-container loops cannot pass on an
 * empty plan: the five agents, the worker, two APIs, nsqadmin, the exporters and Grafana are
 * Deployments; MongoDB, nsqd, nsqlookupd, Ollama, Prometheus, Alertmanager and Loki StatefulSets.
 */
const MIN_LONG_RUNNING = 15;
/** Long-running workloads plus the Jobs and CronJobs (indexes, topics, models, backup, restore). */
const MIN_WORKLOADS = 18;

function kubeWorkloads(plan: Plan, types: readonly string[] = WORKLOAD_TYPES): PlannedResource[] {
  return plan.resources.filter((r) => types.includes(r.type));
}

describe.each(['staging', 'prod'] as const)('%s stack (Kubernetes)', (stack) => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack(stack, { secrets: SECRETS });
  }, 120_000);

  it('builds, with every resource on the Kubernetes provider', () => {
    expect(plan.resources.length).toBeGreaterThan(50);
    expect(ofType(plan, 'docker:index/container:Container')).toHaveLength(0);
    expect(plan.outputs).toMatchObject({ stack, target: 'kubernetes' });
  });

  it('gives every container requests and limits for CPU and memory', () => {
    const workloads = kubeWorkloads(plan);
    let containers = 0;
    for (const r of workloads) {
      const spec = podSpec(r);
      for (const c of containersOf(spec)) {
        containers += 1;
        const where = `${r.type} ${workloadName(r)} container ${c.name}`;
        expect(c.resources?.requests?.cpu, where).toBeTruthy();
        expect(c.resources?.requests?.memory, where).toBeTruthy();
        expect(c.resources?.limits?.cpu, where).toBeTruthy();
        expect(c.resources?.limits?.memory, where).toBeTruthy();
      }
    }
    // Not vacuous: the platform has well over 15 workloads (5 agents, worker, 2 APIs, data tier,
    // Jobs, monitoring), each with at least one container.
    expect(workloads.length).toBeGreaterThanOrEqual(MIN_WORKLOADS);
    expect(containers).toBeGreaterThanOrEqual(workloads.length);
  });

  it('probes every long-running container for liveness and readiness', () => {
    const longRunning = kubeWorkloads(plan, LONG_RUNNING);
    let probed = 0;
    for (const r of longRunning) {
      for (const c of podSpec(r)?.containers ?? []) {
        const where = `${r.type} ${workloadName(r)} container ${c.name}`;
        expect(c.livenessProbe, where).toBeTruthy();
        expect(c.readinessProbe, where).toBeTruthy();
        probed += 1;
      }
    }
    expect(longRunning.length).toBeGreaterThanOrEqual(MIN_LONG_RUNNING);
    expect(probed).toBeGreaterThanOrEqual(longRunning.length);
  });

  it('runs MongoDB as an authenticated replica set with a volume per member and a PDB', () => {
    const mongo = byWorkload(plan, 'kubernetes:apps/v1:StatefulSet', WORKLOAD.mongodb);
    expect(mongo.inputs.spec.replicas).toBe(plan.config.mongodb.replicas);
    if (stack === 'prod') expect(mongo.inputs.spec.replicas).toBe(3);
    const claim = mongo.inputs.spec.volumeClaimTemplates?.[0];
    expect(claim?.spec?.resources?.requests?.storage).toBe(plan.config.mongodb.storageSize);
    const args = JSON.stringify(podSpec(mongo).containers[0]);
    expect(args).toMatch(/--auth|--keyFile/);
    expect(args).toContain('--replSet');
    expect(ofType(plan, 'kubernetes:policy/v1:PodDisruptionBudget').some((p) => JSON.stringify(p.inputs.spec.selector).includes(WORKLOAD.mongodb))).toBe(true);
  });

  it('backs MongoDB up daily to S3 and keeps backups at least 30 days', () => {
    const cron = byWorkload(plan, 'kubernetes:batch/v1:CronJob', WORKLOAD.mongodbBackup);
    expect(cron.inputs.spec.schedule).toBe('0 2 * * *');
    expect(Number(cron.inputs.metadata.annotations[ANNOTATION.backupRetentionDays])).toBeGreaterThanOrEqual(30);
    // The script may sit in a ConfigMap the CronJob mounts.
    const mounted = (podSpec(cron).volumes ?? []).map((v: any) => v.configMap?.name).filter(Boolean);
    const maps = ofType(plan, 'kubernetes:core/v1:ConfigMap').filter((m) => mounted.includes(m.inputs.metadata.name));
    const script = JSON.stringify(podSpec(cron)) + JSON.stringify(maps.map((m) => m.inputs.data));
    expect(script).toContain('mongodump');
    expect(script).toContain('--archive');
    expect(script).toContain('--gzip');
  });

  it('declares the checklist indexes in the index Job', () => {
    const job = byWorkload(plan, 'kubernetes:batch/v1:Job', WORKLOAD.mongodbIndexes);
    const declared = job.inputs.metadata.annotations[ANNOTATION.mongodbIndexes] as string;
    for (const [collection, fields] of Object.entries({
      ocr_jobs: ['job_id', 'status', 'created_at'],
      enriched_documents: ['document_id', 'completeness_score'],
      review_queue: ['status', 'created_at', 'document_id'],
      cost_records: ['enrichment_job_id', 'created_at'],
    })) {
      for (const field of fields) expect(declared, `${collection}.${field}`).toMatch(new RegExp(`${collection}:[^;]*\\b${field}\\b`));
    }
  });

  it('runs nsqlookupd and nsqd as StatefulSets, nsqd on volumes, and creates the enrichment topic', () => {
    const lookupd = byWorkload(plan, 'kubernetes:apps/v1:StatefulSet', WORKLOAD.nsqlookupd);
    const nsqd = byWorkload(plan, 'kubernetes:apps/v1:StatefulSet', WORKLOAD.nsqd);
    expect(lookupd.inputs.spec.replicas).toBe(plan.config.nsq.nsqlookupdReplicas);
    expect(nsqd.inputs.spec.replicas).toBe(plan.config.nsq.nsqdReplicas);
    expect(nsqd.inputs.spec.replicas).toBeGreaterThanOrEqual(2);
    if (stack === 'prod') expect(lookupd.inputs.spec.replicas).toBe(3);
    expect(nsqd.inputs.spec.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe(plan.config.nsq.nsqdStorageSize);
    expect(JSON.stringify(podSpec(nsqd).containers)).toContain('--broadcast-address');
    const topics = byWorkload(plan, 'kubernetes:batch/v1:Job', WORKLOAD.nsqTopics);
    expect(topics.inputs.metadata.annotations[ANNOTATION.nsqTopics]).toContain('enrichment');
  });

  it('gives Ollama a GPU, at least 30Gi of model storage, /api/tags readiness and both models', () => {
    const ollama = plan.resources.find(
      (r) => LONG_RUNNING.includes(r.type) && workloadName(r) === WORKLOAD.ollama,
    )!;
    expect(ollama).toBeDefined();
    const container = podSpec(ollama).containers[0];
    expect(container.resources.limits['nvidia.com/gpu']).toBeTruthy();
    expect(container.readinessProbe.httpGet.path).toBe('/api/tags');
    expect(container.startupProbe).toBeTruthy();
    const sizes = [
      ...(ollama.inputs.spec.volumeClaimTemplates ?? []).map((c: any) => c.spec.resources.requests.storage),
      ...ofType(plan, 'kubernetes:core/v1:PersistentVolumeClaim')
        .filter((p) => JSON.stringify(p.inputs.metadata).includes(WORKLOAD.ollama))
        .map((p) => p.inputs.spec.resources.requests.storage),
    ];
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.max(...sizes.map(toGibibytes))).toBeGreaterThanOrEqual(30);
    const pull = byWorkload(plan, 'kubernetes:batch/v1:Job', WORKLOAD.ollamaModels);
    expect(pull.inputs.metadata.annotations[ANNOTATION.ollamaModels].split(',')).toEqual([...OLLAMA_MODELS]);
    expect(JSON.stringify(podSpec(pull))).toContain('/api/pull');
  });

  it('runs at least two EnrichmentWorkers with an HPA, the five agents and both APIs', () => {
    const worker = byWorkload(plan, 'kubernetes:apps/v1:Deployment', WORKLOAD.worker);
    expect(worker.inputs.spec.replicas).toBeGreaterThanOrEqual(2);
    const hpa = ofType(plan, 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler').find((h) => h.inputs.spec.scaleTargetRef.name === worker.inputs.metadata.name);
    expect(hpa?.inputs.spec.minReplicas).toBeGreaterThanOrEqual(2);
    for (const name of [...AGENT_WORKLOADS, WORKLOAD.reviewApi, WORKLOAD.costApi]) byWorkload(plan, 'kubernetes:apps/v1:Deployment', name);
  });

  it('keeps MongoDB, NSQ and Ollama on ClusterIP Services; only the ingress controller is a LoadBalancer', () => {
    const services = ofType(plan, 'kubernetes:core/v1:Service');
    for (const s of services) {
      const type = s.inputs.spec?.type ?? 'ClusterIP';
      if (type === 'ClusterIP') continue;
      expect(s.inputs.metadata?.annotations?.[ANNOTATION.ingressController], `${s.name} is ${type}`).toBeDefined();
    }
    const internal = [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.nsqlookupd, WORKLOAD.ollama];
    for (const name of internal) {
      const svc = services.filter((s) => s.inputs.metadata?.labels?.[LABEL.name] === name || s.inputs.metadata?.name === name);
      expect(svc.length, `Service for ${name}`).toBeGreaterThan(0);
      for (const s of svc) expect(s.inputs.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    }
    const ingresses = ofType(plan, 'kubernetes:networking.k8s.io/v1:Ingress');
    const backends = ingresses.flatMap((i) => (i.inputs.spec.rules ?? []).flatMap((rule: any) => rule.http.paths.map((p: any) => p.backend.service)));
    expect(backends.map((b: any) => b.port.number).sort()).toEqual([PORT.reviewApi, PORT.costApi].sort());
    for (const i of ingresses) expect(i.inputs.spec.tls?.length).toBeGreaterThan(0);
  });

  it('denies all traffic by default in the app namespace', () => {
    const policies = ofType(plan, 'kubernetes:networking.k8s.io/v1:NetworkPolicy').filter((p) => p.inputs.metadata.namespace === plan.config.namespace);
    const denyAll = policies.find((p) => JSON.stringify(p.inputs.spec.podSelector) === '{}' && !p.inputs.spec.ingress?.length && !p.inputs.spec.egress?.length);
    expect(denyAll?.inputs.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
  });

  it('keeps Prometheus data 30 days', () => {
    const prom = plan.resources.find((r) => LONG_RUNNING.includes(r.type) && workloadName(r) === WORKLOAD.prometheus)!;
    expect(JSON.stringify(podSpec(prom).containers)).toContain(`--storage.tsdb.retention.time=${plan.config.monitoring.retentionDays}d`);
    expect(plan.config.monitoring.retentionDays).toBeGreaterThanOrEqual(30);
  });

  it('puts secrets only into Secrets: never in env values, ConfigMaps, Helm values or args', () => {
    const secretValues = Object.values(SECRETS);
    // Positive control: every test secret does reach a Secret (in stringData, or base64 in data),
    // so the scan below looks for values that the plan really carries.
    const secretObjects = ofType(plan, 'kubernetes:core/v1:Secret');
    for (const secret of secretValues) {
      const holders = secretObjects.filter((r) =>
        strings(r.inputs).some(([, value]) => value.includes(secret) || Buffer.from(value, 'base64').toString('utf8').includes(secret)),
      );
      expect(holders.length, `a Secret holds ${secret}`).toBeGreaterThan(0);
    }
    for (const r of plan.resources) {
      if (r.type === 'kubernetes:core/v1:Secret') continue;
      if (!r.custom) continue; // component inputs are not sent anywhere
      for (const [path, value] of strings(r.inputs)) {
        for (const secret of secretValues) expect(value.includes(secret), `${r.type} ${r.name} ${path}`).toBe(false);
      }
    }
    for (const r of kubeWorkloads(plan)) {
      const spec = podSpec(r);
      for (const c of containersOf(spec)) {
        for (const env of c.env ?? []) {
          if (/PASSWORD|SECRET|API_KEY|TOKEN|MONGODB_URI/.test(env.name)) {
            expect(env.value, `${workloadName(r)} ${c.name} ${env.name} must come from a Secret`).toBeUndefined();
            expect(env.valueFrom?.secretKeyRef, `${workloadName(r)} ${c.name} ${env.name}`).toBeDefined();
          }
        }
      }
    }
  });
});

describe('dev stack (Docker)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack('dev', { secrets: SECRETS });
  }, 120_000);

  const containers = () => ofType(plan, 'docker:index/container:Container');
  const named = (name: string) => containersLabelled(plan, name);

  it('builds on the Docker provider only', () => {
    expect(plan.resources.filter((r) => r.type.startsWith('kubernetes:'))).toHaveLength(0);
    expect(containers().length).toBeGreaterThanOrEqual(12);
  });

  it('restarts long-running containers unless stopped, limits CPU and memory, and health-checks them', () => {
    for (const c of containers()) {
      if (c.inputs.restart === 'no' || c.inputs.restart === 'on-failure') continue; // one-shot setup containers
      expect(c.inputs.restart, c.name).toBe('unless-stopped');
      expect(c.inputs.memory, c.name).toBeGreaterThan(0);
      expect(Number(c.inputs.cpus ?? c.inputs.cpuShares), c.name).toBeGreaterThan(0);
      expect(c.inputs.healthcheck?.tests?.length, c.name).toBeGreaterThan(0);
    }
  });

  it('runs two workers', () => {
    expect(named(WORKLOAD.worker).length).toBeGreaterThanOrEqual(2);
  });

  it('publishes host ports only for the two APIs and Grafana', () => {
    const published = containers().flatMap((c) => (c.inputs.ports ?? []).map((p: any) => p.external ?? p.internal));
    expect([...new Set(published)].sort()).toEqual([PORT.reviewApi, PORT.costApi, plan.config.monitoring.grafanaHostPort].sort());
  });

  it('keeps MongoDB and NSQ on the internal network only, and publishes no data-tier port', () => {
    const internal = ofType(plan, 'docker:index/network:Network').filter((n) => n.inputs.internal === true);
    expect(internal).toHaveLength(1);
    for (const name of [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.nsqlookupd]) {
      for (const c of named(name)) expect(c.inputs.networksAdvanced, name).toHaveLength(1);
    }
    // Ollama also joins the outbound network to pull models, but publishes nothing.
    for (const name of [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.nsqlookupd, WORKLOAD.ollama]) {
      expect(named(name).length, name).toBeGreaterThan(0);
      for (const c of named(name)) expect(c.inputs.ports ?? [], name).toHaveLength(0);
    }
  });

  it('keeps stateful data on named volumes', () => {
    for (const name of [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.ollama, WORKLOAD.prometheus, WORKLOAD.grafana]) {
      const c = named(name);
      expect(c.length, name).toBeGreaterThan(0);
      expect(c[0]!.inputs.volumes?.some((v: any) => v.volumeName), name).toBe(true);
    }
  });

  it('hands secrets over as files, never as env values', () => {
    for (const c of containers()) {
      for (const env of (c.inputs.envs ?? []) as string[]) {
        for (const secret of Object.values(SECRETS)) expect(env.includes(secret), `${c.name} env ${env.split('=')[0]}`).toBe(false);
        const name = env.split('=')[0]!;
        if (/PASSWORD|SECRET|API_KEY|TOKEN|MONGODB_URI$/.test(name)) expect(name, `${c.name}: ${name} must be a _FILE variable`).toMatch(/_FILE$/);
      }
    }
  });
});
