/**
 * grafana-datasource-prometheus: Grafana is provisioned with the Prometheus datasource.
 * Checklist 9b "Grafana Dashboards": datasource Prometheus configured.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { configDocuments } from '../lib/documents.js';
import { checklist, isDockerStack, isKubernetesStack } from '../lib/policy.js';
import { isRecord, list } from '../lib/values.js';

export const grafanaDatasourcePrometheus: StackValidationPolicy = {
  name: 'grafana-datasource-prometheus',
  description: 'Checklist 9b Grafana Dashboards, datasource Prometheus configured: a Grafana provisioning file declares a datasource of type prometheus with a url.',
  severity: 'medium',
  framework: checklist('9b Grafana Dashboards', 'Prometheus datasource configured'),
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const found = configDocuments(args.resources).some(
      (d) => isRecord(d.parsed) && list(d.parsed.datasources).some((ds) => isRecord(ds) && ds.type === 'prometheus' && typeof ds.url === 'string' && ds.url !== ''),
    );
    if (!found) reportViolation('no Grafana datasource provisioning file declares a prometheus datasource with a url');
  },
};
