/**
 * The on-disk form of a generated dashboard, shared by the build script and the staleness test
 * so that both compare byte for byte.
 */
import type { BuiltDashboard } from './factories.js';

/** File name of a dashboard under `dashboards/generated/`: `<uid>.json`. */
export function dashboardFileName(dashboard: Pick<BuiltDashboard, 'uid'>): string {
  return `${dashboard.uid}.json`;
}

/** Dashboard JSON model as written to disk: 2-space indentation and a trailing newline. */
export function renderDashboardFile(dashboard: Pick<BuiltDashboard, 'json'>): string {
  return `${JSON.stringify(dashboard.json, null, 2)}\n`;
}
