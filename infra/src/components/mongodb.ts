/**
 * MongoDb (`enrichment:data:MongoDb`): the pipeline's database (`MONGODB_URI`), official `mongo:7`.
 *
 * Checklist Phase 9a, database configuration:
 * - checklist 9a-db-02 (username/password login): `--auth`, root user from
 *   `MONGO_INITDB_ROOT_USERNAME`/`_PASSWORD` (Kubernetes: `secretKeyRef`; Docker: `_FILE`
 *   uploads), an app user with `readWrite` on the app database only, and an exporter user with
 *   the monitoring roles; passwords from PlatformSecrets.
 * - checklist 9a-db-04, 9a-db-05, 9a-db-06 (a backup every day, kept a month or longer, in
 *   protected off-site storage): the `mongodb-backup` CronJob (`mongodump --archive --gzip` to
 *   S3-compatible storage, then deletion of backups older than `retentionDays`, annotated
 *   {@link ANNOTATION.backupRetentionDays}).
 * - checklist 9a-db-07 (restores are exercised, not assumed): the `mongodb-restore` CronJob,
 *   suspended: a template for drills (see {@link RESTORE_DRILL_COMMAND}) that restores the newest
 *   backup into {@link RESTORE_CHECK_DATABASE} and compares collection counts with the live
 *   database.
 * - checklist 9a-db-08 to 9a-db-12 (the pipeline's indexes): the `mongodb-indexes` Job, whose
 *   script is generated from `INDEX_SPECS` (`app/src/store/collections.ts`), annotated
 *   {@link ANNOTATION.mongodbIndexes}.
 * - checklist 9a-db-13 (a replica set for availability): a StatefulSet of
 *   `config.mongodb.replicas` members started with `--replSet rs0 --keyFile`, a PVC per member, a
 *   PDB (`maxUnavailable: 1`); the same Job initiates the set.
 * - checklist 9a-db-14 (metrics on collection sizes and query latency): percona/mongodb_exporter
 *   (`--collect-all`: dbstats, collstats, top) behind the `mongodb-exporter` Service, port 9216.
 *
 * Kubernetes objects: ConfigMap `mongodb-scripts`, Secret `mongodb-exporter`, Services `mongodb`
 * (headless) and `mongodb-client` (ClusterIP), StatefulSet and PDB `mongodb`, Job
 * `mongodb-indexes`, CronJobs `mongodb-backup` and `mongodb-restore`, Deployment and Service
 * `mongodb-exporter`.
 *
 * Docker (dev): one `mongod` container per member (a replica set only when `replicas > 1`) with a
 * named data volume, a one-shot `mongodb-indexes` container (same script as the Job: users and
 * indexes on every `pulumi up`, not only on the first start as `/docker-entrypoint-initdb.d/`
 * would), and a `mongodb-backup` container that dumps daily into a named volume and prunes it
 * (the dev backend network has no route out, so dev backups stay local). Dev has no exporter: the
 * percona image is `FROM scratch` and takes its URI only from a flag or env var, which would put the
 * exporter password in the container config.
 */
import path from 'node:path';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { COLLECTIONS, INDEX_SPECS, type CollectionName, type IndexSpec } from '../../../app/src/store/collections.js';
import type { ContainerResources, InfraConfig } from '../config.js';
import { ANNOTATION, COMPONENT, PART_OF, PORT, WORKLOAD } from '../conventions.js';
import { endpoints, MONGODB_REPLICA_SET } from '../endpoints.js';
import { dockerLogging, dockerSecretPath, remoteImage, secretFileUpload } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, oneShotJobOptions, podDisruptionBudget, podSecurityContext, preferOnePodPerNode, secretKeyRefEnv, volumeClaimTemplate } from '../lib/kubernetes.js';
import { dockerWorkloadLabels, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources } from '../lib/resources.js';
import { readScript, SCRIPTS_MOUNT, SCRIPTS_SHA_ANNOTATION, scriptsVolume as scriptsVolumeOf, scriptUploads, sha256Hex } from '../lib/scripts.js';
import type { ComponentBaseArgs, DockerTarget, KubernetesTarget, SecretRef } from '../types.js';

/** The Pulumi type token of {@link MongoDb}. */
export const MONGODB_TYPE = 'enrichment:data:MongoDb';

/** Prometheus exporter (https://github.com/percona/mongodb_exporter), runs as uid 65535. */
export const MONGODB_EXPORTER_IMAGE = 'percona/mongodb_exporter:0.47.1';
/**
 * S3 client of the backup and restore Jobs. The mongo image has mongodump but no S3 client and
 * this image has the client but no mongodump, so each Job is two containers sharing an emptyDir:
 * an init container (mongo image) dumps, the main container (this image) uploads, and the reverse
 * for the restore.
 */
