/**
 * Bearer tokens for API tests: good ones through the app's own `signToken`, and the bad kinds
 * the auth tests must see refused (expired, wrongly signed, `alg: none`).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { signToken } from '../../app/src/services/http/auth.js';

/** A fresh HS256 secret (≥ 32 characters) and the default issuer, for `API_JWT_SECRET`/`API_JWT_ISSUER`. */
export function newApiSecret(): { secret: string; issuer: string } {
  return { secret: randomBytes(32).toString('base64url'), issuer: 'enrichment-platform' };
}

export interface TokenFactory {
  /** A valid token for `sub` with `roles`; `expiresIn` as in jose (default `'1h'`). */
  token(sub: string, roles: string[], expiresIn?: string | number): Promise<string>;
  /** `Authorization` header value for a valid token. */
  bearer(sub: string, roles: string[]): Promise<string>;
  /** Signed correctly but expired a minute ago. */
  expired(sub: string, roles: string[]): Promise<string>;
  /** Signed with another secret. */
  wrongSignature(sub: string, roles: string[]): Promise<string>;
  /** Unsecured JWT: header `{"alg":"none"}`, empty signature. */
  algNone(sub: string, roles: string[]): string;
  /** Signed correctly by another issuer. */
  wrongIssuer(sub: string, roles: string[]): Promise<string>;
}

export function tokenFactory(secret: string, issuer: string): TokenFactory {
  const token = (sub: string, roles: string[], expiresIn?: string | number) => signToken({ sub, roles, secret, issuer, expiresIn: expiresIn ?? '1h' });
  return {
    token,
    bearer: async (sub, roles) => `Bearer ${await token(sub, roles)}`,
    expired: (sub, roles) => token(sub, roles, Math.floor(Date.now() / 1000) - 60),
    wrongSignature: (sub, roles) => signToken({ sub, roles, secret: randomBytes(32).toString('base64url'), issuer }),
    algNone: (sub, roles) => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, roles, iss: issuer, iat: now, exp: now + 3600 })}.`;
    },
    wrongIssuer: (sub, roles) =>
      new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('someone-else').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret)),
  };
}
