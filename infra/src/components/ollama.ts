/**
 * Ollama (`enrichment:llm:Ollama`): the local model server of the agents (`OLLAMA_HOST`).
 * Checklist Phase 9a "LLM Infrastructure": Ollama deployed, `llama3.2` and `mixtral` pulled,
 * ≥30GB of model storage, GPU acceleration, health checks, auto-restart on failure.
 *
 * Kubernetes: the NVIDIA device plugin DaemonSet on the GPU pool (unless the GPU operator is
 * present), an Ollama StatefulSet (1 replica, `nvidia.com/gpu` limit, model PVC at /root/.ollama,
 * readiness on `/api/tags`, a 10-minute startup probe), a headless ClusterIP Service, a PDB, and
 * a Job that pulls every model through `/api/pull` once the server answers. A postStart hook would
 * race the server it needs (it runs before the container is ready), hence the Job.
 *
 * Docker: an `ollama` container with a model volume, a healthcheck, `unless-stopped`, limits and
 * a GPU device request when configured, and a one-shot `ollama-models` container that pulls the
 * models through the server.
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from '../config.js';
import { ANNOTATION, COMPONENT, PART_OF, PORT, WORKLOAD } from '../conventions.js';
import { endpoints } from '../endpoints.js';
import { dockerLogging, remoteImage } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, oneShotJobOptions, podDisruptionBudget, podSecurityContext, volumeClaimTemplate } from '../lib/kubernetes.js';
import { dockerWorkloadLabels, nameSelector, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources } from '../lib/resources.js';
import type { ComponentBaseArgs } from '../types.js';

/** The Pulumi type token of {@link Ollama}. */
export const OLLAMA_TYPE = 'enrichment:llm:Ollama';

/** Where the ollama image keeps models and keys (`~/.ollama` of root). */
export const OLLAMA_DATA_PATH = '/root/.ollama';
/** Image of the NVIDIA device plugin DaemonSet. */
export const NVIDIA_DEVICE_PLUGIN_IMAGE = 'nvcr.io/nvidia/k8s-device-plugin:v0.17.4';
/** Image of the model-pull Job (runs as the non-root `curl_user`, uid 100). */
export const CURL_IMAGE = 'curlimages/curl:8.16.0';
/** Startup probe budget: failureThreshold × periodSeconds = 10 minutes to load the server. */
export const OLLAMA_STARTUP_PROBE = { periodSeconds: 10, failureThreshold: 60 } as const;
/** Attempts per model in the pull Job before it fails (a 26GB mixtral download can be interrupted). */
export const MODEL_PULL_ATTEMPTS = 5;
/** Longest the model-pull Job may run, seconds (mixtral is ~26GB). */
export const MODEL_PULL_DEADLINE_SECONDS = 3 * 3600;

/** Arguments of {@link Ollama}: only the common ones. */
export type OllamaArgs = ComponentBaseArgs;

/** The comma-separated model list written to `ANNOTATION.ollamaModels`. */
export function modelList(config: InfraConfig): string {
  return config.ollama.models.join(',');
}

/**
 * The model-pull script (POSIX sh): waits for `/api/tags`, then `POST /api/pull` with
 * `{"model": <m>, "stream": false}` for each model in `$MODELS`, retrying each up to
 * {@link MODEL_PULL_ATTEMPTS} times, and finally checks that `/api/tags` lists every model.
 * Reads `OLLAMA_URL` and `MODELS` (space-separated) from the environment.
 */
