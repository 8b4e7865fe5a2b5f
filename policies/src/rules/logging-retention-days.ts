/**
 * logging-retention-days: the central log store keeps logs at least 7 days, and deletes them
 * after that (so the volume does not fill up), on either target.
 * Checklist 9b Logging: logs gathered in a central store and kept a week or more.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments } from '../lib/documents.js';
import { isLokiConfig, lokiServers } from '../lib/logging.js';
import { checklist, configOf, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { parsePrometheusDurationDays } from '../lib/quantities.js';
import { isRecord } from '../lib/values.js';

const DEFAULTS = { minRetentionDays: 7 };

export const loggingRetentionDays: StackValidationPolicy = {
  name: 'logging-retention-days',
  description:
    'Checklist 9b Logging, logs kept centrally for a week or more: the stack runs a Loki server (workload or container labelled loki), and every Loki configuration (ConfigMap, Secret or container upload with schema_config) sets limits_config.retention_period of at least minRetentionDays (default 7) with compactor.retention_enabled true.',
  severity: 'high',
  framework: checklist('9b Logging', 'logs gathered in a central store; kept at least 7 days'),
  configSchema: { properties: { minRetentionDays: { type: 'integer', minimum: 1, default: DEFAULTS.minRetentionDays } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { minRetentionDays } = configOf(args, DEFAULTS);
    if (lokiServers(args.resources).length === 0) reportViolation('no Loki server (workload or container labelled loki): logs are not aggregated centrally');
    const configs = configDocuments(args.resources).filter((d) => isLokiConfig(d.parsed));
    if (configs.length === 0) reportViolation('no Loki configuration (a document with schema_config) in any ConfigMap, Secret or container upload');
    for (const doc of configs) {
      const loki = doc.parsed as { limits_config?: unknown; compactor?: unknown };
      const period = isRecord(loki.limits_config) ? loki.limits_config.retention_period : undefined;
      if (period === undefined) {
        reportViolation(`${doc.source} sets no limits_config.retention_period; at least ${minRetentionDays}d is required`, doc.urn);
        continue;
      }
      const days = parsePrometheusDurationDays(String(period));
      if (Number.isNaN(days)) reportViolation(`${doc.source} has an unreadable retention_period '${String(period)}'`, doc.urn);
      else if (days < minRetentionDays) reportViolation(`${doc.source} keeps logs ${String(period)}; at least ${minRetentionDays}d is required`, doc.urn);
      const enabled = isRecord(loki.compactor) && loki.compactor.retention_enabled === true;
      if (!enabled) reportViolation(`${doc.source} does not set compactor.retention_enabled: the retention period is never applied and the volume fills up`, doc.urn);
    }
  },
};
