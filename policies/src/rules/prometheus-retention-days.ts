/**
 * prometheus-retention-days: Prometheus keeps 30 days of metrics, on either target.
 * Checklist 9b "Prometheus Setup": Prometheus retention of 30 days or more.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { flagValue } from '../lib/kubernetes.js';
import { prometheusServers } from '../lib/monitoring.js';
import { checklist, configOf, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { parsePrometheusDurationDays } from '../lib/quantities.js';

const DEFAULTS = { minRetentionDays: 30 };
/** Prometheus's own default when the flag is absent. */
const PROMETHEUS_DEFAULT_RETENTION = '15d';

export const prometheusRetentionDays: StackValidationPolicy = {
  name: 'prometheus-retention-days',
  description:
    'Checklist 9b Prometheus Setup, retention of 30 days or more: every Prometheus server (Kubernetes workload or Docker container labelled prometheus) runs with --storage.tsdb.retention.time of at least minRetentionDays (default 30).',
  severity: 'high',
  framework: checklist('9b Prometheus Setup', 'Prometheus deployed; retention at least 30 days'),
  configSchema: { properties: { minRetentionDays: { type: 'integer', minimum: 1, default: DEFAULTS.minRetentionDays } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { minRetentionDays } = configOf(args, DEFAULTS);
    const servers = prometheusServers(args.resources);
    if (servers.length === 0) reportViolation('no Prometheus server (workload or container labelled prometheus)');
    for (const s of servers) {
      const flag = flagValue(s.argv, '--storage.tsdb.retention.time') ?? flagValue(s.argv, '--storage.tsdb.retention');
      const value = typeof flag === 'string' ? flag : PROMETHEUS_DEFAULT_RETENTION;
      const days = parsePrometheusDurationDays(value);
      if (Number.isNaN(days)) reportViolation(`${s.where} has an unreadable retention '${value}'`, s.urn);
      else if (days < minRetentionDays) {
        reportViolation(`${s.where} keeps metrics ${value}${typeof flag === 'string' ? '' : ' (Prometheus default)'}; at least ${minRetentionDays}d is required`, s.urn);
      }
    }
  },
};
