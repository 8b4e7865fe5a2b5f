/**
 * docker-container-published-ports: on Docker only the public endpoints publish host ports, and
 * never the data tier. Checklist 9a "Networking & Security": only required ports exposed;
 * MongoDB, NSQ and Ollama not publicly accessible; APIs only publicly accessible.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { ANNOTATION } from '../../../infra/src/conventions.js';
import { DATA_TIER_COMPONENTS, describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';

export const dockerContainerPublishedPorts: ResourceValidationPolicy = {
  name: 'docker-container-published-ports',
  description: `Checklist 9a only required ports exposed, data tier not publicly accessible: a Docker container publishes host ports only when labelled ${ANNOTATION.publicEndpoint}: "true" (the APIs, Grafana), and never for the data tier (component database, queue or llm).`,
  severity: 'critical',
  framework: checklist('9a Networking & Security', 'only required ports exposed; MongoDB, NSQ and Ollama not publicly accessible'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    const published = list<Props>(props.ports).filter((p) => isRecord(p) && p.external !== undefined);
    if (published.length === 0) return;
    const ports = published.map((p) => `${String(p.external)}->${String(p.internal)}`).join(', ');
    if (DATA_TIER_COMPONENTS.includes(c.component ?? '')) reportViolation(`${describeDocker(c)} of the data tier publishes ${ports}`);
    else if (c.labels[ANNOTATION.publicEndpoint] !== 'true') reportViolation(`${describeDocker(c)} publishes ${ports} without the ${ANNOTATION.publicEndpoint} label`);
  }),
};
