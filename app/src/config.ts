/**
 * Runtime configuration of every app process, as one zod schema parsed once at boot from the
 * environment. `loadConfig(env)` takes the environment as an argument so tests can pass theirs.
 * A missing or malformed value fails loudly with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const num = (def: number) => z.coerce.number().finite().default(def);
const int = (def: number) => z.coerce.number().int().default(def);

export const configSchema = z.object({
  // --- data tier (checklist: MongoDB, NSQ) ---
  MONGODB_URI: z.string().startsWith('mongodb', 'must be a mongodb:// or mongodb+srv:// URI').default('mongodb://127.0.0.1:27017'),
  MONGODB_DB: z.string().min(1).default('enrichment'),
  NSQD_TCP_ADDRESS: z.string().regex(/^[^:]+:\d+$/, 'host:port').default('127.0.0.1:4150'),
  NSQD_HTTP_ADDRESS: z.string().regex(/^[^:]+:\d+$/, 'host:port').default('127.0.0.1:4151'),
  /** Comma-separated nsqlookupd HTTP addresses. When set, readers discover nsqd through them. */
  NSQLOOKUPD_HTTP_ADDRESSES: z.string().default(''),
  NSQ_TOPIC: z.string().default('enrichment'),
  NSQ_DEAD_LETTER_TOPIC: z.string().default('enrichment_dead'),
  NSQ_CHANNEL: z.string().default('enrichment-worker'),

  // --- worker ---
  WORKER_MAX_IN_FLIGHT: int(8).pipe(z.number().min(1).max(1000)),
  WORKER_MAX_ATTEMPTS: int(5).pipe(z.number().min(1).max(100)),
  /** Base of the exponential requeue backoff, in milliseconds. */
  WORKER_BACKOFF_BASE_MS: int(1000).pipe(z.number().min(0)),
  WORKER_BACKOFF_MAX_MS: int(60_000).pipe(z.number().min(0)),
  /** How long a worker's claim on a job lasts before another delivery may take it over. */
  WORKER_LEASE_SECONDS: int(300).pipe(z.number().min(60, "must outlast the 20 s lease-extension period")),
  WORKER_SHUTDOWN_TIMEOUT_SECONDS: int(60),
  WORKER_METRICS_PORT: int(9464),
  /** Period of the outbox sweep that republishes failed and stuck jobs. */
  OUTBOX_SWEEP_SECONDS: num(5),
  /** A queued or processing job untouched for this long is republished. */
  OUTBOX_STUCK_AFTER_SECONDS: int(600),

  // --- ingest ---
  INGEST_MAX_TEXT_BYTES: int(256 * 1024),

  // --- agents (MCP servers) ---
  /** Host the agent MCP servers bind to. Loopback unless deployed. */
  AGENT_HOST: z.string().default('127.0.0.1'),
  /** Base port; agent i (in AGENT_NAMES order) listens on base + i. */
  AGENT_BASE_PORT: int(5101),
  /** Port of `enrich agent <name>` when set; otherwise AGENT_BASE_PORT + the agent's index. */
  AGENT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Comma-separated `name=url` overrides of agent MCP endpoints, e.g. `metadata=http://metadata:5102/mcp`. */
  AGENT_URLS: z.string().default(''),
  AGENT_CALL_TIMEOUT_SECONDS: num(120),
  /** Shared HS256 secret for agent JWTs (checklist 9a-sec-05). */
  MCP_JWT_SECRET: z.string().min(32, 'MCP_JWT_SECRET must be at least 32 characters').optional(),
  MCP_JWT_ISSUER: z.string().default('enrichment-worker'),

  // --- models ---
  /** When set, phase 1 runs on Ollama at this URL. Unset: the offline provider only. */
  OLLAMA_HOST: z.string().url().optional(),
  OLLAMA_PHASE1_MODEL: z.string().default('llama3.2'),
  OLLAMA_STRUCTURE_MODEL: z.string().default('mixtral'),
  OLLAMA_TIMEOUT_SECONDS: num(120),
  /** When set, phase 2 escalates remaining fields to Claude. */
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  ANTHROPIC_MODEL: z.string().default('claude-haiku-4-5'),
  ANTHROPIC_TIMEOUT_SECONDS: num(60),
  /** USD per GPU-hour, used to price local model calls. */
  GPU_HOUR_USD: num(1.2),

  // --- scoring and approval ---
  AUTO_APPROVE_MIN_COMPLETENESS: num(0.95).pipe(z.number().min(0).max(1)),
  AUTO_APPROVE_MIN_FIELD_CONFIDENCE: num(0.7).pipe(z.number().min(0).max(1)),
  /** Fields below this confidence after phase 0/1 are escalated. */
  ESCALATE_BELOW_CONFIDENCE: num(0.7).pipe(z.number().min(0).max(1)),
  /** Per-document model budget in USD (checklist 8-tests-04). */
  DOCUMENT_BUDGET_USD: num(0.5).pipe(z.number().min(0)),

  // --- Review API and Cost API (checklist: ports 5001 and 5002, TLS, rate limiting, CORS) ---
  REVIEW_API_PORT: int(5001),
  COST_API_PORT: int(5002),
  /** Interface the APIs bind to. Loopback for local runs; 0.0.0.0 behind the ingress. */
  API_HOST: z.string().default('127.0.0.1'),
  /** HS256 secret of the APIs' bearer tokens (distinct from MCP_JWT_SECRET). */
  API_JWT_SECRET: z.string().min(32, 'API_JWT_SECRET must be at least 32 characters').optional(),
  API_JWT_ISSUER: z.string().default('enrichment-platform'),
  /** Comma-separated CORS allow-list of origins; empty allows none. */
  API_CORS_ORIGINS: z.string().default(''),
  /**
   * Proxies whose X-Forwarded-For the APIs trust for the client IP (rate limits, logs): empty for
   * none (direct clients), comma-separated addresses/CIDRs of the ingress controller's pods, or
   * `true` where a NetworkPolicy lets only the ingress reach the API. See fastify's `trustProxy`.
   */
  API_TRUST_PROXY: z
    .string()
    .regex(/^(true|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)?$/, 'true, or comma-separated addresses/CIDRs such as 10.0.0.0/8')
    .default(''),
  /** Requests per minute per client before 429. */
  API_RATE_LIMIT_PER_MINUTE: int(600).pipe(z.number().min(1)),
  API_BODY_LIMIT_BYTES: int(64 * 1024).pipe(z.number().min(1024)),
  /** PEM certificate (with its chain) and key; both set: HTTPS, neither: plain HTTP. */
  API_TLS_CERT_FILE: z.string().optional(),
  API_TLS_KEY_FILE: z.string().optional(),
  /** Monthly model budget in USD for the Cost API's budget status. */
  MONTHLY_BUDGET_USD: num(1000).pipe(z.number().min(0)),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENABLE_PHASE_ESCALATION: bool.default(true),
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Secrets that may also come from a file named by `<KEY>_FILE` (the Docker-secrets convention:
 * the dev stack mounts them under /run/secrets; checklist 9a-sec-02).
 */
