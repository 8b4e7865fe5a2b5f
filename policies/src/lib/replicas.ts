/**
 * Builds the NSQ replica-count policies (kubernetes-statefulset-nsqlookupd-replicas and
 * kubernetes-statefulset-nsqd-replicas), which differ only in workload, minimum and checklist line.
 */
import * as k8s from '@pulumi/kubernetes';
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { describe } from './kubernetes.js';
import { checklist, configOf, validateWorkloads } from './policy.js';
import { plural } from './values.js';

/**
 * A policy requiring at least `minReplicas` pods of the StatefulSet labelled `workload`.
 *
 * @param name        policy name.
 * @param workload    `app.kubernetes.io/name` of the StatefulSet.
 * @param minReplicas default minimum (overridable with the policy config `minReplicas`).
 * @param line        the checklist line, paraphrased.
 */
export function nsqReplicasPolicy(name: string, workload: string, minReplicas: number, line: string): ResourceValidationPolicy {
  const defaults = { minReplicas };
  return {
    name,
    description: `Checklist 9a Message Queue Setup, ${line}: the ${workload} StatefulSet runs at least minReplicas (default ${minReplicas}) pods.`,
    severity: 'high',
    framework: checklist('9a Message Queue Setup', line),
    configSchema: { properties: { minReplicas: { type: 'integer', minimum: 1, default: minReplicas } } },
    validateResource: validateWorkloads([k8s.apps.v1.StatefulSet], (w, args, reportViolation) => {
      if (w.workload !== workload) return;
      const min = configOf(args, defaults).minReplicas;
      const replicas = w.replicas ?? 1;
      if (replicas < min) reportViolation(`${describe(w)} runs ${plural(replicas, 'replica')}; at least ${min} are required`);
    }),
  };
}
