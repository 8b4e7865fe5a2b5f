/**
 * PlatformSecrets (`enrichment:security:PlatformSecrets`): every credential of the platform, read
 * from stack config secrets (`pulumi config set --secret <key>`) or generated with
 * `@pulumi/random`, kept as Pulumi secrets end to end.
 *
 * Checklist Phase 9a "API Keys & Secrets": the Anthropic key and the JWT secrets are stored in
 * Kubernetes Secrets (or uploaded as Docker secret files), the MCP JWT secret is non-default and
 * rotated annually, MongoDB passwords are never defaults and differ per environment (a random
 * password is generated per stack, and stack state is per stack).
 *
 * Kubernetes: the values are written into Opaque Secrets (see {@link SECRET_NAME}); workloads read
 * them with `secretKeyRef` or a Secret volume. Docker: no Secret objects (no swarm); containers
 * upload `ref.value` to `/run/secrets/<ref.key>` and read it through `<KEY>_FILE`.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as time from '@pulumiverse/time';
import type { SecretConfigKey } from '../config.js';
import { COMPONENT, WORKLOAD } from '../conventions.js';
import { endpoints } from '../endpoints.js';
import { workloadLabels } from '../lib/labels.js';
import type { ComponentBaseArgs, SecretRef } from '../types.js';

/** The Pulumi type token of {@link PlatformSecrets}. */
export const PLATFORM_SECRETS_TYPE = 'enrichment:security:PlatformSecrets';

/** Names of the Kubernetes Secrets this component writes. */
export const SECRET_NAME = {
  /** App namespace; keys are the app's env var names (`FILE_BACKED_KEYS` in `app/src/config.ts`). */
  app: 'app-secrets',
  /** App namespace; MongoDB root and app users, replica-set keyfile. */
  mongodbAuth: 'mongodb-auth',
  /** App namespace; S3 credentials of the backup and restore Jobs (AWS CLI env var names). */
  mongodbBackupS3: 'mongodb-backup-s3',
  /** Monitoring namespace; Alertmanager receiver credentials, read as files (`*_file` settings). */
  alertmanagerReceivers: 'alertmanager-receivers',
  /** Monitoring namespace; Grafana admin login (`GF_SECURITY_ADMIN_*__FILE`). */
  grafanaAdmin: 'grafana-admin',
} as const;

/** Key of each value inside its Secret; also the file name under `/run/secrets` on Docker. */
export const SECRET_KEY = {
  mongodbUri: 'MONGODB_URI',
  mcpJwtSecret: 'MCP_JWT_SECRET',
  apiJwtSecret: 'API_JWT_SECRET',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  mongodbRootUsername: 'mongodb-root-username',
  mongodbRootPassword: 'mongodb-root-password',
  mongodbAppUsername: 'mongodb-app-username',
  mongodbAppPassword: 'mongodb-app-password',
  mongodbKeyfile: 'mongodb-keyfile',
  backupS3AccessKeyId: 'AWS_ACCESS_KEY_ID',
  backupS3SecretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  smtpPassword: 'smtp-password',
  slackWebhookUrl: 'slack-webhook-url',
  pagerdutyRoutingKey: 'pagerduty-routing-key',
  grafanaAdminUser: 'admin-user',
  grafanaAdminPassword: 'admin-password',
} as const;

/** MongoDB administrative user (created by the image from `MONGO_INITDB_ROOT_USERNAME`). */
export const MONGODB_ROOT_USERNAME = 'root';
/** MongoDB user of the app (readWrite on `config.mongodb.database`), in `MONGODB_URI`. */
export const MONGODB_APP_USERNAME = 'enrichment-app';
/** Grafana administrator login name. */
export const GRAFANA_ADMIN_USERNAME = 'admin';