export const MODEL_PULL_SCRIPT = [
  'set -eu',
  'until curl -fsS "$OLLAMA_URL/api/tags" >/dev/null; do echo "waiting for $OLLAMA_URL"; sleep 5; done',
  'for m in $MODELS; do',
  '  n=0',
  `  until curl -fsS --max-time 10800 -H 'Content-Type: application/json' -d "{\\"model\\":\\"$m\\",\\"stream\\":false}" "$OLLAMA_URL/api/pull" | grep -q '"status":"success"'; do`,
  '    n=$((n+1))',
  `    if [ "$n" -ge ${MODEL_PULL_ATTEMPTS} ]; then echo "pull of $m failed $n times"; exit 1; fi`,
  '    echo "retrying pull of $m ($n)"; sleep $((n*15))',
  '  done',
  '  echo "pulled $m"',
  'done',
  'tags=$(curl -fsS "$OLLAMA_URL/api/tags")',
  'for m in $MODELS; do echo "$tags" | grep -q "\\"name\\":\\"$m" || { echo "$m missing from /api/tags"; exit 1; }; done',
].join('\n');

/**
 * Deploys the model server and pulls the models.
 *
 * Outputs: {@link url}, {@link serviceName}, {@link models}.
 */
export class Ollama extends pulumi.ComponentResource {
  /** `OLLAMA_HOST` of the agents (`endpoints().ollamaUrl`). */
  readonly url: string;
  /** Kubernetes Service (or Docker container/alias) name. */
  readonly serviceName: string;
  /** Models pulled by the pull Job/container. */
  readonly models: string[];
  /** The model-pull Job (Kubernetes) or container (Docker): agents may depend on it. */
  readonly modelPull: pulumi.Resource;

  constructor(name: string, args: OllamaArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OLLAMA_TYPE, name, {}, opts);
    const { config, target } = args;
    const o = config.ollama;
    this.serviceName = WORKLOAD.ollama;
    this.models = [...o.models];
    const labels = (workload: string) => workloadLabels(workload, COMPONENT.llm);

