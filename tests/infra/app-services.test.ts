/**
 * AppServices (`enrichment:app:AppServices`) and AppImage (`enrichment:app:AppImage`) under
 * Pulumi mocks: prod (Kubernetes) and dev (Docker), each planned from its real stack file with
 * stand-in secrets and certificates whose values the tests then look for where they must not be.
 */
import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_BACKED_KEYS, loadConfig } from '../../app/src/config.js';
import { AGENT_NAMES } from '../../app/src/domain/fields.js';
import { APP_SERVICES_TYPE, AppServices, appWorkloads, nodeHealthcheck, type AppSecrets, type AppTls } from '../../infra/src/components/app-services.js';
import { APP_IMAGE_TYPE, BUILD_CONTEXT, DOCKERFILE, registryServer } from '../../infra/src/components/image.js';
import { loadInfraConfig, type InfraConfig, type StackName } from '../../infra/src/config.js';
import { AGENT_WORKLOADS, ANNOTATION, LABEL, PORT, TLS_SECRET, WORKLOAD } from '../../infra/src/conventions.js';
import { endpoints } from '../../infra/src/endpoints.js';
import { dockerLimits } from '../../infra/src/lib/resources.js';
import { byName, ofType, readStackFile, type Plan, type PlannedResource } from '../../infra/src/plan.js';
import type { Target } from '../../infra/src/types.js';
import {
  componentObjects,
  containerNamed,
  expectConventionalMetadata,
  expectSchemaValid,
  objectNamed,
  planComponent,
  runHealthcheck as run,
  standInRef as ref,
  startHealthStub,
  strings,
  TEST_NETWORK,
  TYPE,
} from './support.js';

/** Values of the stand-in secrets: none may appear in env, args or labels. */
const SECRET = {
  mongodbUri: 'mongodb://standin-app:standin-mongo-password-3141@mongodb:27017/enrichment',
  mcpJwtSecret: 'standin-mcp-jwt-secret-2718281828459045',
  apiJwtSecret: 'standin-api-jwt-secret-1618033988749894',
  anthropicApiKey: 'sk-ant-standin-key-1414213562',
  tlsKey: '-----BEGIN PRIVATE KEY-----\nstandin-tls-key\n-----END PRIVATE KEY-----\n',
  registryPassword: 'standin-registry-password-1732',
} as const;
const TLS_CERT = '-----BEGIN CERTIFICATE-----\nstandin-cert\n-----END CERTIFICATE-----\n';

function standInSecrets(mcpJwtSecret: string = SECRET.mcpJwtSecret): AppSecrets {
  const filler = (key: string) => ref('unused', key, `unused-${key}`);
  return {
    refs: {
      mongodbUri: ref('app-secrets', 'MONGODB_URI', SECRET.mongodbUri),
      mcpJwtSecret: ref('app-secrets', 'MCP_JWT_SECRET', mcpJwtSecret),
      apiJwtSecret: ref('app-secrets', 'API_JWT_SECRET', SECRET.apiJwtSecret),
      anthropicApiKey: ref('app-secrets', 'ANTHROPIC_API_KEY', SECRET.anthropicApiKey),
      mongodbRootUsername: filler('root-user'),
      mongodbRootPassword: filler('root-password'),
      mongodbAppUsername: filler('app-user'),
      mongodbAppPassword: filler('app-password'),
      mongodbKeyfile: filler('keyfile'),
      grafanaAdminUser: filler('admin-user'),
      grafanaAdminPassword: filler('admin-password'),
    },
    registryPassword: pulumi.secret(SECRET.registryPassword),
    secrets: [],
  };
}

function standInTls(kind: Target['kind']): AppTls {
  return {
    secretNames: { reviewApi: TLS_SECRET.reviewApi, costApi: TLS_SECRET.costApi },
    dockerCerts:
      kind === 'docker'
        ? {
            reviewApi: { certPem: pulumi.output(TLS_CERT), keyPem: pulumi.secret(SECRET.tlsKey) },
            costApi: { certPem: pulumi.output(TLS_CERT), keyPem: pulumi.secret(SECRET.tlsKey) },
          }
        : undefined,
    ready: [],
  };
}