/** Length of generated passwords and JWT secrets (the app requires ≥ 32 for JWT secrets). */
export const GENERATED_SECRET_LENGTH = 48;
/** Length of the replica-set keyfile (MongoDB accepts 6..1024 base64 characters). */
export const MONGODB_KEYFILE_LENGTH = 756;
/** The JWT secrets are regenerated after this many years (checklist 9a-sec-07). */
export const JWT_ROTATION_YEARS = 1;

/**
 * Every secret the other components consume. Required refs always exist (configured or
 * generated); optional refs are `undefined` when the stack config does not set them.
 */
export interface PlatformSecretRefs {
  /** `mongodb-auth` / `mongodb-root-username`: {@link MONGODB_ROOT_USERNAME}. */
  mongodbRootUsername: SecretRef;
  /** `mongodb-auth` / `mongodb-root-password`: config `mongodbRootPassword` or random. */
  mongodbRootPassword: SecretRef;
  /** `mongodb-auth` / `mongodb-app-username`: {@link MONGODB_APP_USERNAME}. */
  mongodbAppUsername: SecretRef;
  /** `mongodb-auth` / `mongodb-app-password`: config `mongodbAppPassword` or random. */
  mongodbAppPassword: SecretRef;
  /** `mongodb-auth` / `mongodb-keyfile`: replica-set internal auth (`--keyFile`), random. */
  mongodbKeyfile: SecretRef;
  /** `app-secrets` / `MONGODB_URI`: the app user's URI (`endpoints().mongodbUriTemplate`). */
  mongodbUri: SecretRef;
  /** `app-secrets` / `MCP_JWT_SECRET`: config `mcpJwtSecret` or random, rotated yearly. */
  mcpJwtSecret: SecretRef;
  /** `app-secrets` / `API_JWT_SECRET`: config `apiJwtSecret` or random, rotated yearly. */
  apiJwtSecret: SecretRef;
  /** `app-secrets` / `ANTHROPIC_API_KEY`; undefined: the app runs without escalation. */
  anthropicApiKey?: SecretRef;
  /** `mongodb-backup-s3` / `AWS_ACCESS_KEY_ID`; undefined unless both S3 keys are configured. */
  backupS3AccessKeyId?: SecretRef;
  /** `mongodb-backup-s3` / `AWS_SECRET_ACCESS_KEY`; undefined unless both S3 keys are configured. */
  backupS3SecretAccessKey?: SecretRef;
  /** `alertmanager-receivers` / `smtp-password` (Alertmanager `smtp_auth_password_file`). */
  smtpPassword?: SecretRef;
  /** `alertmanager-receivers` / `slack-webhook-url` (Alertmanager `api_url_file`). */
  slackWebhookUrl?: SecretRef;
  /** `alertmanager-receivers` / `pagerduty-routing-key` (Alertmanager `routing_key_file`). */
  pagerdutyRoutingKey?: SecretRef;
  /** `grafana-admin` / `admin-user`: {@link GRAFANA_ADMIN_USERNAME}. */
  grafanaAdminUser: SecretRef;
  /** `grafana-admin` / `admin-password`: config `grafanaAdminPassword` or random. */
  grafanaAdminPassword: SecretRef;
}

/** Arguments of {@link PlatformSecrets}: only the common ones. */
export type PlatformSecretsArgs = ComponentBaseArgs;

/**
 * Reads or generates every credential and, on Kubernetes, writes them into Secrets.
 *
 * Outputs: {@link refs}, {@link registryPassword}, {@link jwtRotation}.
 */
