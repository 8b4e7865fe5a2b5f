/**
 * PlatformSecrets (`enrichment:security:PlatformSecrets`), planned under Pulumi mocks for the prod
 * (Kubernetes) and dev (Docker) stacks: which Secrets exist with which keys, which values come from
 * stack config and which from `@pulumi/random`, the yearly JWT rotation, and that every ref stays a
 * Pulumi secret.
 */
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { SECRET_CONFIG_KEYS } from '../../infra/src/config.js';
import { endpoints } from '../../infra/src/endpoints.js';
import { byName, ofType, type Plan } from '../../infra/src/plan.js';
import {
  GENERATED_SECRET_LENGTH,
  JWT_ROTATION_YEARS,
  MONGODB_APP_USERNAME,
  MONGODB_ROOT_USERNAME,
  PLATFORM_SECRETS_TYPE,
  PlatformSecrets,
  SECRET_KEY,
  SECRET_NAME,
  type PlatformSecretRefs,
} from '../../infra/src/components/secrets.js';
import { expectSchemaValid, outputValue as value, planComponent } from './support.js';

const SECRET = 'kubernetes:core/v1:Secret';
const RANDOM = 'random:index/randomPassword:RandomPassword';
const ROTATING = 'time:index/rotating:Rotating';

/** Plans only PlatformSecrets; returns the plan and the component's refs. */
const plan = (stack: 'prod' | 'dev', secrets?: Record<string, string>) =>
  planComponent(stack, (args) => new PlatformSecrets('secrets', args), { secrets });
const stringData = (p: Plan, name: string) => byName(p, SECRET, `secrets-${name}`).inputs.stringData as Record<string, string>;

