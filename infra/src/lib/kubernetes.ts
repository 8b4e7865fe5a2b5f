/**
 * Pieces of Kubernetes objects that every component writes the same way: secret env vars,
 * security contexts, HTTP probes, volume claims, node spreading, PodDisruptionBudgets, one-shot
 * Job replacement and Helm releases. Each follows a line of the component rules (issue 4) or of
 * the checklist, named on the function.
 */
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { SecretRef } from '../types.js';
import type { Labels } from './labels.js';

/** An env var read from a key of a Secret. */
export interface SecretKeyRefEnv {
  name: string;
  valueFrom: { secretKeyRef: { name: string; key: string; optional?: boolean } };
}

/**
 * An env var whose value comes from a Secret (`valueFrom.secretKeyRef`): the only way a secret
 * reaches a container's environment (component rules "never a literal secret in env").
 *
 * @param name     the env var, e.g. `MONGODB_URI`.
 * @param ref      the Secret and key (a {@link SecretRef}, or any `{ secretName, key }`).
 * @param options  `optional`: the pod starts when the key is absent (`secretKeyRef.optional`).
 */
export function secretKeyRefEnv(name: string, ref: Pick<SecretRef, 'secretName' | 'key'>, options: { optional?: boolean } = {}): SecretKeyRefEnv {
  return { name, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key, ...(options.optional ? { optional: true } : {}) } } };
}

/**
 * A pod `securityContext` that runs as a non-root user with the runtime's default seccomp
 * profile (component rules "runs as non-root where the image allows").
 *
 * @param uid     `runAsUser`.
 * @param options `gid`: `runAsGroup` (default `uid`); `fsGroup` (default true): also make mounted
 *                volumes group-owned by `gid`, for images that write to their volumes.
 */
export function podSecurityContext(uid: number, options: { gid?: number; fsGroup?: boolean } = {}) {
  const gid = options.gid ?? uid;
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    ...((options.fsGroup ?? true) ? { fsGroup: gid } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * A container `securityContext` without privilege escalation or Linux capabilities.
 *
 * @param options `readOnlyRootFilesystem`: set when given (true or false; left out otherwise);
 *                `runAsNonRoot`: also refuse to start as root (for images with a non-root user).
 */
export function containerSecurityContext(options: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean } = {}) {
  return {
    allowPrivilegeEscalation: false,
    ...(options.readOnlyRootFilesystem !== undefined ? { readOnlyRootFilesystem: options.readOnlyRootFilesystem } : {}),
    ...(options.runAsNonRoot ? { runAsNonRoot: true } : {}),
    capabilities: { drop: ['ALL'] },
  };
}

/** Timing of a probe, seconds (Kubernetes defaults differ: every field is written out). */
export interface ProbeTiming {
  periodSeconds: number;
  /** Consecutive failures before the probe fails; default 3. */
  failureThreshold?: number;
  /** Default 5. */
  timeoutSeconds?: number;
  /** Left out (Kubernetes: 0) unless given. */
  initialDelaySeconds?: number;
}

/**
 * An `httpGet` liveness, readiness or startup probe (checklist Phase 9b "Health Checks"; component
 * rules "HTTP where the service has one").
 *
 * @param target `path`, `port` (number or the container port's name) and, for HTTPS, `scheme`.
 * @param timing see {@link ProbeTiming}.
 */
export function httpGetProbe(target: { path: string; port: number | string; scheme?: 'HTTP' | 'HTTPS' }, timing: ProbeTiming) {
  return {
    httpGet: { path: target.path, port: target.port, ...(target.scheme ? { scheme: target.scheme } : {}) },
    ...(timing.initialDelaySeconds !== undefined ? { initialDelaySeconds: timing.initialDelaySeconds } : {}),
    periodSeconds: timing.periodSeconds,
    timeoutSeconds: timing.timeoutSeconds ?? 5,
    failureThreshold: timing.failureThreshold ?? 3,
  };
}

/** A PersistentVolumeClaim spec: one node read-write, `storage` requested (e.g. `50Gi`). */
export function readWriteOnceClaimSpec(storage: string) {
  return { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } };
}

/**
 * A StatefulSet `volumeClaimTemplates` entry: a PVC per pod (component rules "StatefulSets use
 * volumeClaimTemplates"), labelled like its workload.
 */
export function volumeClaimTemplate(name: string, labels: Labels, storage: string) {
  return { metadata: { name, labels }, spec: readWriteOnceClaimSpec(storage) };
}

/** Pod affinity that prefers one pod per node, so a node failure takes one replica at most. */
export function preferOnePodPerNode(matchLabels: Labels) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels } } }],
    },
  };
}

/**
 * A PodDisruptionBudget allowing one pod of the workload out at a time (`maxUnavailable: 1`):
 * drains proceed one replica at a time and never block (component rules "every stateful workload
 * has a PDB ... never blocking all disruption").
 *
 * @param resourceName the Pulumi name (`<component>-<id>-pdb`).
 * @param metadata     `name`, `namespace` and `labels` of the object.
 * @param matchLabels  the pods it covers (the workload's selector).
 */
export function podDisruptionBudget(
  resourceName: string,
  metadata: { name: string; namespace: string; labels: Labels },
  matchLabels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(resourceName, { metadata, spec: { maxUnavailable: 1, selector: { matchLabels } } }, opts);
}

/**
 * Resource options of a one-shot Job with a fixed name: its pod template is immutable, so a
 * change deletes the old Job before creating the new one, and `pulumi up` waits up to the Job's
 * deadline for it to complete.
 */
export function oneShotJobOptions(deadlineSeconds: number): Pick<pulumi.CustomResourceOptions, 'deleteBeforeReplace' | 'customTimeouts'> {
  return { deleteBeforeReplace: true, customTimeouts: { create: `${deadlineSeconds}s`, update: `${deadlineSeconds}s` } };
}

/**
 * Installs a Helm chart into a namespace of its own (created by Helm), atomically: a failed
 * install or upgrade is rolled back. `values` must hold no secret: Helm stores them in the
 * release, readable by anyone with access to the namespace.
 *
 * @param resourceName the Pulumi name.
 * @param chart        the chart, also the release name; `version` pinned; `repo` its repository URL.
 */
export function helmRelease(
  resourceName: string,
  chart: { chart: string; version: string; namespace: string; repo: string; values: Record<string, unknown> },
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    resourceName,
    {
      name: chart.chart,
      chart: chart.chart,
      version: chart.version,
      namespace: chart.namespace,
      createNamespace: true,
      repositoryOpts: { repo: chart.repo },
      values: chart.values,
      atomic: true,
    },
    opts,
  );
}
