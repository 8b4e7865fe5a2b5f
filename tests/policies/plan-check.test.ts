/**
 * The plan check: the whole infra program of each stack (dev on Docker, staging and prod on
 * Kubernetes), planned under Pulumi mocks from its `Pulumi.<stack>.yaml`, evaluated against the
 * whole pack with the stack's policy config (`policies/config/<stack>.json`). No stack may have a
 * mandatory violation.
 *
 * Then, for every policy, one deliberately broken variant makes exactly that policy fail (and no
 * other policy that passed before): a config override or secret through
 * `planStack(stack, { overrides | secrets })` where the stack config can express the mistake,
 * otherwise a mutation of one planned resource's inputs (named "mutation:" in the test title).
 * Each stack is planned once per file and reused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PolicyPackConfig } from '@pulumi/policy';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ANNOTATION, LABEL, WORKLOAD } from '../../infra/src/conventions.js';
import type { StackName } from '../../infra/src/config.js';
import { planStack, REPO_ROOT, type PlannedResource } from '../../infra/src/plan.js';
import { configDocuments, isAlertmanagerConfig, isDashboard, isPrometheusConfig, isRuleFile } from '../../policies/src/lib/documents.js';
import { dockerContainerOf } from '../../policies/src/lib/docker.js';
import { workloadOf } from '../../policies/src/lib/kubernetes.js';
import { evaluatePack, mandatory, policyResources, type Violation } from '../../policies/src/evaluate.js';
import { PACK_ENFORCEMENT_LEVEL, POLICIES } from '../../policies/src/pack.js';
import { T } from './support.js';

const STACKS: StackName[] = ['dev', 'staging', 'prod'];
const policyConfig = (stack: StackName): PolicyPackConfig => JSON.parse(readFileSync(path.join(REPO_ROOT, `policies/config/${stack}.json`), 'utf8')) as PolicyPackConfig;
const evaluate = async (stack: StackName, resources: readonly PlannedResource[]) =>
  (await evaluatePack(POLICIES, resources, { enforcementLevel: PACK_ENFORCEMENT_LEVEL, config: policyConfig(stack) })).violations;

const plans = {} as Record<StackName, PlannedResource[]>;
const baseline = {} as Record<StackName, Violation[]>;

beforeAll(async () => {
  for (const stack of STACKS) {
    plans[stack] = (await planStack(stack)).resources;
    baseline[stack] = await evaluate(stack, plans[stack]);
  }
}, 180_000);

describe.each(STACKS)('stack %s', (stack) => {
  it('declares the platform', () => {
    expect(plans[stack].length).toBeGreaterThan(50);
  });
  it('passes every mandatory policy', () => {
    expect(mandatory(baseline[stack]).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });
  it('reports advisory violations only for policies its policy config relaxes', () => {
    const relaxed = Object.keys(policyConfig(stack));
    for (const v of baseline[stack]) expect(relaxed, `${v.policy}: ${v.message}`).toContain(v.policy);
  });
});

// --- how a case breaks the plan ---

type Mutation = (resources: PlannedResource[]) => PlannedResource[];

/** Applies `edit` to a deep copy of the inputs of the resources matching `match` (at least one). */
function mutate(match: (r: PlannedResource) => boolean, edit: (inputs: Record<string, any>) => void): Mutation {
  return (resources) => {
    let n = 0;
    const out = resources.map((r) => {
      if (!match(r)) return r;
      n += 1;
      const inputs = structuredClone(r.inputs);
      edit(inputs);
      return { ...r, inputs };
    });
    if (n === 0) throw new Error('the mutation matched no resource');
    return out;
  };
}

/** A Kubernetes workload by its `app.kubernetes.io/name` (and kind). */
const workload = (name: string, type?: string) => (r: PlannedResource) => (type === undefined || r.type === type) && workloadOf(r.type, r.inputs)?.workload === name;
/** A Docker container by workload label. */
const dockerWorkload = (name: string) => (r: PlannedResource) => r.type === T.Container && dockerContainerOf(r.inputs).workload === name;
/** A Kubernetes object by type and metadata.name. */
const object = (type: string, name: string) => (r: PlannedResource) => r.type === type && r.inputs.metadata?.name === name;
/** The first container of a pod template. */
const main = (inputs: Record<string, any>) => inputs.spec.template.spec.containers[0];

/**
 * Rewrites the first configuration document (ConfigMap or Secret value, Docker upload) for which
 * `match` holds, re-serialized as JSON or YAML like the original.
 */
