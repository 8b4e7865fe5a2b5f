/**
 * `enrich worker`: boots one EnrichmentWorker process with its ops server (`/health`, `/metrics`
 * on WORKER_METRICS_PORT) and stops it gracefully on SIGTERM/SIGINT.
 */
import Fastify from 'fastify';
import type { AppConfig } from '../../config.js';
import { agentUrls } from '../../agents/urls.js';
import { createMetrics } from '../../metrics/catalog.js';
import { createLogger } from '../../ops/logger.js';
import { registerOpsRoutes } from '../../ops/http.js';
import { Publisher } from '../../queue/nsq.js';
import { Store } from '../../store/store.js';
import { McpAgentCaller } from './agent-caller.js';
import { EnrichmentWorker } from './worker.js';

export async function runWorker(config: AppConfig): Promise<void> {
  const metrics = createMetrics('worker');
  const logger = createLogger('worker', config.LOG_LEVEL, { metrics });
  if (!config.MCP_JWT_SECRET) throw new Error('MCP_JWT_SECRET is required to call the agents (at least 32 characters)');
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, maxPoolSize: config.WORKER_MAX_IN_FLIGHT * 2 + 4 });
  const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS);
  const agents = new McpAgentCaller(agentUrls(config), {
    jwtSecret: config.MCP_JWT_SECRET,
    issuer: config.MCP_JWT_ISSUER,
    timeoutMs: config.AGENT_CALL_TIMEOUT_SECONDS * 1000,
    metrics,
  });
  const worker = new EnrichmentWorker({ config, store, publisher, agents, metrics, logger });

  const ops = Fastify({ logger: false });
  registerOpsRoutes(ops, {
    metrics,
    checks: {
      mongodb: () => store.ping(),
      nsqd: async () => {
        const res = await fetch(`http://${config.NSQD_HTTP_ADDRESS}/ping`);
        if (!res.ok) throw new Error(`nsqd /ping answered ${res.status}`);
      },
      agents: () => agents.ping(),
    },
  });
  await ops.listen({ host: config.AGENT_HOST, port: config.WORKER_METRICS_PORT });
  await worker.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await worker.stop();
    await agents.close();
    publisher.close();
    await ops.close();
    await store.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
