/**
 * Secret policies (checklist 9a API Keys & Secrets; 9c production `.env` not `.env.example`):
 * compliant fixture passes, each broken field fails with its exact message; the default-password
 * list includes every value of the repository's `.env.example`.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { credentialArguments } from '../../policies/src/lib/credentials.js';
import { ENV_EXAMPLE_PATH, isKnownDefault, isSecretEnvName, knownDefaultSecrets, literalSecretPaths } from '../../policies/src/lib/secrets.js';
import { dockerProgram, kubernetesProgram, planFixture, STRONG_SECRET } from './fixtures.js';
import { breaking, firstContainer, messages, T } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

const envExample = parseEnv(readFileSync(ENV_EXAMPLE_PATH, 'utf8'));

describe('secret helpers', () => {
  it('names secrets like the brief: PASSWORD, SECRET, TOKEN, API_KEY, *KEY, URI', () => {
    expect(['MONGODB_URI', 'MCP_JWT_SECRET', 'ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'SSH_KEY', 'MONGO_INITDB_ROOT_PASSWORD'].map(isSecretEnvName)).toEqual([true, true, true, true, true, true]);
    expect(['MONGODB_URI_FILE', 'OLLAMA_HOST', 'ANTHROPIC_BASE_URL', 'AWS_ACCESS_KEY_ID'].map(isSecretEnvName)).toEqual([false, false, false, false]);
  });
  it('refuses changeme, secret, password and every value of .env.example', () => {
    const defaults = knownDefaultSecrets();
    for (const word of ['changeme', 'secret', 'password', 'ChangeMe']) expect(isKnownDefault(word)).toBe(true);
    const values = Object.values(envExample).filter((v): v is string => typeof v === 'string' && v !== '');
    expect(values.length).toBeGreaterThan(10);
    for (const v of values) expect(defaults.has(v.toLowerCase())).toBe(true);
    expect(isKnownDefault(envExample.MCP_JWT_SECRET!)).toBe(true);
    expect(isKnownDefault(STRONG_SECRET)).toBe(false);
    expect(isKnownDefault('mongodb://app:changeme@db:27017/x')).toBe(true);
  });
  it('.env.example holds only obvious placeholders for its secrets', () => {
    for (const [name, value] of Object.entries(envExample)) {
      if (isSecretEnvName(name) && value) expect(value, name).toMatch(/changeme/);
    }
  });
  it('finds inline secrets in documents but not file references', () => {
    expect(literalSecretPaths({ global: { smtp_auth_password: 'x', smtp_auth_password_file: '/f' }, receivers: [{ slack_configs: [{ api_url: 'https://hooks' }] }] })).toEqual([
      'global.smtp_auth_password',
    ]);
    expect(literalSecretPaths({ global: { slack_api_url: 'https://hooks.slack.com/x' }, a: { password: '$__file{/run/secrets/p}', token: '${TOKEN}' } })).toEqual(['global.slack_api_url']);
  });
  it('finds credentials in command lines, redacted', () => {
    expect(credentialArguments(['--mongodb.uri=mongodb://u:pw@h:27017', '--web.listen-address=:9216'])).toEqual(['--mongodb.uri=mongodb://u:***@h:27017']);
    expect(credentialArguments(['sh', '-c', 'mongodump --uri "$(MONGODB_URI)" --password=hunter2'])).toEqual(['--password=***']);
    expect(credentialArguments(['--password=$(MONGO_PASSWORD)', '--password-file=/run/p'])).toEqual([]);
  });
});

describe('kubernetes-workload-env-secrets', () => {
  const policy = 'kubernetes-workload-env-secrets';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a literal secret value', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => {
      const env = firstContainer(i).env.find((e: { name: string }) => e.name === 'MONGODB_URI');
      delete env.valueFrom;
      env.value = 'mongodb://mongodb-0.mongodb:27017/enrichment';
    });
    expect(await messages(policy, broken)).toEqual([
      "Deployment 'enrichment-worker' container 'enrichment-worker' sets MONGODB_URI to a literal value: read it from a Secret (valueFrom.secretKeyRef)",
    ]);
  });
  it('reports a secret read from a ConfigMap', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => {
      firstContainer(i).env.find((e: { name: string }) => e.name === 'MCP_JWT_SECRET').valueFrom = { configMapKeyRef: { name: 'app-config', key: 'MCP_JWT_SECRET' } };
    });
    expect(await messages(policy, broken)).toEqual([
      "Deployment 'enrichment-worker' container 'enrichment-worker' reads MCP_JWT_SECRET from ConfigMap 'app-config': secrets belong in a Secret (valueFrom.secretKeyRef)",
    ]);
  });
  it('reports a _FILE secret outside a Secret volume', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.reviewApi, (i) => (i.spec.template.spec.volumes[0] = { name: 'secrets', emptyDir: {} }));
    expect(await messages(policy, broken)).toEqual(["Deployment 'review-api' container 'review-api' reads API_JWT_SECRET from /etc/enrichment/secrets/API_JWT_SECRET, which is not mounted from a Secret"]);
  });
  it('reports a credential in the arguments', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.mongodbExporter, (i) => (firstContainer(i).args = ['--mongodb.uri=mongodb://exporter:hunter2@mongodb:27017']));
    expect(await messages(policy, broken)).toEqual(["Deployment 'mongodb-exporter' container 'mongodb-exporter' passes a credential in its arguments (--mongodb.uri=mongodb://exporter:***@mongodb:27017)"]);
  });
});

describe('docker-container-env-secrets', () => {
  const policy = 'docker-container-env-secrets';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a secret in the environment', async () => {
    const broken = breaking(dock, T.Container, 'enrichment-worker-1', (i) => i.envs.push('MCP_JWT_SECRET=abc'));
    expect(await messages(policy, broken)).toEqual(["container 'enrichment-worker-1' sets MCP_JWT_SECRET in its environment: upload it as a file and set MCP_JWT_SECRET_FILE"]);
  });
  it('reports a _FILE pointing at a file that is not uploaded', async () => {
    const broken = breaking(dock, T.Container, 'enrichment-worker-1', (i) => (i.uploads = i.uploads.slice(1)));
    expect(await messages(policy, broken)).toEqual(["container 'enrichment-worker-1' reads MONGODB_URI from /run/secrets/MONGODB_URI, which is not uploaded into the container"]);
  });
});

describe('kubernetes-configmap-no-secrets', () => {
  const policy = 'kubernetes-configmap-no-secrets';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a secret-named key', async () => {
    const broken = breaking(kube, T.ConfigMap, 'grafana-datasources', (i) => (i.data.API_JWT_SECRET = 'x'));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'grafana-datasources' key 'API_JWT_SECRET' looks like a secret: secrets belong in a Secret"]);
  });
  it('reports a URI with a password', async () => {
    const broken = breaking(kube, T.ConfigMap, 'grafana-datasources', (i) => (i.data.mongo = 'mongodb://app:pw@mongodb:27017/enrichment'));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'grafana-datasources' key 'mongo' holds a URI with a password"]);
  });
  it('reports an inline password in an embedded document', async () => {
    const broken = breaking(kube, T.ConfigMap, 'alertmanager-config', (i) => {
      i.data['alertmanager.yml'] = i.data['alertmanager.yml'].replace('smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password', 'smtp_auth_password: hunter2');
    });
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'alertmanager-config' key 'alertmanager.yml' holds inline secrets at global.smtp_auth_password: reference a mounted Secret file instead"]);
  });
});

describe('kubernetes-helm-values-no-secrets', () => {
  const policy = 'kubernetes-helm-values-no-secrets';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports an inline secret in Helm values', async () => {
    const broken = breaking(kube, T.HelmRelease, 'ingress-nginx', (i) => (i.values.controller.admissionWebhooks = { password: 'hunter2', existingSecret: 'whatever' }));
    expect(await messages(policy, broken)).toEqual(["Helm release 'ingress-nginx' values hold inline secrets at controller.admissionWebhooks.password: reference an existing Secret instead"]);
  });
});

describe('kubernetes-secret-no-default-passwords', () => {
  const policy = 'kubernetes-secret-no-default-passwords';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each(['changeme', 'password', 'secret'])('reports the default JWT secret %s', async (value) => {
    const broken = breaking(kube, T.Secret, 'app-secrets', (i) => (i.stringData.MCP_JWT_SECRET = value));
    expect(await messages(policy, broken)).toEqual([
      "Secret 'app-secrets' key 'MCP_JWT_SECRET' holds a known default value (changeme, secret, password or a value of .env.example)",
    ]);
  });
  it('reports the .env.example MongoDB URI and a base64 default password', async () => {
    const uri = breaking(kube, T.Secret, 'app-secrets', (i) => (i.stringData.MONGODB_URI = envExample.MONGODB_URI));
    expect(await messages(policy, uri)).toEqual(["Secret 'app-secrets' key 'MONGODB_URI' holds a known default value (changeme, secret, password or a value of .env.example)"]);
    const root = breaking(kube, T.Secret, 'mongodb-auth', (i) => (i.data['root-password'] = Buffer.from(envExample.MONGO_INITDB_ROOT_PASSWORD!).toString('base64')));
    expect(await messages(policy, root)).toEqual(["Secret 'mongodb-auth' key 'root-password' holds a known default value (changeme, secret, password or a value of .env.example)"]);
  });
  it('reports a short JWT secret', async () => {
    const broken = breaking(kube, T.Secret, 'app-secrets', (i) => (i.stringData.API_JWT_SECRET = 'x'.repeat(31)));
    expect(await messages(policy, broken)).toEqual(["Secret 'app-secrets' key 'API_JWT_SECRET' holds a JWT secret of 31 characters; at least 32 are required"]);
  });
});

describe('docker-container-no-default-passwords', () => {
  const policy = 'docker-container-no-default-passwords';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a default password file', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.mongodb, (i) => (i.uploads[0].content = 'changeme'));
    expect(await messages(policy, broken)).toEqual([
      "container 'mongodb' file '/run/secrets/mongodb-root-password' holds a known default value (changeme, secret, password or a value of .env.example)",
    ]);
  });
});

describe('kubernetes-workload-anthropic-key-secret', () => {
  const policy = 'kubernetes-workload-anthropic-key-secret';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports the key outside the enrichment service', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.reviewApi, (i) => firstContainer(i).env.push({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'ANTHROPIC_API_KEY' } } }));
    expect(await messages(policy, broken)).toEqual(["Deployment 'review-api' container 'review-api' receives ANTHROPIC_API_KEY but is not part of the enrichment service (component api)"]);
  });
  it('reports a key not read from a Secret', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => {
      const e = firstContainer(i).env.find((x: { name: string }) => x.name === 'ANTHROPIC_API_KEY');
      delete e.valueFrom;
      e.value = 'sk-ant-literal';
    });
    expect(await messages(policy, broken)).toEqual(["Deployment 'enrichment-worker' container 'enrichment-worker' does not read ANTHROPIC_API_KEY from a Secret (valueFrom.secretKeyRef)"]);
  });
  it('reports a key file outside a Secret volume', async () => {
    const broken = breaking(kube, T.Deployment, WORKLOAD.worker, (i) => firstContainer(i).env.push({ name: 'ANTHROPIC_API_KEY_FILE', value: '/tmp/key' }));
    expect(await messages(policy, broken)).toEqual(["Deployment 'enrichment-worker' container 'enrichment-worker' reads ANTHROPIC_API_KEY from a file that is not mounted from a Secret"]);
  });
});

describe('docker-container-anthropic-key-secret', () => {
  const policy = 'docker-container-anthropic-key-secret';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports the key in the environment', async () => {
    const broken = breaking(dock, T.Container, 'enrichment-worker-1', (i) => (i.envs = i.envs.map((e: string) => (e.startsWith('ANTHROPIC_API_KEY_FILE') ? 'ANTHROPIC_API_KEY=sk-ant-x' : e))));
    expect(await messages(policy, broken)).toEqual(["container 'enrichment-worker-1' sets ANTHROPIC_API_KEY in its environment: upload it as a file and set ANTHROPIC_API_KEY_FILE"]);
  });
  it('reports the key outside the enrichment service', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.grafana, (i) => {
      i.envs.push('ANTHROPIC_API_KEY_FILE=/run/secrets/ANTHROPIC_API_KEY');
      i.uploads.push({ file: '/run/secrets/ANTHROPIC_API_KEY', content: 'sk-ant-x' });
    });
    expect(await messages(policy, broken)).toEqual(["container 'grafana' receives ANTHROPIC_API_KEY but is not part of the enrichment service (component monitoring)"]);
  });
  it('reports a key file that is not uploaded', async () => {
    const broken = breaking(dock, T.Container, 'enrichment-worker-1', (i) => (i.uploads = i.uploads.filter((u: { file: string }) => !u.file.endsWith('ANTHROPIC_API_KEY'))));
    expect(await messages(policy, broken)).toEqual(["container 'enrichment-worker-1' reads ANTHROPIC_API_KEY from /run/secrets/ANTHROPIC_API_KEY, which is not uploaded into the container"]);
  });
});
