/**
 * kubernetes-helm-values-no-secrets: Helm values carry no credentials.
 * Checklist 9a "API Keys & Secrets": Helm stores a release's values in the release record,
 * readable by anyone who can read the namespace's Secrets of type helm.sh/release, and Pulumi
 * shows them in diffs; credentials go into Kubernetes Secrets referenced by the chart.
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { checklist } from '../lib/policy.js';
import { literalSecretPaths } from '../lib/secrets.js';
import type { Props } from '../lib/values.js';

function check(kind: string, props: Props, reportViolation: (message: string) => void): void {
  const paths = literalSecretPaths(props.values);
  const name = typeof props.name === 'string' ? props.name : typeof props.chart === 'string' ? props.chart : '(unnamed)';
  if (paths.length > 0) reportViolation(`${kind} '${name}' values hold inline secrets at ${paths.join(', ')}: reference an existing Secret instead`);
}

export const kubernetesHelmValuesNoSecrets: ResourceValidationPolicy = {
  name: 'kubernetes-helm-values-no-secrets',
  description:
    'Checklist 9a API Keys & Secrets stored in Kubernetes Secrets: the values of Helm releases (helm.v3.Release, helm.v4.Chart) hold no inline password, token, API key or webhook URL.',
  severity: 'critical',
  framework: checklist('9a API Keys & Secrets', 'keys and passwords stored in a secret manager, never in Helm values'),
  validateResource: [
    validateResourceOfType(k8s.helm.v3.Release, (release, _args, reportViolation) => check('Helm release', release as Props, reportViolation)),
    validateResourceOfType(k8s.helm.v4.Chart, (chart, _args, reportViolation) => check('Helm chart', chart as Props, reportViolation)),
  ],
};
