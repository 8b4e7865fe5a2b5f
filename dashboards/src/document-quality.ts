/**
 * Document Quality: completeness and auto-approval against the checklist targets (95 %, 90 %),
 * per document type, with the fields that keep documents incomplete (checklist: identify the top
 * three missing fields) and the human review workflow.
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { atLeast, buildDashboard, gaugePanel, instantQuery, perHour, query, statPanel, tablePanel, timeseriesPanel, type BuiltDashboard } from './factories.js';
import { approval, completeness, fields, throughput } from './queries.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

export const DOCUMENT_QUALITY_UID = 'document-quality';

/** Builds the Document Quality dashboard (uid `document-quality`). */
export function buildDocumentQuality(): BuiltDashboard {
  const completenessTarget = `${T.minCompletenessRatio * 100} %`;
  const approvalTarget = `${T.minAutoApprovalRatio * 100} %`;
  return buildDashboard({
    uid: DOCUMENT_QUALITY_UID,
    title: 'Document Quality',
    description: `Completeness (target ${completenessTarget}) and auto-approval (target ${approvalTarget}) of enriched documents, the fields that are missing, and the review queue.`,
    tags: ['quality'],
    panels: [
      gaugePanel({
        title: 'Average completeness',
        description: `Mean completeness score (share of required fields present and valid) of the documents enriched in the selected range. Checklist target: at least ${completenessTarget}.`,
        unit: units.PercentUnit,
        queries: [instantQuery(completeness.meanOverRange, 'completeness')],
        thresholds: atLeast(T.minCompletenessRatio),
        min: 0,
        max: 1,
        decimals: 1,
        width: 8,
        height: 6,
      }),
      gaugePanel({
        title: 'Auto-approval rate',
        description: `Share of the documents enriched in the selected range that were approved without human review. Checklist target: at least ${approvalTarget}.`,
        unit: units.PercentUnit,
        queries: [instantQuery(approval.rateOverRange, 'auto-approved')],
        thresholds: atLeast(T.minAutoApprovalRatio),
        min: 0,
        max: 1,
        decimals: 1,
        width: 8,
        height: 6,
      }),
      statPanel({
        title: 'Sent to review',
        description: 'Documents enriched in the selected range that were queued for human review (review_queue) instead of being auto-approved.',
        unit: units.Short,
        queries: [instantQuery(approval.sentToReviewOverRange, 'pending review')],
        decimals: 0,
        width: 8,
        height: 6,
      }),
      timeseriesPanel({
        title: 'Completeness by document type',
        description: `Rolling mean completeness per document type (receipt, invoice, form, other). Dashed line: the checklist target of ${completenessTarget}.`,
        unit: units.PercentUnit,
        queries: [query(completeness.meanByType, '{{document_type}}')],
        thresholds: atLeast(T.minCompletenessRatio),
        max: 1,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Auto-approval rate by document type',
        description: `Rolling share of documents auto-approved, per document type. Dashed line: the checklist target of ${approvalTarget}.`,
        unit: units.PercentUnit,
        queries: [query(approval.rateByType, '{{document_type}}')],
        thresholds: atLeast(T.minAutoApprovalRatio),
        min: 0,
        max: 1,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Completeness distribution (p10, p50)',
        description: `Completeness below which 10 % and 50 % of documents fall, interpolated within the histogram buckets. A mean above target with a low p10 means a tail of poor documents. Dashed line: ${completenessTarget}.`,
        unit: units.PercentUnit,
        queries: [query(completeness.quantile(0.1), 'p10'), query(completeness.quantile(0.5), 'p50')],
        thresholds: atLeast(T.minCompletenessRatio),
        max: 1,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Unresolved fields per document',
        description: 'Required fields per enriched document still missing, invalid (failed their schema) or low-confidence after every phase.',
        unit: units.Short,
        queries: [query(fields.missingPerDocumentByKind, '{{kind}}')],
        stacked: true,
        min: 0,
        width: 12,
        height: 8,
      }),
      tablePanel({
        title: 'Top unresolved fields',
        description: 'The ten fields most often left missing, invalid or low-confidence over the selected range, with the agent that owns each (checklist prompt optimisation: identify the top three missing fields, then refine that agent\'s prompt).',
        unit: units.Short,
        queries: [instantQuery(fields.topMissingOverRange, '{{field}}')],
        sortBy: { column: 'Value', desc: true },
        decimals: 0,
        width: 12,
        height: 9,
      }),
      timeseriesPanel({
        title: 'Documents enriched by type',
        description: 'Documents enriched per hour, by document type as classified.',
        unit: perHour('docs'),
        queries: [query(throughput.docsPerHourByType, '{{document_type}}')],
        stacked: true,
        min: 0,
        width: 6,
        height: 9,
      }),
      timeseriesPanel({
        title: 'Reviewer decisions',
        description: 'Review API decisions per hour (approve, reject, correct). Fewer decisions than documents sent to review means the review queue is growing.',
        unit: perHour('decisions'),
        queries: [query(approval.reviewDecisionsPerHour, '{{decision}}')],
        stacked: true,
        min: 0,
        width: 6,
        height: 9,
      }),
    ],
  });
}
