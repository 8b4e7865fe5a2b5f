/**
 * What every ComponentResource of the infra program receives: the stack, its validated config and
 * the deployment target (a Kubernetes provider and namespaces, or a Docker provider and networks).
 */
import type * as docker from '@pulumi/docker';
import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { InfraConfig, StackName } from './config.js';

/** staging and prod: one cluster, the app namespace and the monitoring namespace. */
export interface KubernetesTarget {
  kind: 'kubernetes';
  provider: k8s.Provider;
  /** App and data tier namespace name (`config.namespace`). */
  namespace: string;
  /** Prometheus, Alertmanager and Grafana. */
  monitoringNamespace: string;
  /** The Namespace resources, to depend on. */
  namespaces: k8s.core.v1.Namespace[];
}

/**
 * dev: the local Docker engine. `backend` is an internal network (no route out; checklist
 * 9a-net-04: internal traffic stays on a private network); `frontend` carries the published API
 * ports and the agents' egress to the Claude API.
 */
export interface DockerTarget {
  kind: 'docker';
  provider: docker.Provider;
  backendNetwork: docker.Network;
  frontendNetwork: docker.Network;
}

export type Target = KubernetesTarget | DockerTarget;

/** Arguments every component takes. */
export interface ComponentBaseArgs {
  stack: StackName;
  config: InfraConfig;
  target: Target;
}

/**
 * Where a secret lives. Kubernetes: a key of a Secret, used through `secretKeyRef` or a Secret
 * volume. Docker: a file uploaded into the container at `/run/secrets/<file>`, read by the app
 * through `<KEY>_FILE` (see `FILE_BACKED_KEYS` in `app/src/config.ts`).
 */
export interface SecretRef {
  /** Kubernetes Secret name. */
  secretName: string;
  /** Key inside the Secret; also the file name under /run/secrets on Docker. */
  key: string;
  /** The value, a Pulumi secret; used for Docker uploads, never placed in env. */
  value: pulumi.Output<string>;
}
