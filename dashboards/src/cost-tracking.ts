/**
 * Cost Tracking: model spend against the checklist's $0.50-per-document limit, with the
 * breakdowns the weekly and monthly reviews ask for (by agent, provider and model; trend).
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { atMost, buildDashboard, instantQuery, perHour, query, statPanel, tablePanel, timeseriesPanel, type BuiltDashboard } from './factories.js';
import { cost, fields } from './queries.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

export const COST_TRACKING_UID = 'cost-tracking';

/**
 * Share of documents over the limit above which the stat turns amber, then red. Operational
 * choice: the checklist sets the mean, and a few expensive outliers are expected.
 */
const OVER_LIMIT_AMBER = 0.01;
const OVER_LIMIT_RED = 0.05;

/** Builds the Cost Tracking dashboard (uid `cost-tracking`). */
export function buildCostTracking(): BuiltDashboard {
  const limit = `$${T.maxCostPerDocumentUsd.toFixed(2)}`;
  return buildDashboard({
    uid: COST_TRACKING_UID,
    title: 'Cost Tracking',
    description: `Model spend (local GPU time and Claude tokens) per document and in total, against the checklist limit of ${limit} per document.`,
    tags: ['cost'],
    panels: [
      statPanel({
        title: 'Cost per document',
        description: `Mean model spend per enriched document in the selected range. Checklist limit: ${limit}.`,
        unit: units.Dollars,
        queries: [instantQuery(cost.perDocumentOverRange, 'cost per document')],
        thresholds: atMost(T.maxCostPerDocumentUsd),
        decimals: 3,
        width: 6,
        height: 4,
      }),
      statPanel({
        title: `Documents over ${limit}`,
        description: `Share of the documents enriched in the selected range whose own spend exceeded ${limit} (from the per-document cost histogram). Amber from ${OVER_LIMIT_AMBER * 100} %, red from ${OVER_LIMIT_RED * 100} % (operational thresholds).`,
        unit: units.PercentUnit,
        queries: [instantQuery(cost.shareOverLimitOverRange, 'over limit')],
        thresholds: [
          { value: null, color: 'green' },
          { value: OVER_LIMIT_AMBER, color: 'orange' },
          { value: OVER_LIMIT_RED, color: 'red' },
        ],
        decimals: 1,
        width: 6,
        height: 4,
      }),
      statPanel({
        title: 'Spend in range',
        description: 'Total model spend recorded in cost records over the selected range.',
        unit: units.Dollars,
        queries: [instantQuery(cost.totalOverRange, 'spend')],
        decimals: 2,
        width: 6,
        height: 4,
      }),
      statPanel({
        title: 'Projected 30-day spend',
        description: 'Spend of the selected range extrapolated to 30 days, to compare with the monthly budget (the Cost API reports the budget status).',
        unit: units.Dollars,
        queries: [instantQuery(cost.projected30Days, 'projected')],
        decimals: 0,
        width: 6,
        height: 4,
      }),
      timeseriesPanel({
        title: 'Cost per document',
        description: `Rolling mean and 95th percentile of the model spend per enriched document. Dashed line: the checklist limit of ${limit}. The percentile is interpolated within the cost histogram's buckets.`,
        unit: units.Dollars,
        queries: [query(cost.perDocument, 'mean'), query(cost.perDocumentQuantile(0.95), 'p95')],
        thresholds: atMost(T.maxCostPerDocumentUsd),
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Spend per hour by provider',
        description: 'Model spend in USD per hour, by provider (ollama = GPU time priced per GPU-hour, anthropic = Claude tokens, offline = free).',
        unit: units.Dollars,
        queries: [query(cost.perHourByProvider, '{{provider}}')],
        stacked: true,
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Spend per hour by agent',
        description: 'Model spend in USD per hour, by agent. The checklist remedy for high costs is to disable expensive agents or change routing: this shows which.',
        unit: units.Dollars,
        queries: [query(cost.perHourByAgent, '{{agent}}')],
        stacked: true,
        min: 0,
        width: 12,
        height: 8,
      }),
      tablePanel({
        title: 'Spend by agent, provider and model',
        description: 'Model spend over the selected range per agent, provider and model, largest first (checklist weekly task: review cost breakdowns).',
        unit: units.Dollars,
        queries: [instantQuery(cost.breakdownOverRange, 'spend')],
        sortBy: { column: 'Value', desc: true },
        decimals: 4,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Claude escalations',
        description: 'Fields per hour escalated to Claude, by owning agent. Every escalation is paid per token: a rise here explains a rise in Anthropic spend.',
        unit: perHour('fields'),
        queries: [query(fields.claudeEscalationsPerHour, '{{agent}}')],
        stacked: true,
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Claude tokens per hour',
        description: 'Tokens per hour sent to (input) and received from (output) Claude: what Anthropic bills.',
        unit: perHour('tokens'),
        queries: [query(cost.claudeTokensPerHour, '{{direction}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'GPU time per hour',
        description: 'GPU seconds billed per hour of wall time for local model calls, by model (priced at the configured USD per GPU-hour).',
        unit: units.Seconds,
        queries: [query(cost.gpuSecondsPerHour, '{{model}}')],
        stacked: true,
        min: 0,
        width: 8,
        height: 8,
      }),
    ],
  });
}
