/**
 * docker-container-no-default-passwords: the secret files uploaded into dev containers are not
 * defaults either. Checklist 9a "API Keys & Secrets" (non-default JWT secret, MongoDB passwords
 * changed from defaults, different passwords per environment).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { defaultSecretProblem } from '../lib/default-secrets.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';

export const dockerContainerNoDefaultPasswords: ResourceValidationPolicy = {
  name: 'docker-container-no-default-passwords',
  description:
    'Checklist 9a API Keys & Secrets, non-default JWT secret and MongoDB passwords: no password, secret, token or MONGODB_URI file uploaded into a Docker container holds changeme, secret, password or a value of .env.example, and JWT secrets have at least 32 characters.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'no default JWT secret or MongoDB password'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    for (const u of c.uploads) {
      const base = u.file.split('/').pop() ?? u.file;
      const problem = u.content === undefined ? undefined : defaultSecretProblem(base, u.content);
      if (problem) reportViolation(`${describeDocker(c)} file '${u.file}' ${problem}`);
    }
  }),
};
