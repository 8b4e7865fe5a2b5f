/**
 * The production deployment checklist's numeric targets that the dashboards draw as thresholds,
 * each with the checklist section it comes from.
 */
import { AGENT_NAMES } from '../../app/src/domain/fields.js';

export const CHECKLIST_TARGETS = {
  /** Average completeness at least 95 % (Test Results Validation; Success Criteria). Ratio 0–1. */
  minCompletenessRatio: 0.95,
  /** Auto-approval rate at least 90 % (Test Results Validation; Success Criteria). Ratio 0–1. */
  minAutoApprovalRatio: 0.9,
  /** Model cost per document at most $0.50 (Test Results Validation; Success Criteria). USD. */
  maxCostPerDocumentUsd: 0.5,
  /** Throughput at least 50 documents per hour (Success Criteria). Documents per hour. */
  minThroughputDocsPerHour: 50,
  /** At least two EnrichmentWorker replicas (Service Scaling). Processes. */
  minWorkerReplicas: 2,
  /** All five agents healthy and responsive (Test Results Validation). Agents. */
  agentCount: AGENT_NAMES.length,
} as const;
