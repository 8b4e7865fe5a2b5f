/**
 * grafana-dashboards: the five checklist dashboards are provisioned with a 24-hour default range.
 * Checklist 9b-graf-02 to 9b-graf-07 (the five dashboards: Enrichment Overview, Agent
 * Performance, Cost Tracking, Document Quality, Processing Throughput) and 9b-graf-09 (a 24-hour
 * default range).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments, isDashboard } from '../lib/documents.js';
import { checklist, configOf, isDockerStack, isKubernetesStack } from '../lib/policy.js';

/** The dashboards the checklist names. */
export const CHECKLIST_DASHBOARDS = ['Enrichment Overview', 'Agent Performance', 'Cost Tracking', 'Document Quality', 'Processing Throughput'];

const DEFAULTS = { titles: CHECKLIST_DASHBOARDS, timeFrom: 'now-24h' };

export const grafanaDashboards: StackValidationPolicy = {
  name: 'grafana-dashboards',
  description:
    'Checklist 9b Grafana Dashboards, 5 dashboards provisioned with a 24-hour default range: dashboard models shipped in ConfigMaps, Secrets or container uploads include every title of titles (default the five checklist dashboards), each with time.from now-24h and time.to now.',
  severity: 'medium',
  framework: checklist('9b Grafana Dashboards', 'five dashboards provisioned, opening on the last 24 hours'),
  configSchema: {
    properties: {
      titles: { type: 'array', items: { type: 'string' }, default: DEFAULTS.titles },
      timeFrom: { type: 'string', default: DEFAULTS.timeFrom },
    },
  },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { titles, timeFrom } = configOf(args, DEFAULTS);
    const dashboards = configDocuments(args.resources).filter((d) => isDashboard(d.parsed));
    const provisioned = new Set(dashboards.map((d) => (d.parsed as { title: string }).title));
    const missing = titles.filter((t) => !provisioned.has(t));
    if (missing.length > 0) reportViolation(`no dashboard provisioned for ${missing.join(', ')}`);
    for (const d of dashboards) {
      const dash = d.parsed as { title: string; time?: { from?: string; to?: string } };
      if (dash.time?.from !== timeFrom || dash.time?.to !== 'now') {
        reportViolation(`${d.source} dashboard '${dash.title}' opens on ${String(dash.time?.from)} to ${String(dash.time?.to)}; the default range must be ${timeFrom} to now`, d.urn);
      }
    }
  },
};
