/**
 * prometheus-alert-rules-count: at least 30 alerting rules are loaded.
 * Checklist 9b-prom-04 and 9b-alert-10 (thirty or more rules, loaded and tested).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments, isPrometheusConfig, isRuleFile } from '../lib/documents.js';
import { checklist, configOf, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { isRecord, list } from '../lib/values.js';

const DEFAULTS = { minAlertRules: 30 };

export const prometheusAlertRulesCount: StackValidationPolicy = {
  name: 'prometheus-alert-rules-count',
  description:
    'Checklist 9b Prometheus Setup, 30+ alert rules loaded: the rule files shipped in ConfigMaps, Secrets or container uploads hold at least minAlertRules (default 30) distinct alerting rules, and every Prometheus configuration loads rule_files.',
  severity: 'high',
  framework: checklist('9b Prometheus Setup', 'alert rules loaded: 30 or more active'),
  configSchema: { properties: { minAlertRules: { type: 'integer', minimum: 1, default: DEFAULTS.minAlertRules } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { minAlertRules } = configOf(args, DEFAULTS);
    const docs = configDocuments(args.resources);
    const alerts = new Set<string>();
    for (const doc of docs) {
      if (!isRuleFile(doc.parsed)) continue;
      for (const group of doc.parsed.groups) {
        for (const rule of list(group.rules)) {
          // The same rule file may be shipped twice (e.g. to two servers): count distinct rules.
          if (isRecord(rule) && typeof rule.alert === 'string') alerts.add(JSON.stringify([rule.alert, rule.expr, rule.labels ?? {}]));
        }
      }
    }
    if (alerts.size < minAlertRules) reportViolation(`the stack ships ${alerts.size} alerting rules; at least ${minAlertRules} are required`);
    for (const doc of docs) {
      if (isPrometheusConfig(doc.parsed) && list(doc.parsed.rule_files).length === 0) reportViolation(`${doc.source} loads no rule_files`, doc.urn);
    }
  },
};
