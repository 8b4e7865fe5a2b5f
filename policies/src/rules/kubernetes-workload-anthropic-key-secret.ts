/**
 * kubernetes-workload-anthropic-key-secret: the Anthropic API key comes only from a Secret and
 * only to the enrichment service. Checklist 9a "API Keys & Secrets": Anthropic API key stored in a
 * secret manager, access restricted to the enrichment service.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { ANTHROPIC_KEY_COMPONENTS, ANTHROPIC_KEY_ENV } from '../lib/anthropic.js';
import { containersOf, describe, describeContainer, envOf, isSecretVolume, volumeForPath } from '../lib/kubernetes.js';
import { checklist, configOf, validateWorkloads, WORKLOAD_CLASSES } from '../lib/policy.js';
import { isRecord } from '../lib/values.js';

const DEFAULTS = { components: ANTHROPIC_KEY_COMPONENTS };

export const kubernetesWorkloadAnthropicKeySecret: ResourceValidationPolicy = {
  name: 'kubernetes-workload-anthropic-key-secret',
  description: `Checklist 9a API Keys & Secrets, Anthropic API key secured and access restricted: ${ANTHROPIC_KEY_ENV} reaches a container only through valueFrom.secretKeyRef (or ${ANTHROPIC_KEY_ENV}_FILE on a Secret volume), and only in workloads of the components ${ANTHROPIC_KEY_COMPONENTS.join(', ')}.`,
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'Anthropic API key in a secret manager, access restricted to the enrichment service'),
  configSchema: { properties: { components: { type: 'array', items: { type: 'string' }, default: DEFAULTS.components } } },
  validateResource: validateWorkloads(WORKLOAD_CLASSES, (w, args, reportViolation) => {
    const { components } = configOf(args, DEFAULTS);
    for (const c of containersOf(w.podSpec)) {
      const where = `${describe(w)} ${describeContainer(c)}`;
      for (const env of envOf(c.container)) {
        if (env.name !== ANTHROPIC_KEY_ENV && env.name !== `${ANTHROPIC_KEY_ENV}_FILE`) continue;
        if (!components.includes(w.component ?? '')) {
          reportViolation(`${where} receives ${ANTHROPIC_KEY_ENV} but is not part of the enrichment service (component ${w.component ?? 'unset'})`);
        }
        if (env.name === ANTHROPIC_KEY_ENV && !(env.valueFrom && isRecord(env.valueFrom.secretKeyRef))) {
          reportViolation(`${where} does not read ${ANTHROPIC_KEY_ENV} from a Secret (valueFrom.secretKeyRef)`);
        }
        if (env.name === `${ANTHROPIC_KEY_ENV}_FILE` && !(typeof env.value === 'string' && isSecretVolume(volumeForPath(w.podSpec, c.container, env.value)))) {
          reportViolation(`${where} reads ${ANTHROPIC_KEY_ENV} from a file that is not mounted from a Secret`);
        }
      }
    }
  }),
};
