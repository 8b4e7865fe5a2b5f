/** The check shared by the Kubernetes Secret and Docker upload policies: known defaults and short JWT secrets. */
import { isKnownDefault, PASSWORD_KEY } from './secrets.js';

/** The app's minimum JWT secret length (`MCP_JWT_SECRET`, `API_JWT_SECRET` in app/src/config.ts). */
export const MIN_JWT_SECRET_LENGTH = 32;

/**
 * What is wrong with a secret value, or undefined.
 *
 * @param key   Secret key or file name (only password-like keys are checked, {@link PASSWORD_KEY}).
 * @param value the plain value.
 */
export function defaultSecretProblem(key: string, value: string): string | undefined {
  if (!PASSWORD_KEY.test(key)) return undefined;
  if (value.trim() === '') return 'is empty';
  if (isKnownDefault(value)) return 'holds a known default value (changeme, secret, password or a value of .env.example)';
  if (/jwt/i.test(key) && value.length < MIN_JWT_SECRET_LENGTH) return `holds a JWT secret of ${value.length} characters; at least ${MIN_JWT_SECRET_LENGTH} are required`;
  return undefined;
}
