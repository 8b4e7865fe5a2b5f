/**
 * In-cluster (or in-network) addresses of every service, derived from the stack config and the
 * naming conventions, so components can wire each other up without waiting on each other.
 */
import { AGENT_NAMES, type AgentName } from '../../app/src/domain/fields.js';
import type { InfraConfig } from './config.js';
import { agentWorkload, PORT, WORKLOAD } from './conventions.js';

/** MongoDB replica set name (`--replSet`). */
export const MONGODB_REPLICA_SET = 'rs0';

export interface Endpoints {
  /** `host:port` of every MongoDB member, in order (member 0 initiates the replica set). */
  mongodbHosts: string[];
  /** The app's `MONGODB_URI` without credentials (user and password are added from the Secret). */
  mongodbUriTemplate: (user: string, password: string) => string;
  /** `host:port` of the nsqd Service (publishers; `NSQD_TCP_ADDRESS`). */
  nsqdTcp: string;
  /** `host:port` of the nsqd HTTP API (`NSQD_HTTP_ADDRESS`). */
  nsqdHttp: string;
  /** nsqd pods' own HTTP addresses (the topic Job creates topics on each). */
  nsqdPodsHttp: string[];
  /** `host:port` of the exporter of each nsqd, in nsqd order (`/metrics`; exporter i reads nsqd i). */
  nsqExportersHttp: string[];
  /** `host:port` of every nsqlookupd HTTP API (`NSQLOOKUPD_HTTP_ADDRESSES`). */
  nsqlookupdHttp: string[];
  /** nsqlookupd TCP addresses (nsqd `--lookupd-tcp-address`). */
  nsqlookupdTcp: string[];
  /** `http://host:11434` (`OLLAMA_HOST`). */
  ollamaUrl: string;
  /** MCP endpoint of each agent (`AGENT_URLS`). */
  agentUrls: Record<AgentName, string>;
}

/**
 * @param config    the stack config.
 * @param namespace Kubernetes namespace, or undefined on Docker (container names resolve on the
 *                  Docker network).
 */
export function endpoints(config: InfraConfig, namespace?: string): Endpoints {
  const svc = (name: string) => (namespace ? `${name}.${namespace}.svc.cluster.local` : name);
  const pod = (set: string, i: number) => (namespace ? `${set}-${i}.${set}.${namespace}.svc.cluster.local` : i === 0 ? set : `${set}-${i}`);
  const range = (n: number) => Array.from({ length: Math.max(1, n) }, (_, i) => i);
  const mongodbHosts = range(config.mongodb.replicas).map((i) => `${pod(WORKLOAD.mongodb, i)}:${PORT.mongodb}`);
  const rs = config.mongodb.replicas > 1 || config.target === 'kubernetes' ? `&replicaSet=${MONGODB_REPLICA_SET}` : '';
  return {
    mongodbHosts,
    mongodbUriTemplate: (user, password) =>
      `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${mongodbHosts.join(',')}/${config.mongodb.database}?authSource=admin${rs}`,
    nsqdTcp: `${svc(WORKLOAD.nsqd)}:${PORT.nsqdTcp}`,
    nsqdHttp: `${svc(WORKLOAD.nsqd)}:${PORT.nsqdHttp}`,
    nsqdPodsHttp: range(config.nsq.nsqdReplicas).map((i) => `${pod(WORKLOAD.nsqd, i)}:${PORT.nsqdHttp}`),
    nsqExportersHttp: range(config.nsq.nsqdReplicas).map((i) => `${pod(WORKLOAD.nsqExporter, i)}:${PORT.nsqExporter}`),
    nsqlookupdHttp: range(config.nsq.nsqlookupdReplicas).map((i) => `${pod(WORKLOAD.nsqlookupd, i)}:${PORT.nsqlookupdHttp}`),
    nsqlookupdTcp: range(config.nsq.nsqlookupdReplicas).map((i) => `${pod(WORKLOAD.nsqlookupd, i)}:${PORT.nsqlookupdTcp}`),
    ollamaUrl: `http://${svc(WORKLOAD.ollama)}:${PORT.ollama}`,
    agentUrls: Object.fromEntries(
      AGENT_NAMES.map((a) => [a, `http://${svc(agentWorkload(a))}:${PORT.agent}/mcp`]),
    ) as Record<AgentName, string>,
  };
}