export const FILE_BACKED_KEYS = ['MONGODB_URI', 'MCP_JWT_SECRET', 'ANTHROPIC_API_KEY', 'API_JWT_SECRET'] as const;

/**
 * Parses the environment; throws {@link ConfigError} listing every bad variable, including a
 * `<KEY>_FILE` that cannot be read or that is set together with `<KEY>`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Unset, empty and whitespace-only values all mean "use the default" (z.coerce would read ' ' as 0).
  const cleaned: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''),
  );
  const fileProblems: string[] = [];
  for (const key of FILE_BACKED_KEYS) {
    const file = cleaned[`${key}_FILE`];
    if (file === undefined) continue;
    if (cleaned[key] !== undefined) {
      fileProblems.push(`${key}_FILE: set together with ${key}; set only one`);
      continue;
    }
    try {
      const value = readFileSync(file, 'utf8').trim();
      if (value) cleaned[key] = value;
    } catch (err) {
      fileProblems.push(`${key}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  if (fileProblems.length > 0) throw new ConfigError(fileProblems);
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return result.data;
}

/** nsqlookupd addresses as a list. */
export function lookupdAddresses(config: AppConfig): string[] {
  return config.NSQLOOKUPD_HTTP_ADDRESSES.split(',').map((s) => s.trim()).filter(Boolean);
}