function editDocument(match: (doc: unknown) => boolean, edit: (doc: any) => void): Mutation {
  return (resources) => {
    const doc = configDocuments(policyResources(resources)).find((d) => match(d.parsed));
    if (!doc) throw new Error('no configuration document matched');
    const rewrite = (text: string) => {
      const parsed = doc.key.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      edit(parsed);
      return doc.key.endsWith('.json') ? JSON.stringify(parsed) : toYaml(parsed);
    };
    return mutate(
      (r) => r.urn === doc.urn,
      (inputs) => {
        if (inputs.data?.[doc.key] !== undefined) inputs.data[doc.key] = rewrite(inputs.data[doc.key]);
        else if (inputs.stringData?.[doc.key] !== undefined) inputs.stringData[doc.key] = rewrite(inputs.stringData[doc.key]);
        else {
          const upload = inputs.uploads.find((u: { file: string }) => u.file === doc.key);
          upload.content = rewrite(upload.content);
        }
      },
    )(resources);
  };
}

interface BrokenCase {
  policy: string;
  stack: StackName;
  /** Config through `planStack` (overrides of Pulumi.<stack>.yaml values, or secret values). */
  config?: { overrides?: Record<string, unknown>; secrets?: Record<string, string> };
  /** A mutation of the baseline plan (only where no config knob can express the mistake). */
  mutation?: Mutation;
  /** What is broken, for the test title. */
  what: string;
}

