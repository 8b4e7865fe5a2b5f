/**
 * kubernetes-workload-persistent-storage: stateful workloads keep their data on a
 * PersistentVolumeClaim. Checklist 9c-run-14 (state outlives the pod) and 9c-run-10
 * (disk space set aside).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { describe } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { claimsOf, mountedVolumes, STATEFUL_WORKLOADS } from '../lib/storage.js';

const DEFAULTS = { workloads: [...STATEFUL_WORKLOADS] };

export const kubernetesWorkloadPersistentStorage: StackValidationPolicy = {
  name: 'kubernetes-workload-persistent-storage',
  description:
    'Checklist 9c Volumes persistent and Disk storage allocated: every stateful workload (MongoDB, nsqd, Ollama, Prometheus) mounts a PersistentVolumeClaim (volumeClaimTemplates or a persistentVolumeClaim volume).',
  severity: 'critical',
  framework: checklist('9c Docker Compose Deployment', 'volumes persistent; disk storage allocated'),
  configSchema: { properties: { workloads: { type: 'array', items: { type: 'string' }, default: DEFAULTS.workloads } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { workloads } = configOf(args, DEFAULTS);
    for (const w of stackWorkloads(args.resources)) {
      if (!w.longRunning || !w.workload || !workloads.includes(w.workload)) continue;
      const mounted = mountedVolumes(w.podSpec);
      if (!claimsOf(w, args.resources).some((c) => mounted.has(c.volume))) {
        reportViolation(`${describe(w)} mounts no PersistentVolumeClaim: its data does not survive a pod restart`, w.urn);
      }
    }
  },
};
