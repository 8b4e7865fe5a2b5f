/**
 * docker-container-env-secrets: on Docker, secrets are uploaded files read through `<NAME>_FILE`.
 * Checklist 9a "API Keys & Secrets" (stored securely) and 9c "All environment variables set"
 * without literal credentials.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { credentialArguments } from '../lib/credentials.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';
import { fileBackedSecretName, isSecretEnvName } from '../lib/secrets.js';

export const dockerContainerEnvSecrets: ResourceValidationPolicy = {
  name: 'docker-container-env-secrets',
  description:
    'Checklist 9a API Keys & Secrets stored securely: no Docker container sets a secret-named env var (PASSWORD, SECRET, TOKEN, API_KEY, *KEY, URI) directly; it sets <NAME>_FILE to a file uploaded into the container, and no argument carries a credential.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'keys and passwords stored securely, never in plain configuration'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    const where = describeDocker(c);
    const uploaded = new Set(c.uploads.map((u) => u.file));
    for (const env of c.env) {
      if (isSecretEnvName(env.name) && env.value !== undefined && env.value !== '') {
        reportViolation(`${where} sets ${env.name} in its environment: upload it as a file and set ${env.name}_FILE`);
        continue;
      }
      const secretName = fileBackedSecretName(env.name);
      if (secretName && env.value !== undefined && !uploaded.has(env.value)) {
        reportViolation(`${where} reads ${secretName} from ${env.value}, which is not uploaded into the container`);
      }
    }
    for (const arg of credentialArguments(c.command)) reportViolation(`${where} passes a credential in its arguments (${arg})`);
  }),
};
