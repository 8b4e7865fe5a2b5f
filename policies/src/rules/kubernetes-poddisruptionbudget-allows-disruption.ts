/**
 * kubernetes-poddisruptionbudget-allows-disruption: PDBs keep replicas up during node drains
 * without forbidding drains altogether.
 * Checklist 9a "Replication configured (high availability)" and 9c "Deployment Process": a PDB
 * with `maxUnavailable: 0` or `minAvailable` equal to the replica count blocks every voluntary
 * eviction, so node upgrades and rollbacks hang.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { describe, K8S_TYPE, metadataOf, selectorMatches } from '../lib/kubernetes.js';
import { checklist, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { isRecord, plural } from '../lib/values.js';

/** `0`, `'0'`, `'0%'`. */
function isZero(value: unknown): boolean {
  return value === 0 || value === '0' || (typeof value === 'string' && /^0+%$/.test(value.trim()));
}

export const kubernetesPodDisruptionBudgetAllowsDisruption: StackValidationPolicy = {
  name: 'kubernetes-poddisruptionbudget-allows-disruption',
  description:
    'Checklist 9a Replication configured and 9c Deployment Process: every PodDisruptionBudget selects a workload and allows at least one pod to be evicted (no maxUnavailable 0, no minAvailable equal to all replicas).',
  severity: 'medium',
  framework: checklist('9a Database Configuration', 'replication configured for high availability; deployments and rollbacks can proceed'),
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const workloads = stackWorkloads(args.resources).filter((w) => w.longRunning);
    for (const r of args.resources.filter((res) => res.type === K8S_TYPE.PodDisruptionBudget)) {
      const { name, namespace } = metadataOf(r.props);
      const spec = isRecord(r.props.spec) ? r.props.spec : {};
      const where = `PodDisruptionBudget '${name}'`;
      if (isZero(spec.maxUnavailable)) {
        reportViolation(`${where} sets maxUnavailable ${String(spec.maxUnavailable)}: it blocks every voluntary eviction (node drains, upgrades)`, r.urn);
        continue;
      }
      if (typeof spec.minAvailable === 'string' && /^100%$/.test(spec.minAvailable.trim())) {
        reportViolation(`${where} sets minAvailable 100%: it blocks every voluntary eviction (node drains, upgrades)`, r.urn);
        continue;
      }
      const selected = workloads.filter((w) => w.namespace === namespace && selectorMatches(spec.selector, w.labels));
      if (selected.length === 0) {
        reportViolation(`${where} selects no workload of this stack`, r.urn);
        continue;
      }
      if (typeof spec.minAvailable === 'number') {
        for (const w of selected) {
          const replicas = w.replicas ?? 1;
          if (spec.minAvailable >= replicas) {
            reportViolation(
              `${where} requires minAvailable ${spec.minAvailable} of the ${plural(replicas, 'replica')} of ${describe(w)}: it blocks every voluntary eviction (node drains, upgrades)`,
              r.urn,
            );
          }
        }
      }
    }
  },
};
