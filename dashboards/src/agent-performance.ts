/**
 * Agent Performance: the five MCP agents and the models behind them (checklist: all five agents
 * healthy and responsive; "Check agent performance"; "Analyze completeness by agent"; GPU
 * acceleration of the local models).
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { atLeast, buildDashboard, instantQuery, perHour, query, statPanel, tablePanel, timeseriesPanel, type BuiltDashboard } from './factories.js';
import { agents, fields } from './queries.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

export const AGENT_PERFORMANCE_UID = 'agent-performance';

/**
 * Call success ratios: green from AGENT_SUCCESS_GREEN, amber from AGENT_SUCCESS_AMBER, red below.
 * Operational choices, not checklist figures: every failed call costs a retry or a missing field.
 */
const AGENT_SUCCESS_AMBER = 0.95;
const AGENT_SUCCESS_GREEN = 0.99;

/** Builds the Agent Performance dashboard (uid `agent-performance`). */
export function buildAgentPerformance(): BuiltDashboard {
  return buildDashboard({
    uid: AGENT_PERFORMANCE_UID,
    title: 'Agent Performance',
    description: 'Calls, errors and latency of the five MCP agents and of the models behind them (Ollama, Claude), with escalations and GPU memory.',
    tags: ['agents'],
    panels: [
      statPanel({
        title: 'Agents answering',
        description: `Agents (of ${T.agentCount}) with at least one successful MCP call in the selected range. Checklist: all five agents healthy and responsive.`,
        unit: units.Short,
        queries: [instantQuery(agents.answeringOverRange, 'agents')],
        thresholds: atLeast(T.agentCount),
        width: 4,
        height: 5,
      }),
      statPanel({
        title: 'Call success by agent',
        description: `Share of MCP tool calls that succeeded, per agent, over the selected range (worker side). Amber below ${AGENT_SUCCESS_GREEN * 100} %, red below ${AGENT_SUCCESS_AMBER * 100} % (operational thresholds, not checklist figures).`,
        unit: units.PercentUnit,
        queries: [instantQuery(agents.successRatioOverRange, '{{agent}}')],
        thresholds: [
          { value: null, color: 'red' },
          { value: AGENT_SUCCESS_AMBER, color: 'orange' },
          { value: AGENT_SUCCESS_GREEN, color: 'green' },
        ],
        decimals: 1,
        width: 20,
        height: 5,
      }),
      timeseriesPanel({
        title: 'Agent calls by agent and tier',
        description: 'MCP tool calls per second made by the workers, by agent and tier (offline, local = Ollama, escalation = Claude).',
        unit: units.RequestsPerSecond,
        queries: [query(agents.callsPerSecond, '{{agent}} / {{tier}}')],
        stacked: true,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Agent error ratio',
        description: 'Share of MCP tool calls that failed, per agent. A lasting rise means an agent, its model server or the network is unhealthy: check the agent logs.',
        unit: units.PercentUnit,
        queries: [query(agents.errorRatio, '{{agent}}')],
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Agent call latency (p95)',
        description: '95th percentile duration of one MCP tool call, per agent, as seen by the worker (includes every model call and re-ask the agent makes).',
        unit: units.Seconds,
        queries: [query(agents.callDurationQuantile(0.95), '{{agent}}')],
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Model call latency (p50, p95)',
        description: 'Median and 95th percentile duration of one model call, by provider and model (llama3.2 and mixtral on Ollama, Claude for escalation).',
        unit: units.Seconds,
        queries: [
          query(agents.modelCallDurationQuantile(0.5), 'p50 {{provider}} {{model}}'),
          query(agents.modelCallDurationQuantile(0.95), 'p95 {{provider}} {{model}}'),
        ],
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Failed and unusable model calls',
        description: 'Model calls per second that failed (error) or returned output the agent could not validate (invalid_output, which triggers a re-ask), by agent. A rise in invalid_output after a prompt change points at the prompt.',
        unit: units.RequestsPerSecond,
        queries: [query(agents.badModelCalls, '{{agent}} {{outcome}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Rate-limited model calls',
        description: 'Model calls per second answered with HTTP 429, by provider. Sustained 429s from Anthropic mean the API limits need raising or escalations need throttling.',
        unit: units.RequestsPerSecond,
        queries: [query(agents.rateLimited, '{{provider}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Token throughput',
        description: 'Tokens per second sent to (input) and received from (output) models, by provider and model.',
        unit: 'suffix: tokens/s',
        queries: [query(agents.tokensPerSecond, '{{provider}} {{model}} {{direction}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Field escalations',
        description: 'Fields per hour that an earlier phase left missing, invalid or low-confidence and that were sent to a later tier (local model, then Claude), by owning agent and tier. A growing share for one agent is where prompt work pays off.',
        unit: perHour('fields'),
        queries: [query(fields.escalationsPerHour, '{{agent}} → {{tier}}')],
        stacked: true,
        width: 8,
        height: 8,
      }),
      tablePanel({
        title: 'Unresolved fields per document by agent',
        description: 'Required fields still missing, invalid or low-confidence after every phase, per enriched document, grouped by the agent that owns the field, over the selected range (checklist weekly task: analyse completeness by agent).',
        unit: units.Short,
        queries: [instantQuery(fields.missingPerDocumentByAgentOverRange, '{{agent}}')],
        sortBy: { column: 'Value', desc: true },
        decimals: 2,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'GPU memory used',
        description: 'Framebuffer memory in use per GPU (dcgm-exporter DCGM_FI_DEV_FB_USED). The local models (llama3.2, mixtral) must fit together; near the card size, Ollama unloads models between calls and latency jumps.',
        unit: units.Mebibytes,
        queries: [query(agents.gpuMemoryUsed, 'GPU {{gpu}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
    ],
  });
}
