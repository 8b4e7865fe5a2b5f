/**
 * kubernetes-job-nsq-topics: the topic Job creates `enrichment` (and its dead-letter topic).
 * Checklist 9a "Message Queue Setup": queue topics created (`enrichment`).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { ANNOTATION, TOPICS, WORKLOAD } from '../../../infra/src/conventions.js';
import { describe } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';

const DEFAULTS = { topics: [...TOPICS] as string[] };

export const kubernetesJobNsqTopics: StackValidationPolicy = {
  name: 'kubernetes-job-nsq-topics',
  description: `Checklist 9a Message Queue Setup, topics created: a Job labelled ${WORKLOAD.nsqTopics} creates (annotation ${ANNOTATION.nsqTopics}) the topics ${TOPICS.join(' and ')}.`,
  severity: 'high',
  framework: checklist('9a Message Queue Setup', 'queue topic enrichment created'),
  configSchema: { properties: { topics: { type: 'array', items: { type: 'string' }, default: DEFAULTS.topics } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { topics } = configOf(args, DEFAULTS);
    const jobs = stackWorkloads(args.resources).filter((w) => (w.kind === 'Job' || w.kind === 'CronJob') && w.workload === WORKLOAD.nsqTopics);
    if (jobs.length === 0) {
      reportViolation(`no NSQ topic Job (label app.kubernetes.io/name=${WORKLOAD.nsqTopics})`);
      return;
    }
    for (const w of jobs) {
      const value = w.annotations[ANNOTATION.nsqTopics];
      if (value === undefined) {
        reportViolation(`${describe(w)} has no ${ANNOTATION.nsqTopics} annotation`, w.urn);
        continue;
      }
      const declared = new Set(value.split(',').map((t) => t.trim()));
      const missing = topics.filter((t) => !declared.has(t));
      if (missing.length > 0) reportViolation(`${describe(w)} does not create the topics ${missing.join(', ')}`, w.urn);
    }
  },
};
