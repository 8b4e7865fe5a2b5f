/**
 * docker-container-healthcheck: every long-running container has a healthcheck.
 * Checklist 9c-run-11.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, isOneShotContainer, validateDockerContainers } from '../lib/policy.js';
import { isRecord, list } from '../lib/values.js';

export const dockerContainerHealthcheck: ResourceValidationPolicy = {
  name: 'docker-container-healthcheck',
  description:
    'Checklist 9c (9c-run-11), a health check on every service: every long-running Docker container (all but one-shot containers with mustRun false) has a healthcheck test other than NONE.',
  severity: 'high',
  framework: checklist('9c Docker Compose Deployment', 'every long-running service has a health check'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    if (isOneShotContainer(props)) return;
    const where = describeDocker(dockerContainerOf(props));
    const tests = isRecord(props.healthcheck) ? list<string>(props.healthcheck.tests) : [];
    if (tests.length === 0) reportViolation(`${where} has no healthcheck`);
    else if (tests[0] === 'NONE') reportViolation(`${where} disables its healthcheck (NONE)`);
  }),
};