/** Plans AppServices alone on the stack's target, as `createPlatform` would construct it. */
async function planServices(stack: StackName, overrides?: Record<string, unknown>, mcpJwtSecret?: string): Promise<Plan> {
  const { plan } = await planComponent(stack, (args) => new AppServices('services', { ...args, secrets: standInSecrets(mcpJwtSecret), tls: standInTls(args.target.kind) }), {
    overrides,
    outputs: (s) => ({ reviewApiUrl: s.reviewApiUrl, costApiUrl: s.costApiUrl, imageRef: s.imageRef }),
  });
  return plan;
}

const { deployment: DEPLOYMENT, service: SERVICE, pdb: PDB, container: CONTAINER } = TYPE;
const HPA = 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler';
const IMAGE = 'docker:index/image:Image';
const APP_DEPLOYMENTS = [WORKLOAD.worker, ...AGENT_WORKLOADS, WORKLOAD.reviewApi, WORKLOAD.costApi];

const deployment = (plan: Plan, name: string) => objectNamed(plan, 'Deployment', name);
const containerOf = (d: PlannedResource) => d.inputs.spec.template.spec.containers[0];
const envOf = (d: PlannedResource): Record<string, any> =>
  Object.fromEntries((containerOf(d).env as { name: string }[]).map((e) => [e.name, e]));

describe('AppServices on Kubernetes: secret changes roll the pods', () => {
  it('puts a digest of the Secret values each pod reads in its template, which changes with a rotated JWT secret', async () => {
    const digests = (plan: Plan) =>
      Object.fromEntries(ofType(plan, DEPLOYMENT).map((d) => [d.inputs.metadata.name, d.inputs.spec.template.metadata.annotations[ANNOTATION.secretDigest]]));
    const before = digests(await planServices('prod'));
    const after = digests(await planServices('prod', undefined, 'standin-mcp-jwt-secret-rotated-0000000000'));
    for (const [name, digest] of Object.entries(before)) {
      expect(digest, name).toMatch(/^[0-9a-f]{16}$/);
      expect(digest, name).not.toContain(SECRET.mcpJwtSecret);
    }
    // The worker and the agents read MCP_JWT_SECRET; the APIs do not.
    for (const name of [WORKLOAD.worker, ...AGENT_WORKLOADS]) expect(after[name], name).not.toBe(before[name]);
    for (const name of [WORKLOAD.reviewApi, WORKLOAD.costApi]) expect(after[name], name).toBe(before[name]);
  });
});