describe('PlatformSecrets on Kubernetes (prod)', () => {
  const configured = {
    anthropicApiKey: 'sk-ant-test-0123456789',
    mongodbRootPassword: 'configured-root-password-0123456789abcdef',
    slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
  };

  it('declares the component and one Opaque Secret per consumer, in the right namespace', async () => {
    const { plan: p } = await plan('prod', configured);
    expect(ofType(p, PLATFORM_SECRETS_TYPE).map((r) => r.name)).toEqual(['secrets']);
    const secrets = ofType(p, SECRET).map((r) => [r.inputs.metadata.namespace, r.inputs.metadata.name, r.inputs.type]);
    expect(secrets.sort()).toEqual(
      [
        ['enrichment', SECRET_NAME.app, 'Opaque'],
        ['enrichment', SECRET_NAME.mongodbAuth, 'Opaque'],
        ['monitoring', SECRET_NAME.alertmanagerReceivers, 'Opaque'],
        ['monitoring', SECRET_NAME.grafanaAdmin, 'Opaque'],
      ].sort(),
    );
    await expectSchemaValid(ofType(p, SECRET));
  });

  it('app-secrets carries the app env vars: configured key, generated JWT secrets, the app user URI', async () => {
    const { plan: p, component } = await plan('prod', configured);
    const app = stringData(p, SECRET_NAME.app);
    expect(Object.keys(app).sort()).toEqual(['ANTHROPIC_API_KEY', 'API_JWT_SECRET', 'MCP_JWT_SECRET', 'MONGODB_URI']);
    expect(app.ANTHROPIC_API_KEY).toBe(configured.anthropicApiKey);
    const appPassword = await value(component.refs.mongodbAppPassword.value);
    expect(app.MONGODB_URI).toBe(endpoints(p.config, 'enrichment').mongodbUriTemplate(MONGODB_APP_USERNAME, appPassword));
    expect(app.MONGODB_URI).toContain('replicaSet=rs0');
    expect(app.MCP_JWT_SECRET).toBe(await value(component.refs.mcpJwtSecret.value));
    expect(app.MCP_JWT_SECRET).not.toBe(app.API_JWT_SECRET);
    expect(app.MCP_JWT_SECRET!.length).toBeGreaterThanOrEqual(32);
  });

  it('mongodb-auth: configured root password, generated app password and keyfile', async () => {
    const { plan: p } = await plan('prod', configured);
    const auth = stringData(p, SECRET_NAME.mongodbAuth);
    expect(auth[SECRET_KEY.mongodbRootUsername]).toBe(MONGODB_ROOT_USERNAME);
    expect(auth[SECRET_KEY.mongodbRootPassword]).toBe(configured.mongodbRootPassword);
    expect(auth[SECRET_KEY.mongodbAppUsername]).toBe(MONGODB_APP_USERNAME);
    expect(auth[SECRET_KEY.mongodbAppPassword]).toMatch(/^mock-secrets-mongodb-app-password-x+$/);
    expect(auth[SECRET_KEY.mongodbKeyfile]).toMatch(/^mock-secrets-mongodb-keyfile-x+$/);
    // The configured root password is used as is: no random one is generated for it.
    expect(ofType(p, RANDOM).map((r) => r.name).sort()).toEqual(
      ['secrets-api-jwt-secret', 'secrets-grafana-admin-password', 'secrets-mcp-jwt-secret', 'secrets-mongodb-app-password', 'secrets-mongodb-keyfile'].sort(),
    );
  });

  it('generates strong passwords with no fixed value', async () => {
    const { plan: p } = await plan('prod');
    const randoms = ofType(p, RANDOM);
    expect(randoms).toHaveLength(6);
    for (const r of randoms) {
      expect(r.inputs.length, r.name).toBeGreaterThanOrEqual(32);
      expect(r.inputs.special, r.name).toBe(false);
      expect(r.inputs, r.name).not.toHaveProperty('result');
    }
    expect(byName(p, RANDOM, 'secrets-mongodb-root-password').inputs.length).toBe(GENERATED_SECRET_LENGTH);
    expect(byName(p, RANDOM, 'secrets-mongodb-keyfile').inputs.length).toBe(756);
  });

  it('rotates both generated JWT secrets yearly through a Rotating keeper', async () => {
    const { plan: p, component } = await plan('prod');
    const rotating = ofType(p, ROTATING);
    expect(rotating.map((r) => [r.name, r.inputs.rotationYears]).sort()).toEqual([
      ['secrets-api-jwt-secret-rotation', 1],
      ['secrets-mcp-jwt-secret-rotation', 1],
    ]);
    for (const id of ['mcp-jwt-secret', 'api-jwt-secret']) {
      expect(byName(p, RANDOM, `secrets-${id}`).inputs.keepers).toEqual({ rotation: '2026-01-01T00:00:00Z' });
    }
    // The non-JWT passwords do not rotate on their own (rotating a DB password needs a migration).
    expect(byName(p, RANDOM, 'secrets-mongodb-app-password').inputs.keepers).toBeUndefined();
    // The component exposes the Rotating's expiry (not its creation time): an RFC 3339 instant one
    // year after the creation time that keys the password. Under mocks the creation time is the
    // fixed 2026-01-01T00:00:00Z of infra/src/plan.ts and the expiry is derived from rotationYears.
    const created = byName(p, RANDOM, 'secrets-mcp-jwt-secret').inputs.keepers.rotation as string;
    for (const rotatesAt of [component.jwtRotation.mcpJwtSecret, component.jwtRotation.apiJwtSecret]) {
      const at = await value(rotatesAt!);
      expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
      const expected = new Date(created);
      expected.setUTCFullYear(expected.getUTCFullYear() + JWT_ROTATION_YEARS);
      expect(new Date(at).getTime()).toBe(expected.getTime());
    }
  });

  it('a JWT secret set in stack config is used as is and not rotated by the program', async () => {
    const mcpJwtSecret = 'configured-mcp-jwt-secret-0123456789abcdef';
    const { plan: p, component } = await plan('prod', { mcpJwtSecret });
    expect(stringData(p, SECRET_NAME.app).MCP_JWT_SECRET).toBe(mcpJwtSecret);
    expect(ofType(p, ROTATING).map((r) => r.name)).toEqual(['secrets-api-jwt-secret-rotation']);
    expect(component.jwtRotation.mcpJwtSecret).toBeUndefined();
  });

  it('optional credentials: absent means no ref and no key; S3 needs both halves', async () => {
    const none = await plan('prod');
    expect(none.component.refs.anthropicApiKey).toBeUndefined();
    expect(none.component.refs.backupS3AccessKeyId).toBeUndefined();
    expect(Object.keys(stringData(none.plan, SECRET_NAME.app))).not.toContain('ANTHROPIC_API_KEY');
    expect(stringData(none.plan, SECRET_NAME.alertmanagerReceivers)).toEqual({});
    expect(ofType(none.plan, SECRET).map((r) => r.inputs.metadata.name)).not.toContain(SECRET_NAME.mongodbBackupS3);

    const half = await plan('prod', { backupS3AccessKeyId: 'AKIAEXAMPLE' });
    expect(half.component.refs.backupS3AccessKeyId).toBeUndefined();

    const full = await plan('prod', {
      backupS3AccessKeyId: 'AKIAEXAMPLE',
      backupS3SecretAccessKey: 'example-s3-secret-key',
      smtpPassword: 'smtp-pw',
      pagerdutyRoutingKey: 'pd-key',
    });
    expect(stringData(full.plan, SECRET_NAME.mongodbBackupS3)).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example-s3-secret-key',
    });
    expect(stringData(full.plan, SECRET_NAME.alertmanagerReceivers)).toEqual({ 'smtp-password': 'smtp-pw', 'pagerduty-routing-key': 'pd-key' });
    expect(byName(full.plan, SECRET, `secrets-${SECRET_NAME.alertmanagerReceivers}`).inputs.metadata.namespace).toBe('monitoring');
  });

  it('every ref value is a Pulumi secret, and the refs name the Secret they live in', async () => {
    const { component } = await plan('prod', configured);
    const refs = Object.entries(component.refs).filter(([, r]) => r !== undefined) as [keyof PlatformSecretRefs, NonNullable<PlatformSecretRefs[keyof PlatformSecretRefs]>][];
    expect(refs.map(([k]) => k).sort()).toEqual(
      [
        'anthropicApiKey', 'apiJwtSecret', 'grafanaAdminPassword', 'grafanaAdminUser', 'mcpJwtSecret', 'mongodbAppPassword',
        'mongodbAppUsername', 'mongodbKeyfile', 'mongodbRootPassword', 'mongodbRootUsername', 'mongodbUri', 'slackWebhookUrl',
      ].sort(),
    );
    for (const [key, ref] of refs) {
      expect(await pulumi.isSecret(ref.value), key).toBe(true);
      expect(ref.key, key).toBe(SECRET_KEY[key]);
    }
    expect(component.refs.mongodbUri.secretName).toBe(SECRET_NAME.app);
    expect(component.refs.grafanaAdminPassword.secretName).toBe(SECRET_NAME.grafanaAdmin);
  });
});

