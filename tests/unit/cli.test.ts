/**
 * `bin/enrich` (app/src/cli/enrich.ts): a caller's mistake exits 2 with one line, no stack trace;
 * `api-token` signs only known roles and positive lifetimes.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOKEN_LIFETIME_PATTERN } from '../../app/src/cli/enrich.js';
import { AGENT_NAMES } from '../../app/src/domain/fields.js';
import { verifyBearer } from '../../app/src/services/http/auth.js';
import { COST_API_ROLES } from '../../app/src/services/cost-api/app.js';
import { METRICS_ROLE } from '../../app/src/services/http/service-app.js';
import { REVIEW_API_ROLES } from '../../app/src/services/review-api/app.js';
import { REPO_ROOT } from '../support/processes.js';

const SECRET = 'cli-test-secret-0123456789abcdefghijklmnop';
const ISSUER = 'cli-test';

/** Runs `bin/enrich` with exactly `env` (plus PATH), so no developer setting leaks in. */
function enrich(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const run = spawnSync(path.join(REPO_ROOT, 'bin/enrich'), args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, ms: Date.now() - started };
}

const oneLine = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('enrich: usage errors exit 2 with one line', () => {
  it.each([
    ['api-token without API_JWT_SECRET', ['api-token', '--sub', 'a@example.com'], {}, 'enrich: api-token: API_JWT_SECRET is not set'],
    ['api-token --roles bogus', ['api-token', '--sub', 'a@example.com', '--roles', 'reviewer,bogus'], { API_JWT_SECRET: SECRET }, "enrich: api-token: --roles: unknown role 'bogus' (roles: reviewer, admin, finance, metrics)"],
    ['api-token --roles ""', ['api-token', '--sub', 'a@example.com', '--roles', ' , '], { API_JWT_SECRET: SECRET }, 'enrich: api-token: --roles needs at least one of reviewer, admin, finance, metrics'],
    ['api-token --expires-in -1h', ['api-token', '--sub', 'a@example.com', '--expires-in', '-1h'], { API_JWT_SECRET: SECRET }, "enrich: api-token: --expires-in: '-1h' is not a positive lifetime such as 30m, 8h or 7d"],
    ['api-token --expires-in "1h ago"', ['api-token', '--sub', 'a@example.com', '--expires-in', '1h ago'], { API_JWT_SECRET: SECRET }, "enrich: api-token: --expires-in: '1h ago' is not a positive lifetime"],
    ['api-token --expires-in 0h', ['api-token', '--sub', 'a@example.com', '--expires-in', '0h'], { API_JWT_SECRET: SECRET }, "enrich: api-token: --expires-in: '0h' is not a positive lifetime"],
    ['agent nope', ['agent', 'nope'], {}, `enrich: unknown agent 'nope' (agents: ${AGENT_NAMES.join(', ')})`],
    ['an invalid environment', ['worker'], { MONGODB_URI: 'not-a-uri' }, 'enrich: invalid configuration: MONGODB_URI: must be a mongodb:// or mongodb+srv:// URI'],
  ])('%s', (_name, args, env, message) => {
    const run = enrich(args, env);
    expect(run.status).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('submit reports a missing path before connecting to MongoDB', () => {
    // Port 1 refuses connections: the driver would only give up after its 10 s server selection.
    const run = enrich(['submit', 'samples', '/nonexistent/receipts'], { MONGODB_URI: 'mongodb://127.0.0.1:1/' });
    expect(run.status).toBe(2);
    expect(oneLine(run.stderr)).toEqual(['enrich: submit: /nonexistent/receipts: no such file or folder']);
    expect(run.ms).toBeLessThan(10_000);
  });

  it('an unknown command exits 2 (commander prints the error and the help)', () => {
    const run = enrich(['sumbit']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error: unknown command 'sumbit'");
  });

  it('--help exits 0', () => {
    const run = enrich(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('api-token');
  });
});

describe('enrich api-token', () => {
  it('signs a token the APIs accept, with the roles and lifetime asked for', async () => {
    const run = enrich(['api-token', '--sub', 'ana@example.com', '--roles', 'finance, metrics', '--expires-in', '30m'], { API_JWT_SECRET: SECRET, API_JWT_ISSUER: ISSUER });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const token = run.stdout.trim();
    expect(await verifyBearer(`Bearer ${token}`, { secret: SECRET, issuer: ISSUER })).toEqual({ sub: 'ana@example.com', roles: ['finance', 'metrics'] });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    expect(payload.exp - payload.iat).toBe(30 * 60);
  });

  it('knows every role the services accept', () => {
    // The roles the error message lists are these, in this order.
    expect([...new Set([...REVIEW_API_ROLES, ...COST_API_ROLES, METRICS_ROLE])]).toEqual(['reviewer', 'admin', 'finance', 'metrics']);
  });

  it.each([
    ['30m', true],
    ['8h', true],
    ['1.5 hours', true],
    ['7d', true],
    ['-1h', false],
    ['1h ago', false],
    ['+1h', false],
    ['8', false],
    ['h', false],
    ['1 fortnight', false],
  ])('lifetime %j accepted: %s', (lifetime, ok) => {
    expect(TOKEN_LIFETIME_PATTERN.test(lifetime)).toBe(ok);
  });
});
