/**
 * kubernetes-configmap-no-secrets: ConfigMaps hold configuration, not credentials.
 * Checklist 9a "API Keys & Secrets": keys stored in a secret manager (Kubernetes Secrets), never in
 * ConfigMaps, which any reader of the namespace can list.
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { parse as parseYaml } from 'yaml';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import { isSecretEnvName, literalSecretPaths, SECRET_DOCUMENT_KEY, uriPassword } from '../lib/secrets.js';
import { stringMap, type Props } from '../lib/values.js';

/** Parses a ConfigMap value as JSON or YAML; undefined for plain text. */
function parsed(key: string, text: string): unknown {
  try {
    return /\.json$/i.test(key) ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch {
    return undefined;
  }
}

export const kubernetesConfigMapNoSecrets: ResourceValidationPolicy = {
  name: 'kubernetes-configmap-no-secrets',
  description:
    'Checklist 9a API Keys & Secrets stored in Kubernetes Secrets: no ConfigMap has a secret-named key, a URI with a password, or an embedded YAML/JSON document with an inline password, token, API key or webhook URL.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'keys and passwords stored in a secret manager, never in plain configuration'),
  validateResource: validateResourceOfType(k8s.core.v1.ConfigMap, (configMap, _args, reportViolation) => {
    const { name } = metadataOf(configMap as Props);
    for (const [key, value] of Object.entries(stringMap((configMap as Props).data))) {
      const where = `ConfigMap '${name}' key '${key}'`;
      if (isSecretEnvName(key) || SECRET_DOCUMENT_KEY.test(key)) {
        reportViolation(`${where} looks like a secret: secrets belong in a Secret`);
        continue;
      }
      if (uriPassword(value) !== undefined) {
        reportViolation(`${where} holds a URI with a password`);
        continue;
      }
      const paths = literalSecretPaths(parsed(key, value));
      if (paths.length > 0) reportViolation(`${where} holds inline secrets at ${paths.join(', ')}: reference a mounted Secret file instead`);
    }
  }),
};
