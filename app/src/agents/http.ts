/**
 * The HTTP host of one agent: MCP over Streamable HTTP on `/mcp` (stateful sessions, JSON
 * responses, HS256 JWT required), plus the ops routes `/health` and `/metrics`.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import type { AgentName } from '../domain/fields.js';
import type { CallRecord, LLMProvider } from '../llm/provider.js';
import { METRIC_CATALOG, type Metrics } from '../metrics/catalog.js';
import { registerOpsRoutes, type HealthCheck } from '../ops/http.js';
import { agentAudience } from './contract.js';
import { loadPrompt } from './registry.js';
import { buildServer, type AgentProviders } from './server.js';

/** Shortest accepted HS256 secret, as in config (`MCP_JWT_SECRET`): 32 bytes = 256 bits. */
export const MIN_JWT_SECRET_LENGTH = 32;

// One session per worker process and agent is the normal load; this bound only stops a
// misbehaving client from opening sessions without end.
const DEFAULT_MAX_SESSIONS = 256;
// A worker holds its session for its whole life; a session idle this long belongs to a client
// that went away without DELETE.
const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
const SESSION_SWEEP_INTERVAL_MS = 60_000;
// OCR text is capped at INGEST_MAX_TEXT_BYTES (256 KiB) at ingest; JSON-RPC framing and
// escaping at most double it.
const MCP_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
// Tolerated clock difference between worker and agent hosts when checking exp/iat.
const JWT_CLOCK_TOLERANCE_SECONDS = 5;
// Longest token lifetime accepted; the client signs for 10 minutes.
const JWT_MAX_TOKEN_AGE = '15m';

// JSON-RPC error codes in the server-defined range (-32000..-32099). -32000 and -32001 follow the
// SDK examples (bad request, session not found); -32003 is ours for "unauthorized".
const RPC_BAD_REQUEST = -32000;
const RPC_SESSION_NOT_FOUND = -32001;
const RPC_UNAUTHORIZED = -32003;
const RPC_INTERNAL_ERROR = -32603;

export interface AgentServerOptions {
  agent: AgentName;
  providers: AgentProviders;
  /** Interface to bind. Default `127.0.0.1` (loopback); set `0.0.0.0` only when deployed. */
  host?: string;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** HS256 shared secret, at least {@link MIN_JWT_SECRET_LENGTH} characters. */
  jwtSecret: string;
  /** Required `iss` of tokens (`MCP_JWT_ISSUER`). */
  issuer: string;
  metrics: Metrics;
  logger?: Logger;
  /** Extra `/health` checks; `prompt` (the prompt file loads) is always included. */
  checks?: Record<string, HealthCheck>;
  /** Most concurrent MCP sessions; more initialize requests get 503. Default 256. */
  maxSessions?: number;
  /** Idle time in ms after which a session is closed. Default 30 minutes. */
  sessionIdleMs?: number;
}

export interface AgentServerHandle {
  /** The MCP endpoint, e.g. `http://127.0.0.1:5102/mcp`. */
  url: string;
  /** Base URL of the process (for `/health`, `/metrics`). */
  baseUrl: string;
  /** Open MCP sessions right now. */
  sessionCount(): number;
  /**
   * Graceful stop: refuse new requests, let in-flight ones finish, then close every session.
   * Idempotent.
   */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastActiveMs: number;
  inFlight: number;
}

