/**
 * The Review API (issue 3, port 5001): reviewers list the review queue, open an item with
 * everything needed to judge it, approve, reject or correct it, and watch queue stats.
 *
 * `reviewRoutes` is the routes plugin; `buildReviewApi` wraps it in the shared service app
 * (auth with roles reviewer/admin, rate limit, CORS, helmet, OpenAPI at /docs, /health, /metrics).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import type { AgentName, DocumentType, FieldName } from '../../domain/fields.js';
import type { Metrics } from '../../metrics/catalog.js';
import type { ReviewItem } from '../../store/collections.js';
import {
  InvalidCorrectionError,
  InvalidCursorError,
  ReviewConflictError,
  ReviewNotFoundError,
  ReviewStore,
  type DecisionResult,
  type ReviewSort,
  type ReviewStatus,
} from '../../store/reviews.js';
import type { Store } from '../../store/store.js';
import { buildServiceApp, type ServiceRouteOptions } from '../http/service-app.js';
import { documentIdParams, ERROR_RESPONSES, errorSchema } from '../http/schemas.js';
import {
  approveBodySchema,
  correctionsBodySchema,
  decisionResponseSchema,
  itemDetailSchema,
  listQuerySchema,
  listResponseSchema,
  rejectBodySchema,
  statsResponseSchema,
} from './schemas.js';

/** Roles allowed to use the Review API (issue 3). */
export const REVIEW_API_ROLES = ['reviewer', 'admin'];

interface ListQuery {
  status?: ReviewStatus;
  document_type?: DocumentType;
  agent?: AgentName;
  missing_field?: FieldName;
  sort: ReviewSort;
  limit: number;
  cursor?: string;
}
interface DocumentParams {
  documentId: string;
}

function itemView(item: ReviewItem) {
  return {
    document_id: item.document_id,
    job_id: item.job_id,
    document_type: item.document_type,
    status: item.status,
    completeness_score: item.completeness_score,
    missing_fields: item.missing_fields,
    invalid_fields: item.invalid_fields,
    low_confidence_fields: item.low_confidence_fields,
    reasons: item.reasons,
    version: item.version,
    created_at: item.created_at.toISOString(),
    updated_at: item.updated_at.toISOString(),
  };
}

function decisionView(result: DecisionResult) {
  const d = result.decision;
  return {
    item: itemView(result.item),
    decision: { id: d._id, decision: d.decision, reviewer: d.reviewer, decided_at: d.decided_at.toISOString(), reason: d.reason, before: d.before, after: d.after },
  };
}

/** Maps the store's domain errors to 400/404/409; anything else goes to the 5xx handler. */
async function sendDomainError(reply: FastifyReply, error: unknown): Promise<FastifyReply> {
  if (error instanceof ReviewNotFoundError) return reply.code(404).send({ error: 'Not Found', message: error.message });
  if (error instanceof ReviewConflictError) return reply.code(409).send({ error: 'Conflict', message: error.message });
  if (error instanceof InvalidCorrectionError || error instanceof InvalidCursorError) {
    return reply.code(400).send({ error: 'Bad Request', message: error.message });
  }
  throw error;
}

/** Decision routes take a JSON body, so they also answer 409 (lost version check) and 415 (not JSON). */
const decisionResponses = { 200: decisionResponseSchema, 409: errorSchema, 415: errorSchema, ...ERROR_RESPONSES } as const;

