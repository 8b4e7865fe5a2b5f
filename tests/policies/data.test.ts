/**
 * Data, queue and LLM policies (checklist 9a Database Configuration, Message Queue Setup, LLM
 * Infrastructure; 9c persistent volumes): compliant fixture passes, each broken field fails with
 * its exact message.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION, WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { CHECKLIST_INDEXES, parseIndexAnnotation } from '../../policies/src/rules/kubernetes-job-mongodb-indexes.js';
import { dockerProgram, kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, firstContainer, messages, T, without } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

const env = (inputs: Record<string, any>) => firstContainer(inputs).env as { name: string }[];

describe('kubernetes-statefulset-mongodb-auth', () => {
  const policy = 'kubernetes-statefulset-mongodb-auth';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports --noauth', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => firstContainer(i).args.push('--noauth'));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'mongodb' container 'mongod' disables authentication (--noauth)"]);
  });
  it('reports a mongod without root user and without --auth/--keyFile', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => {
      firstContainer(i).args = ['--replSet', 'rs0'];
      firstContainer(i).env = env(i).filter((e) => e.name !== 'MONGO_INITDB_ROOT_PASSWORD');
    });
    expect(await messages(policy, broken)).toEqual([
      "StatefulSet 'mongodb' container 'mongod' enables no authentication: set MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD from a Secret, or start mongod with --auth or --keyFile",
    ]);
  });
  it('accepts --auth alone, and the _FILE forms of the root user', async () => {
    const auth = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => {
      firstContainer(i).args = ['mongod --replSet rs0 --auth'];
      firstContainer(i).env = [];
    });
    expect(await messages(policy, auth)).toEqual([]);
    const files = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => {
      firstContainer(i).args = [];
      firstContainer(i).env = [
        { name: 'MONGO_INITDB_ROOT_USERNAME_FILE', value: '/s/u' },
        { name: 'MONGO_INITDB_ROOT_PASSWORD_FILE', value: '/s/p' },
      ];
    });
    expect(await messages(policy, files)).toEqual([]);
  });
  it('reports a MongoDB StatefulSet without a mongo container', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => (firstContainer(i).image = 'bitnami/mongodb:7.0'));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'mongodb' runs no mongod container (image mongo)"]);
  });
});

describe('docker-container-mongodb-auth', () => {
  const policy = 'docker-container-mongodb-auth';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a container without root password', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.mongodb, (i) => (i.envs = ['MONGO_INITDB_ROOT_USERNAME=root']));
    expect(await messages(policy, broken)).toEqual([
      "container 'mongodb' enables no authentication: set MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD from a Secret, or start mongod with --auth or --keyFile",
    ]);
  });
  it('reports --noauth', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.mongodb, (i) => (i.command = ['mongod', '--noauth']));
    expect(await messages(policy, broken)).toEqual(["container 'mongodb' disables authentication (--noauth)"]);
  });
});

describe('kubernetes-statefulset-mongodb-replicas', () => {
  const policy = 'kubernetes-statefulset-mongodb-replicas';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports fewer than 3 members', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => (i.spec.replicas = 1));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'mongodb' runs 1 replica; a replica set of at least 3 is required"]);
  });
  it('reports a mongod without --replSet', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => (firstContainer(i).args = ['--keyFile', '/k']));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'mongodb' container 'mongod' is not started with --replSet <name>"]);
  });
  it('takes its minimum from the policy config (staging)', async () => {
    const single = breaking(kube, T.StatefulSet, WORKLOAD.mongodb, (i) => (i.spec.replicas = 1));
    expect(await messages(policy, single, { minReplicas: 1 })).toEqual([]);
  });
});

describe('kubernetes-workload-persistent-storage', () => {
  const policy = 'kubernetes-workload-persistent-storage';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a StatefulSet whose claim is not mounted', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => delete firstContainer(i).volumeMounts);
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'nsqd' mounts no PersistentVolumeClaim: its data does not survive a pod restart"]);
  });
  it('reports a stateful workload on emptyDir', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.prometheus, (i) => {
      delete i.spec.volumeClaimTemplates;
      i.spec.template.spec.volumes = [{ name: 'data', emptyDir: {} }];
    });
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'prometheus' mounts no PersistentVolumeClaim: its data does not survive a pod restart"]);
  });
  it('accepts a persistentVolumeClaim volume', async () => {
    const pvc = breaking(kube, T.StatefulSet, WORKLOAD.prometheus, (i) => {
      delete i.spec.volumeClaimTemplates;
      i.spec.template.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'prometheus-data' } }];
    });
    expect(await messages(policy, pvc)).toEqual([]);
  });
});

describe('docker-container-persistent-volume', () => {
  const policy = 'docker-container-persistent-volume';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a stateful container without volume', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.mongodb, (i) => delete i.volumes))).toEqual([
      "container 'mongodb' mounts no Docker volume: its data does not survive the container",
    ]);
  });
  it('reports a volume that the stack does not declare', async () => {
    expect(await messages(policy, breaking(dock, T.Container, WORKLOAD.ollama, (i) => (i.volumes[0].volumeName = 'scratch')))).toEqual([
      "container 'ollama' mounts no Docker volume: its data does not survive the container",
    ]);
  });
});

describe('kubernetes-cronjob-mongodb-backup', () => {
  const policy = 'kubernetes-cronjob-mongodb-backup';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each(['0 2 * * 0', '0 2 1 * *', '@weekly'])('reports the non-daily schedule %s', async (schedule) => {
    const broken = breaking(kube, T.CronJob, 'mongodb-backup', (i) => (i.spec.schedule = schedule));
    expect(await messages(policy, broken)).toEqual([`CronJob 'mongodb-backup' schedule '${schedule}' does not run every day`]);
  });
  it('accepts more-than-daily schedules', async () => {
    expect(await messages(policy, breaking(kube, T.CronJob, 'mongodb-backup', (i) => (i.spec.schedule = '0 */6 * * *')))).toEqual([]);
  });
  it('reports a retention under 30 days', async () => {
    const broken = breaking(kube, T.CronJob, 'mongodb-backup', (i) => (i.metadata.annotations[ANNOTATION.backupRetentionDays] = '7'));
    expect(await messages(policy, broken)).toEqual(["CronJob 'mongodb-backup' keeps backups 7 days; at least 30 are required"]);
  });
  it('reports a missing retention annotation', async () => {
    const broken = breaking(kube, T.CronJob, 'mongodb-backup', (i) => (i.metadata.annotations = {}));
    expect(await messages(policy, broken)).toEqual([`CronJob 'mongodb-backup' has no ${ANNOTATION.backupRetentionDays} annotation`]);
  });
  it('reports a suspended backup', async () => {
    expect(await messages(policy, breaking(kube, T.CronJob, 'mongodb-backup', (i) => (i.spec.suspend = true)))).toEqual(["CronJob 'mongodb-backup' is suspended"]);
  });
  it('reports a missing backup CronJob', async () => {
    expect(await messages(policy, without(kube, (r) => r.type === T.CronJob))).toEqual(['no MongoDB backup CronJob (label app.kubernetes.io/name=mongodb-backup)']);
  });
});