export const AWS_CLI_IMAGE = 'amazon/aws-cli:2.27.22';
/** uid and gid of the `mongodb` user of the official image. */
export const MONGODB_UID = 999;
/** uid of the exporter image (`USER 65535:65535`). */
export const EXPORTER_UID = 65535;
/** The scratch database of the restore drill (`mongorestore --nsTo`). */
export const RESTORE_CHECK_DATABASE = 'restore_check';
/** MongoDB user of the exporter (`clusterMonitor` + `read` on `local`). */
export const MONGODB_EXPORTER_USERNAME = 'metrics-exporter';
/** Kubernetes Secret holding the exporter's URI (`MONGODB_URI` of the exporter) and password. */
export const MONGODB_EXPORTER_SECRET = 'mongodb-exporter';
/** ConfigMap of the Job scripts. */
export const MONGODB_SCRIPTS_CONFIGMAP = 'mongodb-scripts';
/** ClusterIP Service (one name for tools; the app uses the member list of `endpoints()`). */
export const MONGODB_CLIENT_SERVICE = 'mongodb-client';
/** Where the replica-set keyfile is readable by mongod (mode 0400, owner {@link MONGODB_UID}). */
export const KEYFILE_PATH = '/etc/mongodb-keyfile/keyfile';
/** Restore drills are quarterly (checklist "Quarterly Operations: Disaster recovery drill"). */
export const RESTORE_DRILL_SCHEDULE = '0 4 1 */3 *';
/**
 * How to run a restore drill from the suspended `mongodb-restore` CronJob: `kubectl create job
 * --from=cronjob/...` copies its jobTemplate into a new Job, whatever `suspend` says.
 */
export const RESTORE_DRILL_COMMAND = 'kubectl -n <namespace> create job --from=cronjob/mongodb-restore mongodb-restore-$(date +%s)';
/** Longest a backup or restore run may take, seconds. */
export const BACKUP_DEADLINE_SECONDS = 4 * 3600;
/** Longest the init Job may take, seconds (members may wait for volumes and an election). */
export const INIT_DEADLINE_SECONDS = 1800;

/** The Job containers (mongosh, mongodump, aws): not sized by config. */
export const JOB_RESOURCES: ContainerResources = { cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '1', memoryLimit: '1Gi' };
/** The exporter and the keyfile-copy init container: not sized by config. */
export const SMALL_RESOURCES: ContainerResources = { cpuRequest: '50m', memoryRequest: '64Mi', cpuLimit: '500m', memoryLimit: '256Mi' };

/**
 * The field holding each document's creation time, per collection (`app/src/store/collections.ts`
 * types). The restore check counts live documents created before the dump; a collection added to
 * `COLLECTIONS` without an entry here fails to compile.
 */
export const CREATED_AT_FIELD: Record<CollectionName, string> = {
  [COLLECTIONS.ocrJobs]: 'created_at',
  [COLLECTIONS.enrichedDocuments]: 'created_at',
  [COLLECTIONS.reviewQueue]: 'created_at',
  [COLLECTIONS.costRecords]: 'created_at',
  [COLLECTIONS.reviewDecisions]: 'decided_at',
};

/**
 * The secrets MongoDb reads, a structural subset of `PlatformSecrets` (`./secrets.ts`).
 * S3 credentials are optional: without them the backup Jobs use the AWS CLI's default credential
 * chain (for example a web identity token of the pod's service account).
 */
export interface MongoSecrets {
  refs: {
    mongodbRootUsername: SecretRef;
    mongodbRootPassword: SecretRef;
    mongodbAppUsername: SecretRef;
    mongodbAppPassword: SecretRef;
    /** Replica-set internal authentication (`--keyFile`), 6..1024 base64 characters. */
    mongodbKeyfile: SecretRef;
    backupS3AccessKeyId?: SecretRef | undefined;
    backupS3SecretAccessKey?: SecretRef | undefined;
  };
  /** The Kubernetes Secrets holding the refs, waited for before any pod reads them. */
  secrets?: readonly pulumi.Resource[];
}

/** Arguments of {@link MongoDb}. */
export interface MongoDbArgs extends ComponentBaseArgs {
  /** Where the MongoDB credentials and the backup credentials live. */
  secrets: MongoSecrets;
}

/**
 * The `ANNOTATION.mongodbIndexes` value: `collection:field,field;collection:field`, collections in
 * `INDEX_SPECS` order, each index as its key fields (a compound key joined with `+`).
 *
 * @example indexAnnotation([{ collection: 'ocr_jobs', key: { job_id: 1 }, ... }]) // 'ocr_jobs:job_id'
 */
export function indexAnnotation(specs: readonly IndexSpec[] = INDEX_SPECS): string {
  const byCollection = new Map<string, string[]>();
  for (const spec of specs) {
    const fields = byCollection.get(spec.collection) ?? [];
    fields.push(Object.keys(spec.key).join('+'));
    byCollection.set(spec.collection, fields);
  }
  return [...byCollection].map(([collection, fields]) => `${collection}:${fields.join(',')}`).join(';');
}

