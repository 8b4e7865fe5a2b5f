/**
 * kubernetes-service-data-tier-internal: MongoDB, NSQ and Ollama stay inside the cluster.
 * Checklist 9a "Network segmentation": MongoDB, NSQ and Ollama not publicly accessible.
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { ANNOTATION, LABEL, WORKLOAD } from '../../../infra/src/conventions.js';
import { DATA_TIER_COMPONENTS } from '../lib/docker.js';
import { metadataOf, serviceSelector } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import { isRecord, type Props } from '../lib/values.js';

/** Workloads of the data tier. */
export const DATA_TIER_WORKLOADS: readonly string[] = [
  WORKLOAD.mongodb,
  WORKLOAD.nsqlookupd,
  WORKLOAD.nsqd,
  WORKLOAD.nsqadmin,
  WORKLOAD.ollama,
];

export const kubernetesServiceDataTierInternal: ResourceValidationPolicy = {
  name: 'kubernetes-service-data-tier-internal',
  description: `Checklist 9a Network segmentation, MongoDB, NSQ and Ollama not publicly accessible: a Service of the data tier (selecting ${DATA_TIER_WORKLOADS.join(', ')}, or labelled component database, queue or llm) is ClusterIP (or headless), without externalIPs or the ${ANNOTATION.publicEndpoint} annotation.`,
  severity: 'critical',
  framework: checklist('9a Networking & Security', 'MongoDB, NSQ and Ollama not publicly accessible'),
  validateResource: validateResourceOfType(k8s.core.v1.Service, (service, _args, reportViolation) => {
    const props = service as Props;
    const meta = metadataOf(props);
    const selected = serviceSelector(props)[LABEL.name];
    const dataTier = (selected !== undefined && DATA_TIER_WORKLOADS.includes(selected)) || DATA_TIER_COMPONENTS.includes(meta.labels[LABEL.component] ?? '');
    if (!dataTier) return;
    const spec = isRecord(props.spec) ? props.spec : {};
    const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
    const where = `Service '${meta.name}' of the data tier`;
    if (type !== 'ClusterIP') reportViolation(`${where} is of type ${type}; it must be ClusterIP`);
    if (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0) reportViolation(`${where} sets externalIPs`);
    if (meta.annotations[ANNOTATION.publicEndpoint] === 'true') reportViolation(`${where} is annotated ${ANNOTATION.publicEndpoint}`);
  }),
};
