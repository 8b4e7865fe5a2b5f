/**
 * Enrichment Overview: the checklist's success criteria at a glance (completeness, auto-approval,
 * cost per document, throughput, all agents answering), the health of what the pipeline
 * depends on, and the errors the app logs. The first dashboard to open twice a day (checklist "Daily Operations").
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { atLeast, atMost, buildDashboard, instantQuery, perHour, query, statPanel, tablePanel, timeseriesPanel, type BuiltDashboard } from './factories.js';
import { agents, approval, completeness, cost, queue, services, throughput } from './queries.js';
import { throughputStatPanel } from './panels.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

export const ENRICHMENT_OVERVIEW_UID = 'enrichment-overview';

/** Builds the Enrichment Overview dashboard (uid `enrichment-overview`). */
export function buildEnrichmentOverview(): BuiltDashboard {
  return buildDashboard({
    uid: ENRICHMENT_OVERVIEW_UID,
    title: 'Enrichment Overview',
    description: 'Production success criteria of the enrichment pipeline over the selected range, with the health of its dependencies and the errors its processes log.',
    tags: ['overview'],
    panels: [
      statPanel({
        title: 'Average completeness',
        description: `Mean completeness score of the documents enriched in the selected range. Checklist target: at least ${T.minCompletenessRatio * 100} %.`,
        unit: units.PercentUnit,
        queries: [instantQuery(completeness.meanOverRange, 'completeness')],
        thresholds: atLeast(T.minCompletenessRatio),
        decimals: 1,
        width: 5,
        height: 4,
      }),
      statPanel({
        title: 'Auto-approval rate',
        description: `Share of the documents enriched in the selected range that were approved without human review. Checklist target: at least ${T.minAutoApprovalRatio * 100} %.`,
        unit: units.PercentUnit,
        queries: [instantQuery(approval.rateOverRange, 'auto-approved')],
        thresholds: atLeast(T.minAutoApprovalRatio),
        decimals: 1,
        width: 5,
        height: 4,
      }),
      statPanel({
        title: 'Cost per document',
        description: `Mean model spend per enriched document in the selected range (local GPU time and Claude tokens). Checklist limit: $${T.maxCostPerDocumentUsd.toFixed(2)}.`,
        unit: units.Dollars,
        queries: [instantQuery(cost.perDocumentOverRange, 'cost per document')],
        thresholds: atMost(T.maxCostPerDocumentUsd),
        decimals: 3,
        width: 5,
        height: 4,
      }),
      throughputStatPanel({ width: 5, height: 4 }),
      statPanel({
        title: 'Agents answering',
        description: `Agents (of ${T.agentCount}) that answered at least one MCP call successfully in the selected range. Checklist: all five agents healthy and responsive.`,
        unit: units.Short,
        queries: [instantQuery(agents.answeringOverRange, 'agents')],
        thresholds: atLeast(T.agentCount),
        width: 4,
        height: 4,
      }),
      timeseriesPanel({
        title: 'Documents enriched per hour',
        description: `Documents enriched per hour, stacked by decision (auto-approved, sent to review); the top of the stack is the throughput. Dashed line: the checklist target of ${T.minThroughputDocsPerHour} documents per hour. Failed jobs are on the Processing Throughput dashboard.`,
        unit: perHour('docs'),
        queries: [query(throughput.docsPerHourByDecision, '{{decision}}')],
        thresholds: atLeast(T.minThroughputDocsPerHour),
        stacked: true,
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Completeness',
        description: `Rolling mean completeness score of enriched documents. Dashed line: the checklist target of ${T.minCompletenessRatio * 100} %.`,
        unit: units.PercentUnit,
        queries: [query(completeness.mean, 'completeness')],
        thresholds: atLeast(T.minCompletenessRatio),
        max: 1,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Auto-approval rate',
        description: `Rolling share of enriched documents approved without human review. Dashed line: the checklist target of ${T.minAutoApprovalRatio * 100} %.`,
        unit: units.PercentUnit,
        queries: [query(approval.rate, 'auto-approval rate')],
        thresholds: atLeast(T.minAutoApprovalRatio),
        max: 1,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Cost per document',
        description: `Rolling mean model spend per enriched document. Dashed line: the checklist limit of $${T.maxCostPerDocumentUsd.toFixed(2)} per document.`,
        unit: units.Dollars,
        queries: [query(cost.perDocument, 'mean cost per document')],
        thresholds: atMost(T.maxCostPerDocumentUsd),
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Queue backlog',
        description: 'Messages waiting on the NSQ enrichment topic and its channels (nsq_exporter). A growing backlog means the workers do not keep up: scale workers or raise their parallelism (checklist troubleshooting table).',
        unit: units.Short,
        queries: [query(queue.backlog, 'enrichment backlog')],
        min: 0,
        width: 8,
        height: 8,
      }),
      tablePanel({
        title: 'Dependency health',
        description: 'Last /health check result of each process for each dependency (1 = up, 0 = down), from enrichment_dependency_up. A process that is not scraped does not appear: see the scrape-target panel.',
        unit: units.BoolYesNo,
        queries: [instantQuery(services.dependencyUp, 'up')],
        thresholds: atLeast(1),
        sortBy: { column: 'Value', desc: false },
        width: 8,
        height: 8,
      }),
      tablePanel({
        title: 'Scrape targets up',
        description: 'Share of Prometheus scrape targets answering, per scrape job (Prometheus `up`). Below 100 %, a service or exporter is down or unreachable.',
        unit: units.PercentUnit,
        queries: [instantQuery(services.scrapeTargetsUp, 'up')],
        thresholds: atLeast(1),
        width: 24,
        height: 6,
      }),
      timeseriesPanel({
        title: 'Errors logged',
        description:
          'Error and fatal log lines per hour written by each app job (worker, agents, APIs), counted by the shared logger (enrichment_log_messages_total). Above 60 per hour for 15 minutes, ErrorLogRateHigh opens a ticket; the lines themselves are in Grafana Explore, datasource Loki: {app="<job>"} | json | level >= 50.',
        unit: perHour('lines'),
        queries: [query(services.errorLogLinesPerHour, '{{job}}')],
        min: 0,
        width: 24,
        height: 8,
      }),
    ],
  });
}
