/**
 * The worker's {@link AgentCaller} over the agents' MCP endpoints (one `AgentClient` each).
 */
import { AgentPool, type AgentClientOptions } from '../../agents/client.js';
import type { AgentName } from '../../domain/fields.js';
import type { AgentCallArgs, AgentCallResult, AgentCaller } from '../../pipeline/enrich.js';

export class McpAgentCaller implements AgentCaller {
  private readonly pool: AgentPool;

  constructor(
    private readonly urls: Record<AgentName, string>,
    options: Omit<AgentClientOptions, 'agent' | 'url'>,
  ) {
    this.pool = new AgentPool(urls, options);
  }

  async call(agent: AgentName, args: AgentCallArgs): Promise<AgentCallResult> {
    return this.pool.get(agent).extract(args);
  }

  /** Health of every agent (`GET /health` beside its `/mcp` endpoint); rejects naming the first down. */
  async ping(): Promise<void> {
    await Promise.all(
      Object.entries(this.urls).map(async ([agent, url]) => {
        const health = new URL('/health', url);
        const res = await fetch(health, { signal: AbortSignal.timeout(3_000) }).catch((err: Error) => {
          throw new Error(`agent ${agent} unreachable at ${health.href}: ${err.message}`);
        });
        if (!res.ok) throw new Error(`agent ${agent} unhealthy: ${res.status}`);
      }),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
