/**
 * kubernetes-statefulset-nsqlookupd-replicas: nsqlookupd highly available.
 * Checklist 9a "Message Queue Setup": nsqlookupd on 3 or more nodes.
 */
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { nsqReplicasPolicy } from '../lib/replicas.js';

export const kubernetesStatefulSetNsqlookupdReplicas = nsqReplicasPolicy(
  'kubernetes-statefulset-nsqlookupd-replicas',
  WORKLOAD.nsqlookupd,
  3,
  'nsqlookupd highly available (3 or more nodes)',
);
