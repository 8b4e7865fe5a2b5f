/**
 * kubernetes-secret-no-default-passwords: passwords and JWT secrets are not defaults.
 * Checklist 9a-sec-05 and 9a-sec-08 (no shipped or well-known secret values) and 9c-run-01
 * (production does not run on the example env file).
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { defaultSecretProblem } from '../lib/default-secrets.js';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import { stringMap, type Props } from '../lib/values.js';

export const kubernetesSecretNoDefaultPasswords: ResourceValidationPolicy = {
  name: 'kubernetes-secret-no-default-passwords',
  description:
    'Checklist 9a API Keys & Secrets, non-default JWT secret and MongoDB passwords: no password, secret, token or MONGODB_URI key of a Secret (stringData or data) holds changeme, secret, password or a value of .env.example, and JWT secrets have at least 32 characters.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'no default JWT secret or MongoDB password'),
  validateResource: validateResourceOfType(k8s.core.v1.Secret, (secret, _args, reportViolation) => {
    const props = secret as Props;
    const { name } = metadataOf(props);
    const entries: [string, string][] = [
      ...Object.entries(stringMap(props.data)).map(([k, v]): [string, string] => [k, Buffer.from(v, 'base64').toString('utf8')]),
      ...Object.entries(stringMap(props.stringData)),
    ];
    for (const [key, value] of entries) {
      const problem = defaultSecretProblem(key, value);
      if (problem) reportViolation(`Secret '${name}' key '${key}' ${problem}`);
    }
  }),
};