/** A mongosh script: generated constants, then a static body from `scripts/`. */
function mongoshScript(constants: Record<string, unknown>, bodyFile: string): string {
  const header = Object.entries(constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value, null, 2)};`);
  return [`// Generated by infra/src/components/mongodb.ts; body: scripts/${bodyFile}.`, ...header, '', readScript(bodyFile)].join('\n');
}

/**
 * The mongosh script of the init Job: the app and exporter users and every index of `INDEX_SPECS`
 * (`createIndex(key, { name, unique })`), then a check that each exists.
 *
 * @param database the app database (`config.mongodb.database`).
 */
export function renderInitScript(database: string): string {
  const specs = INDEX_SPECS.map((s) => ({ collection: s.collection, key: s.key, options: { name: s.name, ...(s.unique ? { unique: true } : {}) } }));
  return mongoshScript({ DATABASE: database, INDEX_SPECS: specs }, 'mongodb-init.body.js');
}

/** The mongosh script of the restore drill's count check (see `scripts/mongodb-restore-verify.body.js`). */
export function renderRestoreVerifyScript(database: string): string {
  return mongoshScript({ DATABASE: database, SCRATCH_DATABASE: RESTORE_CHECK_DATABASE, CREATED_AT_FIELDS: CREATED_AT_FIELD }, 'mongodb-restore-verify.body.js');
}

/** Every script file of the Jobs and containers, by file name (the ConfigMap's data). */
export function mongoScripts(config: InfraConfig): Record<string, string> {
  const files = [
    'mongodb-lib.sh',
    'mongodb-init.sh',
    'mongodb-replica-set.js',
    'mongodb-backup-dump.sh',
    'mongodb-backup-upload.sh',
    'mongodb-backup-local.sh',
    'mongodb-restore-fetch.sh',
    'mongodb-restore-verify.sh',
  ];
  return {
    ...Object.fromEntries(files.map((f) => [f, readScript(f)])),
    'mongodb-init.js': renderInitScript(config.mongodb.database),
    'mongodb-restore-verify.js': renderRestoreVerifyScript(config.mongodb.database),
  };
}

/**
 * `HH:MM` (UTC) of a daily cron schedule `M H * * *`: the Docker backup loop's time of day.
 *
 * @throws Error when the schedule is not of that form.
 */
