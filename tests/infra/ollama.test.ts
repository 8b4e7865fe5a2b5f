/**
 * Ollama (`enrichment:llm:Ollama`), planned under Pulumi mocks: device plugin, GPU StatefulSet,
 * model PVC, probes and the model-pull Job on Kubernetes (prod); the container, its volume,
 * healthcheck and GPU request on Docker (dev).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as docker from '@pulumi/docker';
import { describe, expect, it } from 'vitest';
import type { InfraConfig, StackName } from '../../infra/src/config.js';
import { ANNOTATION, LABEL, WORKLOAD } from '../../infra/src/conventions.js';
import { byName, ofType, type Plan } from '../../infra/src/plan.js';
import type { Target } from '../../infra/src/types.js';
import { NetworkSegmentation } from '../../infra/src/components/network.js';
import { MODEL_PULL_ATTEMPTS, MODEL_PULL_SCRIPT, Ollama, OLLAMA_TYPE } from '../../infra/src/components/ollama.js';
import { expectSchemaValid, planComponent, testTarget, TYPE } from './support.js';

const { statefulSet: STS, daemonSet: DS, job: JOB, service: SVC, pdb: PDB, container: CONTAINER } = TYPE;

/** Secret config values: none may appear anywhere in Ollama's resources. */
const SECRETS = { anthropicApiKey: 'sk-ant-must-not-leak-0001', mongodbRootPassword: 'root-password-must-not-leak-0002' };

/** Docker: the real networks of NetworkSegmentation (the test checks their names); Kubernetes: the stand-in target. */
function target(config: InfraConfig, stack: StackName): Target {
  if (config.target === 'kubernetes') return testTarget(config);
  const provider = new docker.Provider('docker', {});
  const base = { kind: 'docker', provider } as unknown as Target;
  const network = new NetworkSegmentation('network', { stack, config, target: base });
  return { kind: 'docker', provider, ...network.dockerNetworks() };
}

async function plan(stack: 'prod' | 'staging' | 'dev', overrides?: Record<string, unknown>): Promise<{ plan: Plan; ollama: Ollama }> {
  const { plan: p, component: ollama } = await planComponent(stack, (args) => new Ollama('ollama', args), {
    secrets: SECRETS,
    overrides,
    target,
    outputs: (c) => ({ url: c.url }),
  });
  return { plan: p, ollama };
}

const ownResources = (p: Plan) => p.resources.filter((r) => r.name.startsWith('ollama'));

