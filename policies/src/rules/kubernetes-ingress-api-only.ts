/**
 * kubernetes-ingress-api-only: the only public routes are the two APIs, over TLS, rate-limited,
 * with a CORS allow-list. Checklist 9a-net-09 (only the APIs are public), 9a-net-11 (rate limits),
 * 9a-net-12 (CORS) and 9a-tls-05 (TLS for the APIs).
 */
import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist, configOf } from '../lib/policy.js';
import { isRecord, list, quoted, type Props } from '../lib/values.js';

const DEFAULTS = {
  /** Services an Ingress may route to. */
  backends: [WORKLOAD.reviewApi, WORKLOAD.costApi] as string[],
  /** Annotation prefix of the ingress controller (ingress-nginx). */
  annotationPrefix: 'nginx.ingress.kubernetes.io/',
};

/** The Service names an Ingress routes to (rules and default backend). */
function backendsOf(spec: Props): string[] {
  const names: string[] = [];
  const add = (backend: unknown) => {
    if (isRecord(backend) && isRecord(backend.service) && typeof backend.service.name === 'string') names.push(backend.service.name);
  };
  add(spec.defaultBackend);
  for (const rule of list<Props>(spec.rules)) for (const path of list<Props>(isRecord(rule.http) ? rule.http.paths : undefined)) add(path.backend);
  return names;
}

export const kubernetesIngressApiOnly: ResourceValidationPolicy = {
  name: 'kubernetes-ingress-api-only',
  description:
    'Checklist 9a Networking & Security (9a-net-09, 9a-net-11, 9a-net-12), public APIs only, rate-limited, with CORS: every Ingress routes only to the Review API and Cost API Services, terminates TLS for every host, and carries ingress-nginx rate-limit (limit-rps, limit-rpm or limit-connections) and CORS annotations (enable-cors "true", an explicit cors-allow-origin, not *).',
  severity: 'critical',
  framework: checklist('9a Networking & Security', 'only the APIs public; rate limiting on the APIs; CORS configured correctly'),
  configSchema: {
    properties: {
      backends: { type: 'array', items: { type: 'string' }, default: DEFAULTS.backends },
      annotationPrefix: { type: 'string', default: DEFAULTS.annotationPrefix },
    },
  },
  validateResource: validateResourceOfType(k8s.networking.v1.Ingress, (ingress, args, reportViolation) => {
    const { backends, annotationPrefix } = configOf(args, DEFAULTS);
    const props = ingress as Props;
    const meta = metadataOf(props);
    const spec = isRecord(props.spec) ? props.spec : {};
    const where = `Ingress '${meta.name}'`;
    const foreign = backendsOf(spec).filter((b) => !backends.includes(b));
    if (foreign.length > 0) reportViolation(`${where} routes to ${quoted(new Set(foreign))}; only ${quoted(backends)} may be public`);
    const tlsHosts = new Set(list<Props>(spec.tls).flatMap((t) => list<string>(t.hosts)));
    const hosts = list<Props>(spec.rules).map((r) => r.host);
    if (list(spec.tls).length === 0) reportViolation(`${where} has no TLS`);
    else {
      const plain = hosts.filter((h) => typeof h !== 'string' || !tlsHosts.has(h)).map((h) => String(h ?? '*'));
      if (plain.length > 0) reportViolation(`${where} serves ${plain.join(', ')} without TLS`);
    }
    const a = (name: string) => meta.annotations[`${annotationPrefix}${name}`];
    if (!['limit-rps', 'limit-rpm', 'limit-connections'].some((n) => Number(a(n)) > 0)) {
      reportViolation(`${where} has no rate limit (${annotationPrefix}limit-rps, limit-rpm or limit-connections)`);
    }
    if (a('enable-cors') !== 'true') reportViolation(`${where} does not enable CORS (${annotationPrefix}enable-cors: "true")`);
    const origins = a('cors-allow-origin');
    if (origins === undefined || origins.trim() === '' || origins.split(',').some((o) => o.trim() === '*')) {
      reportViolation(`${where} has no explicit CORS origin list (${annotationPrefix}cors-allow-origin must name origins, not *)`);
    }
  }),
};