describe('kubernetes-job-mongodb-indexes', () => {
  const policy = 'kubernetes-job-mongodb-indexes';
  it('derives the expected indexes from INDEX_SPECS: the checklist four collections', () => {
    expect(CHECKLIST_INDEXES).toEqual([
      'ocr_jobs.job_id',
      'ocr_jobs.status',
      'ocr_jobs.created_at',
      'enriched_documents.document_id',
      'enriched_documents.completeness_score',
      'review_queue.status',
      'review_queue.created_at',
      'review_queue.document_id',
      'cost_records.enrichment_job_id',
      'cost_records.created_at',
    ]);
    expect([...parseIndexAnnotation('a:x, y;b:z+w')]).toEqual(['a.x', 'a.y', 'b.z+w']);
  });
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports missing checklist indexes', async () => {
    const broken = breaking(kube, T.Job, WORKLOAD.mongodbIndexes, (i) => (i.metadata.annotations[ANNOTATION.mongodbIndexes] = 'ocr_jobs:job_id,status;review_queue:status,created_at,document_id'));
    expect(await messages(policy, broken)).toEqual([
      "Job 'mongodb-indexes' does not create the checklist indexes ocr_jobs.created_at, enriched_documents.document_id, enriched_documents.completeness_score, cost_records.enrichment_job_id, cost_records.created_at",
    ]);
  });
  it('reports a missing annotation and a missing Job', async () => {
    expect(await messages(policy, breaking(kube, T.Job, WORKLOAD.mongodbIndexes, (i) => (i.metadata.annotations = {})))).toEqual([
      `Job 'mongodb-indexes' has no ${ANNOTATION.mongodbIndexes} annotation`,
    ]);
    expect(await messages(policy, without(kube, (r) => r.type === T.Job && r.name === WORKLOAD.mongodbIndexes))).toEqual([
      'no MongoDB index Job (label app.kubernetes.io/name=mongodb-indexes)',
    ]);
  });
});

describe('kubernetes-statefulset-nsqlookupd-replicas and kubernetes-statefulset-nsqd-replicas', () => {
  it('pass the compliant fixture', async () => {
    expect(await messages('kubernetes-statefulset-nsqlookupd-replicas', kube)).toEqual([]);
    expect(await messages('kubernetes-statefulset-nsqd-replicas', kube)).toEqual([]);
  });
  it('report too few nsqlookupd', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqlookupd, (i) => (i.spec.replicas = 2));
    expect(await messages('kubernetes-statefulset-nsqlookupd-replicas', broken)).toEqual(["StatefulSet 'nsqlookupd' runs 2 replicas; at least 3 are required"]);
    expect(await messages('kubernetes-statefulset-nsqd-replicas', broken)).toEqual([]);
  });
  it('report too few nsqd', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => (i.spec.replicas = 1));
    expect(await messages('kubernetes-statefulset-nsqd-replicas', broken)).toEqual(["StatefulSet 'nsqd' runs 1 replica; at least 2 are required"]);
    expect(await messages('kubernetes-statefulset-nsqlookupd-replicas', broken)).toEqual([]);
  });
  it('count an absent replicas field as 1 (the API server default)', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => delete i.spec.replicas);
    expect(await messages('kubernetes-statefulset-nsqd-replicas', broken)).toEqual(["StatefulSet 'nsqd' runs 1 replica; at least 2 are required"]);
  });
});

