/**
 * A stand-in Anthropic Messages API for tests and the throughput benchmark: a small `node:http`
 * server on 127.0.0.1 (random port) speaking the real wire protocol of `POST /v1/messages`
 * (non-streaming): a Message object on success, the `{"type":"error","error":{type,message}}`
 * body with `request-id` and optional `retry-after` headers on failure.
 *
 * It is a stand-in for the model endpoint ONLY. Its answers are scripted by the test; they say
 * nothing about model quality and must never be used to produce quality figures.
 *
 * Wire format reference: https://docs.anthropic.com/en/api/messages and
 * https://docs.anthropic.com/en/api/errors (error types by HTTP status).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, parseBody, readBody, sendJson } from './http-stub.js';

/** Token figures of a scripted answer; unset ones are estimated from the request and answer. */
export interface FakeAnthropicUsage {
  inputTokens?: number;
  outputTokens?: number;
  /** Default `end_turn` (`tool_use` when the request forces a tool). */
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';
  /** Wait before answering, in ms. Default 0. */
  delayMs?: number;
}

/** What the server does with one `POST /v1/messages`. */
export type FakeAnthropicBehaviour =
  /**
   * Answer 200. Text mode: one text block, the string as is or `JSON.stringify(object)`.
   * When the request forces a tool (`tool_choice: {type: "tool"}`): one `tool_use` block whose
   * `input` is the object.
   */
  | ({ reply: unknown } & FakeAnthropicUsage)
  /** Answer 200 with truncated, unparsable JSON text (tool mode: an `input` without `fields`). */
  | ({ invalidJson: true } & FakeAnthropicUsage)
  /** Answer with this HTTP status and Anthropic's error body. */
  | { status: number; errorType?: string; message?: string; retryAfterSeconds?: number }
  /** Never answer (the client must time out). */
  | { hang: true };

/** The request body fields the platform sends. */
export interface AnthropicMessagesBody {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: string; text: string }>;
  messages: Array<{ role: string; content: unknown }>;
  output_config?: { format?: { type: string; schema: unknown } };
  tools?: Array<{ name: string; input_schema: unknown }>;
  tool_choice?: { type: string; name?: string };
  temperature?: number;
}

export interface FakeAnthropicOptions {
  /** Keep every request in `requests` (default true). Turn off for long benchmarks to bound memory. */
  recordRequests?: boolean;
  /** Behaviours consumed in order, one per messages request. */
  script?: FakeAnthropicBehaviour[];
  /** Behaviour once the script is used up. Default: `{ fields: {} }`. */
  respond?: (body: AnthropicMessagesBody) => FakeAnthropicBehaviour;
  /**
   * When set, requests presenting another key get the real 401 authentication_error. The key is
   * read from `x-api-key` or from `authorization: Bearer <key>` (how SDK 1.x sends `apiKey`).
   */
  apiKey?: string;
  /** Known model ids; another gets the real 404 not_found_error. Default: any model. */
  models?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeAnthropic {
  /** Base URL to pass as the SDK's `baseURL`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Appends behaviours to the script. */
  enqueue(...behaviours: FakeAnthropicBehaviour[]): void;
  /** Stops the server, dropping hanging connections. Idempotent. */
  close(): Promise<void>;
}

/** Error `type` per HTTP status, as documented by Anthropic. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const TRUNCATED_JSON = '{"fields": {"vendor_name": {"value": "ACME TRAD';

/** Starts a stand-in Anthropic API on 127.0.0.1 and a random port. */
export async function start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const script = [...(options.script ?? [])];
  const respond = options.respond ?? ((): FakeAnthropicBehaviour => ({ reply: { fields: {} } }));
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', String(error));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseBody(raw);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (options.recordRequests !== false) requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

    if (req.method !== 'POST' || path !== '/v1/messages') return sendError(res, 404, 'not_found_error', `Not found: ${path}`);
    if (options.apiKey !== undefined && presentedKey(req.headers) !== options.apiKey) {
      return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    const msg = body as AnthropicMessagesBody;
    if (!msg || typeof msg !== 'object' || typeof msg.model !== 'string' || !Array.isArray(msg.messages) || typeof msg.max_tokens !== 'number') {
      return sendError(res, 400, 'invalid_request_error', 'model, max_tokens and messages are required');
    }
    if (options.models && !options.models.includes(msg.model)) {
      return sendError(res, 404, 'not_found_error', `model: ${msg.model}`);
    }
    const behaviour: FakeAnthropicBehaviour = script.shift() ?? respond(msg);

    if ('hang' in behaviour) return;
    if ('status' in behaviour) {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined) headers['retry-after'] = String(behaviour.retryAfterSeconds);
      const type = behaviour.errorType ?? ERROR_TYPES[behaviour.status] ?? 'api_error';
      return sendError(res, behaviour.status, type, behaviour.message ?? `fake anthropic: ${type}`, headers);
    }
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));

    const forcedTool = msg.tool_choice?.type === 'tool' ? msg.tool_choice.name : undefined;
    let content: unknown[];
    let outputChars: number;
    if (forcedTool) {
      const input = 'invalidJson' in behaviour ? { broken: TRUNCATED_JSON } : behaviour.reply;
      content = [{ type: 'tool_use', id: `toolu_${randomBytes(12).toString('hex')}`, name: forcedTool, input }];
      outputChars = JSON.stringify(input).length;
    } else {
      const text = 'invalidJson' in behaviour ? TRUNCATED_JSON : typeof behaviour.reply === 'string' ? behaviour.reply : JSON.stringify(behaviour.reply);
      content = [{ type: 'text', text }];
      outputChars = text.length;
    }
    const inputChars = JSON.stringify([msg.system ?? '', msg.messages, msg.output_config ?? null, msg.tools ?? null]).length;
    sendJson(
      res,
      200,
      {
        id: `msg_${randomBytes(12).toString('hex')}`,
        type: 'message',
        role: 'assistant',
        model: msg.model,
        content,
        stop_reason: behaviour.stopReason ?? (forcedTool ? 'tool_use' : 'end_turn'),
        stop_sequence: null,
        usage: {
          input_tokens: behaviour.inputTokens ?? Math.ceil(inputChars / 4),
          output_tokens: behaviour.outputTokens ?? Math.ceil(outputChars / 4),
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          service_tier: 'standard',
        },
      },
      { 'request-id': requestId() },
    );
  }

  const { url, close } = await listenOnLoopback(server);
  return { url, requests, enqueue: (...behaviours) => void script.push(...behaviours), close };
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  return bearer?.[1];
}

function requestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  const id = requestId();
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: id }, { 'request-id': id, ...headers });
}

