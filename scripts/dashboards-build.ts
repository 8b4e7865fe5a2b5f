/**
 * `npm run dashboards:build`: writes every dashboard of `dashboards/index.ts` to
 * `dashboards/generated/<uid>.json` (2-space JSON, trailing newline) for Grafana's file
 * provisioning, and removes generated files of dashboards that no longer exist. The generated
 * files are committed; tests/monitoring/dashboards.test.ts fails when they differ from a fresh
 * build.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards } from '../dashboards/index.js';
import { dashboardFileName, renderDashboardFile } from '../dashboards/src/render.js';

const outDir = fileURLToPath(new URL('../dashboards/generated/', import.meta.url));

const dashboards = buildDashboards();
await mkdir(outDir, { recursive: true });
const wanted = new Set(dashboards.map(dashboardFileName));
for (const name of await readdir(outDir)) {
  if (name.endsWith('.json') && !wanted.has(name)) {
    await rm(join(outDir, name));
    console.log(`removed dashboards/generated/${name}`);
  }
}
for (const d of dashboards) {
  await writeFile(join(outDir, dashboardFileName(d)), renderDashboardFile(d));
  const panels = Array.isArray(d.json['panels']) ? d.json['panels'].length : 0;
  console.log(`wrote dashboards/generated/${dashboardFileName(d)} (${d.title}, ${panels} panels)`);
}
