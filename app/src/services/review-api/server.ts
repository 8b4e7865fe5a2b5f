/**
 * `enrich review-api`: boots the Review API on `API_HOST:REVIEW_API_PORT` (default 5001) until
 * SIGTERM/SIGINT, then drains in-flight requests and closes the store.
 */
import type { AppConfig } from '../../config.js';
import { createMetrics } from '../../metrics/catalog.js';
import { createLogger } from '../../ops/logger.js';
import { Store } from '../../store/store.js';
import { startService } from '../http/server.js';
import { buildReviewApi } from './app.js';

/**
 * Runs the Review API until a shutdown signal.
 * @returns the address it listens on (`http(s)://host:port`).
 * @throws the driver's error when MongoDB is unreachable, the app's when API_JWT_SECRET is unset,
 *   the listen error (e.g. EADDRINUSE); the store is closed before rethrowing.
 */
export async function runReviewApi(config: AppConfig): Promise<string> {
  const metrics = createMetrics('review-api');
  const logger = createLogger('review-api', config.LOG_LEVEL, { metrics });
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
  try {
    const app = await buildReviewApi({ config, store, metrics, logger });
    const address = await startService(app, { host: config.API_HOST, port: config.REVIEW_API_PORT, store });
    logger.info({ address }, 'review-api listening');
    return address;
  } catch (error) {
    await store.close();
    throw error;
  }
}
