/**
 * kubernetes-service-type: nothing is exposed through a LoadBalancer or NodePort except the
 * ingress controller. Checklist 9a-net-02 (no port open that is not
 * needed) and 9a-net-09 (only the APIs are public, through the ingress).
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { ANNOTATION } from '../../../infra/src/conventions.js';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';

export const kubernetesServiceType: ResourceValidationPolicy = {
  name: 'kubernetes-service-type',
  description: `Checklist 9a Firewall rules (9a-net-02), no unneeded inbound ports: no Service is of type LoadBalancer or NodePort, or sets externalIPs, except the ingress controller's (annotation ${ANNOTATION.ingressController}: "true").`,
  severity: 'critical',
  framework: checklist('9a Networking & Security', 'inbound traffic limited to the ports that are needed'),
  validateResource: validateResourceOfType(k8s.core.v1.Service, (service, _args, reportViolation) => {
    const props = service as Props;
    const meta = metadataOf(props);
    if (meta.annotations[ANNOTATION.ingressController] === 'true') return;
    const spec = isRecord(props.spec) ? props.spec : {};
    const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
    if (type === 'LoadBalancer' || type === 'NodePort') {
      reportViolation(`Service '${meta.name}' is of type ${type}; only the ingress controller's Service (annotation ${ANNOTATION.ingressController}) may be`);
    }
    if (list(spec.externalIPs).length > 0) reportViolation(`Service '${meta.name}' sets externalIPs`);
  }),
};
