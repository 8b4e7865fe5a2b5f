/**
 * Pieces of the Docker (dev) target that every component writes the same way: images, container
 * names, healthchecks and secret files.
 *
 * Secrets on Docker (component rules): never in env or command; the value is uploaded into the
 * container as a file under {@link DOCKER_SECRETS_DIR} (the Docker-secrets convention) and the
 * process reads it through `<KEY>_FILE` (`FILE_BACKED_KEYS` in `app/src/config.ts`, `_FILE`
 * variables of the official images).
 */
import * as docker from '@pulumi/docker';
import type * as pulumi from '@pulumi/pulumi';
import type { SecretRef } from '../types.js';

/** Where Docker containers find uploaded secrets. */
export const DOCKER_SECRETS_DIR = '/run/secrets';

/** The file a secret is uploaded to: `/run/secrets/<ref.key>`. */
export function dockerSecretPath(ref: Pick<SecretRef, 'key'>): string {
  return `${DOCKER_SECRETS_DIR}/${ref.key}`;
}

/** A `docker.Container` upload of a secret: readable by its owner only (`0400`). */
export interface SecretFileUpload {
  file: string;
  content: pulumi.Input<string>;
  permissions: '0400';
  owner?: string;
  group?: string;
}

/**
 * Uploads a secret as a file of mode `0400`.
 *
 * @param file    absolute path in the container.
 * @param content the secret (a Pulumi secret output: the upload stays secret in state).
 * @param ids     `owner` / `group` (uid / gid) when the process does not run as root; left out
 *                otherwise (the file belongs to root).
 */
export function secretFileUpload(file: string, content: pulumi.Input<string>, ids: { owner?: number; group?: number } = {}): SecretFileUpload {
  return {
    file,
    content,
    ...(ids.owner !== undefined ? { owner: String(ids.owner) } : {}),
    ...(ids.group !== undefined ? { group: String(ids.group) } : {}),
    permissions: '0400',
  };
}

/** Docker `healthcheck` timings shared by the platform's containers (Docker duration strings). */
export interface HealthcheckTiming {
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

/** The default {@link HealthcheckTiming}: every 30 s, 10 s timeout, 3 retries, 30 s grace. */
export const DOCKER_HEALTHCHECK_TIMING = { interval: '30s', timeout: '10s', retries: 3, startPeriod: '30s' } as const satisfies HealthcheckTiming;

/**
 * A healthcheck fetching `http://127.0.0.1:<port><path>` with busybox `wget` (the Prometheus,
 * Alertmanager, Grafana, blackbox exporter and nsq images have it, not curl); healthy on a 2xx.
 */
export function wgetHealthcheck(port: number, urlPath: string, timing: HealthcheckTiming = DOCKER_HEALTHCHECK_TIMING) {
  return { tests: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}${urlPath}`], ...timing };
}

/**
 * A healthcheck fetching `http://127.0.0.1:<port><path>` with bash's `/dev/tcp` (for images with
 * bash but neither wget nor curl, such as Grafana Alloy's: grafana/alloy#477); healthy when the
 * status line says 200.
 */
export function bashHttpHealthcheck(port: number, urlPath: string, timing: HealthcheckTiming = DOCKER_HEALTHCHECK_TIMING) {
  const request = `GET ${urlPath} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n`;
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf '${request}' >&3 && head -n 1 <&3 | grep -q ' 200 '`;
  return { tests: ['CMD', 'bash', '-c', script], ...timing };
}

/** Rotation of each container's local log files: at most {@link DOCKER_LOG_ROTATION.maxFiles} files of `maxSize`. */
export const DOCKER_LOG_ROTATION = { driver: 'json-file', maxSize: '10m', maxFiles: 5 } as const;

/** The `logDriver` and `logOpts` of a `docker.Container`. */
export interface DockerLogging {
  logDriver: string;
  logOpts: Record<string, string>;
}

/**
 * Local, rotated JSON log files for a container (checklist 9b Logging: logs also kept as local
 * files, for debugging): Docker's `json-file` driver, `max-size` 10m, `max-file` 5, so a
 * container keeps at most 50 MB of logs on the host (`docker logs` reads them). `json-file` is
 * also what the dev log collector reads through the Docker API (`loki.source.docker`). Spread
 * into every `docker.Container` of the platform, one-shot ones included; the policy
 * `docker-container-log-rotation` checks it.
 */
export function dockerLogging(): DockerLogging {
  return { logDriver: DOCKER_LOG_ROTATION.driver, logOpts: { 'max-size': DOCKER_LOG_ROTATION.maxSize, 'max-file': String(DOCKER_LOG_ROTATION.maxFiles) } };
}

/**
 * Docker container names of a workload: the workload name for one replica, `<workload>-<n>`
 * (from 1) for several. Every replica also answers to the workload name (network alias).
 */
export function dockerContainerNames(workload: string, replicas: number): string[] {
  const n = Math.max(1, replicas);
  return n === 1 ? [workload] : Array.from({ length: n }, (_, i) => `${workload}-${i + 1}`);
}

/**
 * Pulls an image from its registry and keeps it after a `pulumi destroy` (a shared dev engine may
 * use it elsewhere).
 *
 * @param resourceName the Pulumi name (`<component>-image`).
 * @param ref          `repository:tag` (or `@sha256:` digest).
 */
export function remoteImage(resourceName: string, ref: string, opts: pulumi.CustomResourceOptions): docker.RemoteImage {
  return new docker.RemoteImage(resourceName, { name: ref, keepLocally: true }, opts);
}
