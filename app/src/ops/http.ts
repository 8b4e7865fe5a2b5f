/**
 * Ops routes every process serves: `GET /health` (dependency checks) and `GET /metrics`
 * (Prometheus exposition of the process's private registry).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/catalog.js';

/** A dependency check: resolves when the dependency is usable, rejects with the reason otherwise. */
export type HealthCheck = () => Promise<void>;

export interface OpsRoutesOptions {
  metrics: Metrics;
  /** Checks by dependency name (e.g. `mongodb`, `nsqd`); each sets `enrichment_dependency_up`. */
  checks: Record<string, HealthCheck>;
  /** Per-check deadline in milliseconds; a slower check counts as failed. Default 5000. */
  checkTimeoutMs?: number;
}

const DEFAULT_CHECK_TIMEOUT_MS = 5_000;

const healthResponse = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/**
 * Registers `GET /health` and `GET /metrics` on a fastify app.
 *
 * `/health` runs every check concurrently, each bounded by `checkTimeoutMs`. All pass: 200
 * `{ status: 'ok', checks: { <name>: 'ok' } }`. Any fails: 503 `{ status: 'error', checks }`
 * where a failing check's entry is its error message. Each result sets
 * `enrichment_dependency_up{dependency=<name>}` to 1 or 0.
 *
 * `/metrics` returns `registry.metrics()` with the registry's content type
 * (`text/plain; version=0.0.4`).
 */
export function registerOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  const { metrics, checks } = options;
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;

  app.get('/health', { schema: { response: { 200: healthResponse, 503: healthResponse } } }, async (_request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const error = await runCheck(check, timeoutMs);
        metrics.healthCheck.set({ dependency: name }, error === undefined ? 1 : 0);
        return { name, error };
      }),
    );
    const healthy = results.every((r) => r.error === undefined);
    const body = Object.fromEntries(results.map((r) => [r.name, r.error ?? 'ok']));
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'error', checks: body });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}

/** Runs one check; resolves to undefined on success, else to the failure message. */
async function runCheck(check: HealthCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`check timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
