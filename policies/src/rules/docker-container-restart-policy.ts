/**
 * docker-container-restart-policy: long-running containers restart `unless-stopped`.
 * Checklist 9c-run-12.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, isOneShotContainer, validateDockerContainers } from '../lib/policy.js';

export const dockerContainerRestartPolicy: ResourceValidationPolicy = {
  name: 'docker-container-restart-policy',
  description:
    'Checklist 9c Restart policies configured: every long-running Docker container uses restart unless-stopped (one-shot containers with mustRun false may use on-failure or no).',
  severity: 'high',
  framework: checklist('9c Docker Compose Deployment', 'restart policy unless-stopped'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const where = describeDocker(dockerContainerOf(props));
    const restart = typeof props.restart === 'string' ? props.restart : 'no';
    if (isOneShotContainer(props)) {
      if (restart === 'always' || restart === 'unless-stopped') reportViolation(`${where} is one-shot (mustRun false) but restarts ${restart}: it would run again forever`);
      return;
    }
    if (restart !== 'unless-stopped') reportViolation(`${where} restarts '${restart}'; long-running containers must restart 'unless-stopped'`);
  }),
};
