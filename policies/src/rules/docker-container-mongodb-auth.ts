/**
 * docker-container-mongodb-auth: the dev MongoDB requires authentication too.
 * Checklist 9a "Database Configuration": authentication configured (username/password).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { authProblem } from '../lib/mongodb.js';
import { checklist, isOneShotContainer, validateDockerContainers } from '../lib/policy.js';

export const dockerContainerMongodbAuth: ResourceValidationPolicy = {
  name: 'docker-container-mongodb-auth',
  description:
    'Checklist 9a Database Configuration, authentication configured: the MongoDB container sets MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD_FILE (or runs mongod with --auth/--keyFile), never --noauth.',
  severity: 'critical',
  framework: checklist('9a Database Configuration', 'authentication configured with username and password'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    if (c.workload !== WORKLOAD.mongodb || isOneShotContainer(props)) return;
    const problem = authProblem(
      c.env.map((e) => e.name),
      c.command,
    );
    if (problem) reportViolation(`${describeDocker(c)} ${problem}`);
  }),
};
