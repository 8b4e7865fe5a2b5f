/**
 * Entry of `enrich agent <name>`: builds the agent's providers from config and serves it until
 * SIGTERM/SIGINT.
 */
import type { AppConfig } from '../config.js';
import type { AgentName } from '../domain/fields.js';
import { AnthropicProvider } from '../llm/anthropic.js';
import { OfflineProvider } from '../llm/offline/index.js';
import { OllamaProvider } from '../llm/ollama.js';
import { createMetrics } from '../metrics/catalog.js';
import { createLogger } from '../ops/logger.js';
import { startAgentServer, type AgentServerHandle } from './http.js';
import { ollamaModelFor } from './registry.js';
import type { AgentProviders } from './server.js';
import { agentPort } from './urls.js';

export { agentPort, agentUrls } from './urls.js';

// `max_tokens` of Claude calls. Structure answers carry whole line-item tables; the others are a
// few short strings. The worst-case budget check uses this, so it is kept no larger than needed.
const ESCALATION_MAX_OUTPUT_TOKENS: Record<AgentName, number> = {
  classification: 256,
  metadata: 1024,
  entities: 1024,
  summary: 1024,
  structure: 4096,
};

/**
 * The providers of one agent: offline always; `local` (Ollama) when `OLLAMA_HOST` is set;
 * `escalation` (Claude) when `ANTHROPIC_API_KEY` is set.
 */
export function buildProviders(agent: AgentName, config: AppConfig): AgentProviders {
  const providers: AgentProviders = { offline: new OfflineProvider() };
  if (config.OLLAMA_HOST) {
    providers.local = new OllamaProvider({
      host: config.OLLAMA_HOST,
      model: ollamaModelFor(agent, config),
      gpuHourUsd: config.GPU_HOUR_USD,
      timeoutMs: config.OLLAMA_TIMEOUT_SECONDS * 1000,
    });
  }
  if (config.ANTHROPIC_API_KEY) {
    providers.escalation = new AnthropicProvider({
      apiKey: config.ANTHROPIC_API_KEY,
      ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
      model: config.ANTHROPIC_MODEL,
      timeoutMs: config.ANTHROPIC_TIMEOUT_SECONDS * 1000,
      maxOutputTokens: ESCALATION_MAX_OUTPUT_TOKENS[agent],
    });
  }
  return providers;
}

/**
 * Runs one agent on `AGENT_HOST:AGENT_BASE_PORT + index` until SIGTERM or SIGINT, then closes
 * gracefully (in-flight calls finish, sessions close).
 *
 * @returns the running server (for tests and embedding); the process keeps running.
 * @throws Error when `MCP_JWT_SECRET` is unset (an agent is never served unauthenticated).
 */
export async function runAgent(agent: AgentName, config: AppConfig): Promise<AgentServerHandle> {
  if (!config.MCP_JWT_SECRET) throw new Error('MCP_JWT_SECRET is required to run an agent');
  const metrics = createMetrics(`agent-${agent}`);
  const logger = createLogger(`agent-${agent}`, config.LOG_LEVEL, { metrics });
  const providers = buildProviders(agent, config);
  const handle = await startAgentServer({
    agent,
    providers,
    host: config.AGENT_HOST,
    port: config.AGENT_PORT ?? agentPort(agent, config),
    jwtSecret: config.MCP_JWT_SECRET,
    issuer: config.MCP_JWT_ISSUER,
    metrics,
    logger,
  });
  logger.info(
    { agent, url: handle.url, tiers: Object.keys(providers).filter((t) => providers[t as keyof AgentProviders]) },
    'agent started',
  );
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    handle.close().then(
      () => logger.info('agent stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return handle;
}
