/**
 * The worker's side of the agents: an MCP client per agent over Streamable HTTP, authenticated
 * with a short-lived HS256 JWT, that calls `extract_fields` and validates the answer.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { SignJWT } from 'jose';
import { AGENT_NAMES, type AgentName } from '../domain/fields.js';
import type { CallRecord } from '../llm/provider.js';
import type { Metrics } from '../metrics/catalog.js';
import {
  EXTRACT_FIELDS_TOOL,
  agentAudience,
  callRecordSchema,
  extractFieldsOutputSchema,
  type ExtractFieldsArgs,
  type ExtractFieldsResult,
} from './contract.js';

/** Lifetime of a signed token, in seconds (10 minutes; the server accepts at most 15). */
const TOKEN_TTL_SECONDS = 600;
/** A token with less than this left is re-signed before the next request, in seconds. */
const TOKEN_REFRESH_MARGIN_SECONDS = 60;
// A restarted agent can cost two failures in a row: a pooled keep-alive socket to the old process
// (fetch failed) and then its forgotten session (404), or two stale sockets. Seen once in a full
// test run as a failed reconnect. Beyond two, the agent is down, which is the worker's
// requeue-with-backoff to handle, not ours.
const MAX_RECONNECTS_PER_CALL = 2;

export interface AgentClientOptions {
  agent: AgentName;
  /** MCP endpoint, e.g. `http://127.0.0.1:5102/mcp`. */
  url: string;
  /** HS256 secret shared with the agents (`MCP_JWT_SECRET`). */
  jwtSecret: string;
  /** `iss` of the signed tokens (`MCP_JWT_ISSUER`). */
  issuer: string;
  /** Deadline of one tool call in milliseconds (`AGENT_CALL_TIMEOUT_SECONDS` × 1000). */
  timeoutMs: number;
  /** When given, records `enrichment_agent_requests_total` and `..._request_duration_seconds`. */
  metrics?: Metrics;
}

/**
 * A failed `extract_fields` call. `calls` lists the model calls the agent made before failing
 * (write a cost record for each); `transient` says whether a requeue may succeed.
 */
