/**
 * docker-container-log-rotation: every Docker container keeps its logs in local files, rotated.
 * Checklist 9b Logging: app logs also kept as local files, for debugging.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';
import { stringMap } from '../lib/values.js';

/** Drivers that write local files `docker logs` can read (and the dev collector ships). */
const FILE_DRIVERS = ['json-file', 'local'];

export const dockerContainerLogRotation: ResourceValidationPolicy = {
  name: 'docker-container-log-rotation',
  description:
    'Checklist 9b Logging, logs also kept as local files: every Docker container (one-shot ones included) sets logDriver json-file or local, and a json-file driver sets logOpts max-size and max-file so its files rotate instead of filling the disk.',
  severity: 'medium',
  framework: checklist('9b Logging', 'logs kept as local, rotated files for debugging'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const where = describeDocker(dockerContainerOf(props));
    const driver = typeof props.logDriver === 'string' ? props.logDriver : undefined;
    if (driver === undefined) {
      reportViolation(`${where} sets no logDriver: the engine default (json-file without max-size) never rotates; set json-file with max-size and max-file`);
      return;
    }
    if (!FILE_DRIVERS.includes(driver)) {
      reportViolation(`${where} logs with driver '${driver}': no local files to debug from; use json-file (with max-size and max-file) or local`);
      return;
    }
    if (driver === 'json-file') {
      const opts = stringMap(props.logOpts);
      const missing = ['max-size', 'max-file'].filter((k) => opts[k] === undefined || opts[k] === '');
      if (missing.length > 0) reportViolation(`${where} keeps json-file logs without rotation: set logOpts ${missing.join(' and ')}`);
    }
  }),
};
