/**
 * kubernetes-workload-resources: CPU and memory requests and limits on every container.
 * Checklist 9c "Resource limits configured" (CPU and memory limits per container).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { containersOf, describe, describeContainer } from '../lib/kubernetes.js';
import { checklist, validateWorkloads, WORKLOAD_CLASSES } from '../lib/policy.js';
import { parseQuantity } from '../lib/quantities.js';
import { isRecord } from '../lib/values.js';

export const kubernetesWorkloadResources: ResourceValidationPolicy = {
  name: 'kubernetes-workload-resources',
  description:
    'Checklist 9c Resource limits configured: every container and init container of a Deployment, StatefulSet, DaemonSet, Job or CronJob sets CPU and memory requests and limits, requests not above limits.',
  severity: 'high',
  framework: checklist('9c Docker Compose Deployment', 'CPU and memory limits per container'),
  validateResource: validateWorkloads(WORKLOAD_CLASSES, (workload, _args, reportViolation) => {
    for (const c of containersOf(workload.podSpec)) {
      const resources = isRecord(c.container.resources) ? c.container.resources : {};
      const requests = isRecord(resources.requests) ? resources.requests : {};
      const limits = isRecord(resources.limits) ? resources.limits : {};
      const where = `${describe(workload)} ${describeContainer(c)}`;
      for (const [field, values] of [
        ['requests', requests],
        ['limits', limits],
      ] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (values[resource] === undefined || values[resource] === null || values[resource] === '') reportViolation(`${where} has no resources.${field}.${resource}`);
        }
      }
      for (const resource of ['cpu', 'memory']) {
        const request = parseQuantity(requests[resource]);
        const limit = parseQuantity(limits[resource]);
        if (request > limit) reportViolation(`${where} requests more ${resource} (${String(requests[resource])}) than its limit (${String(limits[resource])})`);
      }
    }
  }),
};