describe('AppServices on Kubernetes (prod)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planServices('prod');
  });

  it('registers the component types and the stack outputs', () => {
    expect(plan.resources.filter((r) => r.type === APP_SERVICES_TYPE)).toHaveLength(1);
    expect(plan.resources.filter((r) => r.type === APP_IMAGE_TYPE)).toHaveLength(1);
    expect(plan.outputs).toEqual({
      reviewApiUrl: `https://${plan.config.apis.reviewHost}`,
      costApiUrl: `https://${plan.config.apis.costHost}`,
      imageRef: expect.stringMatching(new RegExp(`^${plan.config.image.repository}@sha256:[0-9a-f]{64}$`)),
    });
  });

  it('builds the image from the repository Dockerfile for linux/amd64 and pushes it', () => {
    const [image] = ofType(plan, IMAGE);
    expect(image?.inputs).toMatchObject({
      imageName: `${plan.config.image.repository}:${plan.config.image.tag}`,
      build: { context: BUILD_CONTEXT, dockerfile: DOCKERFILE, platform: 'linux/amd64' },
      skipPush: false,
    });
    // Every build argument passed is declared by the Dockerfile.
    const declared = [...readFileSync(DOCKERFILE, 'utf8').matchAll(/^ARG (\w+)/gm)].map((m) => m[1]);
    expect(Object.keys(image!.inputs.build.args).length).toBeGreaterThan(0);
    for (const arg of Object.keys(image!.inputs.build.args)) expect(declared).toContain(arg);
    // Every workload runs the pushed image by digest.
    for (const d of ofType(plan, DEPLOYMENT)) {
      expect(containerOf(d).image).toBe(plan.outputs.imageRef);
      expect(containerOf(d).imagePullPolicy).toBe('IfNotPresent');
    }
  });

  it('declares the worker, five agents and both APIs, named and labelled by convention', () => {
    expect(ofType(plan, DEPLOYMENT).map((d) => d.inputs.metadata.name).sort()).toEqual([...APP_DEPLOYMENTS].sort());
    for (const r of componentObjects(plan)) {
      expectConventionalMetadata(r, plan.config.namespace);
      expect(r.inputs.metadata.labels[LABEL.name], r.name).toBe(r.inputs.metadata.name);
      expect(r.inputs.metadata.labels[LABEL.component], r.name).toMatch(/^(app|agent|api)$/);
    }
  });

  it('runs the worker with at least 2 replicas and an HPA from replicas to maxReplicas on CPU', () => {
    const worker = deployment(plan, WORKLOAD.worker);
    expect(worker.inputs.spec.replicas).toBe(plan.config.worker.replicas);
    expect(worker.inputs.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(containerOf(worker).args).toEqual(['worker']);
    const [hpa] = ofType(plan, HPA);
    expect(ofType(plan, HPA)).toHaveLength(1);
    expect(hpa?.inputs.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: WORKLOAD.worker },
      minReplicas: plan.config.worker.replicas,
      maxReplicas: plan.config.worker.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: plan.config.worker.targetCpuPercent } } }],
    });
  });

  it('gives every container requests and limits from config, and liveness and readiness on /health', () => {
    const expected: Record<string, InfraConfig['worker']['resources']> = {
      [WORKLOAD.worker]: plan.config.worker.resources,
      [WORKLOAD.reviewApi]: plan.config.apis.resources,
      [WORKLOAD.costApi]: plan.config.apis.resources,
      ...Object.fromEntries(AGENT_WORKLOADS.map((a) => [a, plan.config.agents.resources])),
    };
    const port: Record<string, number> = {
      [WORKLOAD.worker]: PORT.workerMetrics,
      [WORKLOAD.reviewApi]: PORT.reviewApi,
      [WORKLOAD.costApi]: PORT.costApi,
      ...Object.fromEntries(AGENT_WORKLOADS.map((a) => [a, PORT.agent])),
    };
    for (const d of ofType(plan, DEPLOYMENT)) {
      const name = d.inputs.metadata.name as string;
      const c = containerOf(d);
      const r = expected[name]!;
      expect(c.resources, name).toEqual({ requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } });
      const scheme = name === WORKLOAD.reviewApi || name === WORKLOAD.costApi ? 'HTTPS' : 'HTTP';
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        expect(probe?.httpGet, name).toEqual({ path: '/health', port: port[name], scheme });
      }
      expect(c.ports.map((p: { containerPort: number }) => p.containerPort), name).toEqual([port[name]]);
      expect(c.securityContext, name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(d.inputs.spec.template.spec.securityContext, name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    }
  });

  it('wires the worker to NSQ, MongoDB, Ollama and the agents from endpoints()', () => {
    const ep = endpoints(plan.config, plan.config.namespace);
    const env = envOf(deployment(plan, WORKLOAD.worker));
    expect(env.NSQD_TCP_ADDRESS.value).toBe(ep.nsqdTcp);
    expect(env.NSQD_HTTP_ADDRESS.value).toBe(ep.nsqdHttp);
    expect(env.NSQLOOKUPD_HTTP_ADDRESSES.value.split(',')).toEqual(ep.nsqlookupdHttp);
    expect(env.OLLAMA_HOST.value).toBe(ep.ollamaUrl);
    expect(env.MONGODB_DB.value).toBe(plan.config.mongodb.database);
    expect(env.WORKER_MAX_IN_FLIGHT.value).toBe(String(plan.config.worker.maxInFlight));
    expect(env.DOCUMENT_BUDGET_USD.value).toBe(String(plan.config.apis.documentBudgetUsd));
    // The ops server binds AGENT_HOST; loopback would fail every probe.
    expect(env.AGENT_HOST.value).toBe('0.0.0.0');
    expect(env.AGENT_URLS.value.split(',').sort()).toEqual(AGENT_NAMES.map((a) => `${a}=${ep.agentUrls[a]}`).sort());
  });

  it('passes secrets only through secretKeyRef, the Anthropic key as optional', () => {
    const wanted: Record<string, string[]> = {
      [WORKLOAD.worker]: ['ANTHROPIC_API_KEY', 'MCP_JWT_SECRET', 'MONGODB_URI'],
      [WORKLOAD.reviewApi]: ['API_JWT_SECRET', 'MONGODB_URI'],
      [WORKLOAD.costApi]: ['API_JWT_SECRET', 'MONGODB_URI'],
      ...Object.fromEntries(AGENT_WORKLOADS.map((a) => [a, ['ANTHROPIC_API_KEY', 'MCP_JWT_SECRET']])),
    };
    for (const d of ofType(plan, DEPLOYMENT)) {
      const name = d.inputs.metadata.name as string;
      const env = containerOf(d).env as { name: string; value?: string; valueFrom?: any }[];
      const fromSecrets = env.filter((e) => e.valueFrom);
      expect(fromSecrets.map((e) => e.name).sort(), name).toEqual(wanted[name]);
      for (const e of fromSecrets) {
        expect(e.valueFrom.secretKeyRef, `${name} ${e.name}`).toEqual({
          name: 'app-secrets',
          key: e.name,
          ...(e.name === 'ANTHROPIC_API_KEY' ? { optional: true } : {}),
        });
      }
    }
    // No secret value anywhere in what the component declares (it writes no Secret of its own
    // unless a registry login is configured, see below).
    const text = strings(plan.resources.map((r) => r.inputs));
    for (const value of Object.values(SECRET)) expect(text.filter((s) => s.includes(value))).toEqual([]);
  });

  it('serves the APIs over HTTPS with the cert-manager Secret mounted as files', () => {
    for (const [workload, secretName, port] of [
      [WORKLOAD.reviewApi, TLS_SECRET.reviewApi, PORT.reviewApi],
      [WORKLOAD.costApi, TLS_SECRET.costApi, PORT.costApi],
    ] as const) {
      const d = deployment(plan, workload);
      const env = envOf(d);
      const tlsVolume = d.inputs.spec.template.spec.volumes.find((v: any) => v.secret);
      expect(tlsVolume.secret.secretName).toBe(secretName);
      const mount = containerOf(d).volumeMounts.find((m: any) => m.name === tlsVolume.name);
      expect(mount.readOnly).toBe(true);
      expect(env.API_TLS_CERT_FILE.value).toBe(`${mount.mountPath}/tls.crt`);
      expect(env.API_TLS_KEY_FILE.value).toBe(`${mount.mountPath}/tls.key`);
      expect(env.API_HOST.value).toBe('0.0.0.0');
      expect(env.API_CORS_ORIGINS.value).toBe(plan.config.apis.corsOrigins.join(','));
      expect(env.API_RATE_LIMIT_PER_MINUTE.value).toBe(String(plan.config.apis.rateLimitPerMinute));
      expect(env.MONTHLY_BUDGET_USD.value).toBe(String(plan.config.apis.monthlyBudgetUsd));
      expect(env[workload === WORKLOAD.reviewApi ? 'REVIEW_API_PORT' : 'COST_API_PORT'].value).toBe(String(port));
      // Behind the ingress: the client address comes from X-Forwarded-For (app config accepts 'true').
      expect(env.API_TRUST_PROXY.value).toBe('true');
      expect(loadConfig({ API_TRUST_PROXY: env.API_TRUST_PROXY.value }).API_TRUST_PROXY).toBe('true');
    }
    // Workers and agents serve no clients through a proxy.
    expect(envOf(deployment(plan, WORKLOAD.worker)).API_TRUST_PROXY).toBeUndefined();
  });

  it('puts agents and APIs behind ClusterIP Services with the ports the Ingress and the worker use', () => {
    const services = ofType(plan, SERVICE);
    const ports = Object.fromEntries(services.map((s) => [s.inputs.metadata.name, s.inputs.spec.ports.map((p: any) => p.port)]));
    expect(ports).toEqual({
      ...Object.fromEntries(AGENT_WORKLOADS.map((a) => [a, [PORT.agent]])),
      [WORKLOAD.reviewApi]: [PORT.reviewApi],
      [WORKLOAD.costApi]: [PORT.costApi],
    });
    for (const s of services) {
      expect(s.inputs.spec.type).toBe('ClusterIP');
      expect(s.inputs.spec.selector).toEqual({ [LABEL.name]: s.inputs.metadata.name });
    }
    // Agent Services answer at the URLs the worker is given.
    const urls = endpoints(plan.config, plan.config.namespace).agentUrls;
    for (const a of AGENT_NAMES) expect(urls[a]).toBe(`http://agent-${a}.${plan.config.namespace}.svc.cluster.local:${PORT.agent}/mcp`);
  });

  it('gives every Deployment a PodDisruptionBudget that allows one pod out', () => {
    const pdbs = ofType(plan, PDB);
    expect(pdbs.map((p) => p.inputs.metadata.name).sort()).toEqual([...APP_DEPLOYMENTS].sort());
    for (const p of pdbs) expect(p.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { [LABEL.name]: p.inputs.metadata.name } } });
  });

  describe('with a private registry login', () => {
    let withLogin: Plan;
    beforeAll(async () => {
      withLogin = await planServices('prod', { image: { repository: 'ghcr.io/acme/enrichment', registryUsername: 'ci-bot' } });
    });

    it('pushes with the login and gives the pods a pull Secret, the password in nothing else', () => {
      const [image] = ofType(withLogin, IMAGE);
      expect(image?.inputs.registry).toEqual({ server: 'ghcr.io', username: 'ci-bot', password: SECRET.registryPassword });
      const pull = byName(withLogin, 'kubernetes:core/v1:Secret', 'services-registry');
      expect(pull.inputs.type).toBe('kubernetes.io/dockerconfigjson');
      const config = JSON.parse(pull.inputs.stringData['.dockerconfigjson']);
      expect(Buffer.from(config.auths['ghcr.io'].auth, 'base64').toString()).toBe(`ci-bot:${SECRET.registryPassword}`);
      for (const d of ofType(withLogin, DEPLOYMENT)) expect(d.inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: pull.inputs.metadata.name }]);
      const holders = withLogin.resources.filter((r) => strings(r.inputs).some((s) => s.includes(SECRET.registryPassword)));
      expect(holders.map((r) => r.type)).toEqual([IMAGE]);
    });
  });

  it('declares only objects that validate against the Kubernetes schemas (types, enums, required fields)', async () => {
    const objects = plan.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:') && r.inputs.kind);
    expect(objects.length).toBeGreaterThan(20);
    await expectSchemaValid(objects);
  });
});

