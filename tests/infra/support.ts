/**
 * What the infra tests share: planning one component on a stand-in target (as `platform.ts` would
 * construct it), reading workloads, pod specs and containers out of a plan, stand-in secret refs,
 * scanning declared inputs for secret values, and validating objects against the Kubernetes
 * schemas (`kubernetes-models`, through `kubernetesModel` of `infra/src/validate.ts`).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { expect } from 'vitest';
import type { InfraConfig, StackName } from '../../infra/src/config.js';
import { LABEL, MONITORING_NAMESPACE, PART_OF } from '../../infra/src/conventions.js';
import { planStack, type Plan, type PlannedResource } from '../../infra/src/plan.js';
import type { ComponentBaseArgs, SecretRef, Target } from '../../infra/src/types.js';
import { kubernetesModel } from '../../infra/src/validate.js';

/** Type tokens the tests look resources up by. */
export const TYPE = {
  deployment: 'kubernetes:apps/v1:Deployment',
  statefulSet: 'kubernetes:apps/v1:StatefulSet',
  daemonSet: 'kubernetes:apps/v1:DaemonSet',
  job: 'kubernetes:batch/v1:Job',
  cronJob: 'kubernetes:batch/v1:CronJob',
  service: 'kubernetes:core/v1:Service',
  configMap: 'kubernetes:core/v1:ConfigMap',
  secret: 'kubernetes:core/v1:Secret',
  pdb: 'kubernetes:policy/v1:PodDisruptionBudget',
  container: 'docker:index/container:Container',
  volume: 'docker:index/volume:Volume',
  network: 'docker:index/network:Network',
} as const;

/** Kubernetes workload types whose inputs carry a pod template (long-running ones first). */
export const POD_WORKLOAD_TYPES: readonly string[] = [TYPE.deployment, TYPE.statefulSet, TYPE.daemonSet, TYPE.job, TYPE.cronJob];

/** Names of the Docker networks of {@link testTarget}: `backend` is internal, `frontend` a bridge. */
export const TEST_NETWORK = { backend: 'backend', frontend: 'frontend' } as const;

/**
 * The target a component gets from `createPlatform`, stood in: Kubernetes: provider `k8s` and
 * Namespace resources `ns-<name>` for the app namespace and `monitoring`; Docker: provider `docker`
 * and the networks of {@link TEST_NETWORK}. Call it inside a plan's program.
 */
export function testTarget(config: InfraConfig): Target {
  if (config.target === 'docker') {
    const provider = new docker.Provider('docker', {});
    const net = (name: string) => new docker.Network(name, { name, internal: name === TEST_NETWORK.backend }, { provider });
    return { kind: 'docker', provider, backendNetwork: net(TEST_NETWORK.backend), frontendNetwork: net(TEST_NETWORK.frontend) };
  }
  const provider = new k8s.Provider('k8s', {});
  const namespaces = [config.namespace, MONITORING_NAMESPACE].map((name) => new k8s.core.v1.Namespace(`ns-${name}`, { metadata: { name } }, { provider }));
  return { kind: 'kubernetes', provider, namespace: config.namespace, monitoringNamespace: MONITORING_NAMESPACE, namespaces };
}

/** Options of {@link planComponent}. */
export interface PlanComponentOptions<C> {
  /** Deep-merged over the stack file (see `planStack`). */
  overrides?: Record<string, unknown>;
  /** Secret stack config values (see `planStack`). */
  secrets?: Record<string, string>;
  /** The target to build on; default {@link testTarget}. */
  target?: (config: InfraConfig, stack: StackName) => Target;
  /** The program's stack outputs, from the component; default `{}`. */
  outputs?: (component: C) => Record<string, unknown>;
}

/**
 * Plans one component alone, under mocks, from the real `Pulumi.<stack>.yaml`.
 *
 * @param stack  the stack file and the `stack` argument.
 * @param create builds the component from the common args (`stack`, `config`, `target`).
 * @returns the plan and the component instance (to read its outputs).
 * @throws InfraConfigError when the merged config is invalid; whatever `create` throws.
 */
export async function planComponent<C>(
  stack: StackName,
  create: (args: ComponentBaseArgs) => C,
  options: PlanComponentOptions<C> = {},
): Promise<{ plan: Plan; component: C }> {
  let component: C | undefined;
  const plan = await planStack(stack, {
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    program: (config) => {
      const target = options.target ? options.target(config, stack) : testTarget(config);
      component = create({ stack, config, target });
      return options.outputs ? options.outputs(component) : {};
    },
  });
  return { plan, component: component! };
}

/** A stand-in {@link SecretRef}: the value is a Pulumi secret, as PlatformSecrets makes it. */
export function standInRef(secretName: string, key: string, value: string): SecretRef {
  return { secretName, key, value: pulumi.secret(value) };
}

/** The plain value of an Output (resolved under mocks). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve) => output.apply(resolve));
}

/** Every string inside a value (deep), with its path (`spec.template.spec.containers[0].env[1].value`). */
export function stringEntries(value: unknown, path = ''): [path: string, text: string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringEntries(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringEntries(v, path ? `${path}.${k}` : k));
  return [];
}

/** Every string inside a value (deep). */
export function strings(value: unknown): string[] {
  return stringEntries(value).map(([, text]) => text);
}

