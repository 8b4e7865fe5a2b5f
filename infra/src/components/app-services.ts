/**
 * AppServices (`enrichment:app:AppServices`): the processes of the app image (`bin/enrich`):
 * the EnrichmentWorker, the five MCP agents, the Review API (5001) and the Cost API (5002).
 *
 * Checklist Phase 9c "Service Deployment": EnrichmentWorker replicas ≥ 2 with auto-scaling (an
 * HPA), CPU and memory limits on every container, health checks, restart policy `unless-stopped`
 * (Docker), isolated networks. Phase 9b "Health Checks": `/health` on every service (worker on
 * `WORKER_METRICS_PORT`, agents on `AGENT_PORT`, APIs on 5001/5002, HTTPS when TLS is on).
 *
 * One description of the workloads ({@link appWorkloads}) is rendered twice:
 * - Kubernetes (staging, prod): a Deployment, a PodDisruptionBudget and (agents, APIs) a ClusterIP
 *   Service per workload, an autoscaling/v2 HPA for the worker. Secrets only by `secretKeyRef`,
 *   certificates from the cert-manager Secret mounted as files.
 * - Docker (dev): one container per replica with `restart: unless-stopped`, CPU/memory limits, a
 *   node one-liner healthcheck (the image has no curl), secrets uploaded as files and read
 *   through `<KEY>_FILE` (`FILE_BACKED_KEYS` in `app/src/config.ts`).
 */
import { createHash } from 'node:crypto';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { AGENT_NAMES } from '../../../app/src/domain/fields.js';
import type { ContainerResources, InfraConfig } from '../config.js';
import { agentWorkload, ANNOTATION, COMPONENT, OLLAMA_MODELS, PORT, TOPICS, WORKLOAD } from '../conventions.js';
import { endpoints } from '../endpoints.js';
import { dockerContainerNames, DOCKER_HEALTHCHECK_TIMING, dockerLogging, dockerSecretPath, secretFileUpload } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, podDisruptionBudget, podSecurityContext, secretKeyRefEnv } from '../lib/kubernetes.js';
import { dockerLabels, nameSelector, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources } from '../lib/resources.js';
import type { ComponentBaseArgs, DockerTarget, KubernetesTarget, SecretRef } from '../types.js';
import { AppImage, registryServer } from './image.js';
import type { PlatformSecrets } from './secrets.js';
import { TLS_FILE, type Tls, type TlsApi } from './tls.js';

/** The Pulumi type token of {@link AppServices}. */
export const APP_SERVICES_TYPE = 'enrichment:app:AppServices';

/** UID and GID of the image's `node` user (`USER 1000:1000` in the Dockerfile). */
export const APP_UID = 1000;
/** Where the API containers find their certificate and key (Kubernetes Secret volume / Docker upload). */
export const API_TLS_DIR = '/etc/enrichment/tls';
/** Path of every app process's health endpoint (`app/src/ops/http.ts`). */
export const HEALTH_PATH = '/health';
/** Listen on every interface: the pods and containers are reached through Services/networks. */
const ALL_INTERFACES = '0.0.0.0';

/** The secrets the app reads (a {@link PlatformSecrets}, or a stand-in in tests). */
export type AppSecrets = Pick<PlatformSecrets, 'refs' | 'registryPassword' | 'secrets'>;
/** The certificates of the APIs (a {@link Tls}, or a stand-in in tests). */
export type AppTls = Pick<Tls, 'secretNames' | 'dockerCerts' | 'ready'>;