describe('kubernetes-job-nsq-topics', () => {
  const policy = 'kubernetes-job-nsq-topics';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a missing enrichment topic', async () => {
    const broken = breaking(kube, T.Job, WORKLOAD.nsqTopics, (i) => (i.metadata.annotations[ANNOTATION.nsqTopics] = 'enrichment_dead'));
    expect(await messages(policy, broken)).toEqual(["Job 'nsq-topics' does not create the topics enrichment"]);
  });
  it('reports a missing annotation and a missing Job', async () => {
    expect(await messages(policy, breaking(kube, T.Job, WORKLOAD.nsqTopics, (i) => (i.metadata.annotations = {})))).toEqual([`Job 'nsq-topics' has no ${ANNOTATION.nsqTopics} annotation`]);
    expect(await messages(policy, without(kube, (r) => r.type === T.Job && r.name === WORKLOAD.nsqTopics))).toEqual(['no NSQ topic Job (label app.kubernetes.io/name=nsq-topics)']);
  });
});

describe('kubernetes-workload-ollama-storage', () => {
  const policy = 'kubernetes-workload-ollama-storage';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a claim under 30Gi', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => (i.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '29Gi'));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'ollama' has models=29Gi of model storage; at least 30Gi is required"]);
  });
  it('reads the size of a declared PersistentVolumeClaim', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => {
      delete i.spec.volumeClaimTemplates;
      i.metadata.namespace = 'monitoring';
      i.spec.template.spec.volumes = [{ name: 'models', persistentVolumeClaim: { claimName: 'grafana-data' } }];
    });
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'ollama' has models=10Gi of model storage; at least 30Gi is required"]);
  });
  it('reports no claim at all', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => delete i.spec.volumeClaimTemplates);
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'ollama' mounts no PersistentVolumeClaim for its models"]);
  });
});

describe('kubernetes-workload-ollama-gpu', () => {
  const policy = 'kubernetes-workload-ollama-gpu';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a missing GPU limit', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => delete firstContainer(i).resources.limits['nvidia.com/gpu']);
    expect(await messages(policy, broken)).toEqual(['StatefulSet \'ollama\' container \'ollama\' requests no GPU (resources.limits["nvidia.com/gpu"])']);
  });
});

describe('kubernetes-workload-ollama-health and docker-container-ollama-health', () => {
  it('pass the compliant fixtures', async () => {
    expect(await messages('kubernetes-workload-ollama-health', kube)).toEqual([]);
    expect(await messages('docker-container-ollama-health', dock)).toEqual([]);
  });
  it('report a readiness probe on another path', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.ollama, (i) => (firstContainer(i).readinessProbe = { tcpSocket: { port: 11434 } }));
    expect(await messages('kubernetes-workload-ollama-health', broken)).toEqual(["StatefulSet 'ollama' container 'ollama' readiness probe does not GET /api/tags"]);
  });
  it('report a Docker healthcheck that does not query the model API', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.ollama, (i) => (i.healthcheck.tests = ['CMD', 'ollama', '--version']));
    expect(await messages('docker-container-ollama-health', broken)).toEqual(["container 'ollama' healthcheck does not query /api/tags (or run `ollama list`)"]);
  });
});

describe('ollama-models-pulled', () => {
  const policy = 'ollama-models-pulled';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing model (Kubernetes Job annotation)', async () => {
    const broken = breaking(kube, T.Job, WORKLOAD.ollamaModels, (i) => (i.metadata.annotations[ANNOTATION.ollamaModels] = 'llama3.2'));
    expect(await messages(policy, broken)).toEqual(['the model pull list (llama3.2) lacks mixtral']);
  });
  it('reports a missing model (Docker label) and accepts tags', async () => {
    const label = (value: string) =>
      breaking(dock, T.Container, WORKLOAD.ollamaModels, (i) => (i.labels.find((l: { label: string }) => l.label === ANNOTATION.ollamaModels).value = value));
    expect(await messages(policy, label('mixtral:8x7b'))).toEqual(['the model pull list (mixtral:8x7b) lacks llama3.2']);
    expect(await messages(policy, label('llama3.2:3b,mixtral:latest'))).toEqual([]);
  });
  it('reports a stack that declares no pull list', async () => {
    expect(await messages(policy, without(kube, (r) => r.type === T.Job && r.name === WORKLOAD.ollamaModels))).toEqual([
      `no workload declares the models it pulls (annotation ${ANNOTATION.ollamaModels})`,
    ]);
  });
});