export class PlatformSecrets extends pulumi.ComponentResource {
  /** Where each secret lives and its value (a Pulumi secret). */
  readonly refs: PlatformSecretRefs;
  /** Config `registryPassword` (image push and pull), or undefined for a public/anonymous registry. */
  readonly registryPassword: pulumi.Output<string> | undefined;
  /**
   * RFC 3339 time at which each generated JWT secret is next regenerated (the first
   * `pulumi up --refresh` after that time replaces it); undefined for a secret set in stack
   * config (rotated by its owner).
   */
  readonly jwtRotation: { mcpJwtSecret: pulumi.Output<string> | undefined; apiJwtSecret: pulumi.Output<string> | undefined };
  /** The Kubernetes Secrets written (empty on Docker). */
  readonly secrets: k8s.core.v1.Secret[];

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PLATFORM_SECRETS_TYPE, name, {}, opts);
    const { config, target } = args;
    const stackConfig = new pulumi.Config();
    const configured = (key: SecretConfigKey): pulumi.Output<string> | undefined => {
      const value = stackConfig.getSecret(key);
      return value === undefined ? undefined : pulumi.secret(value);
    };
    const generated = (id: string, length: number, keepers?: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
      pulumi.secret(
        new random.RandomPassword(
          `${name}-${id}`,
          // Alphanumeric only: the values go into URIs, shell-free files and the keyfile (base64 set).
          { length, special: false, minLower: 2, minUpper: 2, minNumeric: 2, ...(keepers ? { keepers } : {}) },
          { parent: this, additionalSecretOutputs: ['result'] },
        ).result,
      );
    const rotatingSecret = (id: string, key: SecretConfigKey) => {
      const fromConfig = configured(key);
      if (fromConfig) return { value: fromConfig, rotatesAt: undefined };
      const rotation = new time.Rotating(`${name}-${id}-rotation`, { rotationYears: JWT_ROTATION_YEARS }, { parent: this });
      // The keeper changes when the Rotating resource is replaced, which replaces the password: a
      // new secret every year. The time provider notices expiry while refreshing (its Read drops
      // an expired Rotating from state), so the stack must run `pulumi up --refresh` (or set
      // `options: refresh: always` in Pulumi.yaml) for the rotation to happen.
      return { value: generated(id, GENERATED_SECRET_LENGTH, { rotation: rotation.rfc3339 }), rotatesAt: rotation.rotationRfc3339 };
    };

    const kube = target.kind === 'kubernetes' ? target : undefined;
    const ns = kube?.namespace;
    const ref = (secretName: string, key: string, value: pulumi.Input<string>): SecretRef => ({
      secretName,
      key,
      value: pulumi.secret(pulumi.output(value)),
    });

    const rootPassword = configured('mongodbRootPassword') ?? generated('mongodb-root-password', GENERATED_SECRET_LENGTH);
    const appPassword = configured('mongodbAppPassword') ?? generated('mongodb-app-password', GENERATED_SECRET_LENGTH);
    const keyfile = generated('mongodb-keyfile', MONGODB_KEYFILE_LENGTH);
    const mcp = rotatingSecret('mcp-jwt-secret', 'mcpJwtSecret');
    const api = rotatingSecret('api-jwt-secret', 'apiJwtSecret');
    const uriTemplate = endpoints(config, ns).mongodbUriTemplate;
    const mongodbUri = pulumi.secret(appPassword.apply((password) => uriTemplate(MONGODB_APP_USERNAME, password)));
    const anthropic = configured('anthropicApiKey');
    const s3Id = configured('backupS3AccessKeyId');
    const s3Key = configured('backupS3SecretAccessKey');
    const bothS3 = s3Id !== undefined && s3Key !== undefined;
    const smtp = configured('smtpPassword');
    const slack = configured('slackWebhookUrl');
    const pagerduty = configured('pagerdutyRoutingKey');

    this.refs = {
      mongodbRootUsername: ref(SECRET_NAME.mongodbAuth, SECRET_KEY.mongodbRootUsername, MONGODB_ROOT_USERNAME),
      mongodbRootPassword: ref(SECRET_NAME.mongodbAuth, SECRET_KEY.mongodbRootPassword, rootPassword),
      mongodbAppUsername: ref(SECRET_NAME.mongodbAuth, SECRET_KEY.mongodbAppUsername, MONGODB_APP_USERNAME),
      mongodbAppPassword: ref(SECRET_NAME.mongodbAuth, SECRET_KEY.mongodbAppPassword, appPassword),
      mongodbKeyfile: ref(SECRET_NAME.mongodbAuth, SECRET_KEY.mongodbKeyfile, keyfile),
      mongodbUri: ref(SECRET_NAME.app, SECRET_KEY.mongodbUri, mongodbUri),
      mcpJwtSecret: ref(SECRET_NAME.app, SECRET_KEY.mcpJwtSecret, mcp.value),
      apiJwtSecret: ref(SECRET_NAME.app, SECRET_KEY.apiJwtSecret, api.value),
      anthropicApiKey: anthropic && ref(SECRET_NAME.app, SECRET_KEY.anthropicApiKey, anthropic),
      backupS3AccessKeyId: bothS3 ? ref(SECRET_NAME.mongodbBackupS3, SECRET_KEY.backupS3AccessKeyId, s3Id) : undefined,
      backupS3SecretAccessKey: bothS3 ? ref(SECRET_NAME.mongodbBackupS3, SECRET_KEY.backupS3SecretAccessKey, s3Key) : undefined,
      smtpPassword: smtp && ref(SECRET_NAME.alertmanagerReceivers, SECRET_KEY.smtpPassword, smtp),
      slackWebhookUrl: slack && ref(SECRET_NAME.alertmanagerReceivers, SECRET_KEY.slackWebhookUrl, slack),
      pagerdutyRoutingKey: pagerduty && ref(SECRET_NAME.alertmanagerReceivers, SECRET_KEY.pagerdutyRoutingKey, pagerduty),
      grafanaAdminUser: ref(SECRET_NAME.grafanaAdmin, SECRET_KEY.grafanaAdminUser, GRAFANA_ADMIN_USERNAME),
      grafanaAdminPassword: ref(
        SECRET_NAME.grafanaAdmin,
        SECRET_KEY.grafanaAdminPassword,
        configured('grafanaAdminPassword') ?? generated('grafana-admin-password', GENERATED_SECRET_LENGTH),
      ),
    };
    this.registryPassword = configured('registryPassword');
    this.jwtRotation = { mcpJwtSecret: mcp.rotatesAt, apiJwtSecret: api.rotatesAt };

    this.secrets = [];
    if (kube) {
      const write = (secretName: string, namespace: string, workload: string, component: string) => {
        const refs = Object.values(this.refs).filter((r): r is SecretRef => r !== undefined && r.secretName === secretName);
        const secret = new k8s.core.v1.Secret(
          `${name}-${secretName}`,
          {
            metadata: { name: secretName, namespace, labels: workloadLabels(workload, component) },
            type: 'Opaque',
            stringData: pulumi.secret(Object.fromEntries(refs.map((r) => [r.key, r.value]))),
          },
          { parent: this, provider: kube.provider, dependsOn: kube.namespaces, additionalSecretOutputs: ['data', 'stringData'] },
        );
        this.secrets.push(secret);
      };
      write(SECRET_NAME.app, kube.namespace, WORKLOAD.worker, COMPONENT.app);
      write(SECRET_NAME.mongodbAuth, kube.namespace, WORKLOAD.mongodb, COMPONENT.database);
      if (bothS3) write(SECRET_NAME.mongodbBackupS3, kube.namespace, WORKLOAD.mongodbBackup, COMPONENT.database);
      write(SECRET_NAME.alertmanagerReceivers, kube.monitoringNamespace, WORKLOAD.alertmanager, COMPONENT.monitoring);
      write(SECRET_NAME.grafanaAdmin, kube.monitoringNamespace, WORKLOAD.grafana, COMPONENT.monitoring);
    }

    this.registerOutputs({
      refs: this.refs,
      registryPassword: this.registryPassword,
      jwtRotation: this.jwtRotation,
      secretNames: this.secrets.map((s) => s.metadata.name),
    });
  }
}