    if (target.kind === 'kubernetes') {
      const ns = target.namespace;
      this.url = endpoints(config, ns).ollamaUrl;
      const kopts = { parent: this, provider: target.provider, dependsOn: target.namespaces };
      const gpu = o.gpu.enabled;
      const gpuScheduling = gpu
        ? {
            nodeSelector: o.gpu.nodeSelector,
            tolerations: o.gpu.tolerations,
            ...(o.gpu.runtimeClassName ? { runtimeClassName: o.gpu.runtimeClassName } : {}),
          }
        : {};

      const deps: pulumi.Resource[] = [...target.namespaces];
      if (gpu && o.gpu.installDevicePlugin) {
        const pluginLabels = labels('nvidia-device-plugin');
        deps.push(
          new k8s.apps.v1.DaemonSet(
            `${name}-nvidia-device-plugin`,
            {
              metadata: { name: 'nvidia-device-plugin', namespace: 'kube-system', labels: pluginLabels },
              spec: {
                selector: { matchLabels: nameSelector('nvidia-device-plugin') },
                updateStrategy: { type: 'RollingUpdate' },
                template: {
                  metadata: { labels: pluginLabels },
                  spec: {
                    priorityClassName: 'system-node-critical',
                    nodeSelector: o.gpu.nodeSelector,
                    tolerations: [...o.gpu.tolerations, { key: 'CriticalAddonsOnly', operator: 'Exists' }],
                    ...(o.gpu.runtimeClassName ? { runtimeClassName: o.gpu.runtimeClassName } : {}),
                    containers: [
                      {
                        name: 'nvidia-device-plugin',
                        image: NVIDIA_DEVICE_PLUGIN_IMAGE,
                        env: [{ name: 'FAIL_ON_INIT_ERROR', value: 'false' }],
                        securityContext: containerSecurityContext(),
                        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
                        // The plugin serves no HTTP; it is healthy while its socket exists for the kubelet.
                        readinessProbe: { exec: { command: ['test', '-S', '/var/lib/kubelet/device-plugins/nvidia-gpu.sock'] }, periodSeconds: 30 },
                        livenessProbe: {
                          exec: { command: ['test', '-S', '/var/lib/kubelet/device-plugins/nvidia-gpu.sock'] },
                          initialDelaySeconds: 60,
                          periodSeconds: 60,
                          failureThreshold: 5,
                        },
                        volumeMounts: [{ name: 'device-plugin', mountPath: '/var/lib/kubelet/device-plugins' }],
                      },
                    ],
                    volumes: [{ name: 'device-plugin', hostPath: { path: '/var/lib/kubelet/device-plugins' } }],
                  },
                },
              },
            },
            { parent: this, provider: target.provider },
          ),
        );
      }

      const serverLabels = labels(WORKLOAD.ollama);
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: { name: WORKLOAD.ollama, namespace: ns, labels: serverLabels },
          spec: {
            // Headless: the StatefulSet's governing Service; the name resolves to the ready pod.
            type: 'ClusterIP',
            clusterIP: 'None',
            selector: nameSelector(WORKLOAD.ollama),
            ports: [{ name: 'http', port: PORT.ollama, targetPort: 'http', protocol: 'TCP' }],
          },
        },
        kopts,
      );
      const server = new k8s.apps.v1.StatefulSet(
        `${name}-statefulset`,
        {
          metadata: { name: WORKLOAD.ollama, namespace: ns, labels: serverLabels },
          spec: {
            replicas: 1,
            serviceName: WORKLOAD.ollama,
            selector: { matchLabels: nameSelector(WORKLOAD.ollama) },
            template: {
              metadata: { labels: serverLabels },
              spec: {
                ...gpuScheduling,
                terminationGracePeriodSeconds: 30,
                securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
                containers: [
                  {
                    name: 'ollama',
                    image: o.image,
                    // The image runs as root and keeps its state under /root/.ollama; no capabilities are needed.
                    securityContext: containerSecurityContext(),
                    ports: [{ name: 'http', containerPort: PORT.ollama, protocol: 'TCP' }],
                    env: [
                      { name: 'OLLAMA_HOST', value: `0.0.0.0:${PORT.ollama}` },
                      // Keep both models resident: the phase-1 agents and the structure agent alternate.
                      { name: 'OLLAMA_KEEP_ALIVE', value: '24h' },
                      { name: 'OLLAMA_MAX_LOADED_MODELS', value: String(o.models.length) },
                    ],
                    resources: k8sResources(o.resources, gpu ? { 'nvidia.com/gpu': String(o.gpu.count) } : {}),
                    startupProbe: httpGetProbe({ path: '/api/tags', port: 'http' }, OLLAMA_STARTUP_PROBE),
                    readinessProbe: httpGetProbe({ path: '/api/tags', port: 'http' }, { periodSeconds: 10 }),
                    // `/` answers "Ollama is running" without touching the model store.
                    livenessProbe: httpGetProbe({ path: '/', port: 'http' }, { periodSeconds: 20 }),
                    volumeMounts: [{ name: 'models', mountPath: OLLAMA_DATA_PATH }],
                  },
                ],
              },
            },
            volumeClaimTemplates: [volumeClaimTemplate('models', serverLabels, o.storageSize)],
          },
        },
        { ...kopts, dependsOn: [...deps, service] },
      );
      // One replica: a drain may move it (maxUnavailable 1) rather than block forever.
      podDisruptionBudget(`${name}-pdb`, { name: WORKLOAD.ollama, namespace: ns, labels: serverLabels }, nameSelector(WORKLOAD.ollama), kopts);

      const pullLabels = labels(WORKLOAD.ollamaModels);
      const annotations = { [ANNOTATION.ollamaModels]: modelList(config) };
      this.modelPull = new k8s.batch.v1.Job(
        `${name}-model-pull`,
        {
          metadata: { name: WORKLOAD.ollamaModels, namespace: ns, labels: pullLabels, annotations },
          spec: {
            backoffLimit: 6,
            activeDeadlineSeconds: MODEL_PULL_DEADLINE_SECONDS,
            template: {
              metadata: { labels: pullLabels, annotations },
              spec: {
                restartPolicy: 'OnFailure',
                securityContext: podSecurityContext(100, { gid: 101, fsGroup: false }),
                containers: [
                  {
                    name: 'pull',
                    image: CURL_IMAGE,
                    command: ['/bin/sh', '-c', MODEL_PULL_SCRIPT],
                    env: [
                      { name: 'OLLAMA_URL', value: this.url },
                      { name: 'MODELS', value: o.models.join(' ') },
                    ],
                    securityContext: containerSecurityContext({ readOnlyRootFilesystem: true }),
                    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
                  },
                ],
              },
            },
          },
        },
        {
          ...kopts,
          dependsOn: [server, service],
          ...oneShotJobOptions(MODEL_PULL_DEADLINE_SECONDS),
        },
      );
    } else {
      this.url = endpoints(config).ollamaUrl;
      const dopts = { parent: this, provider: target.provider };
      const dockerLabels = (workload: string, extra: Record<string, string> = {}) => dockerWorkloadLabels(workload, COMPONENT.llm, extra);
      const image = remoteImage(`${name}-image`, o.image, dopts);
      const volume = new docker.Volume(`${name}-models`, { name: `${PART_OF}-ollama-models`, labels: dockerLabels(WORKLOAD.ollama) }, dopts);
      // The backend network is internal (no route out), but the server downloads the models from
      // registry.ollama.ai: a network of its own gives it egress without joining the frontend
      // network, and without any published port.
      const egress = new docker.Network(
        `${name}-egress`,
        { name: `${PART_OF}-ollama-egress`, driver: 'bridge', internal: false, labels: dockerLabels(WORKLOAD.ollama) },
        dopts,
      );
      const server = new docker.Container(
        `${name}-container`,
        {
          name: WORKLOAD.ollama,
          image: image.imageId,
          restart: 'unless-stopped',
          ...dockerLogging(),
          ...dockerLimits(o.resources),
          envs: [`OLLAMA_HOST=0.0.0.0:${PORT.ollama}`, 'OLLAMA_KEEP_ALIVE=24h', `OLLAMA_MAX_LOADED_MODELS=${o.models.length}`],
          // The image has no curl; `ollama list` calls /api/tags on the local server.
          healthcheck: { tests: ['CMD', 'ollama', 'list'], interval: '30s', timeout: '10s', retries: 5, startPeriod: '120s' },
          volumes: [{ volumeName: volume.name, containerPath: OLLAMA_DATA_PATH }],
          networksAdvanced: [
            { name: target.backendNetwork.name, aliases: [WORKLOAD.ollama] },
            { name: egress.name },
          ],
          ...(o.gpu.enabled ? { deviceRequests: [{ driver: 'nvidia', count: o.gpu.count, capabilities: ['gpu'] }] } : {}),
          labels: dockerLabels(WORKLOAD.ollama),
        },
        dopts,
      );
      // One-shot: the ollama CLI pulls through the server (OLLAMA_HOST), which stores the models
      // in its volume. `mustRun: false`: an exited container is the expected end state.
      this.modelPull = new docker.Container(
        `${name}-model-pull`,
        {
          name: WORKLOAD.ollamaModels,
          image: image.imageId,
          entrypoints: ['/bin/sh', '-c'],
          command: [
            [
              'set -eu',
              'until ollama list >/dev/null 2>&1; do echo "waiting for $OLLAMA_HOST"; sleep 5; done',
              'for m in $MODELS; do',
              '  n=0',
              `  until ollama pull "$m"; do n=$((n+1)); if [ "$n" -ge ${MODEL_PULL_ATTEMPTS} ]; then exit 1; fi; sleep $((n*15)); done`,
              'done',
            ].join('\n'),
          ],
          envs: [`OLLAMA_HOST=${this.url}`, `MODELS=${o.models.join(' ')}`],
          restart: 'on-failure',
          ...dockerLogging(),
          maxRetryCount: 3,
          mustRun: false,
          cpus: '0.5',
          memory: 256,
          networksAdvanced: [{ name: target.backendNetwork.name }],
          labels: dockerLabels(WORKLOAD.ollamaModels, { [ANNOTATION.ollamaModels]: modelList(config) }),
        },
        { ...dopts, dependsOn: [server] },
      );
    }

    this.registerOutputs({ url: this.url, serviceName: this.serviceName, models: this.models });
  }
}
