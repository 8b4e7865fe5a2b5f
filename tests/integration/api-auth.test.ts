/**
 * The shared API plumbing (app/src/services/http), through the Review API on the real FerretDB:
 * every auth refusal, the open /health, the CORS allow-list, security headers, the rate limit,
 * request ids and hidden 5xx messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../app/src/config.js';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { buildReviewApi } from '../../app/src/services/review-api/app.js';
import { Store } from '../../app/src/store/store.js';
import { newApiSecret, tokenFactory } from '../support/api-tokens.js';
import { serviceEnv } from '../support/services.js';

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const { secret, issuer } = newApiSecret();
const tokens = tokenFactory(secret, issuer);
const ALLOWED_ORIGIN = 'https://review.example.com';

async function build(env: Record<string, string> = {}, logger: Logger = quiet): Promise<{ app: FastifyInstance; store: Store }> {
  const config = loadConfig(serviceEnv({ API_JWT_SECRET: secret, API_JWT_ISSUER: issuer, API_CORS_ORIGINS: ALLOWED_ORIGIN, ...env }));
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
  const app = await buildReviewApi({ config, store, metrics: createMetrics('review-api'), logger });
  await app.ready();
  return { app, store };
}

describe('API auth (Review API)', () => {
  let app: FastifyInstance;
  let store: Store;
  beforeAll(async () => {
    ({ app, store } = await build());
  });
  afterAll(async () => {
    await app.close();
    await store.db.dropDatabase();
    await store.close();
  });

  it('serves /health without a token, with the MongoDB readiness check', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { mongodb: 'ok' } });
  });

  it('accepts a valid reviewer token', async () => {
    const res = await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: await tokens.bearer('alice', ['reviewer']) } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], next_cursor: null });
  });

  it.each([
    ['missing token', async () => undefined, 'missing bearer token'],
    ['not a bearer scheme', async () => 'Basic YWxpY2U6cHc=', 'authorization header is not a bearer token'],
    ['expired token', async () => `Bearer ${await tokens.expired('alice', ['reviewer'])}`, 'token expired'],
    ['wrong signature', async () => `Bearer ${await tokens.wrongSignature('alice', ['reviewer'])}`, 'invalid token'],
    ['alg: none', async () => `Bearer ${tokens.algNone('alice', ['reviewer'])}`, 'invalid token'],
    ['wrong issuer', async () => `Bearer ${await tokens.wrongIssuer('alice', ['reviewer'])}`, 'invalid token'],
    ['garbage', async () => 'Bearer not.a.jwt', 'invalid token'],
  ])('refuses a %s with 401', async (_name, header, message) => {
    const authorization = await header();
    const res = await app.inject({ method: 'GET', url: '/reviews', headers: authorization ? { authorization } : {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Unauthorized', message });
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses a valid token without an allowed role with 403', async () => {
    const res = await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: await tokens.bearer('fin', ['finance']) } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'Forbidden' });
  });

  it('refuses a wrong role on a decision before touching the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/reviews/DOC-1/approve',
      headers: { authorization: await tokens.bearer('fin', ['finance']) },
      payload: { version: 1 },
    });
    expect(res.statusCode).toBe(403);
  });

  it('requires a token for /docs and /metrics; the metrics role opens /metrics only', async () => {
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const scraper = await tokens.bearer('prometheus', ['metrics']);
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: scraper } });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('enrichment_api_requests_total{service="review-api",route="/reviews",status_code="401"');
    expect((await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: scraper } })).statusCode).toBe(403);
    const admin = await tokens.bearer('alice', ['admin']);
    const ui = await app.inject({ method: 'GET', url: '/docs', headers: { authorization: admin } });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
    const spec = await app.inject({ method: 'GET', url: '/docs/json', headers: { authorization: admin } });
    expect(spec.statusCode).toBe(200);
    expect(spec.json().components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(Object.keys(spec.json().paths)).toEqual(expect.arrayContaining(['/reviews', '/reviews/{documentId}', '/reviews/{documentId}/approve']));
  });

  it('answers CORS only for allow-listed origins', async () => {
    const preflight = (origin: string) =>
      app.inject({ method: 'OPTIONS', url: '/reviews', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sets security headers and echoes a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'req-123' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-request-id']).toBe('req-123');
    const unsafe = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\u0000' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an unknown route with 404 for an authenticated caller', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope', headers: { authorization: await tokens.bearer('alice', ['reviewer']) } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'Not Found' });
  });
});

describe('API rate limit', () => {
  it('answers 429 past API_RATE_LIMIT_PER_MINUTE per caller, and keeps /health open', async () => {
    const { app, store } = await build({ API_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const alice = await tokens.bearer('alice', ['reviewer']);
      const bob = await tokens.bearer('bob', ['reviewer']);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: alice } })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: alice } });
      expect(limited.json()).toMatchObject({ error: 'Too Many Requests' });
      expect(limited.headers['retry-after']).toBeDefined();
      // Keyed by IP and token sub: another reviewer from the same address has their own budget.
      expect((await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: bob } })).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await store.db.dropDatabase();
      await store.close();
    }
  });
});

describe('API behind a proxy (API_TRUST_PROXY)', () => {
  async function codesFromTwoClients(env: Record<string, string>): Promise<number[]> {
    const { app, store } = await build({ API_RATE_LIMIT_PER_MINUTE: '1', ...env });
    try {
      const alice = await tokens.bearer('alice', ['reviewer']);
      const codes: number[] = [];
      for (const client of ['203.0.113.7', '198.51.100.9']) {
        const res = await app.inject({ method: 'GET', url: '/reviews', headers: { authorization: alice, 'x-forwarded-for': client } });
        codes.push(res.statusCode);
      }
      return codes;
    } finally {
      await app.close();
      await store.db.dropDatabase();
      await store.close();
    }
  }

  it('ignores X-Forwarded-For by default: a client cannot pick its own rate-limit key', async () => {
    expect(await codesFromTwoClients({})).toEqual([200, 429]);
  });

  it('keys the rate limit on the forwarded client address when the proxy is trusted', async () => {
    // app.inject connects from 127.0.0.1: that is the "ingress" here.
    expect(await codesFromTwoClients({ API_TRUST_PROXY: '127.0.0.0/8' })).toEqual([200, 200]);
    expect(await codesFromTwoClients({ API_TRUST_PROXY: 'true' })).toEqual([200, 200]);
    expect(await codesFromTwoClients({ API_TRUST_PROXY: '10.0.0.0/8' })).toEqual([200, 429]);
  });

  it('refuses a malformed API_TRUST_PROXY', () => {
    expect(() => loadConfig(serviceEnv({ API_TRUST_PROXY: 'yes please' }))).toThrow(
      'API_TRUST_PROXY: true, or comma-separated addresses/CIDRs such as 10.0.0.0/8',
    );
  });
});

describe('API 5xx', () => {
  it('hides the message of an internal error, returns the request id and logs the error under it', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const { app, store } = await build({}, pino({ level: 'info' }, sink));
    try {
      await store.close();
      const res = await app.inject({
        method: 'GET',
        url: '/reviews',
        headers: { authorization: await tokens.bearer('alice', ['reviewer']), 'x-request-id': 'trace-5xx' },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'Internal Server Error', message: 'internal error', request_id: 'trace-5xx' });
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      const logged = lines.find((l) => l['msg'] === 'request failed');
      expect(logged).toMatchObject({ request_id: 'trace-5xx', level: 50 });
      expect(JSON.stringify(logged!['err'])).toMatch(/closed|client/i);
      // The bearer token never reaches the log.
      expect(JSON.stringify(lines)).not.toContain(secret);
      expect(JSON.stringify(lines)).not.toMatch(/Bearer ey/);
    } finally {
      await app.close();
    }
  });
});

describe('API over TLS', () => {
  it('serves HTTPS when API_TLS_CERT_FILE and API_TLS_KEY_FILE are set', async (ctx) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'api-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    } catch {
      console.log('skipped: openssl is not available to make a test certificate');
      ctx.skip();
    }
    const { app, store } = await build({ API_TLS_CERT_FILE: cert, API_TLS_KEY_FILE: key });
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      expect(address).toMatch(/^https:\/\//);
      const status = await new Promise<number>((resolve, reject) => {
        httpsRequest(`${address}/health`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
    } finally {
      await app.close();
      await store.db.dropDatabase();
      await store.close();
    }
  });

  it('refuses to start with only one TLS file', async () => {
    await expect(build({ API_TLS_CERT_FILE: '/nonexistent/cert.pem' })).rejects.toThrow(/both API_TLS_CERT_FILE and API_TLS_KEY_FILE/);
  });
});
