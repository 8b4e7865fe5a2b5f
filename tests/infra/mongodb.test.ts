/**
 * MongoDb (`enrichment:data:MongoDb`), planned under Pulumi mocks on Kubernetes (prod, staging)
 * and Docker (dev), with stand-in secrets whose values must never reach an env var, an argument or
 * a ConfigMap. The Job scripts are also run: the mongosh bodies in a `vm` context against a fake
 * `db`, the backup and restore shell scripts against a stub `aws` that records its calls.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS, INDEX_SPECS } from '../../app/src/store/collections.js';
import { loadInfraConfig, type InfraConfig, type StackName } from '../../infra/src/config.js';
import { ANNOTATION, PORT, WORKLOAD } from '../../infra/src/conventions.js';
import { endpoints } from '../../infra/src/endpoints.js';
import { byName, ofType, type Plan } from '../../infra/src/plan.js';
import type { DockerTarget, KubernetesTarget } from '../../infra/src/types.js';
import {
  AWS_CLI_IMAGE,
  CREATED_AT_FIELD,
  dailyBackupTime,
  indexAnnotation,
  MONGODB_EXPORTER_IMAGE,
  MONGODB_EXPORTER_USERNAME,
  MONGODB_TYPE,
  MongoDb,
  mongoScripts,
  renderInitScript,
  renderRestoreVerifyScript,
  RESTORE_CHECK_DATABASE,
  validateMongoDbArgs,
  type MongoSecrets,
} from '../../infra/src/components/mongodb.js';
import type { PlatformSecrets } from '../../infra/src/components/secrets.js';
import {
  componentObjects,
  containersOf,
  envVar as envOf,
  expectConventionalMetadata,
  expectSchemaValid,
  planComponent,
  podSpecs,
  secretsIn,
  standInRef as ref,
  strings,
  TEST_NETWORK,
  TYPE,
} from './support.js';

const { statefulSet: STS, deployment: DEPLOYMENT, job: JOB, cronJob: CRONJOB, service: SVC, configMap: CONFIGMAP, secret: SECRET, pdb: PDB, container: CONTAINER, volume: VOLUME } = TYPE;
const RANDOM = 'random:index/randomPassword:RandomPassword';

/** Stand-in secret values: none may appear in an env value, an argument, a command or a ConfigMap. */
const STAND_IN = {
  rootUsername: 'standin-root-user-31c7',
  rootPassword: 'standin-root-password-5c1e',
  appUsername: 'standin-app-user-77d0',
  appPassword: 'standin-app-password-9b2d',
  keyfile: 'c3RhbmRpbmtleWZpbGUwMDAwMDAwMDAw',
  s3AccessKeyId: 'AKIASTANDIN000000001',
  s3SecretAccessKey: 'standin/s3+secret/key/0002',
};
const STAND_IN_VALUES = Object.values(STAND_IN);

// Compile-time: the real PlatformSecrets satisfies the interface MongoDb reads.
const platformSecretsFit: (s: PlatformSecrets) => MongoSecrets = (s) => s;
void platformSecretsFit;

function standInSecrets(withS3 = true): MongoSecrets {
  return {
    refs: {
      mongodbRootUsername: ref('standin-mongodb-auth', 'root-username', STAND_IN.rootUsername),
      mongodbRootPassword: ref('standin-mongodb-auth', 'root-password', STAND_IN.rootPassword),
      mongodbAppUsername: ref('standin-mongodb-auth', 'app-username', STAND_IN.appUsername),
      mongodbAppPassword: ref('standin-mongodb-auth', 'app-password', STAND_IN.appPassword),
      mongodbKeyfile: ref('standin-mongodb-auth', 'keyfile', STAND_IN.keyfile),
      ...(withS3
        ? {
            backupS3AccessKeyId: ref('standin-backup-s3', 'AWS_ACCESS_KEY_ID', STAND_IN.s3AccessKeyId),
            backupS3SecretAccessKey: ref('standin-backup-s3', 'AWS_SECRET_ACCESS_KEY', STAND_IN.s3SecretAccessKey),
          }
        : {}),
    },
  };
}

async function plan(stack: StackName, options: { overrides?: Record<string, unknown>; withS3?: boolean } = {}): Promise<{ plan: Plan; mongodb: MongoDb }> {
  const secrets = standInSecrets(options.withS3 ?? true);
  const { plan: p, component: mongodb } = await planComponent(stack, (args) => new MongoDb('mongodb', { ...args, secrets }), {
    overrides: options.overrides,
    outputs: (c) => ({ serviceHost: c.serviceHost }),
  });
  return { plan: p, mongodb };
}

const configMapData = (p: Plan): Record<string, string> => byName(p, CONFIGMAP, 'mongodb-scripts').inputs.data;