describe('AppServices on Docker (dev)', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planServices('dev');
  });

  const containers = () => ofType(plan, CONTAINER);
  const container = (name: string) => containerNamed(plan, name);

  it('builds the image locally without pushing and returns localhost URLs', () => {
    const [image] = ofType(plan, IMAGE);
    expect(image?.inputs).toMatchObject({ imageName: `${plan.config.image.repository}:${plan.config.image.tag}`, skipPush: true });
    expect(plan.outputs).toEqual({
      reviewApiUrl: 'https://localhost:5001',
      costApiUrl: 'https://localhost:5002',
      imageRef: `${plan.config.image.repository}:${plan.config.image.tag}`,
    });
  });

  it('runs config.worker.replicas workers, the five agents and both APIs', () => {
    const workers = Array.from({ length: plan.config.worker.replicas }, (_, i) => `${WORKLOAD.worker}-${i + 1}`);
    expect(plan.config.worker.replicas).toBeGreaterThanOrEqual(2);
    expect(containers().map((c) => c.inputs.name).sort()).toEqual([...workers, ...AGENT_WORKLOADS, WORKLOAD.reviewApi, WORKLOAD.costApi].sort());
    for (const w of workers) expect(container(w).inputs.command).toEqual(['worker']);
    for (const a of AGENT_NAMES) expect(container(`agent-${a}`).inputs.command).toEqual(['agent', a]);
  });

  it('sets restart unless-stopped, CPU and memory limits and a /health healthcheck on every container', () => {
    for (const c of containers()) {
      const name = c.inputs.name as string;
      expect(c.inputs.restart, name).toBe('unless-stopped');
      expect(Number(c.inputs.cpus), name).toBeGreaterThan(0);
      expect(c.inputs.memory, name).toBeGreaterThan(0);
      expect(c.inputs.healthcheck.tests.slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
      expect(c.inputs.healthcheck.tests[3], name).toContain("path:'/health'");
      expect(c.inputs.image, name).toBe(plan.outputs.imageRef);
    }
    expect(container(`${WORKLOAD.worker}-1`).inputs).toMatchObject(dockerLimits(plan.config.worker.resources, { reserveMemory: true }));
  });

  it('publishes only 5001 and 5002, on the backend network for all and the frontend for agents and APIs', () => {
    const published = containers().flatMap((c) => (c.inputs.ports ?? []).map((p: any) => p.external));
    expect(published.sort()).toEqual([PORT.reviewApi, PORT.costApi]);
    for (const c of containers()) {
      const networks = (c.inputs.networksAdvanced as { name: string }[]).map((n) => n.name).sort();
      const name = c.inputs.name as string;
      const frontend = name.startsWith('agent-') || name === WORKLOAD.reviewApi || name === WORKLOAD.costApi;
      expect(networks, name).toEqual(frontend ? [TEST_NETWORK.backend, TEST_NETWORK.frontend] : [TEST_NETWORK.backend]);
    }
  });

  it('uploads secrets as files read through <KEY>_FILE and never puts them in env', () => {
    for (const c of containers()) {
      const name = c.inputs.name as string;
      const envs = c.inputs.envs as string[];
      for (const value of Object.values(SECRET)) expect(envs.filter((e) => e.includes(value)), name).toEqual([]);
      for (const e of envs.filter((x) => FILE_BACKED_KEYS.some((k) => x.startsWith(`${k}_FILE=`)))) {
        const [key, file] = e.split('=') as [string, string];
        const upload = (c.inputs.uploads as { file: string; content: string }[]).find((u) => u.file === file);
        expect(upload, `${name} ${key}`).toBeDefined();
        expect(Object.values(SECRET)).toContain(upload!.content);
        expect(file).toBe(`/run/secrets/${key.replace(/_FILE$/, '')}`);
      }
    }
    const worker = container(`${WORKLOAD.worker}-1`).inputs.envs as string[];
    expect(worker.filter((e) => e.includes('_FILE=')).sort()).toEqual([
      'ANTHROPIC_API_KEY_FILE=/run/secrets/ANTHROPIC_API_KEY',
      'MCP_JWT_SECRET_FILE=/run/secrets/MCP_JWT_SECRET',
      'MONGODB_URI_FILE=/run/secrets/MONGODB_URI',
    ]);
  });

  it('uploads the API certificate and key where API_TLS_CERT_FILE and API_TLS_KEY_FILE point', () => {
    for (const name of [WORKLOAD.reviewApi, WORKLOAD.costApi]) {
      const c = container(name).inputs;
      const env = Object.fromEntries((c.envs as string[]).map((e) => e.split('=', 2) as [string, string]));
      const uploads = Object.fromEntries((c.uploads as { file: string; content: string }[]).map((u) => [u.file, u.content]));
      expect(uploads[env.API_TLS_CERT_FILE!]).toBe(TLS_CERT);
      expect(uploads[env.API_TLS_KEY_FILE!]).toBe(SECRET.tlsKey);
      expect(c.healthcheck.tests[3]).toContain("require('https')");
    }
  });
});

