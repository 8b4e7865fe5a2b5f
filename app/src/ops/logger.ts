/**
 * The one pino logger factory. Secrets are redacted wherever they appear in a log object
 * (checklist "API Keys & Secrets": keys never reach logs).
 *
 * Error tracking (checklist 9b Logging: errors are tracked): when given the
 * process's metrics, the logger counts every line written at warn, error or fatal into
 * `enrichment_log_messages_total{level}` (METRIC_CATALOG.logMessages), which the
 * `ErrorLogRateHigh` alert and the "Errors logged" panel read. The lines themselves go to stdout,
 * where the platform's log collector ships them to Loki.
 */
import type { Counter } from 'prom-client';
import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import type { Metrics } from '../metrics/catalog.js';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  '*.apiKey',
  '*.jwtSecret',
  '*.ANTHROPIC_API_KEY',
  '*.MCP_JWT_SECRET',
  '*.MONGODB_URI',
  'config.ANTHROPIC_API_KEY',
  'config.MCP_JWT_SECRET',
] as const;

/** pino's numeric levels of the lines that are counted, by the `level` label value they get. */
export const COUNTED_LOG_LEVELS = { warn: 40, error: 50, fatal: 60 } as const;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * The process's metrics (`createMetrics`): when given, every line at warn or above increments
   * `enrichment_log_messages_total{level}`. Left out (tests, short-lived CLI commands): nothing
   * is counted.
   */
  metrics?: Pick<Metrics, 'logMessages'>;
  /** Where the JSON lines go; default stdout (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

/**
 * A pino `hooks.logMethod` that counts warn/error/fatal lines before writing them. Counter
 * children are bound once, so a counted line costs one map lookup and one increment; lines below
 * warn (and disabled levels, which pino never calls) cost nothing.
 */
function countingHook(counter: Counter<'level'>): NonNullable<NonNullable<PinoOptions['hooks']>['logMethod']> {
  const byLevel = new Map(Object.entries(COUNTED_LOG_LEVELS).map(([label, value]) => [value as number, counter.labels({ level: label })]));
  return function logMethod(this: Logger, args, method, level) {
    byLevel.get(level)?.inc();
    return method.apply(this, args);
  };
}

/**
 * Creates a logger for one component (`worker`, `agent-metadata`, ...), JSON lines to stdout.
 * Child loggers (fastify's request loggers) share the counting hook.
 *
 * @param component the `name` field of every line.
 * @param level     the lowest level written (`LOG_LEVEL`, default `info`).
 * @param options   see {@link LoggerOptions}.
 */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const settings: PinoOptions = {
    name: component,
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    ...(options.metrics ? { hooks: { logMethod: countingHook(options.metrics.logMessages) } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
