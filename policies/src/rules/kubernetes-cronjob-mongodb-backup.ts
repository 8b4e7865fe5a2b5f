/**
 * kubernetes-cronjob-mongodb-backup: a daily MongoDB backup whose retention is at least 30 days.
 * Checklist 9a-db-03, 9a-db-04, 9a-db-05 (a backup every day, kept for a month or more).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { ANNOTATION, WORKLOAD } from '../../../infra/src/conventions.js';
import { describe } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { runsEveryDay } from '../lib/quantities.js';
import { isRecord } from '../lib/values.js';

const DEFAULTS = { minRetentionDays: 30 };

export const kubernetesCronJobMongodbBackup: StackValidationPolicy = {
  name: 'kubernetes-cronjob-mongodb-backup',
  description: `Checklist 9a Database Configuration, daily backups with 30 days retention: a CronJob labelled ${WORKLOAD.mongodbBackup} runs every day, is not suspended, and keeps backups at least minRetentionDays (default 30; annotation ${ANNOTATION.backupRetentionDays}).`,
  severity: 'critical',
  framework: checklist('9a Database Configuration', 'backups configured: daily, kept at least 30 days'),
  configSchema: { properties: { minRetentionDays: { type: 'integer', minimum: 1, default: DEFAULTS.minRetentionDays } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { minRetentionDays } = configOf(args, DEFAULTS);
    const backups = stackWorkloads(args.resources).filter((w) => w.kind === 'CronJob' && w.workload === WORKLOAD.mongodbBackup);
    if (backups.length === 0) {
      reportViolation(`no MongoDB backup CronJob (label app.kubernetes.io/name=${WORKLOAD.mongodbBackup})`);
      return;
    }
    for (const w of backups) {
      const resource = args.resources.find((r) => r.urn === w.urn)!;
      const spec = isRecord(resource.props.spec) ? resource.props.spec : {};
      if (!runsEveryDay(spec.schedule)) reportViolation(`${describe(w)} schedule '${String(spec.schedule)}' does not run every day`, w.urn);
      if (spec.suspend === true) reportViolation(`${describe(w)} is suspended`, w.urn);
      const retention = w.annotations[ANNOTATION.backupRetentionDays];
      if (retention === undefined) reportViolation(`${describe(w)} has no ${ANNOTATION.backupRetentionDays} annotation`, w.urn);
      else if (!/^\d+$/.test(retention) || Number(retention) < minRetentionDays) {
        reportViolation(`${describe(w)} keeps backups ${retention} days; at least ${minRetentionDays} are required`, w.urn);
      }
    }
  },
};