export interface AppServicesArgs extends ComponentBaseArgs {
  /** Credentials: `MONGODB_URI`, `MCP_JWT_SECRET`, `API_JWT_SECRET`, optional `ANTHROPIC_API_KEY`. */
  secrets: AppSecrets;
  /** Certificates of the Review API and the Cost API. */
  tls: AppTls;
  /** Components the app needs running first (MongoDB, NSQ, Ollama). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A secret env var: `secretKeyRef` on Kubernetes, an uploaded file plus `<name>_FILE` on Docker. */
export interface SecretEnv {
  /** The app's env var, e.g. `MONGODB_URI`. */
  name: string;
  ref: SecretRef;
  /** The process starts without it (Kubernetes `secretKeyRef.optional`). */
  optional: boolean;
}

/** One app workload, independent of the target. */
export interface AppWorkload {
  /** `app.kubernetes.io/name`, Deployment/Service name, Docker container name (prefix). */
  workload: string;
  component: (typeof COMPONENT)[keyof typeof COMPONENT];
  /** Arguments of `bin/enrich` (the image's entrypoint), e.g. `['agent', 'metadata']`. */
  args: string[];
  /** Port of `/health` and `/metrics` (and of the service itself for agents and APIs). */
  port: number;
  /** `http` or `https` (the APIs serve HTTPS with their certificate). */
  scheme: 'HTTP' | 'HTTPS';
  replicas: number;
  resources: ContainerResources;
  /** Plain env vars (no secrets). */
  env: Record<string, string>;
  secretEnv: SecretEnv[];
  /** The API whose certificate the workload serves. */
  tlsApi?: TlsApi;
  /** Gets a ClusterIP Service on {@link port} (agents: the worker calls them; APIs: the Ingress). */
  service: boolean;
  /** Docker: also on the frontend network (APIs: published ports; agents: Claude API egress). */
  frontend: boolean;
  /** Docker: host port published on 127.0.0.1 (APIs only). */
  hostPort?: number;
  /** Kubernetes `terminationGracePeriodSeconds`: longer than the process's own shutdown deadline. */
  terminationGraceSeconds: number;
}

/** Worker shutdown deadline (`WORKER_SHUTDOWN_TIMEOUT_SECONDS`, app default 60) plus margin. */
const WORKER_GRACE_SECONDS = 90;
/** API shutdown deadline (`startService`, 30 s) plus margin; agents close in-flight calls likewise. */
const SERVICE_GRACE_SECONDS = 45;

/**
 * The nine app workloads of a stack: worker, five agents, two APIs, with their env.
 *
 * @param config    the stack config (replicas, resources, budgets, hosts, CORS, rate limit).
 * @param namespace the app namespace (Kubernetes) or undefined (Docker: container names resolve).
 * @param refs      where the secrets live.
 * @returns the workloads in a fixed order: worker, agents in `AGENT_NAMES` order, review-api, cost-api.
 */
export function appWorkloads(config: InfraConfig, namespace: string | undefined, refs: AppSecrets['refs']): AppWorkload[] {
  const ep = endpoints(config, namespace);
  const anthropic: SecretEnv[] = refs.anthropicApiKey ? [{ name: 'ANTHROPIC_API_KEY', ref: refs.anthropicApiKey, optional: true }] : [];
  const mongodb: SecretEnv = { name: 'MONGODB_URI', ref: refs.mongodbUri, optional: false };
  const mcpJwt: SecretEnv = { name: 'MCP_JWT_SECRET', ref: refs.mcpJwtSecret, optional: false };
  const apiJwt: SecretEnv = { name: 'API_JWT_SECRET', ref: refs.apiJwtSecret, optional: false };
  const models = { OLLAMA_HOST: ep.ollamaUrl, OLLAMA_PHASE1_MODEL: OLLAMA_MODELS[0], OLLAMA_STRUCTURE_MODEL: OLLAMA_MODELS[1] };

  const worker: AppWorkload = {
    workload: WORKLOAD.worker,
    component: COMPONENT.app,
    args: ['worker'],
    port: PORT.workerMetrics,
    scheme: 'HTTP',
    replicas: config.worker.replicas,
    resources: config.worker.resources,
    env: {
      MONGODB_DB: config.mongodb.database,
      NSQD_TCP_ADDRESS: ep.nsqdTcp,
      NSQD_HTTP_ADDRESS: ep.nsqdHttp,
      NSQLOOKUPD_HTTP_ADDRESSES: ep.nsqlookupdHttp.join(','),
      NSQ_TOPIC: TOPICS[0],
      NSQ_DEAD_LETTER_TOPIC: TOPICS[1],
      WORKER_MAX_IN_FLIGHT: String(config.worker.maxInFlight),
      WORKER_METRICS_PORT: String(PORT.workerMetrics),
      // The worker's ops server (/health, /metrics) binds to AGENT_HOST (services/worker/main.ts).
      AGENT_HOST: ALL_INTERFACES,
      AGENT_URLS: AGENT_NAMES.map((a) => `${a}=${ep.agentUrls[a]}`).join(','),
      DOCUMENT_BUDGET_USD: String(config.apis.documentBudgetUsd),
      // The worker plans its tiers from OLLAMA_HOST and ANTHROPIC_API_KEY being set (worker.ts).
      OLLAMA_HOST: ep.ollamaUrl,
    },
    secretEnv: [mongodb, mcpJwt, ...anthropic],
    service: false,
    frontend: false,
    terminationGraceSeconds: WORKER_GRACE_SECONDS,
  };
  const agents: AppWorkload[] = AGENT_NAMES.map((agent) => ({
    workload: agentWorkload(agent),
    component: COMPONENT.agent,
    args: ['agent', agent],
    port: PORT.agent,
    scheme: 'HTTP',
    replicas: config.agents.replicas,
    resources: config.agents.resources,
    env: { AGENT_HOST: ALL_INTERFACES, AGENT_PORT: String(PORT.agent), ...models },
    secretEnv: [mcpJwt, ...anthropic],
    service: true,
    frontend: true,
    terminationGraceSeconds: SERVICE_GRACE_SECONDS,
  }));
  const api = (workload: string, command: string, port: number, portVar: string, tlsApi: TlsApi): AppWorkload => ({
    workload,
    component: COMPONENT.api,
    args: [command],
    port,
    scheme: 'HTTPS',
    replicas: config.apis.replicas,
    resources: config.apis.resources,
    env: {
      MONGODB_DB: config.mongodb.database,
      API_HOST: ALL_INTERFACES,
      [portVar]: String(port),
      API_TLS_CERT_FILE: `${API_TLS_DIR}/${TLS_FILE.cert}`,
      API_TLS_KEY_FILE: `${API_TLS_DIR}/${TLS_FILE.key}`,
      API_CORS_ORIGINS: config.apis.corsOrigins.join(','),
      API_RATE_LIMIT_PER_MINUTE: String(config.apis.rateLimitPerMinute),
      DOCUMENT_BUDGET_USD: String(config.apis.documentBudgetUsd),
      MONTHLY_BUDGET_USD: String(config.apis.monthlyBudgetUsd),
    },
    secretEnv: [mongodb, apiJwt],
    tlsApi,
    service: true,
    frontend: true,
    hostPort: port,
    terminationGraceSeconds: SERVICE_GRACE_SECONDS,
  });
  return [
    worker,
    ...agents,
    api(WORKLOAD.reviewApi, 'review-api', PORT.reviewApi, 'REVIEW_API_PORT', 'reviewApi'),
    api(WORKLOAD.costApi, 'cost-api', PORT.costApi, 'COST_API_PORT', 'costApi'),
  ];
}

/**
 * Docker healthcheck `test` of an HTTP(S) endpoint on the container's loopback, as a node
 * one-liner (the image has node, not curl). HTTPS skips verification: the check reaches
 * 127.0.0.1, which the certificate may not name.
 *
 * @param port   the container port.
 * @param path   the path, e.g. `/health`.
 * @param scheme `HTTP` or `HTTPS`.
 * @returns `['CMD', 'node', '-e', <script>]`; exit 0 on a 2xx answer, 1 otherwise.
 */
export function nodeHealthcheck(port: number, path: string, scheme: 'HTTP' | 'HTTPS'): string[] {
  const mod = scheme === 'HTTPS' ? 'https' : 'http';
  const script =
    `require('${mod}').get({host:'127.0.0.1',port:${port},path:'${path}',timeout:5000${scheme === 'HTTPS' ? ',rejectUnauthorized:false' : ''}},` +
    `(r)=>process.exit(r.statusCode>=200&&r.statusCode<300?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))`;
  return ['CMD', 'node', '-e', script];
}

/**
 * Deploys the app workloads on the stack's target.
 *
 * Outputs: {@link reviewApiUrl}, {@link costApiUrl} (`https://<host>` on Kubernetes,
 * `https://localhost:<port>` on Docker) and {@link imageRef}.
 */
export class AppServices extends pulumi.ComponentResource {
  readonly reviewApiUrl: pulumi.Output<string>;
  readonly costApiUrl: pulumi.Output<string>;
  /** The image every workload runs (see {@link AppImage}). */
  readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: AppServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(APP_SERVICES_TYPE, name, {}, opts);
    const { config, target, secrets } = args;
    const image = new AppImage(`${name}-image`, { ...args, registryPassword: secrets.registryPassword }, { parent: this });
    this.imageRef = image.imageRef;
    const namespace = target.kind === 'kubernetes' ? target.namespace : undefined;
    const workloads = appWorkloads(config, namespace, secrets.refs);

