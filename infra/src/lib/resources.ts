/**
 * Container sizes, from the one form the stack config uses (`ContainerResources`: Kubernetes
 * quantities such as `500m`, `512Mi`, `2`, `1G`) to what each target takes: a Kubernetes
 * `resources` block, or Docker's `cpus` (cores) and `memory` (MiB).
 *
 * Checklist Phase 9c "CPU/memory limits set" on every container, both targets.
 */
import type { ContainerResources } from '../config.js';
import { parseQuantity } from './quantities.js';

/** A Kubernetes container `resources` block: requests and limits, each a map of resource name → quantity. */
export interface K8sResources {
  requests: Record<string, string>;
  limits: Record<string, string>;
}

/**
 * Kubernetes `resources` from the config's requests and limits.
 *
 * @param r     the config's quantities (`cpuRequest`, `memoryRequest`, `cpuLimit`, `memoryLimit`).
 * @param extra extended resources set as both request and limit (Kubernetes requires the two to
 *              be equal for them), e.g. `{ 'nvidia.com/gpu': '1' }`.
 * @example k8sResources({ cpuRequest: '100m', memoryRequest: '256Mi', cpuLimit: '1', memoryLimit: '1Gi' })
 *   // { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } }
 */
export function k8sResources(r: ContainerResources, extra: Record<string, string> = {}): K8sResources {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest, ...extra },
    limits: { cpu: r.cpuLimit, memory: r.memoryLimit, ...extra },
  };
}

/** The CPU and memory quantities Docker can take (a subset of what Kubernetes accepts). */
const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY_RE = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/**
 * A Kubernetes CPU quantity as Docker `cpus` (cores, decimal string, at most three decimals):
 * `'500m'` → `'0.5'`, `'2'` → `'2'`, `'1.5'` → `'1.5'`.
 *
 * @throws RangeError `not a CPU quantity: '<q>'` for anything but cores or millicores.
 */
export function dockerCpus(quantity: string): string {
  if (!CPU_RE.test(quantity)) throw new RangeError(`not a CPU quantity: '${quantity}'`);
  return String(Number(parseQuantity(quantity).toFixed(3)));
}

/**
 * A Kubernetes memory quantity as Docker `memory` (MiB, which the Docker provider calls MB),
 * rounded up: `'512Mi'` → 512, `'1Gi'` → 1024, `'1G'` → 954, `'16Gi'` → 16384.
 *
 * @throws RangeError `not a memory quantity: '<q>'` for a unit Docker cannot take (e.g. `m`, millibytes).
 */
export function dockerMemoryMb(quantity: string): number {
  if (!MEMORY_RE.test(quantity)) throw new RangeError(`not a memory quantity: '${quantity}'`);
  return Math.ceil(parseQuantity(quantity) / 2 ** 20);
}

/** Docker container limits: `cpus` (cores), `memory` (MiB) and, when asked, `memoryReservation` (MiB). */
export interface DockerLimits {
  cpus: string;
  memory: number;
  memoryReservation?: number;
}

/**
 * Docker `cpus` and `memory` from the config's limits.
 *
 * @param r       the config's quantities.
 * @param options `reserveMemory`: also set `memoryReservation` from `memoryRequest` (Docker's
 *                soft limit, the closest it has to a request).
 * @throws RangeError from {@link dockerCpus} / {@link dockerMemoryMb} for a quantity Docker cannot take.
 */
export function dockerLimits(r: ContainerResources, options: { reserveMemory?: boolean } = {}): DockerLimits {
  return {
    cpus: dockerCpus(r.cpuLimit),
    memory: dockerMemoryMb(r.memoryLimit),
    ...(options.reserveMemory ? { memoryReservation: dockerMemoryMb(r.memoryRequest) } : {}),
  };
}
