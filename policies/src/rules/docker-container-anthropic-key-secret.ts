/**
 * docker-container-anthropic-key-secret: on Docker the Anthropic key is an uploaded file, and only
 * the enrichment service gets it. Checklist 9a "API Keys & Secrets": Anthropic API key stored
 * securely, access restricted to the enrichment service.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { ANTHROPIC_KEY_COMPONENTS, ANTHROPIC_KEY_ENV } from '../lib/anthropic.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, validateDockerContainers } from '../lib/policy.js';

const DEFAULTS = { components: ANTHROPIC_KEY_COMPONENTS };

export const dockerContainerAnthropicKeySecret: ResourceValidationPolicy = {
  name: 'docker-container-anthropic-key-secret',
  description: `Checklist 9a API Keys & Secrets, Anthropic API key secured and access restricted: a Docker container gets the key only as an uploaded file named by ${ANTHROPIC_KEY_ENV}_FILE, never as ${ANTHROPIC_KEY_ENV}, and only in containers of the components ${ANTHROPIC_KEY_COMPONENTS.join(', ')}.`,
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'Anthropic API key stored securely, access restricted to the enrichment service'),
  configSchema: { properties: { components: { type: 'array', items: { type: 'string' }, default: DEFAULTS.components } } },
  validateResource: validateDockerContainers((props, args, reportViolation) => {
    const { components } = configOf(args, DEFAULTS);
    const c = dockerContainerOf(props);
    const where = describeDocker(c);
    for (const env of c.env) {
      if (env.name !== ANTHROPIC_KEY_ENV && env.name !== `${ANTHROPIC_KEY_ENV}_FILE`) continue;
      if (!components.includes(c.component ?? '')) {
        reportViolation(`${where} receives ${ANTHROPIC_KEY_ENV} but is not part of the enrichment service (component ${c.component ?? 'unset'})`);
      }
      if (env.name === ANTHROPIC_KEY_ENV) reportViolation(`${where} sets ${ANTHROPIC_KEY_ENV} in its environment: upload it as a file and set ${ANTHROPIC_KEY_ENV}_FILE`);
      else if (!c.uploads.some((u) => u.file === env.value)) reportViolation(`${where} reads ${ANTHROPIC_KEY_ENV} from ${String(env.value)}, which is not uploaded into the container`);
    }
  }),
};
