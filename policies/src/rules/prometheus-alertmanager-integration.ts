/**
 * prometheus-alertmanager-integration: Prometheus sends its alerts to Alertmanager.
 * Checklist 9b "Prometheus Setup": AlertManager integrated.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments, isPrometheusConfig } from '../lib/documents.js';
import { checklist, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';

/** True when an `alerting.alertmanagers` entry has a target (static or discovered). */
function hasTarget(am: unknown): boolean {
  if (!isRecord(am)) return false;
  if (list<Props>(am.static_configs).some((s) => list(s.targets).length > 0)) return true;
  return Object.keys(am).some((k) => k.endsWith('_sd_configs') && list(am[k]).length > 0);
}

export const prometheusAlertmanagerIntegration: StackValidationPolicy = {
  name: 'prometheus-alertmanager-integration',
  description: 'Checklist 9b Prometheus Setup, AlertManager integrated: every Prometheus configuration lists at least one Alertmanager target under alerting.alertmanagers.',
  severity: 'high',
  framework: checklist('9b Prometheus Setup', 'AlertManager integrated'),
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const configs = configDocuments(args.resources).filter((d) => isPrometheusConfig(d.parsed));
    if (configs.length === 0) reportViolation('no Prometheus configuration (a document with scrape_configs) in any ConfigMap, Secret or container upload');
    for (const doc of configs) {
      const alerting = (doc.parsed as Props).alerting;
      if (!list(isRecord(alerting) ? alerting.alertmanagers : undefined).some(hasTarget)) reportViolation(`${doc.source} sends alerts to no Alertmanager (alerting.alertmanagers)`, doc.urn);
    }
  },
};
