/**
 * JSON schemas shared by the Review API and the Cost API routes.
 *
 * Every body and query schema is `additionalProperties: false` and the app's ajv runs with
 * `removeAdditional: false`, so an unknown key (including `$`-prefixed and dotted keys that could
 * reach MongoDB as operators or paths) is refused with 400 rather than silently dropped.
 */

/** Letters, digits, `.`, `_`, `:` and `-`: the document-id alphabet of the ingest (README "Input documents"). */
export const ID_PATTERN = '^[A-Za-z0-9._:-]+$';
export const ID_MAX_LENGTH = 200;

/** A path or query id: the ingest's document-id alphabet, 1–200 characters. */
export const idSchema = { type: 'string', pattern: ID_PATTERN, minLength: 1, maxLength: ID_MAX_LENGTH } as const;

/** The body of every error answer. `request_id` is set on 5xx answers so a caller can quote it. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    request_id: { type: 'string' },
  },
} as const;

/**
 * Response schemas of the error statuses every authenticated route can answer with
 * (400 validation, 401/403 auth, 404, 413 body too large, 429 rate limit, 500, 503).
 * Spread into a route's `response` next to its success schema; routes that take a body add 415
 * (a content type other than `application/json`) and, where they apply, 409.
 */
export const ERROR_RESPONSES = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  413: errorSchema,
  429: errorSchema,
  500: errorSchema,
  503: errorSchema,
} as const;

/** `{ documentId }` path params. */
export const documentIdParams = {
  type: 'object',
  required: ['documentId'],
  additionalProperties: false,
  properties: { documentId: idSchema },
} as const;

/** An ISO 8601 date-time string in a query (`from`, `to`). */
export const dateTimeSchema = { type: 'string', format: 'date-time' } as const;
