/**
 * docker-container-persistent-volume: stateful containers keep their data on a Docker volume.
 * Checklist 9c-run-14 (state outlives the container).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { DOCKER_TYPE, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, isOneShotContainer, requireDocker } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';
import { STATEFUL_WORKLOADS } from '../lib/storage.js';

const DEFAULTS = { workloads: [...STATEFUL_WORKLOADS] };

export const dockerContainerPersistentVolume: StackValidationPolicy = {
  name: 'docker-container-persistent-volume',
  description:
    'Checklist 9c Volumes persistent: every stateful Docker container (MongoDB, nsqd, Ollama, Prometheus) mounts a docker.Volume declared in the stack (or a host path).',
  severity: 'critical',
  framework: checklist('9c Docker Compose Deployment', 'stateful data on volumes that outlive the container'),
  configSchema: { properties: { workloads: { type: 'array', items: { type: 'string' }, default: DEFAULTS.workloads } } },
  validateStack: (args, reportViolation) => {
    requireDocker(args);
    const { workloads } = configOf(args, DEFAULTS);
    const volumes = new Set(args.resources.filter((r) => r.type === DOCKER_TYPE.Volume).map((r) => r.props.name).filter((n) => typeof n === 'string'));
    for (const r of args.resources.filter((res) => res.type === DOCKER_TYPE.Container && !isOneShotContainer(res.props))) {
      const c = dockerContainerOf(r.props);
      if (!c.workload || !workloads.includes(c.workload)) continue;
      const ok = list<Props>(r.props.volumes).some(
        (v) => isRecord(v) && typeof v.containerPath === 'string' && ((typeof v.volumeName === 'string' && volumes.has(v.volumeName)) || typeof v.hostPath === 'string'),
      );
      if (!ok) reportViolation(`container '${c.name}' mounts no Docker volume: its data does not survive the container`, r.urn);
    }
  },
};
