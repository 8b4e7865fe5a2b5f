/**
 * alertmanager-receivers: alerts reach people.
 * Checklist 9b "Alerting": AlertManager configured, alert channels configured (email
 * notifications; Slack and PagerDuty if applicable); "Grafana Dashboards": alert notifications
 * configured.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments, isAlertmanagerConfig } from '../lib/documents.js';
import { checklist, configOf, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';

const DEFAULTS = { requiredIntegrations: ['email_configs'] as string[] };

/** Every receiver name a route tree refers to. */
function routeReceivers(route: unknown): string[] {
  if (!isRecord(route)) return [];
  return [...(typeof route.receiver === 'string' ? [route.receiver] : []), ...list(route.routes).flatMap(routeReceivers)];
}

export const alertmanagerReceivers: StackValidationPolicy = {
  name: 'alertmanager-receivers',
  description:
    'Checklist 9b Alerting, AlertManager and alert channels configured: an Alertmanager configuration exists, its route tree names only declared receivers, at least one receiver has a notification integration, and the integrations requiredIntegrations (default email_configs) are used.',
  severity: 'high',
  framework: checklist('9b Alerting', 'AlertManager configured with alert channels (email; Slack and PagerDuty where used)'),
  configSchema: { properties: { requiredIntegrations: { type: 'array', items: { type: 'string' }, default: DEFAULTS.requiredIntegrations } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { requiredIntegrations } = configOf(args, DEFAULTS);
    const configs = configDocuments(args.resources).filter((d) => isAlertmanagerConfig(d.parsed));
    if (configs.length === 0) {
      reportViolation('no Alertmanager configuration (a document with route and receivers) in any ConfigMap, Secret or container upload');
      return;
    }
    for (const doc of configs) {
      const config = doc.parsed as Props;
      const receivers = list<Props>(config.receivers).filter(isRecord);
      const names = new Set(receivers.map((r) => r.name).filter((n): n is string => typeof n === 'string'));
      const unknown = routeReceivers(config.route).filter((r) => !names.has(r));
      if (unknown.length > 0) reportViolation(`${doc.source} routes to undeclared receivers ${[...new Set(unknown)].join(', ')}`, doc.urn);
      const integrations = new Set(receivers.flatMap((r) => Object.keys(r).filter((k) => k.endsWith('_configs') && list(r[k]).length > 0)));
      if (integrations.size === 0) reportViolation(`${doc.source} has no receiver with a notification integration (email_configs, slack_configs, pagerduty_configs, ...)`, doc.urn);
      else {
        const missing = requiredIntegrations.filter((i) => !integrations.has(i));
        if (missing.length > 0) reportViolation(`${doc.source} has no receiver using ${missing.join(', ')}`, doc.urn);
      }
    }
  },
};
