/**
 * Panels shown on more than one dashboard, built once so that their wording, query and
 * thresholds cannot drift apart between dashboards.
 */
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import { atLeast, instantQuery, perHour, statPanel } from './factories.js';
import { throughput } from './queries.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

/**
 * The checklist's throughput figure: documents enriched per hour, averaged over the selected
 * range, red below `minThroughputDocsPerHour` (Enrichment Overview, Processing Throughput).
 *
 * @param size width and height in grid units (24 columns per row).
 */
export function throughputStatPanel(size: { width: number; height: number }): stat.PanelBuilder {
  return statPanel({
    title: 'Throughput',
    description: `Documents enriched per hour, averaged over the selected range. Checklist target: at least ${T.minThroughputDocsPerHour} documents per hour (meaningful under production load only).`,
    unit: perHour('docs'),
    queries: [instantQuery(throughput.docsPerHourOverRange, 'documents per hour')],
    thresholds: atLeast(T.minThroughputDocsPerHour),
    decimals: 1,
    width: size.width,
    height: size.height,
  });
}
