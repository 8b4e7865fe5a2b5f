/**
 * Bearer-token authentication of the Review API and the Cost API (issue 3: "a JWT bearer on every
 * route except /health, verified with jose and the algorithm pinned").
 *
 * Tokens are HS256 JWTs signed with `API_JWT_SECRET`, issued by `API_JWT_ISSUER`, with claims
 * `sub` (the user; the Review API records it as the reviewer) and `roles: string[]`.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The only algorithm accepted. Pinning it refuses `alg: none` and algorithm-confusion tokens. */
export const API_JWT_ALGORITHM = 'HS256';

/** The authenticated caller, set on `request.user` by the auth hook. */
export interface ApiUser {
  /** The token's `sub` claim. */
  sub: string;
  roles: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route; absent on public routes (`/health`). */
    user?: ApiUser;
  }
}

/** Why a token was refused; `status` is the HTTP status to answer with (401 or 403). */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface SignTokenOptions {
  sub: string;
  roles: string[];
  /** The HS256 secret (API_JWT_SECRET), at least 32 characters. */
  secret: string;
  issuer: string;
  /** jose duration (`'1h'`, `'15m'`) or an absolute NumericDate in seconds. Default `'1h'`. */
  expiresIn?: string | number;
}

/** Signs an API bearer token (tests, the e2e script and the README's curl examples use it). */
export async function signToken(options: SignTokenOptions): Promise<string> {
  return new SignJWT({ roles: options.roles })
    .setProtectedHeader({ alg: API_JWT_ALGORITHM, typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuer(options.issuer)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret));
}

export interface AuthOptions {
  secret: string;
  issuer: string;
}

/**
 * Verifies an `Authorization` header value and returns the caller.
 * @throws AuthError (401) when the header is missing or not `Bearer <jwt>`, or when the token is
 *   expired, wrongly signed, of another algorithm (including `none`), of another issuer, or lacks
 *   a string `sub` or a string-array `roles`.
 */
export async function verifyBearer(header: string | undefined, options: AuthOptions): Promise<ApiUser> {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header ?? '');
  if (!match?.[1]) throw new AuthError(401, header ? 'authorization header is not a bearer token' : 'missing bearer token');
  try {
    const { payload } = await jwtVerify(match[1], new TextEncoder().encode(options.secret), {
      algorithms: [API_JWT_ALGORITHM],
      issuer: options.issuer,
      requiredClaims: ['sub', 'exp'],
    });
    const roles = payload['roles'];
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthError(401, 'token has no subject');
    if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string')) {
      throw new AuthError(401, 'token has no roles claim');
    }
    return { sub: payload.sub, roles };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (error instanceof errors.JWTExpired) throw new AuthError(401, 'token expired');
    // Other jose errors (bad signature, alg not allowed, malformed, wrong issuer): one message,
    // so a caller learns nothing about which check failed.
    throw new AuthError(401, 'invalid token');
  }
}

export interface AuthHookOptions extends AuthOptions {
  /** A caller needs at least one of these roles. */
  allowedRoles: readonly string[];
  /** Extra roles accepted per route pattern, e.g. `{ '/metrics': ['metrics'] }` for a scraper. */
  extraRolesByRoute?: Readonly<Record<string, readonly string[]>>;
  /** Route patterns that need no token. */
  publicRoutes: readonly string[];
}

/**
 * Authenticates a request without answering it: sets `request.user` on success and returns
 * undefined, or returns the refusal. Split from {@link enforceAuth} so that the rate limiter,
 * which runs between the two, can key authenticated callers by their `sub`.
 */
export async function authenticate(request: FastifyRequest, options: AuthHookOptions): Promise<AuthError | undefined> {
  const route = request.routeOptions.url;
  if (route !== undefined && options.publicRoutes.includes(route)) return undefined;
  try {
    const user = await verifyBearer(request.headers.authorization, options);
    const allowed = [...options.allowedRoles, ...(route ? (options.extraRolesByRoute?.[route] ?? []) : [])];
    request.user = user;
    if (!user.roles.some((r) => allowed.includes(r))) {
      return new AuthError(403, `requires one of the roles: ${allowed.join(', ')}`);
    }
    return undefined;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
}

/** Answers a refused request with `{ error, message }` and status 401 (with `WWW-Authenticate`) or 403. */
export async function enforceAuth(reply: FastifyReply, refusal: AuthError | undefined): Promise<void> {
  if (!refusal) return;
  if (refusal.status === 401) reply.header('www-authenticate', 'Bearer');
  await reply.code(refusal.status).send({ error: refusal.status === 401 ? 'Unauthorized' : 'Forbidden', message: refusal.message });
}
