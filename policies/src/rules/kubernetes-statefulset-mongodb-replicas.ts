/**
 * kubernetes-statefulset-mongodb-replicas: a replica set of at least three members in prod.
 * Checklist 9a "Database Configuration": replication configured (high availability).
 */
import * as k8s from '@pulumi/kubernetes';
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { commandLine, describe, describeContainer, flagValue } from '../lib/kubernetes.js';
import { mongodContainers } from '../lib/mongodb.js';
import { checklist, configOf, validateWorkloads } from '../lib/policy.js';
import { plural } from '../lib/values.js';

const DEFAULTS = { minReplicas: 3 };

export const kubernetesStatefulSetMongodbReplicas: ResourceValidationPolicy = {
  name: 'kubernetes-statefulset-mongodb-replicas',
  description:
    'Checklist 9a Database Configuration, replication configured: the MongoDB StatefulSet runs at least minReplicas (default 3) members, each mongod started with --replSet.',
  severity: 'high',
  framework: checklist('9a Database Configuration', 'replication configured for high availability'),
  configSchema: { properties: { minReplicas: { type: 'integer', minimum: 1, default: DEFAULTS.minReplicas } } },
  validateResource: validateWorkloads([k8s.apps.v1.StatefulSet], (workload, args, reportViolation) => {
    if (workload.workload !== WORKLOAD.mongodb) return;
    const { minReplicas } = configOf(args, DEFAULTS);
    const replicas = workload.replicas ?? 1;
    if (replicas < minReplicas) reportViolation(`${describe(workload)} runs ${plural(replicas, 'replica')}; a replica set of at least ${minReplicas} is required`);
    for (const c of mongodContainers(workload.podSpec)) {
      const replSet = flagValue(commandLine(c.container), '--replSet');
      if (typeof replSet !== 'string') reportViolation(`${describe(workload)} ${describeContainer(c)} is not started with --replSet <name>`);
    }
  }),
};
