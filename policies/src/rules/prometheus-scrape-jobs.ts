/**
 * prometheus-scrape-jobs: Prometheus scrapes every service of the pipeline.
 * Checklist 9b-prom-02.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { COMPONENT } from '../../../infra/src/conventions.js';
import { configDocuments, isPrometheusConfig } from '../lib/documents.js';
import { DOCKER_TYPE, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, isDockerStack, isKubernetesStack, isOneShotContainer, stackWorkloads } from '../lib/policy.js';
import { isRecord, list } from '../lib/values.js';

const DEFAULTS = { components: [COMPONENT.app, COMPONENT.agent, COMPONENT.api] as string[] };

export const prometheusScrapeJobs: StackValidationPolicy = {
  name: 'prometheus-scrape-jobs',
  description:
    'Checklist 9b Prometheus Setup, scrape jobs for all services: every long-running workload of the worker, agents and APIs (components app, agent, api) and every exporter (name *-exporter) has a Prometheus scrape job named after it (app.kubernetes.io/name).',
  severity: 'high',
  framework: checklist('9b Prometheus Setup', 'Prometheus scrapes every service'),
  configSchema: { properties: { components: { type: 'array', items: { type: 'string' }, default: DEFAULTS.components } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { components } = configOf(args, DEFAULTS);
    const wanted = (workload: string | undefined, component: string | undefined) =>
      workload !== undefined && (components.includes(component ?? '') || workload.endsWith('-exporter'));
    const services = new Set<string>([
      ...stackWorkloads(args.resources)
        .filter((w) => w.longRunning && wanted(w.workload, w.component))
        .map((w) => w.workload!),
      ...args.resources
        .filter((r) => r.type === DOCKER_TYPE.Container && !isOneShotContainer(r.props))
        .map((r) => dockerContainerOf(r.props))
        .filter((c) => wanted(c.workload, c.component))
        .map((c) => c.workload!),
    ]);
    const configs = configDocuments(args.resources).filter((d) => isPrometheusConfig(d.parsed));
    if (configs.length === 0) {
      reportViolation('no Prometheus configuration (a document with scrape_configs) in any ConfigMap, Secret or container upload');
      return;
    }
    const jobs = new Set(
      configs.flatMap((d) => list((d.parsed as { scrape_configs: unknown[] }).scrape_configs)).flatMap((s) => (isRecord(s) && typeof s.job_name === 'string' ? [s.job_name] : [])),
    );
    const missing = [...services].filter((s) => !jobs.has(s)).sort();
    if (missing.length > 0) reportViolation(`no Prometheus scrape job for ${missing.join(', ')}`);
  },
};
