/**
 * kubernetes-networkpolicy-default-deny: every namespace of the platform denies all traffic that
 * no policy allows. Checklist 9a-net-04 (internal traffic stays
 * private) and 9c-run-13 (each service reaches only what it needs).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { LABEL, PART_OF } from '../../../infra/src/conventions.js';
import { K8S_TYPE, metadataOf } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { isRecord, list, stringMap } from '../lib/values.js';

/** True for a NetworkPolicy selecting every pod, of both types, with no allow rule. */
function isDefaultDeny(spec: unknown): boolean {
  if (!isRecord(spec)) return false;
  const selector = isRecord(spec.podSelector) ? spec.podSelector : undefined;
  const selectsAll = selector !== undefined && Object.keys(stringMap(selector.matchLabels)).length === 0 && list(selector.matchExpressions).length === 0;
  const types = list<string>(spec.policyTypes);
  return selectsAll && types.includes('Ingress') && types.includes('Egress') && list(spec.ingress).length === 0 && list(spec.egress).length === 0;
}

/** System namespaces where the platform only adds node agents (the NVIDIA device plugin). */
const DEFAULTS = { excludeNamespaces: ['kube-system'] as string[] };

export const kubernetesNetworkPolicyDefaultDeny: StackValidationPolicy = {
  name: 'kubernetes-networkpolicy-default-deny',
  description: `Checklist 9a Firewall rules and 9c Networks isolated: every namespace holding workloads of the platform (label ${LABEL.partOf}=${PART_OF}), except excludeNamespaces (default kube-system), has a NetworkPolicy that selects all pods, covers Ingress and Egress, and allows nothing.`,
  severity: 'critical',
  framework: checklist('9a Networking & Security', 'firewall rules: only required traffic; networks isolated'),
  configSchema: { properties: { excludeNamespaces: { type: 'array', items: { type: 'string' }, default: DEFAULTS.excludeNamespaces } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { excludeNamespaces } = configOf(args, DEFAULTS);
    const namespaces = new Set(
      stackWorkloads(args.resources)
        .filter((w) => w.labels[LABEL.partOf] === PART_OF && w.namespace !== undefined && !excludeNamespaces.includes(w.namespace))
        .map((w) => w.namespace!),
    );
    const denied = new Set(
      args.resources
        .filter((r) => r.type === K8S_TYPE.NetworkPolicy && isDefaultDeny(r.props.spec))
        .map((r) => metadataOf(r.props).namespace)
        .filter((n): n is string => n !== undefined),
    );
    for (const ns of [...namespaces].sort()) {
      if (!denied.has(ns)) reportViolation(`namespace '${ns}' has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)`);
    }
  },
};
