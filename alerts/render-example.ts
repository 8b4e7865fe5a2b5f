/**
 * Writes `alerts/alertmanager.example.yml` from `EXAMPLE_ALERTMANAGER_OPTIONS`
 * (`npx tsx alerts/render-example.ts`). tests/monitoring/alertmanager.test.ts fails when the
 * committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderExample } from './alertmanager.js';

const target = fileURLToPath(new URL('./alertmanager.example.yml', import.meta.url));
writeFileSync(target, renderExample());
console.log(`wrote ${target}`);
