import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, lookupdAddresses } from '../../app/src/config.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SECRET = 's'.repeat(32);

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});

  it('uses the checklist figures', () => {
    expect(config.DOCUMENT_BUDGET_USD).toBe(0.5);
    expect(config.AUTO_APPROVE_MIN_COMPLETENESS).toBe(0.95);
    expect(config.AUTO_APPROVE_MIN_FIELD_CONFIDENCE).toBe(0.7);
    expect(config.ESCALATE_BELOW_CONFIDENCE).toBe(0.7);
    expect(config.NSQ_TOPIC).toBe('enrichment');
    expect(config.NSQ_DEAD_LETTER_TOPIC).toBe('enrichment_dead');
  });

  it('defaults the worker and ingest limits', () => {
    expect(config.WORKER_MAX_IN_FLIGHT).toBe(8);
    expect(config.WORKER_MAX_ATTEMPTS).toBe(5);
    expect(config.WORKER_BACKOFF_BASE_MS).toBe(1000);
    expect(config.WORKER_BACKOFF_MAX_MS).toBe(60_000);
    expect(config.INGEST_MAX_TEXT_BYTES).toBe(262_144);
    expect(config.ENABLE_PHASE_ESCALATION).toBe(true);
  });

  it('leaves the optional tiers and secret unset', () => {
    expect(config.OLLAMA_HOST).toBeUndefined();
    expect(config.ANTHROPIC_API_KEY).toBeUndefined();
    expect(config.MCP_JWT_SECRET).toBeUndefined();
    expect(config.AGENT_PORT).toBeUndefined();
  });

  it('reads process.env when given no argument', () => {
    expect(() => loadConfig()).not.toThrow(ConfigError);
  });
});

describe('loadConfig: coercion', () => {
  it('turns numeric strings into numbers', () => {
    const c = loadConfig({ WORKER_MAX_IN_FLIGHT: '16', DOCUMENT_BUDGET_USD: '0.25', AUTO_APPROVE_MIN_COMPLETENESS: '0.9', AGENT_PORT: '6000', OUTBOX_SWEEP_SECONDS: '2.5' });
    expect(c.WORKER_MAX_IN_FLIGHT).toBe(16);
    expect(c.DOCUMENT_BUDGET_USD).toBe(0.25);
    expect(c.AUTO_APPROVE_MIN_COMPLETENESS).toBe(0.9);
    expect(c.AGENT_PORT).toBe(6000);
    expect(c.OUTBOX_SWEEP_SECONDS).toBe(2.5);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads ENABLE_PHASE_ESCALATION=%s as %s', (raw, value) => {
    expect(loadConfig({ ENABLE_PHASE_ESCALATION: raw }).ENABLE_PHASE_ESCALATION).toBe(value);
  });

  it.each([
    ['WORKER_MAX_IN_FLIGHT', 'many'],
    ['WORKER_MAX_IN_FLIGHT', '2.5'],
    ['WORKER_MAX_IN_FLIGHT', '0'],
    ['WORKER_MAX_ATTEMPTS', '101'],
    ['DOCUMENT_BUDGET_USD', '-0.01'],
    ['DOCUMENT_BUDGET_USD', 'Infinity'],
    ['AUTO_APPROVE_MIN_COMPLETENESS', '1.5'],
    ['ESCALATE_BELOW_CONFIDENCE', '-1'],
    ['AGENT_PORT', '70000'],
    ['ENABLE_PHASE_ESCALATION', 'maybe'],
    ['LOG_LEVEL', 'verbose'],
    ['MONGODB_URI', 'postgres://x'],
    ['NSQD_TCP_ADDRESS', 'localhost'],
  ])('rejects %s=%s', (name, raw) => {
    const problems = problemsOf({ [name]: raw });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
  });
});

