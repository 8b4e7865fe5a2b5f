/**
 * The shared fastify app of the Review API and the Cost API (issue 3, "Both services").
 *
 * Plugins load in order: external (helmet, cors, rate-limit, swagger, swagger-ui), then the app's
 * own (ops routes, auth, error handling, request metrics), then the service's routes.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import type { Metrics } from '../../metrics/catalog.js';
import { registerOpsRoutes } from '../../ops/http.js';
import type { Store } from '../../store/store.js';
import { authenticate, enforceAuth, type AuthError } from './auth.js';
import { ID_PATTERN } from './schemas.js';

export type ServiceName = 'review-api' | 'cost-api';

/** What a service's routes plugin receives as its options. */
export interface ServiceRouteOptions {
  config: AppConfig;
  store: Store;
  metrics: Metrics;
  service: ServiceName;
}

export interface ServiceAppOptions {
  service: ServiceName;
  config: AppConfig;
  /** Used by the routes and by `/health`'s `mongodb` readiness check; never touched at build time. */
  store: Store;
  metrics: Metrics;
  logger: Logger;
  /** A token needs one of these roles (issue 3: reviewer/admin, finance/admin). */
  allowedRoles: string[];
  /** OpenAPI `info.title` / `info.description`. */
  title: string;
  description: string;
  routes: FastifyPluginAsync<ServiceRouteOptions>;
}

/** Routes served without a token: liveness/readiness probes must work before any token exists. */
export const PUBLIC_ROUTES = ['/health'] as const;
/** A Prometheus scraper may hold a token with just this role; it opens `/metrics` only. */
export const METRICS_ROLE = 'metrics';
/** Length of the rate limiter's window, ms (API_RATE_LIMIT_PER_MINUTE is per minute). */
const RATE_LIMIT_WINDOW_MS = 60_000;
const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_RE = new RegExp(ID_PATTERN);
const REQUEST_ID_MAX_LENGTH = 100;

declare module 'fastify' {
  interface FastifyRequest {
    /** The auth hook's refusal, held until the rate limiter has counted the request. */
    authRefusal?: AuthError;
  }
}

/** `API_TRUST_PROXY` as fastify's `trustProxy`: false, true, or a list of addresses/CIDRs. */
export function trustProxySetting(value: string): boolean | string[] {
  if (value === '') return false;
  if (value === 'true') return true;
  return value.split(',').map((s) => s.trim());
}

/**
 * Builds a service app, ready to `listen` or `inject`.
 *
 * - `API_TLS_CERT_FILE` and `API_TLS_KEY_FILE` both set: HTTPS with that certificate (and chain).
 * - Every route but `/health` needs a bearer token with one of `allowedRoles`; 401/403 otherwise.
 * - Rate limit: `API_RATE_LIMIT_PER_MINUTE` per client IP and token `sub` (per IP when the token
 *   is absent or invalid), 429 beyond.
 * - Request bodies: `application/json` only; another content type gets 415 `{ error: 'Unsupported
 *   Media Type', message: UNSUPPORTED_MEDIA_TYPE_MESSAGE }`, a JSON body with a `__proto__` key (or a
 *   `constructor` key holding `prototype`) 400 with FORBIDDEN_JSON_KEY_MESSAGE.
 * - Errors: 4xx as `{ error, message }`; 5xx as `{ error: 'Internal Server Error', message:
 *   'internal error', request_id }`, with the real error logged under the request id.
 * @throws Error when `API_JWT_SECRET` is unset or only one TLS file is set.
 */
