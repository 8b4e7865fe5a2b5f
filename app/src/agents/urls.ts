/**
 * Where each agent listens and where the worker finds it.
 */
import type { AppConfig } from '../config.js';
import { AGENT_NAMES, type AgentName } from '../domain/fields.js';
import { AGENTS } from './registry.js';

/** The TCP port of an agent: `AGENT_BASE_PORT` + its index in `AGENT_NAMES`. */
export function agentPort(agent: AgentName, config: Pick<AppConfig, 'AGENT_BASE_PORT'>): number {
  return config.AGENT_BASE_PORT + AGENTS[agent].index;
}

/**
 * The MCP endpoint of every agent: `http://AGENT_HOST:<port>/mcp`, with `AGENT_URLS`
 * (`name=url,name=url`) overriding single agents, e.g. in a cluster where each agent is a
 * service of its own.
 *
 * @throws Error on an `AGENT_URLS` entry that is not `name=url`, names no agent, or is not an
 *   http(s) URL.
 */
export function agentUrls(config: Pick<AppConfig, 'AGENT_HOST' | 'AGENT_BASE_PORT' | 'AGENT_URLS'>): Record<AgentName, string> {
  const host = config.AGENT_HOST.includes(':') ? `[${config.AGENT_HOST}]` : config.AGENT_HOST;
  const urls = Object.fromEntries(
    AGENT_NAMES.map((agent) => [agent, `http://${host}:${agentPort(agent, config)}/mcp`]),
  ) as Record<AgentName, string>;
  for (const entry of config.AGENT_URLS.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (eq < 1 || !url) throw new Error(`AGENT_URLS: '${entry}' is not name=url`);
    if (!(AGENT_NAMES as readonly string[]).includes(name)) {
      throw new Error(`AGENT_URLS: unknown agent '${name}' (agents: ${AGENT_NAMES.join(', ')})`);
    }
    if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw new Error(`AGENT_URLS: '${url}' is not an http(s) URL`);
    urls[name as AgentName] = url;
  }
  return urls;
}
