/**
 * kubernetes-statefulset-mongodb-auth: mongod requires authentication.
 * Checklist 9a "Database Configuration": authentication configured (username/password).
 */
import * as k8s from '@pulumi/kubernetes';
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { mongodContainers, mongodAuthProblem } from '../lib/mongodb.js';
import { describe, describeContainer } from '../lib/kubernetes.js';
import { checklist, validateWorkloads } from '../lib/policy.js';

export const kubernetesStatefulSetMongodbAuth: ResourceValidationPolicy = {
  name: 'kubernetes-statefulset-mongodb-auth',
  description:
    'Checklist 9a Database Configuration, authentication configured: the MongoDB StatefulSet starts mongod with a root user and password (MONGO_INITDB_ROOT_USERNAME/PASSWORD) or --auth/--keyFile, and never --noauth.',
  severity: 'critical',
  framework: checklist('9a Database Configuration', 'authentication configured with username and password'),
  validateResource: validateWorkloads([k8s.apps.v1.StatefulSet], (workload, _args, reportViolation) => {
    if (workload.workload !== WORKLOAD.mongodb) return;
    const containers = mongodContainers(workload.podSpec);
    if (containers.length === 0) {
      reportViolation(`${describe(workload)} runs no mongod container (image mongo)`);
      return;
    }
    for (const c of containers) {
      const problem = mongodAuthProblem(c.container);
      if (problem) reportViolation(`${describe(workload)} ${describeContainer(c)} ${problem}`);
    }
  }),
};
