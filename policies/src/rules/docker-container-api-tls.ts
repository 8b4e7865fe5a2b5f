/**
 * docker-container-api-tls: on Docker the APIs serve HTTPS themselves, with a CORS allow-list.
 * Checklist 9a "SSL/TLS Certificates" configured for the Review API and the Cost API, "CORS
 * configured correctly" (the Kubernetes stacks terminate TLS and set CORS at the Ingress).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { COMPONENT } from '../../../infra/src/conventions.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { checklist, validateDockerContainers } from '../lib/policy.js';

export const dockerContainerApiTls: ResourceValidationPolicy = {
  name: 'docker-container-api-tls',
  description:
    'Checklist 9a certificates configured for the APIs and CORS configured: every API container (component api) sets API_TLS_CERT_FILE and API_TLS_KEY_FILE to uploaded files, and API_CORS_ORIGINS without *.',
  severity: 'high',
  framework: checklist('9a SSL/TLS Certificates', 'certificates configured for the Review API and the Cost API; CORS configured'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    if (c.component !== COMPONENT.api) return;
    const env = new Map(c.env.map((e) => [e.name, e.value]));
    const uploaded = new Set(c.uploads.map((u) => u.file));
    for (const name of ['API_TLS_CERT_FILE', 'API_TLS_KEY_FILE']) {
      const file = env.get(name);
      if (file === undefined || file === '') reportViolation(`${describeDocker(c)} sets no ${name}: the API serves plain HTTP`);
      else if (!uploaded.has(file)) reportViolation(`${describeDocker(c)} ${name} ${file} is not uploaded into the container`);
    }
    const origins = env.get('API_CORS_ORIGINS') ?? '';
    if (origins.split(',').some((o) => o.trim() === '*')) reportViolation(`${describeDocker(c)} allows every CORS origin (API_CORS_ORIGINS contains *)`);
  }),
};
