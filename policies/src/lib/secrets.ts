/**
 * What counts as a secret, and which values are known defaults (checklist 9a-sec-05 and
 * 9a-sec-08: no secret keeps a shipped or well-known value; checklist 9c-run-01: production does
 * not run on the example env file).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { isRecord } from './values.js';

/**
 * Env var names that hold a secret: they must come from a Secret (`valueFrom.secretKeyRef`), a
 * file from a Secret volume, or a Docker secret file (`<NAME>_FILE`), never a literal.
 */
export const SECRET_ENV_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|KEY$|URI/;

/** True when an env var name holds a secret and is not itself a `_FILE` pointer. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) && !/_FILE$/.test(name);
}

/**
 * For `MONGODB_URI_FILE` or `GF_SECURITY_ADMIN_PASSWORD__FILE`: the secret's name
 * (`MONGODB_URI`, `GF_SECURITY_ADMIN_PASSWORD`); undefined for any other name.
 */
export function fileBackedSecretName(name: string): string | undefined {
  const m = /^(.*?)_{1,2}FILE$/.exec(name);
  return m && SECRET_ENV_NAME.test(m[1]!) ? m[1] : undefined;
}

/**
 * Keys of embedded configuration (Alertmanager, Grafana provisioning, Helm values) that hold a
 * secret when given inline. Their `_file` / `File` / `existingSecret` forms point elsewhere and
 * are fine.
 */
export const SECRET_DOCUMENT_KEY = /(^|[_.-])(password|passwd|secret|token|api_?key|routing_key|service_key|slack_api_url|webhook_url)$/i;
const REFERENCE_KEY = /(_file|File|existingSecret|secretName|secretRef|SecretRef|secretKeyRef|KeyRef)$/;

/** True for a value that points at a secret instead of being one (`$__file{...}`, `${VAR}`). */
function isReference(value: string): boolean {
  return /^\$__file\{.+\}$|^\$__env\{.+\}$|^\$\{[A-Za-z_][A-Za-z0-9_]*\}$|^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value.trim());
}

/**
 * Paths (`a.b[0].c`) of inline secret values in a parsed document or Helm values: keys matching
 * {@link SECRET_DOCUMENT_KEY} with a non-empty string value that is not a reference.
 */
export function literalSecretPaths(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalSecretPaths(v, `${at}[${i}]`));
  if (!isRecord(value)) return [];
  const found: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const here = at ? `${at}.${key}` : key;
    if (typeof v === 'string' && v.trim() !== '' && SECRET_DOCUMENT_KEY.test(key) && !REFERENCE_KEY.test(key) && !isReference(v)) found.push(here);
    else found.push(...literalSecretPaths(v, here));
  }
  return found;
}

/** Placeholders every sample config uses (issue 5: "`changeme`, `secret`, `password`"). */
export const DEFAULT_SECRET_WORDS = ['changeme', 'secret', 'password'] as const;

/** The repository's `.env.example` (its values are placeholders, never real secrets). */
export const ENV_EXAMPLE_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.env.example');

let cachedDefaults: ReadonlySet<string> | undefined;

/**
 * Every value a real password or JWT secret must not have: {@link DEFAULT_SECRET_WORDS} and every
 * non-empty value of `.env.example`, lower-cased.
 *
 * @param envExample the `.env.example` text (default: read from {@link ENV_EXAMPLE_PATH}; a missing
 *   file contributes nothing).
 */
export function knownDefaultSecrets(envExample?: string): ReadonlySet<string> {
  if (envExample === undefined && cachedDefaults) return cachedDefaults;
  let text = envExample;
  if (text === undefined) {
    try {
      text = readFileSync(ENV_EXAMPLE_PATH, 'utf8');
    } catch {
      text = '';
    }
  }
  const values = new Set<string>(DEFAULT_SECRET_WORDS);
  for (const v of Object.values(parseEnv(text))) if (v !== undefined && v.trim() !== '') values.add(v.trim().toLowerCase());
  if (envExample === undefined) cachedDefaults = values;
  return values;
}

/** True when `value` (or the password inside a `mongodb://user:password@...` URI) is a known default. */
export function isKnownDefault(value: string, defaults: ReadonlySet<string> = knownDefaultSecrets()): boolean {
  const candidates = [value.trim()];
  const password = uriPassword(value);
  if (password !== undefined) candidates.push(password);
  return candidates.some((c) => defaults.has(c.toLowerCase()));
}

/** The password of a `scheme://user:password@host` URI, decoded; undefined when there is none. */
export function uriPassword(value: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@/\s]*)@/i.exec(value.trim());
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

/**
 * Secret keys (Secret data keys, Docker secret file names) that hold a password or JWT secret
 * whose default value must be refused.
 */
export const PASSWORD_KEY = /password|passwd|secret|jwt|token|MONGODB_URI/i;
