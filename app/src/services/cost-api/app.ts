/**
 * The Cost API (port 5002, issue 3): spend from `cost_records` by document, enrichment job,
 * agent, model and provider over a time range, budget status against the per-document and the
 * monthly budget, and the price table in force. Finance and admin roles only.
 *
 * `costRoutes` is the routes plugin; `buildCostApi` wraps it in the shared service app (helmet,
 * CORS, rate limit, JWT auth, OpenAPI at /docs, /health, /metrics; app/src/services/http/).
 * The aggregations live in app/src/store/costs.ts.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import { ANTHROPIC_PRICES, PRICE_TABLE_VERSION } from '../../llm/prices.js';
import type { Metrics } from '../../metrics/catalog.js';
import { budgetStatus, costsByDimension, costSummary, documentCosts, monthOf, type CostDimension, type DateRange } from '../../store/costs.js';
import type { Store } from '../../store/store.js';
import { buildServiceApp, type ServiceRouteOptions } from '../http/service-app.js';
import { COST_ROUTE_SCHEMAS, DEFAULT_ROWS } from './schemas.js';

/** Roles that may read costs (issue 3: "finance and admin for the Cost API"). */
export const COST_API_ROLES = ['finance', 'admin'];
/** Range of a query that gives no `from` (issue 3 leaves the default open; a month and a bit). */
export const DEFAULT_RANGE_DAYS = 30;
const DAY_MS = 86_400_000;

interface RangeQuery {
  from?: string;
  to?: string;
}

/** A 400 answered through the shared error handler as `{ error: 'Bad Request', message }`. */
class BadRequestError extends Error {
  readonly statusCode = 400;
  readonly error = 'Bad Request';
}

/**
 * The query's range: `to` defaults to now and `from` to `to` minus {@link DEFAULT_RANGE_DAYS}.
 * @throws BadRequestError when `from` is not before `to`.
 */
function parseRange(query: RangeQuery, now: Date): DateRange {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (!(from.getTime() < to.getTime())) throw new BadRequestError('from must be before to');
  return { from, to };
}

/**
 * The Cost API routes. Reads `store.costRecords` (and `store.ocrJobs` to find a document's job)
 * and `config.DOCUMENT_BUDGET_USD`, `MONTHLY_BUDGET_USD`, `GPU_HOUR_USD`.
 */
export const costRoutes: FastifyPluginAsync<ServiceRouteOptions> = async (app, { store, config }) => {
  app.get<{ Querystring: RangeQuery }>('/costs/summary', { schema: COST_ROUTE_SCHEMAS.summary }, async (request) => {
    const summary = await costSummary(store.costRecords, parseRange(request.query, new Date()));
    return { ...summary, current_price_table_version: PRICE_TABLE_VERSION };
  });

  app.get<{ Params: { dimension: CostDimension }; Querystring: RangeQuery & { limit?: number } }>(
    '/costs/by/:dimension',
    { schema: COST_ROUTE_SCHEMAS.byDimension },
    async (request) =>
      costsByDimension(store.costRecords, request.params.dimension, parseRange(request.query, new Date()), request.query.limit ?? DEFAULT_ROWS),
  );

  app.get<{ Params: { documentId: string } }>('/costs/documents/:documentId', { schema: COST_ROUTE_SCHEMAS.document }, async (request, reply) => {
    const costs = await documentCosts(store.costRecords, store.ocrJobs, request.params.documentId);
    if (!costs) return reply.code(404).send({ error: 'Not Found', message: `no cost records for document ${request.params.documentId}` });
    return costs;
  });

  app.get<{ Querystring: { month?: string; limit?: number } }>('/costs/budget', { schema: COST_ROUTE_SCHEMAS.budget }, async (request) => {
    const now = new Date();
    return budgetStatus(store.costRecords, {
      month: request.query.month ?? monthOf(now),
      documentBudgetUsd: config.DOCUMENT_BUDGET_USD,
      monthlyBudgetUsd: config.MONTHLY_BUDGET_USD,
      overBudgetLimit: request.query.limit ?? DEFAULT_ROWS,
      now,
    });
  });

  app.get('/costs/price-table', { schema: COST_ROUTE_SCHEMAS.priceTable }, async () => ({
    version: PRICE_TABLE_VERSION,
    anthropic_usd_per_mtok: Object.fromEntries(
      Object.entries(ANTHROPIC_PRICES).map(([model, p]) => [model, { input: p.inputUsdPerMTok, output: p.outputUsdPerMTok }]),
    ),
    gpu_hour_usd: config.GPU_HOUR_USD,
  }));
};

export interface CostApiDeps {
  config: AppConfig;
  store: Store;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The Cost API app, ready to `listen` or `inject`.
 * @throws Error as `buildServiceApp` (no API_JWT_SECRET, one TLS file without the other).
 */
export async function buildCostApi(deps: CostApiDeps): Promise<FastifyInstance> {
  return buildServiceApp({
    service: 'cost-api',
    ...deps,
    allowedRoles: COST_API_ROLES,
    title: 'Cost API',
    description:
      'Model spend of the enrichment pipeline from cost_records: by document, job, agent, model and provider; ' +
      'budget status; the price table. Bearer JWT with the finance or admin role.',
    routes: costRoutes,
  });
}
