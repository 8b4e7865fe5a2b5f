/**
 * `npm run openapi`: writes the OpenAPI 3 documents of the Review API and the Cost API to
 * `openapi/review-api.json` and `openapi/cost-api.json`, the same documents the services serve at
 * `/docs/json`. Builds each app without a database or a listening socket: routes never run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../app/src/config.js';
import { createMetrics } from '../app/src/metrics/catalog.js';
import { buildReviewApi } from '../app/src/services/review-api/app.js';
import type { Store } from '../app/src/store/store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'openapi');
// Only signing needs the secret, and nothing is signed here; a throwaway one satisfies the config.
const config = loadConfig({ API_JWT_SECRET: randomBytes(32).toString('base64url') });
const deps = { config, store: {} as Store, logger: pino({ level: 'silent' }) };

async function write(name: string, app: FastifyInstance): Promise<void> {
  await app.ready();
  const file = path.join(outDir, `${name}.json`);
  await writeFile(file, `${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
  console.log(`wrote ${path.relative(root, file)}`);
}

await mkdir(outDir, { recursive: true });
await write('review-api', await buildReviewApi({ ...deps, metrics: createMetrics('review-api') }));
if (existsSync(path.join(root, 'app/src/services/cost-api/app.ts'))) {
  const { buildCostApi } = await import('../app/src/services/cost-api/app.js');
  await write('cost-api', await buildCostApi({ ...deps, metrics: createMetrics('cost-api') }));
} else {
  console.log('skipped openapi/cost-api.json: app/src/services/cost-api/app.ts does not exist yet');
}
