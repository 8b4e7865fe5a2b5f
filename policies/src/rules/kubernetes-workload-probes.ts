/**
 * kubernetes-workload-probes: liveness and readiness probes on every long-running container.
 * Checklist 9b-health-01 (health endpoints checked) and 9a-llm-08 (failed
 * services come back by themselves): the kubelet restarts a container whose liveness probe fails and takes
 * an unready pod out of its Service.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { containersOf, describe, describeContainer } from '../lib/kubernetes.js';
import { checklist, LONG_RUNNING_CLASSES, validateWorkloads } from '../lib/policy.js';
import { isRecord } from '../lib/values.js';

const HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc'] as const;

export const kubernetesWorkloadProbes: ResourceValidationPolicy = {
  name: 'kubernetes-workload-probes',
  description:
    'Checklist 9b Health Checks and 9c-run-11 (a health check on every service): every container of a Deployment, StatefulSet or DaemonSet has a liveness and a readiness probe with a handler.',
  severity: 'high',
  framework: checklist('9b Health Checks', 'health check endpoints verified for every service; failed services restart'),
  validateResource: validateWorkloads(LONG_RUNNING_CLASSES, (workload, _args, reportViolation) => {
    for (const c of containersOf(workload.podSpec).filter((ref) => !ref.init)) {
      const where = `${describe(workload)} ${describeContainer(c)}`;
      for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
        const spec = c.container[probe];
        if (!isRecord(spec)) reportViolation(`${where} has no ${probe}`);
        else if (!HANDLERS.some((h) => isRecord(spec[h]))) reportViolation(`${where} ${probe} has no handler (httpGet, tcpSocket, exec or grpc)`);
      }
    }
  }),
};
