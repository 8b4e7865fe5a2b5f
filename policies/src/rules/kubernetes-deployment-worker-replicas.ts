/**
 * kubernetes-deployment-worker-replicas: at least two EnrichmentWorker pods, also at the
 * autoscaler's minimum. Checklist 9c "Service Scaling": EnrichmentWorker replicas ≥ 2.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describe, K8S_TYPE, metadataOf } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { isRecord, plural } from '../lib/values.js';

const DEFAULTS = { minReplicas: 2 };

export const kubernetesDeploymentWorkerReplicas: StackValidationPolicy = {
  name: 'kubernetes-deployment-worker-replicas',
  description:
    'Checklist 9c Service Scaling: the EnrichmentWorker Deployment runs at least minReplicas (default 2) pods, and its HorizontalPodAutoscaler never scales it below that.',
  severity: 'high',
  framework: checklist('9c Service Scaling', 'EnrichmentWorker replicas at least 2'),
  configSchema: { properties: { minReplicas: { type: 'integer', minimum: 1, default: DEFAULTS.minReplicas } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { minReplicas } = configOf(args, DEFAULTS);
    const workers = stackWorkloads(args.resources).filter((w) => w.kind === 'Deployment' && w.workload === WORKLOAD.worker);
    if (workers.length === 0) {
      reportViolation(`no EnrichmentWorker Deployment (label app.kubernetes.io/name=${WORKLOAD.worker})`);
      return;
    }
    const hpas = args.resources.filter((r) => r.type === K8S_TYPE.HorizontalPodAutoscaler);
    for (const w of workers) {
      if ((w.replicas ?? 1) < minReplicas) {
        reportViolation(`${describe(w)} runs ${plural(w.replicas ?? 1, 'replica')}; at least ${minReplicas} are required`, w.urn);
      }
      for (const hpa of hpas) {
        const spec = isRecord(hpa.props.spec) ? hpa.props.spec : {};
        const target = isRecord(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
        const meta = metadataOf(hpa.props);
        if (target.kind !== 'Deployment' || target.name !== w.name || meta.namespace !== w.namespace) continue;
        const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
        if (min < minReplicas) {
          reportViolation(`HorizontalPodAutoscaler '${meta.name}' lets ${describe(w)} scale down to ${plural(min, 'replica')}; minReplicas must be at least ${minReplicas}`, hpa.urn);
        }
      }
    }
  },
};
