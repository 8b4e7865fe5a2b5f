/**
 * kubernetes-statefulset-nsqd-replicas: redundant nsqd nodes.
 * Checklist 9a "Message Queue Setup": nsqd on 2 or more nodes for redundancy.
 */
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { nsqReplicasPolicy } from '../lib/replicas.js';

export const kubernetesStatefulSetNsqdReplicas = nsqReplicasPolicy('kubernetes-statefulset-nsqd-replicas', WORKLOAD.nsqd, 2, 'nsqd on 2 or more nodes for redundancy');