/** The secret values that occur inside any string of `value` (empty: none leaked). */
export function secretsIn(value: unknown, secrets: Iterable<string>): string[] {
  const texts = strings(value);
  return [...secrets].filter((secret) => texts.some((text) => text.includes(secret)));
}

/** The pod spec of a workload resource (a CronJob's is under `jobTemplate`); undefined for other types. */
export function podSpecOf(r: PlannedResource): any {
  const spec = r.inputs.spec ?? {};
  if (r.type === TYPE.cronJob) return spec.jobTemplate?.spec?.template?.spec;
  return spec.template?.spec;
}

/** The pod specs of every workload of a plan ({@link POD_WORKLOAD_TYPES}), with the resource's logical name. */
export function podSpecs(plan: Plan): { name: string; spec: any }[] {
  return plan.resources.filter((r) => POD_WORKLOAD_TYPES.includes(r.type)).map((r) => ({ name: r.name, spec: podSpecOf(r) }));
}

/** Init containers, then containers, of a pod spec. */
export function containersOf(spec: any): any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** The env entry `name` of a Kubernetes container, or undefined. */
export function envVar(container: any, name: string): any {
  return (container.env as any[] | undefined)?.find((e) => e.name === name);
}

/** `app.kubernetes.io/name` of a resource (else its `metadata.name`, else its logical name). */
export function workloadName(r: PlannedResource): string {
  return r.inputs.metadata?.labels?.[LABEL.name] ?? r.inputs.metadata?.name ?? r.name;
}

/** The one resource of `type` labelled `app.kubernetes.io/name: <workload>`. @throws Error unless exactly one. */
export function byWorkload(plan: Plan, type: string, workload: string): PlannedResource {
  const found = plan.resources.filter((r) => r.type === type && workloadName(r) === workload);
  if (found.length !== 1) throw new Error(`${found.length} ${type} labelled ${workload}, expected 1`);
  return found[0]!;
}

/** The Kubernetes object of `kind` whose `metadata.name` is `name`. @throws Error when absent. */
export function objectNamed(plan: Plan, kind: string, name: string): PlannedResource {
  const ofKind = plan.resources.filter((r) => r.custom && r.inputs.kind === kind);
  const found = ofKind.find((r) => r.inputs.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} (have ${ofKind.map((r) => r.inputs.metadata?.name).join(', ') || 'none'})`);
  return found;
}

/** The Docker container named `name` (its `inputs.name`, not the logical name). @throws Error when absent. */
export function containerNamed(plan: Plan, name: string): PlannedResource {
  const found = plan.resources.find((r) => r.type === TYPE.container && r.inputs.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

/** The Docker containers labelled `app.kubernetes.io/name: <workload>` (every replica). */
export function containersLabelled(plan: Plan, workload: string): PlannedResource[] {
  return plan.resources.filter((r) => r.type === TYPE.container && (r.inputs.labels as { label: string; value: string }[] | undefined)?.some((l) => l.label === LABEL.name && l.value === workload));
}

/**
 * Expects each resource's inputs to be a valid object of its `apiVersion`/`kind` per the
 * Kubernetes OpenAPI schemas (types, enums, required fields); a kind without a schema fails.
 */
export async function expectSchemaValid(objects: readonly PlannedResource[]): Promise<void> {
  for (const r of objects) {
    const Model = await kubernetesModel(r.inputs.apiVersion, r.inputs.kind);
    expect(Model, `${r.inputs.apiVersion} ${r.inputs.kind}`).not.toBeNull();
    expect(() => new Model!(r.inputs).validate(), r.name).not.toThrow();
  }
}

/** The Kubernetes objects of a plan (custom `kubernetes:` resources), without the stand-in target's Namespaces. */
export function componentObjects(plan: Plan): PlannedResource[] {
  return plan.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:core/v1:Namespace');
}

/**
 * Expects the metadata every object of the platform carries (`conventions.ts`): an explicit
 * name, the given namespace, and exactly the three recommended labels, part of the platform.
 */
export function expectConventionalMetadata(r: PlannedResource, namespace: string): void {
  expect(r.inputs.metadata.name, r.name).toBeTruthy();
  expect(r.inputs.metadata.namespace, r.name).toBe(namespace);
  expect(Object.keys(r.inputs.metadata.labels).sort(), r.name).toEqual([LABEL.name, LABEL.component, LABEL.partOf].sort());
  expect(r.inputs.metadata.labels[LABEL.partOf], r.name).toBe(PART_OF);
}

/**
 * An HTTP server on 127.0.0.1 (random port) answering 200 on `healthyPath` and 503 elsewhere,
 * for running Docker healthcheck commands against. Close it with `close()`.
 */
export async function startHealthStub(healthyPath: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === healthyPath ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs a Docker healthcheck `tests` array of the `CMD` form as Docker would, asynchronously (a
 * stub server of this process must be able to answer).
 *
 * @returns the exit code (null when killed after 15 s).
 */
export function runHealthcheck(tests: readonly string[]): Promise<number | null> {
  expect(tests[0]).toBe('CMD');
  return new Promise<number | null>((resolve, reject) => {
    const child = spawn(tests[1]!, tests.slice(2), { stdio: 'ignore', timeout: 15_000 });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}
