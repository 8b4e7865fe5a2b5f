/**
 * kubernetes-deployment-worker-autoscaling: the EnrichmentWorker scales with load.
 * Checklist 9c "Service Scaling": auto-scaling configured (when using Kubernetes).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describe, K8S_TYPE, metadataOf } from '../lib/kubernetes.js';
import { checklist, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { isRecord } from '../lib/values.js';

export const kubernetesDeploymentWorkerAutoscaling: StackValidationPolicy = {
  name: 'kubernetes-deployment-worker-autoscaling',
  description:
    'Checklist 9c Service Scaling, auto-scaling configured: a HorizontalPodAutoscaler targets the EnrichmentWorker Deployment with maxReplicas above minReplicas.',
  severity: 'medium',
  framework: checklist('9c Service Scaling', 'auto-scaling configured when running on Kubernetes'),
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const workers = stackWorkloads(args.resources).filter((w) => w.kind === 'Deployment' && w.workload === WORKLOAD.worker);
    const hpas = args.resources.filter((r) => r.type === K8S_TYPE.HorizontalPodAutoscaler);
    for (const w of workers) {
      const mine = hpas.filter((hpa) => {
        const spec = isRecord(hpa.props.spec) ? hpa.props.spec : {};
        const target = isRecord(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
        return target.kind === 'Deployment' && target.name === w.name && metadataOf(hpa.props).namespace === w.namespace;
      });
      if (mine.length === 0) {
        reportViolation(`${describe(w)} has no HorizontalPodAutoscaler`, w.urn);
        continue;
      }
      for (const hpa of mine) {
        const spec = hpa.props.spec as Record<string, unknown>;
        const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
        const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
        if (max <= min) reportViolation(`HorizontalPodAutoscaler '${metadataOf(hpa.props).name}' cannot scale ${describe(w)}: maxReplicas ${max} is not above minReplicas ${min}`, hpa.urn);
      }
    }
  },
};
