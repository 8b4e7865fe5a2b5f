/**
 * docker-container-worker-replicas: at least two EnrichmentWorker containers.
 * Checklist 9c "Service Scaling": EnrichmentWorker replicas ≥ 2 (advisory on dev, see
 * `policies/config/dev.json`).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { DOCKER_TYPE, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, isOneShotContainer, requireDocker } from '../lib/policy.js';
import { plural } from '../lib/values.js';

const DEFAULTS = { minReplicas: 2 };

export const dockerContainerWorkerReplicas: StackValidationPolicy = {
  name: 'docker-container-worker-replicas',
  description: 'Checklist 9c Service Scaling: the Docker stack runs at least minReplicas (default 2) EnrichmentWorker containers.',
  severity: 'medium',
  framework: checklist('9c Service Scaling', 'EnrichmentWorker replicas at least 2'),
  configSchema: { properties: { minReplicas: { type: 'integer', minimum: 1, default: DEFAULTS.minReplicas } } },
  validateStack: (args, reportViolation) => {
    requireDocker(args);
    const { minReplicas } = configOf(args, DEFAULTS);
    const workers = args.resources.filter(
      (r) => r.type === DOCKER_TYPE.Container && !isOneShotContainer(r.props) && dockerContainerOf(r.props).workload === WORKLOAD.worker,
    );
    if (workers.length < minReplicas) {
      reportViolation(`the stack runs ${plural(workers.length, 'EnrichmentWorker container')}; at least ${minReplicas} are required`);
    }
  },
};
