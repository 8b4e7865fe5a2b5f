/**
 * docker-container-resources: CPU and memory limits on every container of the dev stack.
 * Checklist 9c "Resource limits configured" (CPU and memory limits per container).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';

export const dockerContainerResources: ResourceValidationPolicy = {
  name: 'docker-container-resources',
  description: 'Checklist 9c Resource limits configured: every Docker container sets a CPU limit (cpus) and a memory limit (memory, MB).',
  severity: 'high',
  framework: checklist('9c Docker Compose Deployment', 'CPU and memory limits per container'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const where = describeDocker(dockerContainerOf(props));
    const cpus = Number(props.cpus);
    if (props.cpus === undefined || !(cpus > 0)) reportViolation(`${where} has no CPU limit (cpus)`);
    if (!(typeof props.memory === 'number' && props.memory > 0)) reportViolation(`${where} has no memory limit (memory)`);
  }),
};