describe('PlatformSecrets on Docker (dev)', () => {
  it('declares no Kubernetes Secret; refs carry the values containers upload', async () => {
    const { plan: p, component } = await plan('dev', { anthropicApiKey: 'sk-ant-dev' });
    expect(ofType(p, SECRET)).toEqual([]);
    expect(p.resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
    const appPassword = await value(component.refs.mongodbAppPassword.value);
    // No namespace: container names resolve on the Docker network; one member, no replica set.
    expect(await value(component.refs.mongodbUri.value)).toBe(
      `mongodb://${MONGODB_APP_USERNAME}:${appPassword}@mongodb:27017/${p.config.mongodb.database}?authSource=admin`,
    );
    expect(await value(component.refs.anthropicApiKey!.value)).toBe('sk-ant-dev');
    expect(component.refs.mcpJwtSecret.key).toBe('MCP_JWT_SECRET');
    expect(await pulumi.isSecret(component.refs.mongodbRootPassword.value)).toBe(true);
    expect(ofType(p, ROTATING)).toHaveLength(2);
  });
});

describe('SECRET_CONFIG_KEYS', () => {
  it('names exactly the keys PlatformSecrets reads: each configured value reaches a ref or the registry password', async () => {
    const configured = Object.fromEntries(SECRET_CONFIG_KEYS.map((key) => [key, `configured-${key}-0123456789abcdef0123456789`]));
    const { component } = await plan('prod', configured);
    const outputs = [...Object.values(component.refs).flatMap((r) => (r ? [r.value] : [])), component.registryPassword!];
    const read = await Promise.all(outputs.map((o) => value<string>(o)));
    for (const [key, configuredValue] of Object.entries(configured)) expect(read.some((v) => v.includes(configuredValue)), key).toBe(true);
  });

  it('lists the secret stack config keys the README documents', () => {
    expect([...SECRET_CONFIG_KEYS].sort()).toEqual(
      [
        'anthropicApiKey', 'apiJwtSecret', 'backupS3AccessKeyId', 'backupS3SecretAccessKey', 'grafanaAdminPassword', 'mcpJwtSecret',
        'mongodbAppPassword', 'mongodbRootPassword', 'pagerdutyRoutingKey', 'registryPassword', 'slackWebhookUrl', 'smtpPassword',
      ].sort(),
    );
  });
});
