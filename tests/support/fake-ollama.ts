/**
 * A stand-in Ollama server for tests and the throughput benchmark: a small `node:http` server on
 * 127.0.0.1 (random port) speaking the real Ollama REST wire protocol for the endpoints the
 * platform uses: `POST /api/chat` (non-streaming), `GET /api/tags`, `GET /api/version`.
 *
 * It is a stand-in for the model endpoint ONLY. Its answers are scripted by the test; they say
 * nothing about model quality and must never be used to produce quality figures.
 *
 * Wire format reference: https://github.com/ollama/ollama/blob/main/docs/api.md (chat response
 * fields, `{"error": "..."}` error bodies, `model "x" not found, try pulling it first`).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, parseBody, readBody, sendJson } from './http-stub.js';

/** Token and timing figures of a scripted answer; unset ones are derived from the request. */
export interface FakeOllamaUsage {
  promptEvalCount?: number;
  evalCount?: number;
  /** Reported `total_duration`, in nanoseconds. Default: real handling time. */
  totalDurationNs?: number;
  /** Wait before answering, in ms (to make a call measurably slow). Default 0. */
  delayMs?: number;
}

/** What the server does with one `POST /api/chat`. */
export type FakeOllamaBehaviour =
  /** Answer 200 with `message.content` = the string as is, or `JSON.stringify(object)`. */
  | ({ reply: unknown } & FakeOllamaUsage)
  /** Answer 200 with a `message.content` that is truncated, unparsable JSON. */
  | ({ invalidJson: true } & FakeOllamaUsage)
  /** Answer with this HTTP status and Ollama's `{"error": message}` body. */
  | { status: number; error?: string; retryAfterSeconds?: number }
  /** Never answer (the client must time out). */
  | { hang: true }
  /** Answer 200 with this raw body, e.g. a broken proxy page. */
  | { rawBody: string; contentType?: string };

/** The `/api/chat` request body as Ollama receives it (fields the platform sends). */
export interface OllamaChatBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  format?: unknown;
  stream?: boolean;
  options?: Record<string, unknown>;
}

export interface FakeOllamaOptions {
  /** Keep every request in `requests` (default true). Turn off for long benchmarks to bound memory. */
  recordRequests?: boolean;
  /** Behaviours consumed in order, one per chat request. */
  script?: FakeOllamaBehaviour[];
  /** Behaviour for chat requests once the script is used up. Default: `{ fields: {} }`. */
  respond?: (body: OllamaChatBody) => FakeOllamaBehaviour;
  /** Installed models; a chat for another model gets Ollama's 404. Default: any model. */
  models?: string[];
  /** Reported by `/api/version`. */
  version?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
}

export interface FakeOllama {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Appends behaviours to the script. */
  enqueue(...behaviours: FakeOllamaBehaviour[]): void;
  /** Stops the server, dropping hanging connections. Idempotent. */
  close(): Promise<void>;
}

const TRUNCATED_JSON = '{"fields": {"vendor_name": {"value": "ACME TRAD';

/** Starts a stand-in Ollama on 127.0.0.1 and a random port. */
export async function start(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const script = [...(options.script ?? [])];
  const respond = options.respond ?? ((): FakeOllamaBehaviour => ({ reply: { fields: {} } }));
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const raw = await readBody(req);
    const body = parseBody(raw);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (options.recordRequests !== false) requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

    if (req.method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: options.version ?? '0.12.6' });
    if (req.method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: (options.models ?? []).map(tagEntry) });
    if (req.method !== 'POST' || path !== '/api/chat') return sendJson(res, 404, { error: '404 page not found' });

    const chat = body as OllamaChatBody;
    if (!chat || typeof chat !== 'object' || typeof chat.model !== 'string') {
      return sendJson(res, 400, { error: 'model is required' });
    }
    if (options.models && !options.models.includes(chat.model)) {
      return sendJson(res, 404, { error: `model "${chat.model}" not found, try pulling it first` });
    }
    const behaviour: FakeOllamaBehaviour = script.shift() ?? respond(chat);

    if ('hang' in behaviour) return; // the response is never ended
    if ('status' in behaviour) {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfterSeconds !== undefined) headers['retry-after'] = String(behaviour.retryAfterSeconds);
      return sendJson(res, behaviour.status, { error: behaviour.error ?? `fake ollama: status ${behaviour.status}` }, headers);
    }
    if ('rawBody' in behaviour) {
      res.writeHead(200, { 'content-type': behaviour.contentType ?? 'text/html' });
      res.end(behaviour.rawBody);
      return;
    }
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    const content =
      'invalidJson' in behaviour ? TRUNCATED_JSON : typeof behaviour.reply === 'string' ? behaviour.reply : JSON.stringify(behaviour.reply);
    const promptChars = chat.messages?.reduce((n, m) => n + (m.content?.length ?? 0), 0) ?? 0;
    const totalNs = behaviour.totalDurationNs ?? Number(process.hrtime.bigint() - started);
    sendJson(res, 200, {
      model: chat.model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content },
      done: true,
      done_reason: 'stop',
      total_duration: totalNs,
      load_duration: 0,
      prompt_eval_count: behaviour.promptEvalCount ?? Math.ceil(promptChars / 4),
      prompt_eval_duration: Math.round(totalNs * 0.2),
      eval_count: behaviour.evalCount ?? Math.ceil(content.length / 4),
      eval_duration: Math.round(totalNs * 0.8),
    });
  }

  const { url, close } = await listenOnLoopback(server);
  return { url, requests, enqueue: (...behaviours) => void script.push(...behaviours), close };
}

function tagEntry(name: string) {
  return {
    name,
    model: name,
    modified_at: new Date(0).toISOString(),
    size: 0,
    digest: '0'.repeat(64),
    details: { parent_model: '', format: 'gguf', family: 'fake', families: ['fake'], parameter_size: '0B', quantization_level: 'Q4_0' },
  };
}

