/**
 * The Prometheus servers of a stack, on either target: Kubernetes workloads and Docker containers
 * labelled `prometheus`, and their command lines (where the retention flag lives).
 */
import type { PolicyResource } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { DOCKER_TYPE, dockerContainerOf } from './docker.js';
import { commandLine, containersOf, describe, describeContainer } from './kubernetes.js';
import { isOneShotContainer, stackWorkloads } from './policy.js';

/** A running Prometheus server: where it is declared and its command line. */
export interface PrometheusServer {
  /** `StatefulSet 'prometheus' container 'prometheus'` or `container 'prometheus'`. */
  where: string;
  urn: string;
  argv: string[];
}

/** An image of Prometheus (`prom/prometheus:v3.7.3`, `quay.io/prometheus/prometheus`). */
const PROMETHEUS_IMAGE = /(^|\/)prom(etheus)?\/prometheus(:|@|$)/;

/** Every Prometheus server container of the stack. */
export function prometheusServers(resources: readonly PolicyResource[]): PrometheusServer[] {
  const servers: PrometheusServer[] = [];
  for (const w of stackWorkloads(resources).filter((x) => x.longRunning && x.workload === WORKLOAD.prometheus)) {
    for (const c of containersOf(w.podSpec).filter((ref) => !ref.init)) {
      const image = typeof c.container.image === 'string' ? c.container.image : '';
      if (PROMETHEUS_IMAGE.test(image) || c.name === WORKLOAD.prometheus) servers.push({ where: `${describe(w)} ${describeContainer(c)}`, urn: w.urn, argv: commandLine(c.container) });
    }
  }
  for (const r of resources.filter((x) => x.type === DOCKER_TYPE.Container && !isOneShotContainer(x.props))) {
    const c = dockerContainerOf(r.props);
    if (c.workload === WORKLOAD.prometheus) servers.push({ where: `container '${c.name}'`, urn: r.urn, argv: c.command });
  }
  return servers;
}