describe('loadConfig: errors', () => {
  it('lists every bad variable at once', () => {
    const problems = problemsOf({ MCP_JWT_SECRET: 'short', OLLAMA_HOST: 'not a url', WORKER_MAX_ATTEMPTS: 'x' });
    expect(problems).toHaveLength(3);
    expect(problems).toContain('MCP_JWT_SECRET: MCP_JWT_SECRET must be at least 32 characters');
    expect(problems.some((p) => p.startsWith('OLLAMA_HOST: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('WORKER_MAX_ATTEMPTS: '))).toBe(true);
  });

  it('names every problem in the error message', () => {
    let error: unknown;
    try {
      loadConfig({ MCP_JWT_SECRET: 'short', OLLAMA_HOST: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message.startsWith('invalid configuration:\n  - ')).toBe(true);
    expect(message).toContain('MCP_JWT_SECRET: MCP_JWT_SECRET must be at least 32 characters');
    expect(message).toContain('OLLAMA_HOST: ');
    expect((error as ConfigError).name).toBe('ConfigError');
  });

  it('accepts a 32-character secret and a URL', () => {
    const c = loadConfig({ MCP_JWT_SECRET: SECRET, OLLAMA_HOST: 'http://127.0.0.1:11434' });
    expect(c.MCP_JWT_SECRET).toBe(SECRET);
    expect(c.OLLAMA_HOST).toBe('http://127.0.0.1:11434');
  });
});

describe('loadConfig: empty strings are unset', () => {
  it('uses defaults for empty numbers and strings', () => {
    const c = loadConfig({ DOCUMENT_BUDGET_USD: '', NSQ_TOPIC: '', WORKER_MAX_IN_FLIGHT: '', ENABLE_PHASE_ESCALATION: '' });
    expect(c.DOCUMENT_BUDGET_USD).toBe(0.5);
    expect(c.NSQ_TOPIC).toBe('enrichment');
    expect(c.WORKER_MAX_IN_FLIGHT).toBe(8);
    expect(c.ENABLE_PHASE_ESCALATION).toBe(true);
  });

  it('leaves empty optional values unset instead of failing them', () => {
    const c = loadConfig({ OLLAMA_HOST: '', ANTHROPIC_API_KEY: '', MCP_JWT_SECRET: '', AGENT_PORT: '' });
    expect(c.OLLAMA_HOST).toBeUndefined();
    expect(c.ANTHROPIC_API_KEY).toBeUndefined();
    expect(c.MCP_JWT_SECRET).toBeUndefined();
    expect(c.AGENT_PORT).toBeUndefined();
  });

  it('treats undefined like unset', () => {
    expect(loadConfig({ OLLAMA_HOST: undefined }).OLLAMA_HOST).toBeUndefined();
  });
});

describe('lookupdAddresses', () => {
  it('splits, trims and drops empty entries', () => {
    expect(lookupdAddresses(loadConfig({ NSQLOOKUPD_HTTP_ADDRESSES: ' a:4161, ,b:4161,' }))).toEqual(['a:4161', 'b:4161']);
    expect(lookupdAddresses(loadConfig({}))).toEqual([]);
  });
});

describe('loadConfig: <KEY>_FILE secrets (Docker secrets convention)', () => {
  it('reads a secret from the named file, trimmed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'jwt');
    writeFileSync(file, `${'k'.repeat(40)}\n`);
    expect(loadConfig({ MCP_JWT_SECRET_FILE: file }).MCP_JWT_SECRET).toBe('k'.repeat(40));
  });

  it('refuses an unreadable file and a key set twice, naming both', () => {
    expect(() => loadConfig({ API_JWT_SECRET_FILE: '/nonexistent/secret', ANTHROPIC_API_KEY: 'a', ANTHROPIC_API_KEY_FILE: '/x' })).toThrow(
      'invalid configuration:\n  - ANTHROPIC_API_KEY_FILE: set together with ANTHROPIC_API_KEY; set only one\n  - API_JWT_SECRET_FILE: cannot read /nonexistent/secret (ENOENT)',
    );
  });

  it('still validates the value read from the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'short');
    writeFileSync(file, 'short');
    expect(() => loadConfig({ MCP_JWT_SECRET_FILE: file })).toThrow('MCP_JWT_SECRET must be at least 32 characters');
  });
});
