/**
 * kubernetes-job-mongodb-indexes: the index Job creates every checklist index.
 * Checklist 9a "Database Configuration": indexes created on ocr_jobs, enriched_documents,
 * review_queue and cost_records. The expected list is `INDEX_SPECS` (app/src/store/collections.ts)
 * entries whose reason cites the checklist.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { INDEX_SPECS } from '../../../app/src/store/collections.js';
import { ANNOTATION, WORKLOAD } from '../../../infra/src/conventions.js';
import { describe } from '../lib/kubernetes.js';
import { checklist, requireKubernetes, stackWorkloads } from '../lib/policy.js';

/** `collection.field` (compound keys joined with `+`) of every checklist index. */
export const CHECKLIST_INDEXES: readonly string[] = INDEX_SPECS.filter((s) => s.reason.startsWith('checklist:')).map(
  (s) => `${s.collection}.${Object.keys(s.key).join('+')}`,
);

/**
 * Parses `ANNOTATION.mongodbIndexes` (`collection:field,field;collection:field`) into
 * `collection.field` entries; a compound index is written `a+b`.
 */
export function parseIndexAnnotation(value: string): Set<string> {
  const out = new Set<string>();
  for (const part of value.split(';')) {
    const [collection, fields] = part.split(':').map((s) => s.trim());
    if (!collection || !fields) continue;
    for (const f of fields.split(',').map((s) => s.trim()).filter(Boolean)) out.add(`${collection}.${f}`);
  }
  return out;
}

export const kubernetesJobMongodbIndexes: StackValidationPolicy = {
  name: 'kubernetes-job-mongodb-indexes',
  description: `Checklist 9a Database Configuration, indexes created: a Job labelled ${WORKLOAD.mongodbIndexes} declares (annotation ${ANNOTATION.mongodbIndexes}) every checklist index of ocr_jobs, enriched_documents, review_queue and cost_records.`,
  severity: 'high',
  framework: checklist('9a Database Configuration', 'indexes created on the four pipeline collections'),
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const jobs = stackWorkloads(args.resources).filter((w) => (w.kind === 'Job' || w.kind === 'CronJob') && w.workload === WORKLOAD.mongodbIndexes);
    if (jobs.length === 0) {
      reportViolation(`no MongoDB index Job (label app.kubernetes.io/name=${WORKLOAD.mongodbIndexes})`);
      return;
    }
    for (const w of jobs) {
      const value = w.annotations[ANNOTATION.mongodbIndexes];
      if (value === undefined) {
        reportViolation(`${describe(w)} has no ${ANNOTATION.mongodbIndexes} annotation`, w.urn);
        continue;
      }
      const declared = parseIndexAnnotation(value);
      const missing = CHECKLIST_INDEXES.filter((i) => !declared.has(i));
      if (missing.length > 0) reportViolation(`${describe(w)} does not create the checklist indexes ${missing.join(', ')}`, w.urn);
    }
  },
};
