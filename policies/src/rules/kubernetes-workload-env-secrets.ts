/**
 * kubernetes-workload-env-secrets: secrets reach containers only from Secrets.
 * Checklist 9a "API Keys & Secrets" (keys stored in a secret manager: Kubernetes Secrets) and 9c
 * "All environment variables set" (database credentials, API keys, JWT secrets) without literals.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { credentialArguments } from '../lib/credentials.js';
import { commandLine, containersOf, describe, describeContainer, envOf, isSecretVolume, volumeForPath } from '../lib/kubernetes.js';
import { checklist, validateWorkloads, WORKLOAD_CLASSES } from '../lib/policy.js';
import { fileBackedSecretName, isSecretEnvName } from '../lib/secrets.js';
import { isRecord } from '../lib/values.js';

export const kubernetesWorkloadEnvSecrets: ResourceValidationPolicy = {
  name: 'kubernetes-workload-env-secrets',
  description:
    'Checklist 9a API Keys & Secrets stored in Kubernetes Secrets: env vars named like secrets (PASSWORD, SECRET, TOKEN, API_KEY, *KEY, URI) use valueFrom.secretKeyRef, their <NAME>_FILE form points into a Secret volume, and no argument carries a credential.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'keys and passwords stored in a secret manager, never in plain configuration'),
  validateResource: validateWorkloads(WORKLOAD_CLASSES, (w, _args, reportViolation) => {
    for (const c of containersOf(w.podSpec)) {
      const where = `${describe(w)} ${describeContainer(c)}`;
      for (const env of envOf(c.container)) {
        if (isSecretEnvName(env.name)) {
          if (env.valueFrom && isRecord(env.valueFrom.secretKeyRef)) continue;
          if (env.valueFrom && isRecord(env.valueFrom.configMapKeyRef)) {
            reportViolation(`${where} reads ${env.name} from ConfigMap '${String(env.valueFrom.configMapKeyRef.name)}': secrets belong in a Secret (valueFrom.secretKeyRef)`);
          } else if (typeof env.value === 'string' && env.value !== '') {
            reportViolation(`${where} sets ${env.name} to a literal value: read it from a Secret (valueFrom.secretKeyRef)`);
          }
          continue;
        }
        const secretName = fileBackedSecretName(env.name);
        if (secretName && typeof env.value === 'string' && !isSecretVolume(volumeForPath(w.podSpec, c.container, env.value))) {
          reportViolation(`${where} reads ${secretName} from ${env.value}, which is not mounted from a Secret`);
        }
      }
      for (const arg of credentialArguments(commandLine(c.container))) reportViolation(`${where} passes a credential in its arguments (${arg})`);
    }
  }),
};