    if (target.kind === 'kubernetes') {
      this.deployKubernetes(name, args, target, workloads);
      this.reviewApiUrl = pulumi.output(`https://${config.apis.reviewHost}`);
      this.costApiUrl = pulumi.output(`https://${config.apis.costHost}`);
    } else {
      this.deployDocker(name, args, target, workloads);
      this.reviewApiUrl = pulumi.output(`https://localhost:${PORT.reviewApi}`);
      this.costApiUrl = pulumi.output(`https://localhost:${PORT.costApi}`);
    }
    this.registerOutputs({ reviewApiUrl: this.reviewApiUrl, costApiUrl: this.costApiUrl, imageRef: this.imageRef });
  }

  private deployKubernetes(name: string, args: AppServicesArgs, target: KubernetesTarget, workloads: AppWorkload[]): void {
    const { config, secrets, tls } = args;
    const ns = target.namespace;
    const opts = { parent: this, provider: target.provider };
    const ready = [...(args.dependsOn ?? []), ...target.namespaces, ...secrets.secrets, ...tls.ready];

    // Pull credentials for a private registry (the same login the image push uses).
    let pullSecret: string | undefined;
    if (config.image.registryUsername && secrets.registryPassword) {
      pullSecret = 'app-registry';
      const host = registryServer(config.image.repository);
      // Docker Hub's credentials key in a docker config is its v1 index URL.
      const server = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
      const auth = pulumi
        .all([secrets.registryPassword])
        .apply(([password]) => Buffer.from(`${config.image.registryUsername}:${password}`).toString('base64'));
      new k8s.core.v1.Secret(
        `${name}-registry`,
        {
          metadata: { name: pullSecret, namespace: ns, labels: workloadLabels(WORKLOAD.worker, COMPONENT.app) },
          type: 'kubernetes.io/dockerconfigjson',
          stringData: { '.dockerconfigjson': pulumi.secret(pulumi.jsonStringify({ auths: { [server]: { auth } } })) },
        },
        { ...opts, dependsOn: target.namespaces, additionalSecretOutputs: ['data', 'stringData'] },
      );
    }
    const pullPolicy = this.imageRef.apply((ref) => (ref.includes('@sha256:') ? 'IfNotPresent' : 'Always'));

    for (const w of workloads) {
      const labels = workloadLabels(w.workload, w.component);
      const selector = nameSelector(w.workload);
      const probe = (periodSeconds: number, failureThreshold: number, initialDelaySeconds: number) =>
        httpGetProbe({ path: HEALTH_PATH, port: w.port, scheme: w.scheme }, { initialDelaySeconds, periodSeconds, failureThreshold });
      const volumes: k8s.types.input.core.v1.Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }];
      const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
      if (w.tlsApi) {
        volumes.push({
          name: 'tls',
          secret: {
            secretName: tls.secretNames[w.tlsApi],
            items: [
              { key: TLS_FILE.cert, path: TLS_FILE.cert },
              { key: TLS_FILE.key, path: TLS_FILE.key },
            ],
            defaultMode: 0o440,
          },
        });
        mounts.push({ name: 'tls', mountPath: API_TLS_DIR, readOnly: true });
      }
      const env: k8s.types.input.core.v1.EnvVar[] = [
        ...Object.entries(w.env).map(([envName, value]) => ({ name: envName, value })),
        // Only the ingress controller reaches the APIs (NetworkPolicy), and ingress-nginx replaces
        // X-Forwarded-For with the client it saw: the APIs may take the client address from it, so
        // rate limits and logs are per client, not per ingress pod.
        ...(w.component === COMPONENT.api ? [{ name: 'API_TRUST_PROXY', value: 'true' }] : []),
        ...w.secretEnv.map((s) => secretKeyRefEnv(s.name, s.ref, { optional: s.optional })),
      ];