export async function buildServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  const { config, store, metrics, logger, service } = options;
  const secret = config.API_JWT_SECRET;
  if (!secret) throw new Error(`API_JWT_SECRET is required to run the ${service} (at least 32 characters)`);
  if (Boolean(config.API_TLS_CERT_FILE) !== Boolean(config.API_TLS_KEY_FILE)) {
    throw new Error('set both API_TLS_CERT_FILE and API_TLS_KEY_FILE for HTTPS, or neither for plain HTTP');
  }
  const https =
    config.API_TLS_CERT_FILE && config.API_TLS_KEY_FILE
      ? { cert: readFileSync(config.API_TLS_CERT_FILE), key: readFileSync(config.API_TLS_KEY_FILE) }
      : null;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.API_BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && given.length <= REQUEST_ID_MAX_LENGTH && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    trustProxy: trustProxySetting(config.API_TRUST_PROXY),
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;

  // --- external plugins ---
  await app.register(helmet, { global: true });
  const origins = config.API_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await app.register(cors, {
    // Allow-list only: an unknown origin gets no Access-Control-Allow-Origin header.
    origin: (origin, callback) => callback(null, origin !== undefined && origins.includes(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', REQUEST_ID_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER],
    maxAge: 600,
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: options.title, description: options.description, version: process.env.npm_package_version ?? '0.1.0' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    // The public routes need no token; say so in the document rather than inherit the global scheme.
    transform: ({ schema, url }) => ({
      schema: (PUBLIC_ROUTES as readonly string[]).includes(url) ? { ...schema, security: [] } : schema,
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  // --- app plugins ---
  acceptJsonBodiesOnly(app);
  registerOpsRoutes(app, { metrics, checks: { mongodb: () => store.ping() } });

  const authOptions = {
    secret,
    issuer: config.API_JWT_ISSUER,
    allowedRoles: options.allowedRoles,
    extraRolesByRoute: { '/metrics': [METRICS_ROLE] },
    publicRoutes: PUBLIC_ROUTES,
  };
  app.addHook('onRequest', async (request) => {
    request.authRefusal = await authenticate(request, authOptions);
  });
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: config.API_RATE_LIMIT_PER_MINUTE,
      timeWindow: RATE_LIMIT_WINDOW_MS,
      keyGenerator: (request) => `${request.ip}|${request.user?.sub ?? ''}`,
      allowList: (request) => (PUBLIC_ROUTES as readonly string[]).includes(request.routeOptions.url ?? ''),
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        error: 'Too Many Requests',
        message: `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
      }),
    }),
  );
  app.addHook('onRequest', async (request, reply) => enforceAuth(reply, request.authRefusal));
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.apiRequests.inc({ service, route, status_code: String(reply.statusCode) });
    metrics.apiRequestDuration.observe({ service, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error: FastifyError & { error?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error, request_id: request.id }, 'request failed');
      return reply.code(500).send({ error: 'Internal Server Error', message: 'internal error', request_id: request.id });
    }
    if (error.validation) {
      return reply.code(400).send({ error: 'Bad Request', message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      // fastify's own message is just "Unsupported Media Type"; say what is accepted instead.
      return reply.code(415).send({ error: 'Unsupported Media Type', message: UNSUPPORTED_MEDIA_TYPE_MESSAGE });
    }
    return reply.code(status).send({ error: error.error ?? httpReason(status), message: error.message });
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  // --- routes ---
  await app.register(options.routes, { config, store, metrics, service });
  return app;
}

/** The 415 message of a request body that is not `application/json`. */
export const UNSUPPORTED_MEDIA_TYPE_MESSAGE = 'request bodies must have content-type application/json';
/** The 400 message of a JSON body refused for prototype-poisoning keys. */
export const FORBIDDEN_JSON_KEY_MESSAGE = 'body must not contain a __proto__ key or a constructor key holding prototype';

/** A JSON body that is valid JSON but carries a prototype-poisoning key; answered as 400. */
class ForbiddenJsonKeyError extends Error {
  readonly statusCode = 400;
  readonly error = 'Bad Request';
  constructor() {
    super(FORBIDDEN_JSON_KEY_MESSAGE);
    this.name = 'ForbiddenJsonKeyError';
  }
}

/**
 * Leaves `application/json` as the only request-body type (routes' body schemas are JSON), so any
 * other content type (`text/plain`, form posts, ...) is answered 415 rather than reaching schema
 * validation as a string ("body must be object").
 *
 * JSON is still parsed by fastify's own parser, which refuses `__proto__` keys and `constructor`
 * keys holding `prototype` (secure-json-parse, protection against prototype poisoning) but answers
 * them with the same "Body is not valid JSON" as a syntax error. The wrapper tells the two apart
 * (a refused body that plain `JSON.parse` accepts is valid JSON with a forbidden key) and answers
 * 400 {@link FORBIDDEN_JSON_KEY_MESSAGE}; every other parse error keeps fastify's own message.
 */
function acceptJsonBodiesOnly(app: FastifyInstance): void {
  const secureJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    secureJsonParser(request, text, (error, value) => {
      if (error && isPlainJson(text)) done(new ForbiddenJsonKeyError(), undefined);
      else done(error, value);
    });
  });
}

function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
  };
  return reasons[status] ?? 'Error';
}
