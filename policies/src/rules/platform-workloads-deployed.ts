/**
 * platform-workloads-deployed: every service of the platform is deployed, on either target.
 * Checklist 9a (MongoDB instance provisioned, NSQ cluster deployed, Ollama deployed) and 9b
 * (Prometheus, Grafana and AlertManager deployed), 9c (the five agents and the two APIs).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { AGENT_WORKLOADS, WORKLOAD } from '../../../infra/src/conventions.js';
import { DOCKER_TYPE, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, isDockerStack, isKubernetesStack, isOneShotContainer, stackWorkloads } from '../lib/policy.js';

/** The long-running services of the platform. */
export const PLATFORM_WORKLOADS: string[] = [
  WORKLOAD.mongodb,
  WORKLOAD.nsqlookupd,
  WORKLOAD.nsqd,
  WORKLOAD.ollama,
  WORKLOAD.worker,
  ...AGENT_WORKLOADS,
  WORKLOAD.reviewApi,
  WORKLOAD.costApi,
  WORKLOAD.prometheus,
  WORKLOAD.alertmanager,
  WORKLOAD.grafana,
];

const DEFAULTS = { workloads: PLATFORM_WORKLOADS };

export const platformWorkloadsDeployed: StackValidationPolicy = {
  name: 'platform-workloads-deployed',
  description:
    'Checklist 9a MongoDB provisioned, NSQ cluster and Ollama deployed, 9b Prometheus, Grafana and AlertManager deployed, 9c services deployed: every workload of workloads (default: the data tier, the worker, the five agents, both APIs and the monitoring stack) runs as a long-running Kubernetes workload or Docker container labelled with its name.',
  severity: 'critical',
  framework: checklist('9a Infrastructure Setup', 'MongoDB, NSQ, Ollama, Prometheus, Grafana and AlertManager deployed'),
  configSchema: { properties: { workloads: { type: 'array', items: { type: 'string' }, default: DEFAULTS.workloads } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { workloads } = configOf(args, DEFAULTS);
    const deployed = new Set<string>([
      ...stackWorkloads(args.resources)
        .filter((w) => w.longRunning && w.workload !== undefined)
        .map((w) => w.workload!),
      ...args.resources
        .filter((r) => r.type === DOCKER_TYPE.Container && !isOneShotContainer(r.props))
        .map((r) => dockerContainerOf(r.props).workload)
        .filter((w): w is string => w !== undefined),
    ]);
    const missing = workloads.filter((w) => !deployed.has(w));
    if (missing.length > 0) reportViolation(`no running workload for ${missing.join(', ')} (label app.kubernetes.io/name)`);
  },
};