export function dailyBackupTime(schedule: string): string {
  const m = /^(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*$/.exec(schedule.trim());
  const minute = Number(m?.[1]);
  const hour = Number(m?.[2]);
  if (!m || minute > 59 || hour > 23) {
    throw new Error(`mongodb.backup.schedule must be a daily 'M H * * *' cron expression on the docker target (got '${schedule}')`);
  }
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/**
 * Checks what the schema cannot: the component cannot run without a member, and the Docker backup
 * loop only knows daily schedules.
 *
 * @throws pulumi.ResourceError (on `parent`) with the problem.
 */
export function validateMongoDbArgs(args: Pick<MongoDbArgs, 'config' | 'target'>, parent?: pulumi.Resource): void {
  const { config, target } = args;
  const fail = (message: string): never => {
    throw new pulumi.ResourceError(message, parent);
  };
  if (target.kind === 'docker') {
    try {
      dailyBackupTime(config.mongodb.backup.schedule);
    } catch (err) {
      fail((err as Error).message);
    }
  }
}

const labelsOf = (workload: string) => workloadLabels(workload, COMPONENT.database);
const dockerLabelsOf = (workload: string, extra: Record<string, string> = {}) => dockerWorkloadLabels(workload, COMPONENT.database, extra);
const restricted = containerSecurityContext();
/** `mongosh` ping: allowed without authentication, so probes need no credentials. */
const MONGOSH_PING = ['mongosh', '--quiet', '--eval', "db.adminCommand('ping')"];

/**
 * Deploys MongoDB, its init/backup/restore Jobs and its exporter on the stack's target.
 *
 * Outputs: {@link serviceHost}, {@link hosts}, {@link replicaSetName}, {@link database},
 * {@link backupSchedule}, {@link backupRetentionDays}, {@link exporterService}.
 */
export class MongoDb extends pulumi.ComponentResource {
  /** One address for tools: the ClusterIP Service (Kubernetes) or member 0's name (Docker). */
  readonly serviceHost: string;
  /** `host:port` of every member (`endpoints().mongodbHosts`): the seed list of `MONGODB_URI`. */
  readonly hosts: string[];
  /** `--replSet` name, or undefined for a standalone dev server. */
  readonly replicaSetName: string | undefined;
  /** The app database. */
  readonly database: string;
  /** Backup schedule (cron, UTC). */
  readonly backupSchedule: string;
  /** Days a backup is kept. */
  readonly backupRetentionDays: number;
  /** `host:port` the exporter serves `/metrics` on, or undefined (dev). */
  readonly exporterService: string | undefined;
  /** The init Job (Kubernetes) or one-shot container (Docker): users and indexes exist after it. */
  readonly init: pulumi.Resource;

  constructor(name: string, args: MongoDbArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MONGODB_TYPE, name, {}, opts);
    validateMongoDbArgs(args, this);
    const { config, target } = args;
    this.database = config.mongodb.database;
    this.backupSchedule = config.mongodb.backup.schedule;
    this.backupRetentionDays = config.mongodb.backup.retentionDays;
    if (target.kind === 'kubernetes') {
      const ep = endpoints(config, target.namespace);
      this.hosts = ep.mongodbHosts;
      this.replicaSetName = MONGODB_REPLICA_SET;
      this.serviceHost = `${MONGODB_CLIENT_SERVICE}.${target.namespace}.svc.cluster.local`;
      this.exporterService = `${WORKLOAD.mongodbExporter}.${target.namespace}.svc.cluster.local:${PORT.mongodbExporter}`;
      this.init = this.kubernetes(name, args, target);
    } else {
      const ep = endpoints(config);
      this.hosts = ep.mongodbHosts;
      this.replicaSetName = config.mongodb.replicas > 1 ? MONGODB_REPLICA_SET : undefined;
      this.serviceHost = WORKLOAD.mongodb;
      this.exporterService = undefined;
      this.init = this.docker(name, args, target);
    }
    this.registerOutputs({
      serviceHost: this.serviceHost,
      hosts: this.hosts,
      replicaSetName: this.replicaSetName,
      database: this.database,
      backupSchedule: this.backupSchedule,
      backupRetentionDays: this.backupRetentionDays,
      exporterService: this.exporterService,
    });
  }

  private kubernetes(name: string, args: MongoDbArgs, target: KubernetesTarget): pulumi.Resource {
    const { config, secrets } = args;
    const refs = secrets.refs;
    const m = config.mongodb;
    const ns = target.namespace;
    const opts = { parent: this, provider: target.provider, dependsOn: [...target.namespaces, ...(secrets.secrets ?? [])] };
    const image = m.image;
    const scripts = mongoScripts(config);
    const scriptsHash = sha256Hex(JSON.stringify(scripts));
    const { volume: scriptsVolume, mount: scriptsMount } = scriptsVolumeOf(MONGODB_SCRIPTS_CONFIGMAP);
    const hostsEnv = [
      { name: 'MONGODB_HOSTS', value: this.hosts.join(',') },
      { name: 'MONGODB_REPLICA_SET', value: MONGODB_REPLICA_SET },
      { name: 'SCRIPTS_DIR', value: SCRIPTS_MOUNT },
      // mongosh keeps history and logs under $HOME; the image's home is the data directory.
      { name: 'HOME', value: '/tmp' },
    ];
    const rootEnv = [secretKeyRefEnv('MONGO_ROOT_USERNAME', refs.mongodbRootUsername), secretKeyRefEnv('MONGO_ROOT_PASSWORD', refs.mongodbRootPassword)];
    const mongoPodSecurity = podSecurityContext(MONGODB_UID);
    const s3 = m.backup;
    const s3Env = [
      { name: 'S3_ENDPOINT', value: s3.s3Endpoint },
      { name: 'S3_BUCKET', value: s3.s3Bucket },
      { name: 'S3_PREFIX', value: s3.s3Prefix },
      { name: 'AWS_DEFAULT_REGION', value: s3.s3Region },
      { name: 'HOME', value: '/tmp' },
      ...(refs.backupS3AccessKeyId ? [secretKeyRefEnv('AWS_ACCESS_KEY_ID', refs.backupS3AccessKeyId)] : []),
      ...(refs.backupS3SecretAccessKey ? [secretKeyRefEnv('AWS_SECRET_ACCESS_KEY', refs.backupS3SecretAccessKey)] : []),
    ];

    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      { metadata: { name: MONGODB_SCRIPTS_CONFIGMAP, namespace: ns, labels: labelsOf(WORKLOAD.mongodb) }, data: scripts },
      opts,
    );

    // --- members ---
    const memberLabels = labelsOf(WORKLOAD.mongodb);
    const headless = new k8s.core.v1.Service(
      `${name}-headless`,
      {
        metadata: { name: WORKLOAD.mongodb, namespace: ns, labels: memberLabels },
        spec: {
          clusterIP: 'None',
          // Members must resolve each other before they are ready (rs.initiate, initial sync).
          publishNotReadyAddresses: true,
          selector: memberLabels,
          ports: [{ name: 'mongodb', port: PORT.mongodb, targetPort: 'mongodb', protocol: 'TCP' }],
        },
      },
      opts,
    );
    new k8s.core.v1.Service(
      `${name}-client`,
      {
        metadata: { name: MONGODB_CLIENT_SERVICE, namespace: ns, labels: memberLabels },
        spec: { type: 'ClusterIP', selector: memberLabels, ports: [{ name: 'mongodb', port: PORT.mongodb, targetPort: 'mongodb', protocol: 'TCP' }] },
      },
      opts,
    );
    const probe = (periodSeconds: number, failureThreshold: number) => ({
      exec: { command: MONGOSH_PING },
      periodSeconds,
      timeoutSeconds: 10,
      failureThreshold,
    });
    const statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: WORKLOAD.mongodb, namespace: ns, labels: memberLabels },
        spec: {
          serviceName: headless.metadata.name,
          replicas: m.replicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: memberLabels },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          template: {
            metadata: { labels: memberLabels },
            spec: {
              securityContext: mongoPodSecurity,
              // mongod flushes and steps down on SIGTERM; give it time before SIGKILL.
              terminationGracePeriodSeconds: 60,
              affinity: preferOnePodPerNode(memberLabels),
              initContainers: [
                {
                  // mongod refuses a keyfile readable by group or others; a Secret volume with
                  // fsGroup is group-readable, so copy it to a memory emptyDir with mode 0400.
                  name: 'keyfile',
                  image,
                  command: ['sh', '-c', `cp -f /keyfile-secret/keyfile ${KEYFILE_PATH} && chmod 0400 ${KEYFILE_PATH}`],
                  resources: k8sResources(SMALL_RESOURCES),
                  securityContext: restricted,
                  volumeMounts: [
                    { name: 'keyfile-secret', mountPath: '/keyfile-secret', readOnly: true },
                    { name: 'keyfile', mountPath: path.posix.dirname(KEYFILE_PATH) },
                  ],
                },
              ],
              containers: [
                {
                  name: 'mongod',
                  image,
                  args: ['mongod', '--replSet', MONGODB_REPLICA_SET, '--auth', '--keyFile', KEYFILE_PATH, '--bind_ip_all', '--port', String(PORT.mongodb)],
                  env: [secretKeyRefEnv('MONGO_INITDB_ROOT_USERNAME', refs.mongodbRootUsername), secretKeyRefEnv('MONGO_INITDB_ROOT_PASSWORD', refs.mongodbRootPassword)],
                  ports: [{ name: 'mongodb', containerPort: PORT.mongodb, protocol: 'TCP' }],
                  resources: k8sResources(m.resources),
                  // First start runs the image's init (root user) before mongod listens for real.
                  startupProbe: probe(10, 30),
                  livenessProbe: probe(20, 6),
                  readinessProbe: probe(10, 3),
                  securityContext: restricted,
                  volumeMounts: [
                    { name: 'data', mountPath: '/data/db' },
                    { name: 'keyfile', mountPath: path.posix.dirname(KEYFILE_PATH), readOnly: true },
                  ],
                },
              ],
              volumes: [
                {
                  name: 'keyfile-secret',
                  secret: { secretName: refs.mongodbKeyfile.secretName, items: [{ key: refs.mongodbKeyfile.key, path: 'keyfile' }], defaultMode: 0o400 },
                },
                { name: 'keyfile', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaimTemplate('data', memberLabels, m.storageSize)],
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, headless] },
    );
    podDisruptionBudget(`${name}-pdb`, { name: WORKLOAD.mongodb, namespace: ns, labels: memberLabels }, memberLabels, opts);

    // --- exporter credentials (its own user, monitoring roles only) ---
    const exporterPassword = new random.RandomPassword(
      `${name}-exporter-password`,
      { length: 40, special: false },
      { parent: this, additionalSecretOutputs: ['result'] },
    ).result;
    const exporterUri = pulumi.secret(exporterPassword.apply((p) => endpoints(config, ns).mongodbUriTemplate(MONGODB_EXPORTER_USERNAME, p)));
    const exporterLabels = labelsOf(WORKLOAD.mongodbExporter);
    const exporterSecret = new k8s.core.v1.Secret(
      `${name}-exporter-secret`,
      {
        metadata: { name: MONGODB_EXPORTER_SECRET, namespace: ns, labels: exporterLabels },
        type: 'Opaque',
        stringData: { uri: exporterUri, password: pulumi.secret(exporterPassword) },
      },
      { ...opts, additionalSecretOutputs: ['data', 'stringData'] },
    );

    // --- init: replica set, users, indexes ---
    const initLabels = labelsOf(WORKLOAD.mongodbIndexes);
    const initAnnotations = { [ANNOTATION.mongodbIndexes]: indexAnnotation() };
    const init = new k8s.batch.v1.Job(
      `${name}-indexes`,
      {
        metadata: {
          name: WORKLOAD.mongodbIndexes,
          namespace: ns,
          labels: initLabels,
          // A failed run is replaced (re-run) on the next `pulumi up` instead of awaited again.
          annotations: { ...initAnnotations, 'pulumi.com/replaceUnready': 'true' },
        },
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: INIT_DEADLINE_SECONDS,
          template: {
            // The script hash makes a script change a template change: the Job is replaced and re-runs.
            metadata: { labels: initLabels, annotations: { ...initAnnotations, [SCRIPTS_SHA_ANNOTATION]: scriptsHash } },
            spec: {
              restartPolicy: 'Never',
              securityContext: mongoPodSecurity,
              containers: [
                {
                  name: 'init',
                  image,
                  command: ['bash', `${SCRIPTS_MOUNT}/mongodb-init.sh`],
                  env: [
                    ...hostsEnv,
                    ...rootEnv,
                    secretKeyRefEnv('MONGODB_APP_USERNAME', refs.mongodbAppUsername),
                    secretKeyRefEnv('MONGODB_APP_PASSWORD', refs.mongodbAppPassword),
                    { name: 'MONGODB_EXPORTER_USERNAME', value: MONGODB_EXPORTER_USERNAME },
                    secretKeyRefEnv('MONGODB_EXPORTER_PASSWORD', { secretName: MONGODB_EXPORTER_SECRET, key: 'password' }),
                  ],
                  resources: k8sResources(JOB_RESOURCES),
                  securityContext: restricted,
                  volumeMounts: [scriptsMount],
                },
              ],
              volumes: [scriptsVolume],
            },
          },
        },
      },
      {
        ...opts,
        dependsOn: [...opts.dependsOn, statefulSet, configMap, exporterSecret],
        ...oneShotJobOptions(INIT_DEADLINE_SECONDS),
      },
    );

    // --- daily backup to S3-compatible storage ---
    const backupLabels = labelsOf(WORKLOAD.mongodbBackup);
    // A gzip archive is smaller than the data it holds, which fits in the member's volume.
    const workVolume = (volumeName: string) => ({ name: volumeName, emptyDir: { sizeLimit: m.storageSize } });
    new k8s.batch.v1.CronJob(
      `${name}-backup`,
      {
        metadata: {
          name: WORKLOAD.mongodbBackup,
          namespace: ns,
          labels: backupLabels,
          annotations: { [ANNOTATION.backupRetentionDays]: String(m.backup.retentionDays) },
        },
        spec: {
          schedule: m.backup.schedule,
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          // A run missed by more than an hour (controller down) is skipped, not started late.
          startingDeadlineSeconds: 3600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: backupLabels },
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: BACKUP_DEADLINE_SECONDS,
              template: {
                metadata: { labels: backupLabels },
                spec: {
                  restartPolicy: 'Never',
                  securityContext: mongoPodSecurity,
                  initContainers: [
                    {
                      name: 'dump',
                      image,
                      command: ['bash', `${SCRIPTS_MOUNT}/mongodb-backup-dump.sh`],
                      env: [...hostsEnv, ...rootEnv, { name: 'BACKUP_DIR', value: '/backup' }],
                      resources: k8sResources(JOB_RESOURCES),
                      securityContext: restricted,
                      volumeMounts: [scriptsMount, { name: 'backup', mountPath: '/backup' }],
                    },
                  ],
                  containers: [
                    {
                      name: 'upload',
                      image: AWS_CLI_IMAGE,
                      command: ['bash', `${SCRIPTS_MOUNT}/mongodb-backup-upload.sh`],
                      env: [...s3Env, { name: 'BACKUP_DIR', value: '/backup' }, { name: 'RETENTION_DAYS', value: String(m.backup.retentionDays) }],
                      resources: k8sResources(JOB_RESOURCES),
                      securityContext: restricted,
                      volumeMounts: [scriptsMount, { name: 'backup', mountPath: '/backup' }],
                    },
                  ],
                  volumes: [scriptsVolume, workVolume('backup')],
                },
              },
            },
          },
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, configMap] },
    );

    // --- restore drill template: suspended, run with RESTORE_DRILL_COMMAND ---
    const restoreLabels = labelsOf(WORKLOAD.mongodbRestore);
    new k8s.batch.v1.CronJob(
      `${name}-restore`,
      {
        metadata: {
          name: WORKLOAD.mongodbRestore,
          namespace: ns,
          labels: restoreLabels,
          annotations: { 'enrichment-platform/run-drill': RESTORE_DRILL_COMMAND.replace('<namespace>', ns) },
        },
        spec: {
          schedule: RESTORE_DRILL_SCHEDULE,
          timeZone: 'Etc/UTC',
          // A template: never started by the schedule. Set suspend to false to drill every quarter.
          suspend: true,
          concurrencyPolicy: 'Forbid',
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: restoreLabels },
            spec: {
              backoffLimit: 0,
              activeDeadlineSeconds: BACKUP_DEADLINE_SECONDS,
              template: {
                metadata: { labels: restoreLabels },
                spec: {
                  restartPolicy: 'Never',
                  securityContext: mongoPodSecurity,
                  initContainers: [
                    {
                      name: 'fetch',
                      image: AWS_CLI_IMAGE,
                      command: ['bash', `${SCRIPTS_MOUNT}/mongodb-restore-fetch.sh`],
                      env: [...s3Env, { name: 'RESTORE_DIR', value: '/restore' }],
                      resources: k8sResources(JOB_RESOURCES),
                      securityContext: restricted,
                      volumeMounts: [scriptsMount, { name: 'restore', mountPath: '/restore' }],
                    },
                  ],
                  containers: [
                    {
                      name: 'restore-verify',
                      image,
                      command: ['bash', `${SCRIPTS_MOUNT}/mongodb-restore-verify.sh`],
                      env: [
                        ...hostsEnv,
                        ...rootEnv,
                        { name: 'RESTORE_DIR', value: '/restore' },
                        { name: 'DATABASE', value: m.database },
                        { name: 'SCRATCH_DATABASE', value: RESTORE_CHECK_DATABASE },
                      ],
                      resources: k8sResources(JOB_RESOURCES),
                      securityContext: restricted,
                      volumeMounts: [scriptsMount, { name: 'restore', mountPath: '/restore' }],
                    },
                  ],
                  volumes: [scriptsVolume, workVolume('restore')],
                },
              },
            },
          },
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, configMap] },
    );

    // --- exporter ---
    const exporterProbe = (periodSeconds: number) => httpGetProbe({ path: '/', port: 'metrics' }, { periodSeconds });
    new k8s.apps.v1.Deployment(
      `${name}-exporter`,
      {
        metadata: { name: WORKLOAD.mongodbExporter, namespace: ns, labels: exporterLabels },
        spec: {
          replicas: 1,
          selector: { matchLabels: exporterLabels },
          template: {
            metadata: { labels: exporterLabels },
            spec: {
              securityContext: podSecurityContext(EXPORTER_UID, { fsGroup: false }),
              containers: [
                {
                  name: 'exporter',
                  image: MONGODB_EXPORTER_IMAGE,
                  // --collect-all: dbstats/collstats (collection sizes), top (query times), replset
                  // status; --discovering-mode finds the collections for collstats. Direct connection
                  // (the exporter's default) is invalid with the URI's list of members.
                  args: [
                    '--collect-all',
                    '--discovering-mode',
                    '--compatible-mode',
                    '--mongodb.direct-connect=false',
                    `--web.listen-address=:${PORT.mongodbExporter}`,
                  ],
                  env: [secretKeyRefEnv('MONGODB_URI', { secretName: MONGODB_EXPORTER_SECRET, key: 'uri' })],
                  ports: [{ name: 'metrics', containerPort: PORT.mongodbExporter, protocol: 'TCP' }],
                  resources: k8sResources(SMALL_RESOURCES),
                  livenessProbe: exporterProbe(30),
                  readinessProbe: exporterProbe(10),
                  securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
                },
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, exporterSecret, init] },
    );
    new k8s.core.v1.Service(
      `${name}-exporter-service`,
      {
        metadata: { name: WORKLOAD.mongodbExporter, namespace: ns, labels: exporterLabels },
        spec: { type: 'ClusterIP', selector: exporterLabels, ports: [{ name: 'metrics', port: PORT.mongodbExporter, targetPort: 'metrics', protocol: 'TCP' }] },
      },
      opts,
    );
    return init;
  }

  private docker(name: string, args: MongoDbArgs, target: DockerTarget): pulumi.Resource {
    const { config, secrets } = args;
    const refs = secrets.refs;
    const m = config.mongodb;
    const dopts = { parent: this, provider: target.provider };
    const image = remoteImage(`${name}-image`, m.image, dopts);
    const secretFile = dockerSecretPath;
    const secretUpload = (ref: SecretRef, ids: { owner?: number } = {}) => secretFileUpload(secretFile(ref), ref.value, ids);
    const scripts = mongoScripts(config);
    const uploadedScripts = scriptUploads(scripts);
    const hostNames = this.hosts.map((h) => h.split(':')[0]!);
    const rs = this.replicaSetName;
    const backend = (alias: string) => [{ name: target.backendNetwork.name, aliases: [alias] }];
    const rootFileEnvs = [`MONGO_ROOT_USERNAME_FILE=${secretFile(refs.mongodbRootUsername)}`, `MONGO_ROOT_PASSWORD_FILE=${secretFile(refs.mongodbRootPassword)}`];
    const clientEnvs = [`MONGODB_HOSTS=${this.hosts.join(',')}`, `MONGODB_REPLICA_SET=${rs ?? ''}`, `SCRIPTS_DIR=${SCRIPTS_MOUNT}`];

    const members = hostNames.map((host, i) => {
      const volume = new docker.Volume(`${name}-data-${i}`, { name: `${PART_OF}-${host}-data`, labels: dockerLabelsOf(WORKLOAD.mongodb) }, dopts);
      return new docker.Container(
        `${name}-member-${i}`,
        {
          name: host,
          image: image.imageId,
          command: ['mongod', '--auth', '--bind_ip_all', ...(rs ? ['--replSet', rs, '--keyFile', secretFile(refs.mongodbKeyfile)] : [])],
          // The image's entrypoint reads *_FILE (file_env) when it creates the root user on first start.
          envs: [
            `MONGO_INITDB_ROOT_USERNAME_FILE=${secretFile(refs.mongodbRootUsername)}`,
            `MONGO_INITDB_ROOT_PASSWORD_FILE=${secretFile(refs.mongodbRootPassword)}`,
          ],
          uploads: [
            secretUpload(refs.mongodbRootUsername),
            secretUpload(refs.mongodbRootPassword),
            // mongod runs as uid 999 and refuses a keyfile that others may read.
            ...(rs ? [secretUpload(refs.mongodbKeyfile, { owner: MONGODB_UID })] : []),
          ],
          restart: 'unless-stopped',
          ...dockerLogging(),
          ...dockerLimits(m.resources),
          healthcheck: { tests: ['CMD', ...MONGOSH_PING], interval: '30s', timeout: '10s', retries: 5, startPeriod: '60s' },
          // `pulumi up` goes on once the member is healthy, so the init container finds it.
          wait: true,
          waitTimeout: 300,
          volumes: [{ volumeName: volume.name, containerPath: '/data/db' }],
          networksAdvanced: backend(host),
          labels: dockerLabelsOf(WORKLOAD.mongodb),
        },
        dopts,
      );
    });

    // One-shot: users and indexes (and the replica set when replicas > 1), on every change.
    const init = new docker.Container(
      `${name}-indexes`,
      {
        name: WORKLOAD.mongodbIndexes,
        image: image.imageId,
        entrypoints: ['bash', `${SCRIPTS_MOUNT}/mongodb-init.sh`],
        envs: [
          ...clientEnvs,
          ...rootFileEnvs,
          `MONGODB_APP_USERNAME_FILE=${secretFile(refs.mongodbAppUsername)}`,
          `MONGODB_APP_PASSWORD_FILE=${secretFile(refs.mongodbAppPassword)}`,
          'HOME=/tmp',
        ],
        uploads: [
          ...uploadedScripts,
          secretUpload(refs.mongodbRootUsername),
          secretUpload(refs.mongodbRootPassword),
          secretUpload(refs.mongodbAppUsername),
          secretUpload(refs.mongodbAppPassword),
        ],
        restart: 'no',
        ...dockerLogging(),
        mustRun: false,
        ...dockerLimits(JOB_RESOURCES),
        networksAdvanced: backend(WORKLOAD.mongodbIndexes),
        labels: dockerLabelsOf(WORKLOAD.mongodbIndexes, { [ANNOTATION.mongodbIndexes]: indexAnnotation() }),
      },
      { ...dopts, dependsOn: members },
    );

    // Daily dumps into a named volume, pruned after retentionDays.
    const backups = new docker.Volume(`${name}-backups`, { name: `${PART_OF}-mongodb-backups`, labels: dockerLabelsOf(WORKLOAD.mongodbBackup) }, dopts);
    new docker.Container(
      `${name}-backup`,
      {
        name: WORKLOAD.mongodbBackup,
        image: image.imageId,
        entrypoints: ['bash', `${SCRIPTS_MOUNT}/mongodb-backup-local.sh`],
        envs: [
          ...clientEnvs,
          ...rootFileEnvs,
          'BACKUP_DIR=/backups',
          `BACKUP_TIME=${dailyBackupTime(m.backup.schedule)}`,
          `RETENTION_DAYS=${m.backup.retentionDays}`,
          'HOME=/tmp',
        ],
        uploads: [...uploadedScripts, secretUpload(refs.mongodbRootUsername), secretUpload(refs.mongodbRootPassword)],
        restart: 'unless-stopped',
        ...dockerLogging(),
        ...dockerLimits(JOB_RESOURCES),
        // Unhealthy after a failed run, until the next run succeeds.
        healthcheck: { tests: ['CMD-SHELL', 'test "$(cat /backups/.last-status 2>/dev/null || echo ok)" = ok'], interval: '5m', timeout: '10s', retries: 1, startPeriod: '30s' },
        volumes: [{ volumeName: backups.name, containerPath: '/backups' }],
        networksAdvanced: backend(WORKLOAD.mongodbBackup),
        labels: dockerLabelsOf(WORKLOAD.mongodbBackup, { [ANNOTATION.backupRetentionDays]: String(m.backup.retentionDays) }),
      },
      { ...dopts, dependsOn: [init] },
    );
    return init;
  }
}