describe('MongoDb on Kubernetes (prod)', () => {
  let p: Plan;
  let mongodb: MongoDb;
  let config: InfraConfig;
  beforeAll(async () => {
    ({ plan: p, mongodb } = await plan('prod'));
    config = p.config;
  });

  it('is one component whose Kubernetes children all carry explicit names, the namespace and the three labels', () => {
    expect(ofType(p, MONGODB_TYPE)).toHaveLength(1);
    const objects = componentObjects(p);
    expect(objects.length).toBe(11);
    for (const r of objects) {
      expectConventionalMetadata(r, config.namespace);
      expect(r.inputs.metadata.name, r.name).toMatch(/^mongodb(-[a-z]+)?$/);
      expect(r.provider, r.name).toMatch(/::k8s::/);
    }
  });

  it('runs a replica set of config.mongodb.replicas members with --auth, --replSet and the keyfile', () => {
    const sts = byName(p, STS, 'mongodb-statefulset').inputs;
    expect(config.mongodb.replicas).toBe(3);
    expect(sts.spec.replicas).toBe(config.mongodb.replicas);
    expect(sts.spec.serviceName).toBe(WORKLOAD.mongodb);
    const mongod = sts.spec.template.spec.containers[0];
    expect(mongod.image).toBe(config.mongodb.image);
    expect(mongod.args[0]).toBe('mongod');
    expect(mongod.args).toContain('--auth');
    expect(mongod.args.slice(mongod.args.indexOf('--replSet'), mongod.args.indexOf('--replSet') + 2)).toEqual(['--replSet', mongodb.replicaSetName]);
    const keyFile = mongod.args[mongod.args.indexOf('--keyFile') + 1];
    // The keyfile is copied from the Secret volume to a memory volume with mode 0400.
    const copy = sts.spec.template.spec.initContainers[0];
    expect(copy.command.join(' ')).toContain(`chmod 0400 ${keyFile}`);
    expect(sts.spec.template.spec.volumes[0].secret).toMatchObject({ secretName: 'standin-mongodb-auth', items: [{ key: 'keyfile', path: 'keyfile' }] });
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
  });

  it('creates the root user from MONGO_INITDB_ROOT_USERNAME and _PASSWORD through secretKeyRef', () => {
    const mongod = byName(p, STS, 'mongodb-statefulset').inputs.spec.template.spec.containers[0];
    expect(envOf(mongod, 'MONGO_INITDB_ROOT_USERNAME')).toEqual({
      name: 'MONGO_INITDB_ROOT_USERNAME',
      valueFrom: { secretKeyRef: { name: 'standin-mongodb-auth', key: 'root-username' } },
    });
    expect(envOf(mongod, 'MONGO_INITDB_ROOT_PASSWORD')).toEqual({
      name: 'MONGO_INITDB_ROOT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'standin-mongodb-auth', key: 'root-password' } },
    });
  });

  it('gives each member a PVC of config.mongodb.storageSize, probes, resources from config, and a PDB', () => {
    const sts = byName(p, STS, 'mongodb-statefulset').inputs;
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: config.mongodb.storageSize } } });
    const mongod = sts.spec.template.spec.containers[0];
    expect(mongod.volumeMounts).toContainEqual({ name: sts.spec.volumeClaimTemplates[0].metadata.name, mountPath: '/data/db' });
    const ping = ['mongosh', '--quiet', '--eval', "db.adminCommand('ping')"];
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(mongod[probe].exec.command, probe).toEqual(ping);
    const r = config.mongodb.resources;
    expect(mongod.resources).toEqual({ requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } });
    const pdb = byName(p, PDB, 'mongodb-pdb').inputs.spec;
    expect(pdb).toEqual({ maxUnavailable: 1, selector: { matchLabels: sts.spec.selector.matchLabels } });
  });

  it('serves members through a headless Service and one ClusterIP Service, never LoadBalancer or NodePort', () => {
    const headless = byName(p, SVC, 'mongodb-headless').inputs.spec;
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    expect(headless.ports).toEqual([{ name: 'mongodb', port: PORT.mongodb, targetPort: 'mongodb', protocol: 'TCP' }]);
    expect(byName(p, SVC, 'mongodb-client').inputs.spec.type).toBe('ClusterIP');
    for (const svc of ofType(p, SVC)) expect(['ClusterIP', undefined], svc.name).toContain(svc.inputs.spec.type);
    // endpoints() names members <sts>-<i>.<headless service>: both names must match it.
    expect(mongodb.hosts).toEqual(endpoints(config, config.namespace).mongodbHosts);
    const [pod, service] = mongodb.hosts[0]!.split('.');
    expect(pod).toBe(`${byName(p, STS, 'mongodb-statefulset').inputs.metadata.name}-0`);
    expect(service).toBe(byName(p, SVC, 'mongodb-headless').inputs.metadata.name);
  });

  it('runs an index Job annotated with the checklist indexes, generated from INDEX_SPECS', () => {
    const job = byName(p, JOB, 'mongodb-indexes').inputs;
    expect(job.metadata.annotations[ANNOTATION.mongodbIndexes]).toBe(indexAnnotation());
    const byCollection = Object.fromEntries(
      (job.metadata.annotations[ANNOTATION.mongodbIndexes] as string).split(';').map((part) => {
        const [collection, fields] = part.split(':');
        return [collection, fields!.split(',')];
      }),
    );
    // The checklist's "Indexes created" lines.
    expect(byCollection['ocr_jobs']).toEqual(expect.arrayContaining(['job_id', 'status', 'created_at']));
    expect(byCollection['enriched_documents']).toEqual(expect.arrayContaining(['document_id', 'completeness_score']));
    expect(byCollection['review_queue']).toEqual(expect.arrayContaining(['status', 'created_at', 'document_id']));
    expect(byCollection['cost_records']).toEqual(expect.arrayContaining(['enrichment_job_id', 'created_at']));

    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['bash', '/opt/enrichment/scripts/mongodb-init.sh']);
    expect(envOf(container, 'MONGODB_HOSTS').value).toBe(mongodb.hosts.join(','));
    expect(envOf(container, 'MONGODB_APP_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'standin-mongodb-auth', key: 'app-password' });
    expect(job.spec.template.spec.volumes[0].configMap.name).toBe(byName(p, CONFIGMAP, 'mongodb-scripts').inputs.metadata.name);
  });

  it('ships the index script with every INDEX_SPECS index (key, name, unique)', () => {
    const script = configMapData(p)['mongodb-init.js']!;
    expect(script).toBe(renderInitScript(config.mongodb.database));
    const specs = JSON.parse(/const INDEX_SPECS = (\[[\s\S]*?\n\]);/.exec(script)![1]!);
    expect(specs).toEqual(
      INDEX_SPECS.map((s) => ({ collection: s.collection, key: s.key, options: { name: s.name, ...(s.unique ? { unique: true } : {}) } })),
    );
    expect(script).toContain(`const DATABASE = "${config.mongodb.database}";`);
  });

  it('backs up daily with mongodump --archive --gzip to the configured S3 storage and deletes backups past retention', () => {
    const cron = byName(p, CRONJOB, 'mongodb-backup').inputs;
    expect(cron.spec.schedule).toBe(config.mongodb.backup.schedule);
    expect(cron.metadata.annotations[ANNOTATION.backupRetentionDays]).toBe(String(config.mongodb.backup.retentionDays));
    expect(cron.metadata.annotations[ANNOTATION.backupRetentionDays]).toBe('30');
    expect(cron.spec).toMatchObject({ concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const [dump] = pod.initContainers;
    const [upload] = pod.containers;
    expect(dump.image).toBe(config.mongodb.image);
    expect(dump.command).toEqual(['bash', '/opt/enrichment/scripts/mongodb-backup-dump.sh']);
    expect(upload.image).toBe(AWS_CLI_IMAGE);
    expect(upload.command).toEqual(['bash', '/opt/enrichment/scripts/mongodb-backup-upload.sh']);
    // The two containers share an emptyDir sized like a member's volume.
    const shared = pod.volumes.find((v: any) => v.emptyDir);
    expect(shared.emptyDir.sizeLimit).toBe(config.mongodb.storageSize);
    for (const c of [dump, upload]) expect(c.volumeMounts.map((m: any) => m.name)).toContain(shared.name);
    const b = config.mongodb.backup;
    expect(envOf(upload, 'S3_ENDPOINT').value).toBe(b.s3Endpoint);
    expect(envOf(upload, 'S3_BUCKET').value).toBe(b.s3Bucket);
    expect(envOf(upload, 'S3_PREFIX').value).toBe(b.s3Prefix);
    expect(envOf(upload, 'AWS_DEFAULT_REGION').value).toBe(b.s3Region);
    expect(envOf(upload, 'RETENTION_DAYS').value).toBe(String(b.retentionDays));
    expect(envOf(upload, 'AWS_ACCESS_KEY_ID').valueFrom.secretKeyRef).toEqual({ name: 'standin-backup-s3', key: 'AWS_ACCESS_KEY_ID' });
    expect(envOf(upload, 'AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef).toEqual({ name: 'standin-backup-s3', key: 'AWS_SECRET_ACCESS_KEY' });
    const data = configMapData(p);
    expect(data['mongodb-backup-dump.sh']).toMatch(/mongodump .*\\\n\s+--archive="\$archive\.partial" --gzip/);
    expect(data['mongodb-backup-upload.sh']).toContain('date -u -d "-${RETENTION_DAYS} days"');
    expect(data['mongodb-backup-upload.sh']).toContain('s3 s3 rm "s3://$S3_BUCKET/$old"');
  });

  it('keeps a suspended restore CronJob as the drill template: newest backup into a scratch database, counts verified', () => {
    const cron = byName(p, CRONJOB, 'mongodb-restore').inputs;
    expect(cron.spec.suspend).toBe(true);
    expect(cron.metadata.annotations['enrichment-platform/run-drill']).toContain('create job --from=cronjob/mongodb-restore');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers[0].image).toBe(AWS_CLI_IMAGE);
    expect(pod.initContainers[0].command[1]).toBe('/opt/enrichment/scripts/mongodb-restore-fetch.sh');
    const verify = pod.containers[0];
    expect(verify.image).toBe(config.mongodb.image);
    expect(envOf(verify, 'SCRATCH_DATABASE').value).toBe(RESTORE_CHECK_DATABASE);
    expect(envOf(verify, 'DATABASE').value).toBe(config.mongodb.database);
    const data = configMapData(p);
    expect(data['mongodb-restore-verify.sh']).toContain('--nsInclude="$DATABASE.*" --nsFrom="$DATABASE.*" --nsTo="$SCRATCH_DATABASE.*"');
    expect(data['mongodb-restore-verify.js']).toBe(renderRestoreVerifyScript(config.mongodb.database));
  });

  it('exports metrics with percona/mongodb_exporter on 9216, its URI from a Secret of its own user', () => {
    const d = byName(p, DEPLOYMENT, 'mongodb-exporter').inputs;
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe(MONGODB_EXPORTER_IMAGE);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: PORT.mongodbExporter, protocol: 'TCP' }]);
    expect(envOf(c, 'MONGODB_URI').valueFrom.secretKeyRef).toEqual({ name: 'mongodb-exporter', key: 'uri' });
    expect(c.args).toEqual(expect.arrayContaining(['--collect-all', `--web.listen-address=:${PORT.mongodbExporter}`]));
    // The URI lists every member: the exporter's default direct connection would refuse it.
    expect(c.args).toContain('--mongodb.direct-connect=false');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 'metrics' });
    expect(c.resources.limits).toHaveProperty('memory');
    const svc = byName(p, SVC, 'mongodb-exporter-service').inputs;
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: PORT.mongodbExporter }] });
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    const password = byName(p, RANDOM, 'mongodb-exporter-password');
    const uri = byName(p, SECRET, 'mongodb-exporter-secret').inputs.stringData.uri as string;
    expect(uri).toMatch(new RegExp(`^mongodb://${MONGODB_EXPORTER_USERNAME}:mock-mongodb-exporter-password-x+@`));
    expect(uri).toContain(mongodb.hosts.join(','));
    expect(uri).toContain('replicaSet=rs0');
    expect(password.inputs).toMatchObject({ length: 40, special: false });
  });

  it('puts no secret value in any env value, argument, command or ConfigMap, and reads credentials only through secretKeyRef', () => {
    const exporterPassword = /mongodb:\/\/[^:]+:([^@]+)@/.exec(byName(p, SECRET, 'mongodb-exporter-secret').inputs.stringData.uri)![1]!;
    const secrets = [...STAND_IN_VALUES, exporterPassword];
    // Control: the scan finds a secret where one belongs.
    expect(strings(byName(p, SECRET, 'mongodb-exporter-secret').inputs.stringData)).toContainEqual(expect.stringContaining(exporterPassword));
    const specs = podSpecs(p);
    expect(specs.map((s) => s.name).sort()).toEqual(['mongodb-backup', 'mongodb-exporter', 'mongodb-indexes', 'mongodb-restore', 'mongodb-statefulset']);
    for (const { name, spec } of specs) {
      for (const c of containersOf(spec)) {
        expect(secretsIn([c.env?.map((e: any) => e.value), c.args, c.command], secrets), `${name}/${c.name} leaks`).toEqual([]);
        for (const e of c.env ?? []) {
          // The exporter's user name is a public constant; every other credential comes from a Secret.
          if (/(PASSWORD|ROOT_USERNAME|APP_USERNAME|SECRET_ACCESS_KEY|ACCESS_KEY_ID|URI)$/.test(e.name)) {
            expect(e.value, `${name}/${c.name} ${e.name}`).toBeUndefined();
            expect(e.valueFrom.secretKeyRef, `${name}/${c.name} ${e.name}`).toBeDefined();
          }
        }
      }
    }
    expect(secretsIn(configMapData(p), secrets)).toEqual([]);
  });

  it('gives every container resources, every long-running container both probes, and every pod a non-root user', () => {
    for (const { name, spec } of podSpecs(p)) {
      expect(spec.securityContext.runAsNonRoot, name).toBe(true);
      for (const c of containersOf(spec)) {
        expect(Object.keys(c.resources.requests).sort(), `${name}/${c.name}`).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort(), `${name}/${c.name}`).toEqual(['cpu', 'memory']);
        expect(c.securityContext.allowPrivilegeEscalation, `${name}/${c.name}`).toBe(false);
      }
    }
    for (const name of ['mongodb-statefulset', 'mongodb-exporter']) {
      const r = p.resources.find((x) => x.name === name && (x.type === STS || x.type === DEPLOYMENT))!;
      for (const c of r.inputs.spec.template.spec.containers) {
        expect(c.livenessProbe, `${name}/${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${name}/${c.name}`).toBeDefined();
      }
    }
  });

  it('declares only objects that validate against the Kubernetes schemas', async () => {
    const objects = componentObjects(p);
    expect(objects.map((r) => r.inputs.kind).sort()).toEqual(
      ['ConfigMap', 'CronJob', 'CronJob', 'Deployment', 'Job', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'Service', 'StatefulSet'].sort(),
    );
    await expectSchemaValid(objects);
  });
});

