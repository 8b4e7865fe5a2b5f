/**
 * The five Grafana dashboards of the production checklist ("Grafana Dashboards": Enrichment
 * Overview, Agent Performance, Cost Tracking, Document Quality, Processing Throughput) as Grafana
 * 11.6 dashboard JSON, built with `@grafana/grafana-foundation-sdk`.
 *
 * Side-effect free: importing this module builds nothing and touches no file. The infra code
 * calls {@link buildDashboards} to provision them; `npm run dashboards:build` writes the same
 * JSON to `dashboards/generated/<uid>.json` for Grafana's file provisioning.
 */
import { buildAgentPerformance } from './src/agent-performance.js';
import { buildCostTracking } from './src/cost-tracking.js';
import { buildDocumentQuality } from './src/document-quality.js';
import { buildEnrichmentOverview } from './src/enrichment-overview.js';
import type { BuiltDashboard } from './src/factories.js';
import { buildProcessingThroughput } from './src/processing-throughput.js';

export type { BuiltDashboard } from './src/factories.js';
export { DATASOURCE_VARIABLE, DEFAULT_TIME_RANGE, PLATFORM_TAG } from './src/factories.js';

/**
 * Builds the five dashboards, in checklist order.
 *
 * @returns One entry per dashboard: its stable `uid` (e.g. `enrichment-overview`), its `title`,
 *   and `json`, the Grafana dashboard JSON model (plain JSON, ready for `JSON.stringify`). Every
 *   call returns fresh objects with identical content.
 */
export function buildDashboards(): BuiltDashboard[] {
  return [buildEnrichmentOverview(), buildAgentPerformance(), buildCostTracking(), buildDocumentQuality(), buildProcessingThroughput()];
}
