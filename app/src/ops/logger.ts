/**
 * The one pino logger factory. Secrets are redacted wherever they appear in a log object
 * (checklist "API Keys & Secrets": keys never reach logs).
 */
import { pino, type Logger } from 'pino';

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

/** Creates a logger for one component (`worker`, `agent-metadata`, ...), JSON to stdout. */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: component, level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } });
}