const CASES: BrokenCase[] = [
  // Workloads.
  { policy: 'kubernetes-workload-resources', stack: 'prod', what: 'worker container without limits', mutation: mutate(workload(WORKLOAD.worker, T.Deployment), (i) => delete main(i).resources.limits) },
  { policy: 'kubernetes-workload-probes', stack: 'prod', what: 'review-api without readiness probe', mutation: mutate(workload(WORKLOAD.reviewApi, T.Deployment), (i) => delete main(i).readinessProbe) },
  {
    policy: 'kubernetes-pod-no-bare-pods',
    stack: 'prod',
    what: 'a bare debug Pod added',
    mutation: (rs) => [
      ...rs,
      { type: T.Pod, name: 'debug', urn: 'urn:pulumi:prod::enrichment-platform::kubernetes:core/v1:Pod::debug', custom: true, inputs: { metadata: { name: 'debug', namespace: 'enrichment' }, spec: { containers: [] } } },
    ],
  },
  {
    policy: 'kubernetes-poddisruptionbudget-allows-disruption',
    stack: 'prod',
    what: 'worker PDB maxUnavailable 0',
    mutation: mutate((r) => r.type === T.PodDisruptionBudget && r.inputs.metadata?.labels?.[LABEL.name] === WORKLOAD.worker, (i) => (i.spec = { maxUnavailable: 0, selector: i.spec.selector })),
  },
  { policy: 'kubernetes-deployment-worker-replicas', stack: 'prod', what: 'worker.replicas 1', config: { overrides: { worker: { replicas: 1 } } } },
  { policy: 'kubernetes-deployment-worker-autoscaling', stack: 'prod', what: 'worker.maxReplicas equal to replicas', config: { overrides: { worker: { maxReplicas: 2 } } } },
  { policy: 'docker-container-resources', stack: 'dev', what: 'nsqd container without memory limit', mutation: mutate(dockerWorkload(WORKLOAD.nsqd), (i) => delete i.memory) },
  { policy: 'docker-container-healthcheck', stack: 'dev', what: 'grafana container without healthcheck', mutation: mutate(dockerWorkload(WORKLOAD.grafana), (i) => delete i.healthcheck) },
  { policy: 'docker-container-restart-policy', stack: 'dev', what: 'mongodb container restart no', mutation: mutate(dockerWorkload(WORKLOAD.mongodb), (i) => (i.restart = 'no')) },
  { policy: 'docker-container-worker-replicas', stack: 'dev', what: 'worker.replicas 1', config: { overrides: { worker: { replicas: 1 } } } },
  {
    policy: 'platform-workloads-deployed',
    stack: 'prod',
    what: 'the Cost API Deployment (and its PDB) removed',
    mutation: (rs) => rs.filter((r) => !workload(WORKLOAD.costApi, T.Deployment)(r) && !(r.type === T.PodDisruptionBudget && r.inputs.metadata?.labels?.[LABEL.name] === WORKLOAD.costApi)),
  },
  // Data.
  { policy: 'kubernetes-statefulset-mongodb-auth', stack: 'prod', what: 'mongod started with --noauth', mutation: mutate(workload(WORKLOAD.mongodb, T.StatefulSet), (i) => (main(i).args = [...(main(i).args ?? []), '--noauth'])) },
  { policy: 'docker-container-mongodb-auth', stack: 'dev', what: 'mongodb container started with --noauth', mutation: mutate(dockerWorkload(WORKLOAD.mongodb), (i) => (i.command = [...(i.command ?? []), '--noauth'])) },
  { policy: 'kubernetes-statefulset-mongodb-replicas', stack: 'prod', what: 'mongodb.replicas 1', config: { overrides: { mongodb: { replicas: 1 } } } },
  { policy: 'kubernetes-workload-persistent-storage', stack: 'prod', what: 'nsqd without volumeClaimTemplates', mutation: mutate(workload(WORKLOAD.nsqd, T.StatefulSet), (i) => delete i.spec.volumeClaimTemplates) },
  { policy: 'docker-container-persistent-volume', stack: 'dev', what: 'mongodb container without volume', mutation: mutate(dockerWorkload(WORKLOAD.mongodb), (i) => delete i.volumes) },
  { policy: 'kubernetes-cronjob-mongodb-backup', stack: 'prod', what: 'backup.retentionDays 7', config: { overrides: { mongodb: { backup: { retentionDays: 7 } } } } },
  {
    policy: 'kubernetes-job-mongodb-indexes',
    stack: 'prod',
    what: 'index Job annotation without cost_records',
    mutation: mutate(workload(WORKLOAD.mongodbIndexes, T.Job), (i) => {
      i.metadata.annotations[ANNOTATION.mongodbIndexes] = i.metadata.annotations[ANNOTATION.mongodbIndexes].replace(/;?cost_records:[^;]*/, '');
    }),
  },
  // Queue.
  { policy: 'kubernetes-statefulset-nsqlookupd-replicas', stack: 'prod', what: 'nsq.nsqlookupdReplicas 1', config: { overrides: { nsq: { nsqlookupdReplicas: 1 } } } },
  { policy: 'kubernetes-statefulset-nsqd-replicas', stack: 'prod', what: 'nsq.nsqdReplicas 1', config: { overrides: { nsq: { nsqdReplicas: 1 } } } },
  {
    policy: 'kubernetes-job-nsq-topics',
    stack: 'prod',
    what: 'topic Job annotation without enrichment',
    mutation: mutate(workload(WORKLOAD.nsqTopics, T.Job), (i) => (i.metadata.annotations[ANNOTATION.nsqTopics] = 'enrichment_dead')),
  },
  // LLM.
  { policy: 'kubernetes-workload-ollama-storage', stack: 'prod', what: 'ollama.storageSize 20Gi', config: { overrides: { ollama: { storageSize: '20Gi' } } } },
  { policy: 'kubernetes-workload-ollama-gpu', stack: 'prod', what: 'ollama.gpu.enabled false', config: { overrides: { ollama: { gpu: { enabled: false } } } } },
  {
    policy: 'kubernetes-workload-ollama-health',
    stack: 'prod',
    what: 'Ollama readiness probe on /',
    mutation: mutate(workload(WORKLOAD.ollama, T.StatefulSet), (i) => (main(i).readinessProbe.httpGet.path = '/')),
  },
  { policy: 'docker-container-ollama-health', stack: 'dev', what: 'Ollama healthcheck ollama --version', mutation: mutate(dockerWorkload(WORKLOAD.ollama), (i) => (i.healthcheck.tests = ['CMD', 'ollama', '--version'])) },
  { policy: 'ollama-models-pulled', stack: 'prod', what: 'ollama.models without mixtral', config: { overrides: { ollama: { models: ['llama3.2'] } } } },
  // Secrets.
  {
    policy: 'kubernetes-workload-env-secrets',
    stack: 'prod',
    what: 'worker MONGODB_URI as a literal',
    mutation: mutate(workload(WORKLOAD.worker, T.Deployment), (i) => {
      const env = main(i).env.find((e: { name: string }) => e.name === 'MONGODB_URI');
      delete env.valueFrom;
      env.value = 'mongodb://mongodb-0.mongodb:27017/enrichment';
    }),
  },
  { policy: 'docker-container-env-secrets', stack: 'dev', what: 'worker with MCP_JWT_SECRET in its environment', mutation: mutate(dockerWorkload(WORKLOAD.worker), (i) => i.envs.push(`MCP_JWT_SECRET=${'k'.repeat(40)}`)) },
  { policy: 'kubernetes-configmap-no-secrets', stack: 'prod', what: 'a password key in a ConfigMap', mutation: mutate(object(T.ConfigMap, 'nsq-scripts'), (i) => (i.data.SMTP_PASSWORD = 'hunter2hunter2')) },
  {
    policy: 'kubernetes-helm-values-no-secrets',
    stack: 'prod',
    what: 'an inline password in the ingress-nginx values',
    mutation: mutate((r) => r.type === T.HelmRelease && r.inputs.chart === 'ingress-nginx', (i) => (i.values.controller.auth = { password: 'hunter2hunter2' })),
  },
  { policy: 'kubernetes-secret-no-default-passwords', stack: 'prod', what: 'secret mongodbRootPassword changeme', config: { secrets: { mongodbRootPassword: 'changeme' } } },
  { policy: 'docker-container-no-default-passwords', stack: 'dev', what: 'secret mongodbRootPassword password', config: { secrets: { mongodbRootPassword: 'password' } } },
  {
    policy: 'kubernetes-workload-anthropic-key-secret',
    stack: 'prod',
    what: 'review-api given ANTHROPIC_API_KEY',
    mutation: mutate(workload(WORKLOAD.reviewApi, T.Deployment), (i) => main(i).env.push({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'ANTHROPIC_API_KEY' } } })),
  },
  {
    policy: 'docker-container-anthropic-key-secret',
    stack: 'dev',
    what: 'cost-api given ANTHROPIC_API_KEY_FILE',
    mutation: mutate(dockerWorkload(WORKLOAD.costApi), (i) => {
      i.envs.push('ANTHROPIC_API_KEY_FILE=/run/secrets/ANTHROPIC_API_KEY');
      i.uploads.push({ file: '/run/secrets/ANTHROPIC_API_KEY', content: 'sk-ant-not-for-the-cost-api' });
    }),
  },
  // TLS.
  { policy: 'kubernetes-certificate-validity', stack: 'prod', what: 'tls.durationHours 8760', config: { overrides: { tls: { durationHours: 8760 } } } },
  {
    policy: 'kubernetes-certificate-issuer-not-acme',
    stack: 'prod',
    what: 'the CA ClusterIssuer turned into ACME',
    mutation: mutate((r) => r.type === 'kubernetes:cert-manager.io/v1:ClusterIssuer' && r.inputs.spec?.ca !== undefined, (i) => (i.spec = { acme: { server: 'https://acme-v02.api.letsencrypt.org/directory' } })),
  },
  {
    policy: 'kubernetes-certificate-apis',
    stack: 'prod',
    what: 'review-api Certificate naming another host',
    mutation: mutate((r) => r.type === T.Certificate && r.inputs.spec?.secretName === 'review-api-tls', (i) => (i.spec.dnsNames = ['elsewhere.example.com'])),
  },
  { policy: 'tls-locallysignedcert-validity', stack: 'dev', what: 'tls.durationHours 8760', config: { overrides: { tls: { durationHours: 8760 } } } },
  { policy: 'tls-certrequest-dns-names', stack: 'dev', what: 'CertRequests without dnsNames', mutation: mutate((r) => r.type === T.CertRequest, (i) => (i.dnsNames = [])) },
  // Network.
  { policy: 'kubernetes-service-type', stack: 'prod', what: 'review-api Service NodePort', mutation: mutate(object(T.Service, WORKLOAD.reviewApi), (i) => (i.spec.type = 'NodePort')) },
  {
    policy: 'kubernetes-service-data-tier-internal',
    stack: 'prod',
    what: 'ollama Service annotated public',
    mutation: mutate(object(T.Service, WORKLOAD.ollama), (i) => (i.metadata.annotations = { ...(i.metadata.annotations ?? {}), [ANNOTATION.publicEndpoint]: 'true' })),
  },
  {
    policy: 'kubernetes-ingress-api-only',
    stack: 'prod',
    what: 'review-api Ingress without rate limit',
    mutation: mutate(object(T.Ingress, WORKLOAD.reviewApi), (i) => {
      for (const k of Object.keys(i.metadata.annotations)) if (/limit-(rps|rpm|connections)$/.test(k)) delete i.metadata.annotations[k];
    }),
  },
  {
    policy: 'kubernetes-networkpolicy-default-deny',
    stack: 'prod',
    what: 'the app namespace default deny removed',
    mutation: (rs) => rs.filter((r) => !(r.type === T.NetworkPolicy && r.inputs.metadata?.namespace === 'enrichment' && r.inputs.spec?.ingress === undefined && r.inputs.spec?.egress === undefined && Object.keys(r.inputs.spec?.podSelector ?? { x: 1 }).length === 0)),
  },
  { policy: 'docker-container-published-ports', stack: 'dev', what: 'mongodb port published', mutation: mutate(dockerWorkload(WORKLOAD.mongodb), (i) => (i.ports = [{ internal: 27017, external: 27017, ip: '127.0.0.1' }])) },
  { policy: 'docker-container-api-tls', stack: 'dev', what: 'cost-api without API_TLS_CERT_FILE', mutation: mutate(dockerWorkload(WORKLOAD.costApi), (i) => (i.envs = i.envs.filter((e: string) => !e.startsWith('API_TLS_CERT_FILE=')))) },
  // Monitoring.
  { policy: 'prometheus-retention-days', stack: 'prod', what: 'monitoring.retentionDays 15', config: { overrides: { monitoring: { retentionDays: 15 } } } },
  {
    policy: 'prometheus-alert-rules-count',
    stack: 'prod',
    what: 'rules ConfigMap cut to one file',
    mutation: mutate(
      (r) => r.type === T.ConfigMap && Object.entries(r.inputs.data ?? {}).some(([k, v]) => k.endsWith('.yml') && isRuleFile(parseYaml(String(v)))),
      (i) => (i.data = Object.fromEntries(Object.entries(i.data).slice(0, 1))),
    ),
  },
  {
    policy: 'prometheus-scrape-jobs',
    stack: 'prod',
    what: 'the worker scrape job removed',
    mutation: editDocument(isPrometheusConfig, (doc) => (doc.scrape_configs = doc.scrape_configs.filter((s: { job_name: string }) => s.job_name !== WORKLOAD.worker))),
  },
  { policy: 'prometheus-alertmanager-integration', stack: 'prod', what: 'alerting removed from prometheus.yml', mutation: editDocument(isPrometheusConfig, (doc) => delete doc.alerting) },
  { policy: 'alertmanager-receivers', stack: 'prod', what: 'route to an undeclared receiver', mutation: editDocument(isAlertmanagerConfig, (doc) => (doc.route.receiver = 'nobody')) },
  { policy: 'grafana-dashboards', stack: 'prod', what: 'a dashboard opening on 6 hours', mutation: editDocument(isDashboard, (doc) => (doc.time = { from: 'now-6h', to: 'now' })) },
  {
    policy: 'grafana-datasource-prometheus',
    stack: 'prod',
    what: 'the datasource turned into loki',
    mutation: editDocument(
      (d) => typeof d === 'object' && d !== null && Array.isArray((d as { datasources?: unknown }).datasources),
      (doc) => {
        for (const ds of doc.datasources) ds.type = 'loki';
      },
    ),
  },
  // Logging.
  { policy: 'logging-retention-days', stack: 'prod', what: 'logging.retentionDays 3', config: { overrides: { logging: { retentionDays: 3 } } } },
  { policy: 'docker-container-log-rotation', stack: 'dev', what: 'nsqd container without logOpts', mutation: mutate(dockerWorkload(WORKLOAD.nsqd), (i) => delete i.logOpts) },
];

describe('broken variants', () => {
  it('cover every policy of the pack', () => {
    expect(CASES.map((c) => c.policy).sort()).toEqual(POLICIES.map((p) => p.name).sort());
  });

  it.each(CASES.map((c) => [`${c.policy} fails on ${c.stack} with ${c.mutation ? 'mutation: ' : 'config: '}${c.what}`, c] as const))('%s', async (_title, c) => {
    const base = plans[c.stack];
    const resources = c.mutation ? c.mutation(base) : (await planStack(c.stack, { ...(c.config ?? {}) })).resources;
    const found = await evaluate(c.stack, resources);
    const before = new Set(baseline[c.stack].map((v) => v.policy));
    const failing = new Set(found.map((v) => v.policy));
    expect(before.has(c.policy)).toBe(false);
    expect([...failing].filter((p) => !before.has(p))).toEqual([c.policy]);
    const config = policyConfig(c.stack)[c.policy];
    const expectedLevel = (typeof config === 'string' ? config : config?.enforcementLevel) ?? 'mandatory';
    for (const v of found.filter((x) => x.policy === c.policy)) expect(v.enforcementLevel).toBe(expectedLevel);
  }, 60_000);
});
