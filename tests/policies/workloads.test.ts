/**
 * Workload policies (checklist 9a auto-restart, 9b health checks, 9c resource limits, restart
 * policy, service scaling): each passes on the compliant fixture, and each broken field produces
 * exactly the expected message.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NAMES } from '../../app/src/domain/fields.js';
import { agentWorkload, WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { dockerProgram, kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, firstContainer, messages, T, violations, without } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

describe('kubernetes-workload-resources', () => {
  const policy = 'kubernetes-workload-resources';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each([
    ['requests', 'cpu'],
    ['requests', 'memory'],
    ['limits', 'cpu'],
    ['limits', 'memory'],
  ])('reports a missing resources.%s.%s', async (field, resource) => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => delete firstContainer(i).resources[field][resource]);
    expect(await messages(policy, broken)).toEqual([`Deployment 'enrichment-worker' container 'enrichment-worker' has no resources.${field}.${resource}`]);
  });
  it('reports a request above its limit', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => (firstContainer(i).resources.requests.memory = '1Gi'));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'nsqd' container 'nsqd' requests more memory (1Gi) than its limit (512Mi)"]);
  });
  it('checks init containers, Jobs and CronJobs', async () => {
    const init = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => (i.spec.template.spec.initContainers = [{ name: 'warmup', image: 'busybox' }]));
    expect(await messages(policy, init)).toHaveLength(4);
    expect((await messages(policy, init))[0]).toBe("StatefulSet 'ollama' init container 'warmup' has no resources.requests.cpu");
    const job = breaking(kube, T.Job, WORKLOAD.nsqTopics, (i) => delete firstContainer(i).resources.limits);
    expect(await messages(policy, job)).toEqual([
      "Job 'nsq-topics' container 'nsq-topics' has no resources.limits.cpu",
      "Job 'nsq-topics' container 'nsq-topics' has no resources.limits.memory",
    ]);
    const cron = breaking(kube, T.CronJob, 'mongodb-backup', (i) => delete i.spec.jobTemplate.spec.template.spec.containers[0].resources.requests.cpu);
    expect(await messages(policy, cron)).toEqual(["CronJob 'mongodb-backup' container 'backup' has no resources.requests.cpu"]);
  });
  it('reports against the resource, at the pack level mandatory', async () => {
    const broken = breaking(kube, T.DaemonSet, 'nvidia-device-plugin', (i) => delete firstContainer(i).resources);
    const found = await violations(policy, broken);
    expect(found).toHaveLength(4);
    expect(found[0]).toMatchObject({ enforcementLevel: 'mandatory', severity: 'high', urn: 'urn:pulumi:prod::enrichment-platform::kubernetes:apps/v1:DaemonSet::nvidia-device-plugin' });
  });
});

describe('kubernetes-workload-probes', () => {
  const policy = 'kubernetes-workload-probes';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each(['livenessProbe', 'readinessProbe'])('reports a missing %s', async (probe) => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.reviewApi, (i) => delete firstContainer(i)[probe]);
    expect(await messages(policy, broken)).toEqual([`Deployment 'review-api' container 'review-api' has no ${probe}`]);
  });
  it('reports a probe without a handler', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => (firstContainer(i).livenessProbe = { periodSeconds: 10 }));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'mongodb' container 'mongod' livenessProbe has no handler (httpGet, tcpSocket, exec or grpc)"]);
  });
  it('does not require probes of Jobs', async () => {
    expect(await messages(policy, breaking(kube, T.Job, WORKLOAD.nsqTopics, (i) => delete firstContainer(i).livenessProbe))).toEqual([]);
  });
});

describe('kubernetes-pod-no-bare-pods', () => {
  const policy = 'kubernetes-pod-no-bare-pods';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a bare Pod', async () => {
    const pod: PlannedResource = {
      type: T.Pod,
      name: 'debug',
      urn: 'urn:pulumi:prod::enrichment-platform::kubernetes:core/v1:Pod::debug',
      inputs: { metadata: { name: 'debug', namespace: 'enrichment' }, spec: { containers: [{ name: 'sh', image: 'busybox' }] } },
      custom: true,
    };
    expect(await messages(policy, [...kube, pod])).toEqual([
      "Pod 'debug' is not managed by a controller: run it from a Deployment, StatefulSet, DaemonSet or Job so that it is recreated when it fails",
    ]);
  });
});

describe('kubernetes-poddisruptionbudget-allows-disruption', () => {
  const policy = 'kubernetes-poddisruptionbudget-allows-disruption';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each([0, '0%'])('reports maxUnavailable %s', async (value) => {
    const broken = breaking(kube, T.PodDisruptionBudget, 'worker-pdb', (i) => (i.spec.maxUnavailable = value));
    expect(await messages(policy, broken)).toEqual([`PodDisruptionBudget 'enrichment-worker' sets maxUnavailable ${value}: it blocks every voluntary eviction (node drains, upgrades)`]);
  });
  it('reports minAvailable 100%', async () => {
    const broken = breaking(kube, T.PodDisruptionBudget, 'mongodb-pdb', (i) => (i.spec.minAvailable = '100%'));
    expect(await messages(policy, broken)).toEqual(["PodDisruptionBudget 'mongodb' sets minAvailable 100%: it blocks every voluntary eviction (node drains, upgrades)"]);
  });
  it('reports minAvailable equal to the replica count', async () => {
    const broken = breaking(kube, T.PodDisruptionBudget, 'mongodb-pdb', (i) => (i.spec.minAvailable = 3));
    expect(await messages(policy, broken)).toEqual([
      "PodDisruptionBudget 'mongodb' requires minAvailable 3 of the 3 replicas of StatefulSet 'mongodb': it blocks every voluntary eviction (node drains, upgrades)",
    ]);
  });
  it('reports a PDB that selects nothing', async () => {
    const broken = breaking(kube, T.PodDisruptionBudget, 'worker-pdb', (i) => (i.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'enrichment-wroker' }));
    expect(await messages(policy, broken)).toEqual(["PodDisruptionBudget 'enrichment-worker' selects no workload of this stack"]);
  });
  it('is not applicable to a Docker stack', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
});

describe('kubernetes-deployment-worker-replicas', () => {
  const policy = 'kubernetes-deployment-worker-replicas';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a single replica', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => (i.spec.replicas = 1));
    expect(await messages(policy, broken)).toEqual(["Deployment 'enrichment-worker' runs 1 replica; at least 2 are required"]);
  });
  it('reports an autoscaler that scales below the minimum', async () => {
    const broken = breaking(kube, T.HorizontalPodAutoscaler, 'worker-hpa', (i) => (i.spec.minReplicas = 1));
    expect(await messages(policy, broken)).toEqual([
      "HorizontalPodAutoscaler 'enrichment-worker' lets Deployment 'enrichment-worker' scale down to 1 replica; minReplicas must be at least 2",
    ]);
  });
  it('reports a missing worker', async () => {
    const broken = without(kube, (r) => r.type === T.Deployment && r.name === WORKLOAD.worker);
    expect(await messages(policy, broken)).toEqual(['no EnrichmentWorker Deployment (label app.kubernetes.io/name=enrichment-worker)']);
  });
  it('takes its minimum from the policy config', async () => {
    expect(await messages(policy, kube, { minReplicas: 3 })).toEqual([
      "Deployment 'enrichment-worker' runs 2 replicas; at least 3 are required",
      "HorizontalPodAutoscaler 'enrichment-worker' lets Deployment 'enrichment-worker' scale down to 2 replicas; minReplicas must be at least 3",
    ]);
  });
});

describe('kubernetes-deployment-worker-autoscaling', () => {
  const policy = 'kubernetes-deployment-worker-autoscaling';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a worker without autoscaler', async () => {
    const broken = without(kube, (r) => r.type === T.HorizontalPodAutoscaler);
    expect(await messages(policy, broken)).toEqual(["Deployment 'enrichment-worker' has no HorizontalPodAutoscaler"]);
  });
  it('reports an autoscaler that cannot scale', async () => {
    const broken = breaking(kube, T.HorizontalPodAutoscaler, 'worker-hpa', (i) => (i.spec.maxReplicas = 2));
    expect(await messages(policy, broken)).toEqual(["HorizontalPodAutoscaler 'enrichment-worker' cannot scale Deployment 'enrichment-worker': maxReplicas 2 is not above minReplicas 2"]);
  });
});

describe('docker-container-resources', () => {
  const policy = 'docker-container-resources';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing CPU limit', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.nsqd, (i) => delete i.cpus))).toEqual(["container 'nsqd' has no CPU limit (cpus)"]);
  });
  it('reports a missing memory limit', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.nsqd, (i) => delete i.memory))).toEqual(["container 'nsqd' has no memory limit (memory)"]);
  });
  it('checks one-shot containers too', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.ollamaModels, (i) => (i.memory = 0)))).toEqual(["container 'ollama-models' has no memory limit (memory)"]);
  });
});

describe('docker-container-healthcheck', () => {
  const policy = 'docker-container-healthcheck';
  it('passes the compliant fixture (one-shot containers need none)', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing healthcheck', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.grafana, (i) => delete i.healthcheck))).toEqual(["container 'grafana' has no healthcheck"]);
  });
  it('reports a disabled healthcheck', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.grafana, (i) => (i.healthcheck.tests = ['NONE'])))).toEqual(["container 'grafana' disables its healthcheck (NONE)"]);
  });
});

describe('docker-container-restart-policy', () => {
  const policy = 'docker-container-restart-policy';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it.each(['always', 'on-failure', 'no'])('reports restart %s on a long-running container', async (restart) => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.mongodb, (i) => (i.restart = restart)))).toEqual([
      `container 'mongodb' restarts '${restart}'; long-running containers must restart 'unless-stopped'`,
    ]);
  });
  it('reports a one-shot container that would restart forever', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.ollamaModels, (i) => (i.restart = 'unless-stopped')))).toEqual([
      "container 'ollama-models' is one-shot (mustRun false) but restarts unless-stopped: it would run again forever",
    ]);
  });
});

describe('docker-container-worker-replicas', () => {
  const policy = 'docker-container-worker-replicas';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a single worker container', async () => {
    const broken = without(dock, (r) => r.type === T.Container && r.name === 'enrichment-worker-2');
    expect(await messages(policy, broken)).toEqual(['the stack runs 1 EnrichmentWorker container; at least 2 are required']);
  });
  it('is not applicable to a Kubernetes stack', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
});

describe('platform-workloads-deployed', () => {
  const policy = 'platform-workloads-deployed';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing Kubernetes workload', async () => {
    const broken = without(kube, (r) => r.type === T.Deployment && r.name === agentWorkload(AGENT_NAMES[0]));
    expect(await messages(policy, broken)).toEqual([`no running workload for ${agentWorkload(AGENT_NAMES[0])} (label app.kubernetes.io/name)`]);
  });
  it('does not count a one-shot container as running', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.ollama, (i) => (i.mustRun = false));
    expect(await messages(policy, broken)).toEqual(['no running workload for ollama (label app.kubernetes.io/name)']);
  });
});