describe('AppServices helpers', () => {
  it('finds the registry of an image repository', () => {
    expect(registryServer('ghcr.io/acme/app')).toBe('ghcr.io');
    expect(registryServer('localhost:5000/app')).toBe('localhost:5000');
    expect(registryServer('acme/app')).toBe('docker.io');
    expect(registryServer('enrichment-platform')).toBe('docker.io');
  });

  it('lists the eight workloads with the app env var names of app/src/config.ts', async () => {
    const { configSchema } = await import('../../app/src/config.js');
    const known = new Set(Object.keys(configSchema.shape));
    const config = loadInfraConfig('prod', readStackFile('prod'));
    const secretsStub = { refs: { mongodbUri: {}, mcpJwtSecret: {}, apiJwtSecret: {} } } as unknown as AppSecrets;
    const workloads = appWorkloads(config, 'enrichment', secretsStub.refs);
    expect(workloads.map((w) => w.workload)).toEqual([...APP_DEPLOYMENTS]);
    for (const w of workloads) {
      for (const name of [...Object.keys(w.env), ...w.secretEnv.map((s) => s.name)]) expect(known.has(name), `${w.workload} ${name}`).toBe(true);
    }
  });

  describe('the Docker healthcheck one-liner', () => {
    let stub: Awaited<ReturnType<typeof startHealthStub>>;
    let port: number;
    beforeAll(async () => {
      stub = await startHealthStub('/health');
      port = stub.port;
    });
    afterAll(() => stub.close());

    it('exits 0 on a 2xx answer and 1 on a 503 or a refused TLS handshake', async () => {
      expect(await run(nodeHealthcheck(port, '/health', 'HTTP'))).toBe(0);
      expect(await run(nodeHealthcheck(port, '/unhealthy', 'HTTP'))).toBe(1);
      expect(await run(nodeHealthcheck(port, '/health', 'HTTPS'))).toBe(1);
    });
  });
});