describe('Ollama on Kubernetes (prod)', () => {
  it('runs one replica on the GPU pool with an nvidia.com/gpu limit and a 50Gi model PVC', async () => {
    const { plan: p, ollama } = await plan('prod');
    expect(ofType(p, OLLAMA_TYPE)).toHaveLength(1);
    const sts = byName(p, STS, 'ollama-statefulset').inputs;
    expect(sts.metadata).toMatchObject({ name: 'ollama', namespace: 'enrichment' });
    expect(sts.spec.replicas).toBe(1);
    const pod = sts.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.runtimeClassName).toBeUndefined();
    const c = pod.containers[0];
    expect(c.image).toBe('ollama/ollama:0.12.6');
    expect(c.resources).toEqual({
      requests: { cpu: '2', memory: '16Gi', 'nvidia.com/gpu': '1' },
      limits: { cpu: '8', memory: '48Gi', 'nvidia.com/gpu': '1' },
    });
    expect(c.volumeMounts).toEqual([{ name: 'models', mountPath: '/root/.ollama' }]);
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('models');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(ollama.url).toBe('http://ollama.enrichment.svc.cluster.local:11434');
    expect(p.outputs).toEqual({ url: 'http://ollama.enrichment.svc.cluster.local:11434' });
    await expectSchemaValid([byName(p, STS, 'ollama-statefulset')]);
  });

  it('probes: readiness on /api/tags, liveness, and a 10-minute startup probe', async () => {
    const { plan: p } = await plan('prod');
    const c = byName(p, STS, 'ollama-statefulset').inputs.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/tags', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/api/tags', port: 'http' });
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBe(600);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 11434, protocol: 'TCP' }]);
  });

  it('is reachable only through a ClusterIP (headless) Service, and has a PDB that allows drains', async () => {
    const { plan: p } = await plan('prod');
    const services = ofType(p, SVC);
    expect(services).toHaveLength(1);
    const svc = services[0]!.inputs;
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 11434, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual({ [LABEL.name]: WORKLOAD.ollama });
    const pdb = byName(p, PDB, 'ollama-pdb').inputs;
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { [LABEL.name]: WORKLOAD.ollama } } });
    await expectSchemaValid([services[0]!, byName(p, PDB, 'ollama-pdb')]);
  });

  it('installs the NVIDIA device plugin on the GPU pool as a node-critical DaemonSet', async () => {
    const { plan: p } = await plan('prod');
    const ds = byName(p, DS, 'ollama-nvidia-device-plugin').inputs;
    expect(ds.metadata.namespace).toBe('kube-system');
    const pod = ds.spec.template.spec;
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(pod.containers[0].image).toMatch(/^nvcr\.io\/nvidia\/k8s-device-plugin:v\d/);
    expect(pod.containers[0].resources.limits).toBeDefined();
    expect(pod.containers[0].readinessProbe).toBeDefined();
    expect(pod.containers[0].livenessProbe).toBeDefined();
    await expectSchemaValid([byName(p, DS, 'ollama-nvidia-device-plugin')]);
  });

  it('pulls llama3.2 and mixtral with a Job through /api/pull, annotated with the models', async () => {
    const { plan: p } = await plan('prod');
    const job = byName(p, JOB, 'ollama-model-pull').inputs;
    expect(job.metadata).toMatchObject({ name: 'ollama-models', namespace: 'enrichment' });
    expect(job.metadata.annotations).toEqual({ [ANNOTATION.ollamaModels]: 'llama3.2,mixtral' });
    expect(job.spec.template.metadata.labels[LABEL.name]).toBe(WORKLOAD.ollamaModels);
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toMatch(/^curlimages\/curl:/);
    expect(c.command).toEqual(['/bin/sh', '-c', MODEL_PULL_SCRIPT]);
    expect(c.env).toEqual([
      { name: 'OLLAMA_URL', value: 'http://ollama.enrichment.svc.cluster.local:11434' },
      { name: 'MODELS', value: 'llama3.2 mixtral' },
    ]);
    expect(MODEL_PULL_SCRIPT).toContain('/api/pull');
    expect(MODEL_PULL_SCRIPT).toContain('\\"stream\\":false');
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // Not a postStart hook on the server (it races the server it calls).
    const server = byName(p, STS, 'ollama-statefulset').inputs.spec.template.spec.containers[0];
    expect(server.lifecycle).toBeUndefined();
    await expectSchemaValid([byName(p, JOB, 'ollama-model-pull')]);
  });

  /** Runs the pull script against a fake `curl` (and a no-op `sleep`); returns exit status and curl calls. */
  function runPullScript(fakeCurlBody: string): { status: number; calls: string[] } {
    const dir = mkdtempSync(path.join(tmpdir(), 'ollama-pull-'));
    writeFileSync(path.join(dir, 'curl'), `#!/bin/sh\necho "$@" >> "${dir}/calls"\n${fakeCurlBody}\n`, { mode: 0o755 });
    writeFileSync(path.join(dir, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { PATH: `${dir}:/usr/bin:/bin`, OLLAMA_URL: 'http://ollama:11434', MODELS: 'llama3.2 mixtral' };
    const result = spawnSync('sh', ['-c', MODEL_PULL_SCRIPT], { env, encoding: 'utf8' });
    return { status: result.status ?? -1, calls: readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') };
  }

  it('the pull script posts {"model": m, "stream": false} for each model, then checks /api/tags', () => {
    const ok = runPullScript(
      `case "$*" in *api/pull*) echo '{"status":"success"}';; *) echo '{"models":[{"name":"llama3.2:latest"},{"name":"mixtral:latest"}]}';; esac`,
    );
    expect(ok.status).toBe(0);
    expect(ok.calls[0]).toBe('-fsS http://ollama:11434/api/tags');
    expect(ok.calls.filter((c) => c.includes('/api/pull'))).toEqual([
      `-fsS --max-time 10800 -H Content-Type: application/json -d {"model":"llama3.2","stream":false} http://ollama:11434/api/pull`,
      `-fsS --max-time 10800 -H Content-Type: application/json -d {"model":"mixtral","stream":false} http://ollama:11434/api/pull`,
    ]);
    expect(ok.calls.at(-1)).toBe('-fsS http://ollama:11434/api/tags');
  });

  it('the pull script fails after MODEL_PULL_ATTEMPTS failed pulls, and when a model is missing from /api/tags', () => {
    const failing = runPullScript(`case "$*" in *api/pull*) exit 22;; *) echo '{"models":[]}';; esac`);
    expect(failing.status).toBe(1);
    expect(failing.calls.filter((c) => c.includes('/api/pull'))).toHaveLength(MODEL_PULL_ATTEMPTS);
    const missing = runPullScript(`case "$*" in *api/pull*) echo '{"status":"success"}';; *) echo '{"models":[{"name":"llama3.2:latest"}]}';; esac`);
    expect(missing.status).toBe(1);
  });

  it('declares no literal secret in any Ollama resource', async () => {
    const { plan: p } = await plan('prod');
    const text = JSON.stringify(ownResources(p).map((r) => r.inputs));
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(ownResources(p).length).toBeGreaterThan(4);
  });

  it('sets runtimeClassName when configured, and drops GPU settings when the GPU is disabled', async () => {
    const withRuntime = await plan('prod', { ollama: { gpu: { runtimeClassName: 'nvidia', count: 2 } } });
    const pod = byName(withRuntime.plan, STS, 'ollama-statefulset').inputs.spec.template.spec;
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('2');

    const cpuOnly = await plan('prod', { ollama: { gpu: { enabled: false } } });
    const cpuPod = byName(cpuOnly.plan, STS, 'ollama-statefulset').inputs.spec.template.spec;
    expect(cpuPod.containers[0].resources.limits).not.toHaveProperty('nvidia.com/gpu');
    expect(cpuPod.nodeSelector).toBeUndefined();
    expect(ofType(cpuOnly.plan, DS)).toEqual([]);
  });

  it('a 20Gi override still builds (the policy pack, not the config, refuses it)', async () => {
    const { plan: p } = await plan('prod', { ollama: { storageSize: '20Gi' } });
    expect(byName(p, STS, 'ollama-statefulset').inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
  });
});

describe('Ollama on Docker (dev)', () => {
  it('runs a restartable, limited, health-checked container on the backend network with a model volume', async () => {
    const { plan: p, ollama } = await plan('dev');
    expect(p.resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
    const c = byName(p, CONTAINER, 'ollama-container').inputs;
    expect(c.name).toBe('ollama');
    expect(c.restart).toBe('unless-stopped');
    expect(c.memory).toBe(16384);
    expect(c.cpus).toBe('4');
    expect(c.healthcheck.tests).toEqual(['CMD', 'ollama', 'list']);
    expect(c.volumes).toEqual([{ volumeName: 'enrichment-platform-ollama-models', containerPath: '/root/.ollama' }]);
    expect(c.networksAdvanced).toEqual([
      { name: 'enrichment-platform-backend', aliases: ['ollama'] },
      { name: 'enrichment-platform-ollama-egress' },
    ]);
    expect(c.networksAdvanced.map((n: { name: string }) => n.name)).not.toContain('enrichment-platform-frontend');
    expect(c.ports).toBeUndefined();
    expect(c.deviceRequests).toBeUndefined();
    expect(c.labels).toContainEqual({ label: LABEL.name, value: 'ollama' });
    expect(ollama.url).toBe('http://ollama:11434');
    expect(byName(p, 'docker:index/volume:Volume', 'ollama-models').inputs.name).toBe('enrichment-platform-ollama-models');
  });

  it('pulls the models with a one-shot container labelled with them', async () => {
    const { plan: p } = await plan('dev');
    const pull = byName(p, CONTAINER, 'ollama-model-pull').inputs;
    expect(pull.envs).toEqual(['OLLAMA_HOST=http://ollama:11434', 'MODELS=llama3.2 mixtral']);
    expect(pull.command[0]).toContain('ollama pull "$m"');
    expect(pull.mustRun).toBe(false);
    expect(pull.labels).toContainEqual({ label: ANNOTATION.ollamaModels, value: 'llama3.2,mixtral' });
    expect(pull.networksAdvanced).toEqual([{ name: 'enrichment-platform-backend' }]);
  });

  it('requests the GPUs when enabled', async () => {
    const { plan: p } = await plan('dev', { ollama: { gpu: { enabled: true, count: 1 } } });
    expect(byName(p, CONTAINER, 'ollama-container').inputs.deviceRequests).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
  });
});