/**
 * Starts one agent's HTTP server and resolves once it listens.
 *
 * `/mcp` requires `Authorization: Bearer <jwt>`, verified as HS256 with the given issuer and
 * audience `enrichment-agent:<agent>`, carrying `exp` and `iat`. Any failure (missing token, bad
 * signature, `alg: none`, expired, wrong audience or issuer) is HTTP 401 with a JSON-RPC error
 * body, answered before the body is parsed or any MCP code runs. `/health` and `/metrics` are open.
 *
 * Every tool call's {@link CallRecord}s update `enrichment_llm_calls_total`,
 * `enrichment_llm_call_duration_seconds`, `enrichment_llm_tokens_total` and
 * `enrichment_llm_rate_limited_total` (calls whose error mentions HTTP 429).
 *
 * @throws Error when the secret is too short, the prompt file is invalid, or the port is taken.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServerHandle> {
  const { agent, providers, metrics, issuer } = options;
  if (options.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`jwtSecret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  const host = options.host ?? '127.0.0.1';
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const sessionIdleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const secret = new TextEncoder().encode(options.jwtSecret);
  const audience = agentAudience(agent);
  loadPrompt(agent); // fail at boot, not at the first call

  // Typed as the base logger so the app matches the FastifyInstance every shared plugin expects.
  const loggerInstance: FastifyBaseLogger | undefined = options.logger;
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: false }),
    bodyLimit: MCP_BODY_LIMIT_BYTES,
    // One line per tool call would drown the logs at pipeline rates; calls are counted in
    // metrics, and failures are logged below with the request id.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const sessions = new Map<string, Session>();
  const recordCalls = (calls: CallRecord[]) => recordCallMetrics(metrics, agent, calls);
  zeroCallMetrics(metrics, agent, Object.values(providers).filter((p): p is LLMProvider => p !== undefined));

  registerOpsRoutes(app, {
    metrics,
    checks: {
      prompt: async () => {
        loadPrompt(agent);
      },
      ...options.checks,
    },
  });

  await app.register(async (mcp) => {
    mcp.addHook('onRequest', async (request, reply) => {
      const failure = await authenticate(request.headers.authorization, secret, issuer, audience);
      if (failure) {
        request.log.warn({ reason: failure }, 'rejected MCP request');
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer error="invalid_token"')
          .send(rpcError(RPC_UNAUTHORIZED, `Unauthorized: ${failure}`));
      }
    });

    mcp.post('/mcp', async (request, reply) => {
      const sessionId = headerValue(request.headers['mcp-session-id']);
      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session) return reply.code(404).send(rpcError(RPC_SESSION_NOT_FOUND, 'Session not found'));
        return forward(session, request, reply);
      }
      if (!isInitializeRequest(request.body)) {
        return reply.code(400).send(rpcError(RPC_BAD_REQUEST, 'Bad Request: no session id and not an initialize request'));
      }
      if (sessions.size >= maxSessions) {
        return reply.code(503).send(rpcError(RPC_BAD_REQUEST, 'Too many open sessions'));
      }
      const server = buildServer(agent, providers, { onCalls: recordCalls });
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => {
          sessions.set(id, session);
          request.log.debug({ sessionId: id }, 'MCP session opened');
        },
      });
      const session: Session = { transport, server, lastActiveMs: Date.now(), inFlight: 0 };
      transport.onclose = () => {
        const id = transport.sessionId;
        if (id && sessions.get(id) === session) {
          sessions.delete(id);
          app.log.debug({ sessionId: id }, 'MCP session closed');
        }
      };
      await server.connect(transport);
      await forward(session, request, reply);
      // An initialize the transport refused never got a session id: nothing will reuse it.
      if (!transport.sessionId || sessions.get(transport.sessionId) !== session) await closeSession(session);
    });

    mcp.delete('/mcp', async (request, reply) => {
      const sessionId = headerValue(request.headers['mcp-session-id']);
      const session = sessionId ? sessions.get(sessionId) : undefined;
      if (!session) return reply.code(404).send(rpcError(RPC_SESSION_NOT_FOUND, 'Session not found'));
      // The transport answers the DELETE and fires onclose, which removes the session.
      await forward(session, request, reply);
      await session.server.close().catch(() => undefined);
    });

    // JSON responses only: no standalone SSE stream. 405 is the spec's answer, and the SDK
    // client treats it as "no server-initiated messages".
    mcp.get('/mcp', async (_request, reply) =>
      reply.code(405).header('allow', 'POST, DELETE').send(rpcError(RPC_BAD_REQUEST, 'Method not allowed')),
    );
  });

  async function forward(session: Session, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    session.inFlight++;
    session.lastActiveMs = Date.now();
    reply.hijack();
    try {
      await session.transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (error) {
      request.log.error({ err: error }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(rpcError(RPC_INTERNAL_ERROR, 'Internal server error')));
      }
    } finally {
      session.inFlight--;
      session.lastActiveMs = Date.now();
    }
  }

  const sweep = setInterval(() => {
    const cutoff = Date.now() - sessionIdleMs;
    for (const session of sessions.values()) {
      if (session.inFlight === 0 && session.lastActiveMs < cutoff) void closeSession(session);
    }
  }, SESSION_SWEEP_INTERVAL_MS);
  sweep.unref();

  await app.listen({ host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const baseUrl = `http://${hostForUrl}:${address.port}`;
  app.log.info({ agent, url: `${baseUrl}/mcp` }, 'agent listening');

  let closing: Promise<void> | undefined;
  return {
    url: `${baseUrl}/mcp`,
    baseUrl,
    sessionCount: () => sessions.size,
    close: () => {
      closing ??= (async () => {
        clearInterval(sweep);
        await app.close(); // stops accepting, waits for in-flight requests
        await Promise.all([...sessions.values()].map(closeSession));
      })();
      return closing;
    },
  };
}

async function closeSession(session: Session): Promise<void> {
  await session.transport.close().catch(() => undefined);
  await session.server.close().catch(() => undefined);
}

/** Returns undefined when the bearer token is acceptable, else a short reason for the 401. */
async function authenticate(
  header: string | undefined,
  secret: Uint8Array,
  issuer: string,
  audience: string,
): Promise<string | undefined> {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) return 'missing bearer token';
  try {
    await jwtVerify(match[1]!, secret, {
      algorithms: ['HS256'],
      issuer,
      audience,
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: JWT_MAX_TOKEN_AGE,
      clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    });
    return undefined;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return 'token expired';
    if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim '${error.claim}' rejected`;
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
    return 'token invalid';
  }
}

/**
 * Starts the model-call series of this agent's providers at zero: a series born with its first
 * call gives `rate()` and `histogram_quantile()` nothing to increase from until the next one, so
 * a short burst of calls would not show on the dashboards.
 */
export function zeroCallMetrics(metrics: Metrics, agent: AgentName, providers: readonly LLMProvider[]): void {
  for (const { name: provider, model } of providers) {
    for (const outcome of METRIC_CATALOG.llmCalls.knownLabelValues.outcome) metrics.llmCalls.inc({ agent, provider, model, outcome }, 0);
    metrics.llmCallDuration.zero({ provider, model });
    for (const direction of METRIC_CATALOG.llmTokens.knownLabelValues.direction) metrics.llmTokens.inc({ provider, model, direction }, 0);
  }
}

/** Updates the model-call metrics from the call records of one tool call. */
export function recordCallMetrics(metrics: Metrics, agent: AgentName, calls: CallRecord[]): void {
  for (const call of calls) {
    const { provider, model } = call;
    metrics.llmCalls.inc({ agent, provider, model, outcome: call.outcome });
    metrics.llmCallDuration.observe({ provider, model }, call.duration_seconds);
    metrics.llmTokens.inc({ provider, model, direction: 'input' }, call.input_tokens);
    metrics.llmTokens.inc({ provider, model, direction: 'output' }, call.output_tokens);
    if (call.error && /\b429\b/.test(call.error)) metrics.llmRateLimited.inc({ provider });
  }
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0' as const, error: { code, message }, id: null };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
