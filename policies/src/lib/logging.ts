/**
 * The central log store of a stack, on either target: Loki servers (Kubernetes workloads and
 * Docker containers labelled `loki`, or running a grafana/loki image) and Loki configuration
 * files (ConfigMap values, Secret values or container uploads; `configDocuments`).
 */
import type { PolicyResource } from '@pulumi/policy';
import { MONITORING_WORKLOAD } from '../../../infra/src/conventions.js';
import { DOCKER_TYPE, dockerContainerOf } from './docker.js';
import { containersOf, describe, describeContainer } from './kubernetes.js';
import { isOneShotContainer, stackWorkloads } from './policy.js';
import { isRecord } from './values.js';

/** An image of Grafana Loki (`grafana/loki:3.5.8`, `docker.io/grafana/loki@sha256:…`). */
const LOKI_IMAGE = /(^|\/)grafana\/loki(:|@|$)/;

/** A running Loki server: where it is declared. */
export interface LokiServer {
  /** `StatefulSet 'loki' container 'loki'` or `container 'loki'`. */
  where: string;
  urn: string;
}

/** Every Loki server container of the stack (long-running workloads and containers only). */
export function lokiServers(resources: readonly PolicyResource[]): LokiServer[] {
  const servers: LokiServer[] = [];
  for (const w of stackWorkloads(resources).filter((x) => x.longRunning)) {
    for (const c of containersOf(w.podSpec).filter((ref) => !ref.init)) {
      const image = typeof c.container.image === 'string' ? c.container.image : '';
      if (LOKI_IMAGE.test(image) || w.workload === MONITORING_WORKLOAD.loki) servers.push({ where: `${describe(w)} ${describeContainer(c)}`, urn: w.urn });
    }
  }
  for (const r of resources.filter((x) => x.type === DOCKER_TYPE.Container && !isOneShotContainer(x.props))) {
    const c = dockerContainerOf(r.props);
    const image = typeof r.props.image === 'string' ? r.props.image : '';
    if (c.workload === MONITORING_WORKLOAD.loki || LOKI_IMAGE.test(image)) servers.push({ where: `container '${c.name}'`, urn: r.urn });
  }
  return servers;
}

/**
 * A Loki configuration (`loki.yaml`): has `schema_config` (every Loki config that stores
 * anything declares its schema) and at least one of `limits_config`, `compactor`, `common`.
 */
export function isLokiConfig(doc: unknown): doc is { limits_config?: unknown; compactor?: unknown; schema_config: unknown } {
  return isRecord(doc) && isRecord(doc.schema_config) && (isRecord(doc.limits_config) || isRecord(doc.compactor) || isRecord(doc.common));
}
