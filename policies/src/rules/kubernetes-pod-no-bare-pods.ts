/**
 * kubernetes-pod-no-bare-pods: every pod belongs to a controller.
 * Checklist 9a "Auto-restart on failure": a bare Pod is not recreated when its node fails.
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import type { Props } from '../lib/values.js';

export const kubernetesPodNoBarePods: ResourceValidationPolicy = {
  name: 'kubernetes-pod-no-bare-pods',
  description:
    'Checklist 9a Auto-restart on failure: no bare Pods; every pod is created by a Deployment, StatefulSet, DaemonSet or Job, which recreates it.',
  severity: 'high',
  framework: checklist('9a LLM Infrastructure', 'failed pods are restarted by a controller'),
  validateResource: validateResourceOfType(k8s.core.v1.Pod, (pod, _args, reportViolation) => {
    const { name } = metadataOf(pod as Props);
    reportViolation(`Pod '${name}' is not managed by a controller: run it from a Deployment, StatefulSet, DaemonSet or Job so that it is recreated when it fails`);
  }),
};