describe('MongoDb on Kubernetes (staging, no S3 keys in config)', () => {
  it('runs a one-member replica set and lets the backup Jobs use the AWS CLI default credential chain', async () => {
    const { plan: p, mongodb } = await plan('staging', { withS3: false });
    const sts = byName(p, STS, 'mongodb-statefulset').inputs;
    expect(sts.spec.replicas).toBe(p.config.mongodb.replicas);
    expect(sts.spec.template.spec.containers[0].args).toContain('--replSet');
    expect(mongodb.replicaSetName).toBe('rs0');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(p.config.mongodb.storageSize);
    const upload = byName(p, CRONJOB, 'mongodb-backup').inputs.spec.jobTemplate.spec.template.spec.containers[0];
    expect(upload.env.map((e: any) => e.name)).not.toContain('AWS_ACCESS_KEY_ID');
    expect(envOf(upload, 'S3_PREFIX').value).toBe(p.config.mongodb.backup.s3Prefix);
  });
});

describe('MongoDb on Docker (dev)', () => {
  let p: Plan;
  let config: InfraConfig;
  const container = (name: string) => byName(p, CONTAINER, name).inputs;
  beforeAll(async () => {
    ({ plan: p } = await plan('dev'));
    config = p.config;
  });

  it('runs one mongod with --auth and no replica set, a data volume, limits, a healthcheck and unless-stopped', () => {
    const members = ofType(p, CONTAINER).filter((c) => c.name.startsWith('mongodb-member-'));
    expect(members).toHaveLength(1);
    const m = members[0]!.inputs;
    expect(m.name).toBe(WORKLOAD.mongodb);
    expect(m.command).toEqual(['mongod', '--auth', '--bind_ip_all']);
    expect(m.restart).toBe('unless-stopped');
    expect(m.memory).toBe(1024);
    expect(m.cpus).toBe(config.mongodb.resources.cpuLimit);
    expect(m.healthcheck.tests).toEqual(['CMD', 'mongosh', '--quiet', '--eval', "db.adminCommand('ping')"]);
    const volume = byName(p, VOLUME, 'mongodb-data-0').inputs;
    expect(m.volumes).toEqual([{ volumeName: volume.name, containerPath: '/data/db' }]);
    expect(m.networksAdvanced).toEqual([{ name: TEST_NETWORK.backend, aliases: [WORKLOAD.mongodb] }]);
  });

  it('creates the root user from uploaded secret files (MONGO_INITDB_ROOT_*_FILE), never from env values', () => {
    const m = container('mongodb-member-0');
    expect(m.envs).toEqual([
      'MONGO_INITDB_ROOT_USERNAME_FILE=/run/secrets/root-username',
      'MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/root-password',
    ]);
    expect(m.uploads).toEqual([
      { file: '/run/secrets/root-username', content: STAND_IN.rootUsername, permissions: '0400' },
      { file: '/run/secrets/root-password', content: STAND_IN.rootPassword, permissions: '0400' },
    ]);
  });

  it('runs the index script once per change in a one-shot container labelled with the indexes', () => {
    const init = container('mongodb-indexes');
    expect(init).toMatchObject({ name: WORKLOAD.mongodbIndexes, restart: 'no', mustRun: false });
    expect(init.entrypoints).toEqual(['bash', '/opt/enrichment/scripts/mongodb-init.sh']);
    expect(init.labels).toContainEqual({ label: ANNOTATION.mongodbIndexes, value: indexAnnotation() });
    const uploaded = Object.fromEntries((init.uploads as any[]).map((u) => [u.file, u.content]));
    expect(uploaded['/opt/enrichment/scripts/mongodb-init.js']).toBe(renderInitScript(config.mongodb.database));
    expect(init.envs).toContain(`MONGODB_HOSTS=${WORKLOAD.mongodb}:${PORT.mongodb}`);
    expect(init.envs).toContain('MONGODB_REPLICA_SET=');
    expect(init.envs).toContain('MONGODB_APP_PASSWORD_FILE=/run/secrets/app-password');
  });

  it('keeps daily local backups at the schedule time, pruned after retentionDays, in a volume', () => {
    const backup = container('mongodb-backup');
    expect(backup.restart).toBe('unless-stopped');
    expect(backup.entrypoints).toEqual(['bash', '/opt/enrichment/scripts/mongodb-backup-local.sh']);
    expect(backup.envs).toContain(`BACKUP_TIME=${dailyBackupTime(config.mongodb.backup.schedule)}`);
    expect(backup.envs).toContain('BACKUP_TIME=02:00');
    expect(backup.envs).toContain(`RETENTION_DAYS=${config.mongodb.backup.retentionDays}`);
    expect(backup.labels).toContainEqual({ label: ANNOTATION.backupRetentionDays, value: '30' });
    expect(backup.volumes).toEqual([{ volumeName: byName(p, VOLUME, 'mongodb-backups').inputs.name, containerPath: '/backups' }]);
    expect(backup.healthcheck.tests[0]).toBe('CMD-SHELL');
  });

  it('publishes no port, joins only the backend network, and puts secrets only in uploads', () => {
    const containers = ofType(p, CONTAINER);
    expect(containers.map((c) => c.inputs.name).sort()).toEqual([WORKLOAD.mongodb, WORKLOAD.mongodbBackup, WORKLOAD.mongodbIndexes].sort());
    for (const c of containers) {
      expect(c.inputs.ports, c.name).toBeUndefined();
      expect(c.inputs.networksAdvanced.map((n: any) => n.name), c.name).toEqual([TEST_NETWORK.backend]);
      expect(secretsIn([c.inputs.envs, c.inputs.command, c.inputs.entrypoints, c.inputs.labels], STAND_IN_VALUES), `${c.name} leaks`).toEqual([]);
      expect(c.inputs.cpus, c.name).toBeDefined();
      expect(c.inputs.memory, c.name).toBeGreaterThan(0);
    }
    // Control: the uploads do carry the root password.
    expect(strings(container('mongodb-indexes').uploads)).toContain(STAND_IN.rootPassword);
    expect(p.resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
  });

  it('starts a keyfile-authenticated replica set of three when dev asks for replicas: 3', async () => {
    const { plan: rs, mongodb } = await plan('dev', { overrides: { mongodb: { replicas: 3 } } });
    const members = ofType(rs, CONTAINER).filter((c) => c.name.startsWith('mongodb-member-'));
    expect(members.map((m) => m.inputs.name)).toEqual(['mongodb', 'mongodb-1', 'mongodb-2']);
    expect(mongodb.replicaSetName).toBe('rs0');
    for (const m of members) {
      expect(m.inputs.command).toEqual(['mongod', '--auth', '--bind_ip_all', '--replSet', 'rs0', '--keyFile', '/run/secrets/keyfile']);
      expect(m.inputs.uploads).toContainEqual({ file: '/run/secrets/keyfile', content: STAND_IN.keyfile, permissions: '0400', owner: '999' });
    }
    expect(ofType(rs, VOLUME).map((v) => v.inputs.name).sort()).toEqual(
      ['enrichment-platform-mongodb-data', 'enrichment-platform-mongodb-1-data', 'enrichment-platform-mongodb-2-data', 'enrichment-platform-mongodb-backups'].sort(),
    );
    const init = byName(rs, CONTAINER, 'mongodb-indexes').inputs;
    expect(init.envs).toContain('MONGODB_REPLICA_SET=rs0');
    expect(init.envs).toContain('MONGODB_HOSTS=mongodb:27017,mongodb-1:27017,mongodb-2:27017');
  });
});

describe('validateMongoDbArgs', () => {
  const config = (stack: StackName, mongodb: Record<string, unknown>) => loadInfraConfig(stack, { mongodb });
  const docker = { kind: 'docker' } as DockerTarget;
  const kube = { kind: 'kubernetes' } as KubernetesTarget;
  it('refuses a deployment without members (the config schema, before any resource)', () => {
    expect(() => config('prod', { replicas: 0 })).toThrow('mongodb.replicas: Too small: expected number to be >=1');
  });
  it('refuses a non-daily schedule on Docker only', () => {
    const weekly = config('dev', { backup: { schedule: '0 2 * * 0' } });
    expect(() => validateMongoDbArgs({ config: weekly, target: docker })).toThrow(
      "mongodb.backup.schedule must be a daily 'M H * * *' cron expression on the docker target (got '0 2 * * 0')",
    );
    expect(() => validateMongoDbArgs({ config: weekly, target: kube })).not.toThrow();
    expect(dailyBackupTime('30 4 * * *')).toBe('04:30');
  });
});

// ---------------------------------------------------------------------------------------------
// The scripts themselves.

class Quit extends Error {
  constructor(readonly code: number) {
    super(`quit(${code})`);
  }
}

/** A fake mongosh `db`: collections of plain documents, users, and the calls made. */
function fakeMongo(data: Record<string, Record<string, Record<string, unknown>[]>> = {}) {
  const users = new Map<string, { pwd: string; roles: unknown[] }>();
  const indexes: { db: string; collection: string; key: unknown; options: any }[] = [];
  const dropped: string[] = [];
  const matches = (doc: Record<string, unknown>, filter: Record<string, any>) =>
    Object.entries(filter).every(([field, cond]) => {
      const v = doc[field];
      if (cond && typeof cond === 'object' && '$lte' in cond) return v instanceof Object && (v as Date).getTime() <= cond.$lte.getTime();
      return v === cond;
    });
  const database = (name: string): any => ({
    getCollection: (collection: string) => ({
      createIndex: (key: unknown, options: any) => indexes.push({ db: name, collection, key, options }),
      getIndexes: () => indexes.filter((i) => i.db === name && i.collection === collection).map((i) => ({ name: i.options.name })),
      countDocuments: (filter: Record<string, unknown>) => (data[name]?.[collection] ?? []).filter((d) => matches(d, filter)).length,
    }),
    getCollectionNames: () => Object.keys(data[name] ?? {}),
    dropDatabase: () => dropped.push(name),
    getUser: (user: string) => users.get(user) ?? null,
    createUser: ({ user, pwd, roles }: { user: string; pwd: string; roles: unknown[] }) => users.set(user, { pwd, roles }),
    updateUser: (user: string, update: { pwd: string; roles: unknown[] }) => users.set(user, update),
  });
  return { db: { getSiblingDB: database }, users, indexes, dropped };
}

function runMongosh(script: string, db: unknown, env: Record<string, string>): { output: string[]; exit: number } {
  const output: string[] = [];
  try {
    vm.runInNewContext(script, {
      db,
      rs: { conf: () => ({ members: [] }), add: () => undefined },
      print: (line: string) => output.push(line),
      quit: (code: number) => {
        throw new Quit(code);
      },
      process: { env },
    });
    return { output, exit: 0 };
  } catch (err) {
    if (err instanceof Quit) return { output, exit: err.code };
    throw err;
  }
}

describe('mongodb-init.js (the index Job body)', () => {
  it('creates every INDEX_SPECS index with its name and uniqueness, the app user and the exporter user', () => {
    const mongo = fakeMongo();
    const env = {
      MONGODB_HOSTS: 'mongodb:27017',
      MONGODB_APP_USERNAME: 'app',
      MONGODB_APP_PASSWORD: 'app-pw',
      MONGODB_EXPORTER_USERNAME: MONGODB_EXPORTER_USERNAME,
      MONGODB_EXPORTER_PASSWORD: 'exp-pw',
    };
    const run = runMongosh(renderInitScript('enrichment'), mongo.db, env);
    expect(run.exit).toBe(0);
    expect(mongo.indexes).toHaveLength(INDEX_SPECS.length);
    for (const spec of INDEX_SPECS) {
      expect(mongo.indexes).toContainEqual({
        db: 'enrichment',
        collection: spec.collection,
        key: spec.key,
        options: spec.unique ? { name: spec.name, unique: true } : { name: spec.name },
      });
    }
    expect(mongo.users.get('app')).toEqual({ pwd: 'app-pw', roles: [{ role: 'readWrite', db: 'enrichment' }] });
    expect(mongo.users.get(MONGODB_EXPORTER_USERNAME)?.roles).toEqual([{ role: 'clusterMonitor', db: 'admin' }, { role: 'read', db: 'local' }]);
    // A second run updates (new password) instead of failing on an existing user.
    const again = runMongosh(renderInitScript('enrichment'), mongo.db, { ...env, MONGODB_APP_PASSWORD: 'rotated' });
    expect(again.exit).toBe(0);
    expect(mongo.users.get('app')?.pwd).toBe('rotated');
  });

  it('exits 1 when an index is missing afterwards', () => {
    const mongo = fakeMongo();
    const broken = { getSiblingDB: (name: string) => ({ ...mongo.db.getSiblingDB(name), getCollection: (c: string) => ({ ...mongo.db.getSiblingDB(name).getCollection(c), getIndexes: () => [] }) }) };
    const run = runMongosh(renderInitScript('enrichment'), broken, { MONGODB_HOSTS: 'm:1', MONGODB_APP_USERNAME: 'a', MONGODB_APP_PASSWORD: 'b' });
    expect(run.exit).toBe(1);
    expect(run.output.at(-1)).toMatch(/^missing indexes: ocr_jobs\.job_id_unique/);
  });
});

describe('mongodb-restore-verify.js (the restore drill check)', () => {
  const started = '2025-03-01T02:00:00Z';
  const at = (iso: string) => new Date(iso);
  const live = {
    [COLLECTIONS.ocrJobs]: [{ created_at: at('2025-02-01T00:00:00Z') }, { created_at: at('2025-02-28T23:00:00Z') }, { created_at: at('2025-03-01T05:00:00Z') }],
    [COLLECTIONS.reviewDecisions]: [{ decided_at: at('2025-02-10T00:00:00Z') }],
    notes: [{}, {}],
  };

  it('passes when each restored collection holds every live document created before the dump, then drops the scratch database', () => {
    const mongo = fakeMongo({
      enrichment: live,
      [RESTORE_CHECK_DATABASE]: { [COLLECTIONS.ocrJobs]: live.ocr_jobs.slice(0, 2), [COLLECTIONS.reviewDecisions]: live.review_decisions, notes: [] },
    });
    const run = runMongosh(renderRestoreVerifyScript('enrichment'), mongo.db, { BACKUP_STARTED_AT: started });
    expect(run.exit).toBe(0);
    expect(run.output).toContain(`ocr_jobs: restored 2, live 3, live created by 2025-03-01T02:00:00.000Z 2`);
    expect(run.output).toContain('notes: restored 0, live 2 (no creation field: not judged)');
    expect(mongo.dropped).toEqual([RESTORE_CHECK_DATABASE]);
  });

  it('exits 1 and keeps the scratch database when a collection lost documents', () => {
    const mongo = fakeMongo({
      enrichment: live,
      [RESTORE_CHECK_DATABASE]: { [COLLECTIONS.ocrJobs]: live.ocr_jobs.slice(0, 1), [COLLECTIONS.reviewDecisions]: [] },
    });
    const run = runMongosh(renderRestoreVerifyScript('enrichment'), mongo.db, { BACKUP_STARTED_AT: started });
    expect(run.exit).toBe(1);
    expect(run.output.at(-1)).toContain('ocr_jobs: restored 1 < 2 live documents created before the backup');
    expect(run.output.at(-1)).toContain('review_decisions: restored 0 < 1 live documents created before the backup');
    expect(mongo.dropped).toEqual([]);
  });

  it('knows the creation field of every collection', () => {
    expect(Object.keys(CREATED_AT_FIELD).sort()).toEqual(Object.values(COLLECTIONS).sort());
  });
});

/** Runs a backup/restore shell script with a stub `aws` on PATH that logs its arguments. */
function runWithStubAws(script: string, env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mongodb-scripts-'));
  const bin = path.join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  const log = path.join(dir, 'aws.log');
  writeFileSync(
    path.join(bin, 'aws'),
    [
      '#!/usr/bin/env bash',
      'echo "$*" >> "$AWS_LOG"',
      'if [ "$1" = --endpoint-url ]; then shift 2; fi',
      'case "$1 $2" in',
      '  "s3api head-object") echo "$AWS_HEAD_SIZE" ;;',
      '  "s3api list-objects-v2") printf "%s\\n" "$AWS_LISTING" ;;',
      'esac',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'aws'), 0o755);
  const file = path.join(dir, path.basename(script));
  writeFileSync(file, mongoScripts(loadInfraConfig('prod', {}))[script]!);
  const result = spawnSync('bash', [file], {
    env: { PATH: `${bin}:${process.env['PATH']}`, AWS_LOG: log, S3_ENDPOINT: 'https://s3.example.test', S3_BUCKET: 'bkt', S3_PREFIX: 'mongodb/prod', ...env },
    encoding: 'utf8',
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    calls = [];
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, dir };
}

/** `yyyymmddThhmmssZ` of now minus `days`. */
const stampDaysAgo = (days: number) =>
  new Date(Date.now() - days * 86_400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

describe('mongodb-backup-upload.sh (retention)', () => {
  const key = (days: number) => `mongodb/prod/mongodump-${stampDaysAgo(days)}.archive.gz`;

  function prepare() {
    const backupDir = mkdtempSync(path.join(tmpdir(), 'backup-'));
    const archive = path.join(backupDir, `mongodump-${stampDaysAgo(0)}.archive.gz`);
    writeFileSync(archive, 'archive bytes');
    return { backupDir, archive, size: String(statSync(archive).size) };
  }

  it('uploads the archive, then deletes exactly the backups older than RETENTION_DAYS', () => {
    const { backupDir, archive, size } = prepare();
    const old = [key(45), key(31)];
    const kept = [key(29), key(1), `mongodb/prod/${path.basename(archive)}`];
    const run = runWithStubAws('mongodb-backup-upload.sh', {
      BACKUP_DIR: backupDir,
      RETENTION_DAYS: '30',
      AWS_HEAD_SIZE: size,
      AWS_LISTING: [...kept, ...old, 'mongodb/prod/mongodump-notes.txt'].join('\t'),
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls[0]).toBe(`--endpoint-url https://s3.example.test s3 cp ${archive} s3://bkt/mongodb/prod/${path.basename(archive)} --only-show-errors`);
    const removed = run.calls.filter((c) => c.includes(' s3 rm ')).map((c) => c.split(' ')[4]);
    expect(removed.sort()).toEqual(old.map((k) => `s3://bkt/${k}`).sort());
    expect(run.stdout).toContain('retention 30 days: deleted 2 backup(s)');
  });

  it('fails without deleting anything when the stored size differs from the archive', () => {
    const { backupDir } = prepare();
    const run = runWithStubAws('mongodb-backup-upload.sh', { BACKUP_DIR: backupDir, RETENTION_DAYS: '30', AWS_HEAD_SIZE: '1', AWS_LISTING: key(90) });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/holds 1 bytes, the archive has \d+/);
    expect(run.calls.some((c) => c.includes(' s3 rm '))).toBe(false);
    expect(run.calls.some((c) => c.includes('list-objects-v2'))).toBe(false);
  });
});

describe('mongodb-restore-fetch.sh (newest backup)', () => {
  it('downloads the most recent backup under the prefix', () => {
    const restoreDir = mkdtempSync(path.join(tmpdir(), 'restore-'));
    const newest = `mongodb/prod/mongodump-${stampDaysAgo(1)}.archive.gz`;
    const listing = [`mongodb/prod/mongodump-${stampDaysAgo(3)}.archive.gz`, newest, `mongodb/prod/mongodump-${stampDaysAgo(2)}.archive.gz`].join('\t');
    const run = runWithStubAws('mongodb-restore-fetch.sh', { RESTORE_DIR: restoreDir, AWS_LISTING: listing });
    expect(run.status).toBe(0);
    expect(run.calls.at(-1)).toBe(`--endpoint-url https://s3.example.test s3 cp s3://bkt/${newest} ${restoreDir}/${path.basename(newest)} --only-show-errors`);
  });

  it('fails when there is no backup', () => {
    const run = runWithStubAws('mongodb-restore-fetch.sh', { RESTORE_DIR: tmpdir(), AWS_LISTING: 'None' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('no backup under s3://bkt/mongodb/prod/');
  });
});