/** The Review API routes. Options: the shared service dependencies. */
export const reviewRoutes: FastifyPluginAsync<ServiceRouteOptions> = async (app, { config, store, metrics }) => {
  const reviews = new ReviewStore(store);
  const thresholds = { minCompleteness: config.AUTO_APPROVE_MIN_COMPLETENESS, minFieldConfidence: config.AUTO_APPROVE_MIN_FIELD_CONFIDENCE };

  app.get<{ Querystring: ListQuery }>(
    '/reviews',
    {
      schema: {
        summary: 'List the review queue',
        description: 'Cursor-paginated; filters combine with AND.',
        tags: ['reviews'],
        querystring: listQuerySchema,
        response: { 200: listResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const q = request.query;
      try {
        const page = await reviews.list({
          status: q.status,
          documentType: q.document_type,
          agent: q.agent,
          missingField: q.missing_field,
          sort: q.sort,
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: page.items.map(itemView), next_cursor: page.nextCursor };
      } catch (error) {
        return sendDomainError(reply, error);
      }
    },
  );

  app.get(
    '/queue/stats',
    {
      schema: {
        summary: 'Queue stats',
        description: 'Items per status, age of the oldest pending item, decisions per day over the last 30 days.',
        tags: ['reviews'],
        response: { 200: statsResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const s = await reviews.stats();
      return {
        ...s.counts,
        oldest_pending_age_seconds: s.oldestPendingAgeSeconds,
        oldest_pending_created_at: s.oldestPendingCreatedAt?.toISOString() ?? null,
        decisions_per_day: s.decisionsPerDay,
      };
    },
  );

  app.get<{ Params: DocumentParams }>(
    '/reviews/:documentId',
    {
      schema: {
        summary: 'One review item with everything a reviewer needs',
        tags: ['reviews'],
        params: documentIdParams,
        response: { 200: itemDetailSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const detail = await reviews.get(request.params.documentId);
      if (!detail) return reply.code(404).send({ error: 'Not Found', message: `no review item for document ${request.params.documentId}` });
      const doc = detail.document;
      return {
        item: itemView(detail.item),
        ocr_lines: detail.ocrLines,
        fields: Object.entries(doc?.fields ?? {}).map(([field, f]) => ({ field, ...f })),
        required_fields: doc?.required_fields ?? [],
        missing_fields: doc?.missing_fields ?? detail.item.missing_fields,
        invalid_fields: doc?.invalid_fields ?? detail.item.invalid_fields,
        low_confidence_fields: doc?.low_confidence_fields ?? detail.item.low_confidence_fields,
        cost: detail.cost,
      };
    },
  );

  app.post<{ Params: DocumentParams; Body: { version: number } }>(
    '/reviews/:documentId/approve',
    {
      schema: { summary: 'Approve a pending item', tags: ['decisions'], params: documentIdParams, body: approveBodySchema, response: decisionResponses },
    },
    async (request, reply) => {
      try {
        const result = await reviews.decide(request.params.documentId, { decision: 'approve', version: request.body.version, reviewer: request.user!.sub });
        metrics.reviewDecisions.inc({ decision: 'approve' });
        return decisionView(result);
      } catch (error) {
        return sendDomainError(reply, error);
      }
    },
  );

  app.post<{ Params: DocumentParams; Body: { version: number; reason: string } }>(
    '/reviews/:documentId/reject',
    {
      schema: { summary: 'Reject a pending item with a reason', tags: ['decisions'], params: documentIdParams, body: rejectBodySchema, response: decisionResponses },
    },
    async (request, reply) => {
      try {
        const result = await reviews.decide(request.params.documentId, {
          decision: 'reject',
          version: request.body.version,
          reason: request.body.reason,
          reviewer: request.user!.sub,
        });
        metrics.reviewDecisions.inc({ decision: 'reject' });
        return decisionView(result);
      } catch (error) {
        return sendDomainError(reply, error);
      }
    },
  );

  app.post<{ Params: DocumentParams; Body: { version: number; fields: Partial<Record<FieldName, unknown>> } }>(
    '/reviews/:documentId/corrections',
    {
      schema: {
        summary: 'Correct fields; re-scores completeness and approves the item when it becomes complete',
        description:
          'Each corrected value is checked against its field schema (400 otherwise) and stored with the reviewer as its ' +
          'source: confidence 1, provider `human`, model = the reviewer (token `sub`). Completeness is then re-scored ' +
          'for the document type. The item is **approved** when the new completeness score reaches ' +
          'AUTO_APPROVE_MIN_COMPLETENESS (default 0.95: every required field present and valid), even if other ' +
          'required fields keep a model confidence below AUTO_APPROVE_MIN_FIELD_CONFIDENCE, because the reviewer has ' +
          'seen the whole item; otherwise it stays **pending** with the new score, missing fields and reasons. ' +
          'The decision record keeps each corrected field before and after. `version` must be the item\'s current ' +
          'version: a stale version, or an item no longer pending, gets 409.',
        tags: ['decisions'],
        params: documentIdParams,
        body: correctionsBodySchema,
        response: decisionResponses,
      },
    },
    async (request, reply) => {
      try {
        const result = await reviews.correct(
          request.params.documentId,
          { version: request.body.version, fields: request.body.fields, reviewer: request.user!.sub },
          thresholds,
        );
        metrics.reviewDecisions.inc({ decision: 'correct' });
        return decisionView(result);
      } catch (error) {
        return sendDomainError(reply, error);
      }
    },
  );
};

export interface ReviewApiDeps {
  config: AppConfig;
  store: Store;
  metrics: Metrics;
  logger: Logger;
}

/** The Review API app, ready to `listen` or `inject`. Throws when API_JWT_SECRET is unset. */
export function buildReviewApi(deps: ReviewApiDeps): Promise<FastifyInstance> {
  return buildServiceApp({
    ...deps,
    service: 'review-api',
    allowedRoles: REVIEW_API_ROLES,
    title: 'Review API',
    description: 'Clear the review queue of the enrichment pipeline: list, inspect, approve, reject and correct documents.',
    routes: reviewRoutes,
  });
}