      // Env from a Secret is read at pod start only: a digest of the values in the pod template
      // rolls the Deployment when one changes (the yearly JWT rotation, a new Anthropic key).
      const secretDigest = pulumi
        .all(w.secretEnv.map((s) => s.ref.value))
        .apply((values) => createHash('sha256').update(values.join('\0')).digest('hex').slice(0, 16));
      const deployment = new k8s.apps.v1.Deployment(
        `${name}-${w.workload}`,
        {
          metadata: { name: w.workload, namespace: ns, labels },
          spec: {
            replicas: w.replicas,
            selector: { matchLabels: selector },
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
              metadata: { labels, annotations: { [ANNOTATION.secretDigest]: pulumi.unsecret(secretDigest) } },
              spec: {
                automountServiceAccountToken: false,
                terminationGracePeriodSeconds: w.terminationGraceSeconds,
                securityContext: podSecurityContext(APP_UID),
                ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
                topologySpreadConstraints: [
                  { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
                ],
                containers: [
                  {
                    name: w.workload,
                    image: this.imageRef,
                    imagePullPolicy: pullPolicy,
                    args: w.args,
                    ports: [{ name: w.scheme === 'HTTPS' ? 'https' : 'http', containerPort: w.port, protocol: 'TCP' }],
                    env,
                    resources: k8sResources(w.resources),
                    // /health checks the process's dependencies (503 while one is down); the
                    // liveness probe waits two minutes before a restart, readiness 30 s.
                    readinessProbe: probe(10, 3, 5),
                    livenessProbe: probe(20, 6, 30),
                    securityContext: containerSecurityContext({ readOnlyRootFilesystem: true, runAsNonRoot: true }),
                    volumeMounts: mounts,
                  },
                ],
                // tsx caches its transpiled output under /tmp; the root filesystem stays read-only.
                volumes,
              },
            },
          },
        },
        { ...opts, dependsOn: ready },
      );
      podDisruptionBudget(`${name}-${w.workload}-pdb`, { name: w.workload, namespace: ns, labels }, selector, { ...opts, dependsOn: target.namespaces });
      if (w.service) {
        new k8s.core.v1.Service(
          `${name}-${w.workload}-service`,
          {
            metadata: {
              name: w.workload,
              namespace: ns,
              labels,
              // The APIs are the only services reached from outside (through the Ingress).
              ...(w.component === COMPONENT.api ? { annotations: { [ANNOTATION.publicEndpoint]: 'true' } } : {}),
            },
            spec: {
              type: 'ClusterIP',
              selector,
              ports: [
                {
                  name: w.scheme === 'HTTPS' ? 'https' : 'http',
                  port: w.port,
                  targetPort: w.port,
                  protocol: 'TCP',
                  appProtocol: w.scheme === 'HTTPS' ? 'https' : 'http',
                },
              ],
            },
          },
          { ...opts, dependsOn: target.namespaces },
        );
      }
      if (w.workload === WORKLOAD.worker) {
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
          `${name}-${w.workload}-hpa`,
          {
            metadata: { name: w.workload, namespace: ns, labels },
            spec: {
              scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.workload },
              minReplicas: Math.max(1, w.replicas),
              maxReplicas: Math.max(1, w.replicas, config.worker.maxReplicas),
              metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: config.worker.targetCpuPercent } } }],
              // Jobs last minutes: scale down slowly so a short lull does not stop busy workers.
              behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] } },
            },
          },
          { ...opts, dependsOn: [deployment] },
        );
      }
    }
  }

  private deployDocker(name: string, args: AppServicesArgs, target: DockerTarget, workloads: AppWorkload[]): void {
    const { tls } = args;
    const opts = { parent: this, provider: target.provider, dependsOn: args.dependsOn ?? [] };
    const owner = String(APP_UID);
    const ids = { owner: APP_UID, group: APP_UID };
    for (const w of workloads) {
      const uploads: docker.types.input.ContainerUpload[] = w.secretEnv.map((s) => secretFileUpload(dockerSecretPath(s.ref), s.ref.value, ids));
      const envs = [...Object.entries(w.env).map(([k, v]) => `${k}=${v}`), ...w.secretEnv.map((s) => `${s.name}_FILE=${dockerSecretPath(s.ref)}`)];
      if (w.tlsApi) {
        const pem = tls.dockerCerts?.[w.tlsApi];
        if (!pem) throw new pulumi.ResourceError(`no Docker certificate for ${w.workload}: the Tls component must issue dockerCerts on the Docker target`, this);
        uploads.push(
          { file: `${API_TLS_DIR}/${TLS_FILE.cert}`, content: pem.certPem, owner, group: owner, permissions: '0444' },
          secretFileUpload(`${API_TLS_DIR}/${TLS_FILE.key}`, pem.keyPem, ids),
        );
      }
      const labels = {
        ...workloadLabels(w.workload, w.component),
        ...(w.hostPort ? { [ANNOTATION.publicEndpoint]: 'true' } : {}),
      };
      for (const containerName of dockerContainerNames(w.workload, w.replicas)) {
        new docker.Container(
          `${name}-${containerName}`,
          {
            name: containerName,
            image: this.imageRef,
            command: w.args,
            envs,
            uploads,
            restart: 'unless-stopped',
            ...dockerLogging(),
            ...dockerLimits(w.resources, { reserveMemory: true }),
            healthcheck: { tests: nodeHealthcheck(w.port, HEALTH_PATH, w.scheme), ...DOCKER_HEALTHCHECK_TIMING },
            // Every replica answers to the workload name (the agent URLs use it).
            networksAdvanced: [
              { name: target.backendNetwork.name, aliases: [w.workload] },
              ...(w.frontend ? [{ name: target.frontendNetwork.name }] : []),
            ],
            ...(w.hostPort ? { ports: [{ internal: w.port, external: w.hostPort, ip: '127.0.0.1', protocol: 'tcp' }] } : {}),
            capabilities: { drops: ['ALL'] },
            securityOpts: ['no-new-privileges:true'],
            stopTimeout: w.terminationGraceSeconds,
            labels: dockerLabels(labels),
          },
          opts,
        );
      }
    }
  }
}