export class AgentCallError extends Error {
  constructor(
    message: string,
    readonly agent: AgentName,
    readonly transient: boolean,
    readonly calls: CallRecord[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgentCallError';
  }
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * MCP client of one agent. Connects lazily on the first call and keeps one session for its
 * life; concurrent calls share it. Safe to call `extract` concurrently.
 */
export class AgentClient {
  readonly agent: AgentName;
  private readonly url: URL;
  private readonly secret: Uint8Array;
  private readonly options: AgentClientOptions;
  private readonly outputSchema;
  /** Live headers object: the transport re-reads it on every request, so a re-signed token applies at once. */
  private readonly headers = new Headers();
  private tokenExpiresAtSeconds = 0;
  private signing?: Promise<void>;
  private connection?: Promise<Connection>;
  private closed = false;

  constructor(options: AgentClientOptions) {
    this.options = options;
    this.agent = options.agent;
    this.url = new URL(options.url);
    this.secret = new TextEncoder().encode(options.jwtSecret);
    this.outputSchema = extractFieldsOutputSchema(options.agent);
  }

  /**
   * Calls `extract_fields`.
   *
   * @param args tool input; `fields` must be owned by this agent.
   * @param signal aborts the call (worker shutdown); an aborted call is a transient failure.
   * @returns the validated structured result.
   * @throws AgentCallError on a tool error (with the agent's `calls` and `transient` flag), a
   *   timeout (transient), an unreachable agent after up to two reconnects (transient), a rejected token
   *   (not transient) or an answer that does not match the contract (not transient).
   */
  async extract(args: ExtractFieldsArgs, signal?: AbortSignal): Promise<ExtractFieldsResult> {
    if (this.closed) throw new AgentCallError(`${this.agent} client is closed`, this.agent, true, []);
    const started = performance.now();
    let outcome: 'ok' | 'error' = 'error';
    try {
      const result = await this.callWithReconnect(args, signal);
      outcome = 'ok';
      return result;
    } finally {
      const labels = { agent: this.agent, tier: args.tier };
      this.options.metrics?.agentRequests.inc({ ...labels, outcome });
      this.options.metrics?.agentRequestDuration.observe(labels, (performance.now() - started) / 1000);
    }
  }

  /** Ends the session (DELETE) and closes the transport. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    const conn = await connection.catch(() => undefined);
    if (!conn) return;
    await this.refreshToken().catch(() => undefined);
    await conn.transport.terminateSession().catch(() => undefined);
    await conn.client.close().catch(() => undefined);
  }

  private async callWithReconnect(args: ExtractFieldsArgs, signal?: AbortSignal): Promise<ExtractFieldsResult> {
    for (let reconnects = 0; ; reconnects++) {
      const pending = this.connect();
      try {
        const { client } = await pending;
        await this.refreshToken();
        const result = await client.callTool({ name: EXTRACT_FIELDS_TOOL, arguments: { ...args } }, undefined, {
          timeout: this.options.timeoutMs,
          ...(signal ? { signal } : {}),
        });
        return this.parseResult(result);
      } catch (error) {
        if (error instanceof AgentCallError) throw error;
        if (isConnectionError(error) && reconnects < MAX_RECONNECTS_PER_CALL && !signal?.aborted && !this.closed) {
          await this.drop(pending);
          continue;
        }
        throw this.toCallError(error, signal);
      }
    }
  }

  private connect(): Promise<Connection> {
    if (this.connection) return this.connection;
    const attempt = (async () => {
      await this.refreshToken();
      const transport = new StreamableHTTPClientTransport(this.url, { requestInit: { headers: this.headers } });
      const client = new Client({ name: `enrichment-worker:${this.agent}`, version: '1.0.0' });
      // Transport errors also reject the pending request, which is where they are handled.
      client.onerror = () => undefined;
      await client.connect(transport, { timeout: this.options.timeoutMs });
      return { client, transport };
    })();
    this.connection = attempt;
    // A failed connect is never reused: the next call starts a fresh one.
    attempt.catch(() => {
      if (this.connection === attempt) this.connection = undefined;
    });
    return attempt;
  }

  /** Forgets a broken connection (only if it is still the current one) and closes it quietly. */
  private async drop(pending: Promise<Connection>): Promise<void> {
    if (this.connection === pending) this.connection = undefined;
    const conn = await pending.catch(() => undefined);
    await conn?.client.close().catch(() => undefined);
  }

  private refreshToken(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    if (this.tokenExpiresAtSeconds - now > TOKEN_REFRESH_MARGIN_SECONDS) return Promise.resolve();
    this.signing ??= (async () => {
      const exp = now + TOKEN_TTL_SECONDS;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(this.options.issuer)
        .setAudience(agentAudience(this.agent))
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(this.secret);
      this.headers.set('authorization', `Bearer ${token}`);
      this.tokenExpiresAtSeconds = exp;
    })().finally(() => {
      this.signing = undefined;
    });
    return this.signing;
  }

  private parseResult(result: Awaited<ReturnType<Client['callTool']>>): ExtractFieldsResult {
    const structured = 'structuredContent' in result ? result.structuredContent : undefined;
    const text = textOf(result);
    if (result.isError) {
      const calls = callRecordSchema.array().safeParse((structured as { calls?: unknown } | undefined)?.calls);
      const transient = (structured as { transient?: unknown } | undefined)?.transient === true;
      throw new AgentCallError(text || `${this.agent} agent returned an error`, this.agent, transient, calls.success ? calls.data : []);
    }
    const parsed = this.outputSchema.safeParse(structured);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AgentCallError(
        `${this.agent} agent answered outside the contract: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
        this.agent,
        false,
        [],
      );
    }
    return parsed.data as ExtractFieldsResult;
  }

  private toCallError(error: unknown, signal?: AbortSignal): AgentCallError {
    const message = error instanceof Error ? error.message : String(error);
    const transient = signal?.aborted === true || isTransientError(error);
    return new AgentCallError(`${this.agent} agent call failed: ${message}`, this.agent, transient, [], { cause: error });
  }
}

/**
 * One {@link AgentClient} per agent, created up front from a URL per agent (see `agentUrls`).
 */
export class AgentPool {
  private readonly clients: Record<AgentName, AgentClient>;

  constructor(urls: Record<AgentName, string>, options: Omit<AgentClientOptions, 'agent' | 'url'>) {
    this.clients = Object.fromEntries(
      AGENT_NAMES.map((agent) => [agent, new AgentClient({ ...options, agent, url: urls[agent] })]),
    ) as Record<AgentName, AgentClient>;
  }

  /** The client of one agent. */
  get(agent: AgentName): AgentClient {
    return this.clients[agent];
  }

  /** Closes every client (sessions are ended with DELETE). */
  async close(): Promise<void> {
    await Promise.all(AGENT_NAMES.map((agent) => this.clients[agent].close()));
  }
}

/** Errors after which a fresh session may work: agent restarted, connection dropped or refused. */
function isConnectionError(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404 || (error.code !== undefined && error.code >= 500);
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  // undici reports refused/reset connections as TypeError('fetch failed').
  return error instanceof TypeError;
}

function isTransientError(error: unknown): boolean {
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return true;
  if (error instanceof StreamableHTTPError) {
    return error.code === undefined || error.code === 404 || error.code === 429 || error.code >= 500;
  }
  return isConnectionError(error);
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  if (!('content' in result) || !Array.isArray(result.content)) return '';
  return result.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}
