/**
 * kubernetes-certificate-apis: both APIs have a certificate, and every Ingress host is named by
 * the certificate it serves. Checklist 9a "SSL/TLS Certificates": certificates configured for the
 * Review API (5001) and the Cost API (5002), valid domain names.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { TLS_SECRET } from '../../../infra/src/conventions.js';
import { CERT_MANAGER_TYPE } from '../lib/certificates.js';
import { K8S_TYPE, metadataOf } from '../lib/kubernetes.js';
import { checklist, requireKubernetes } from '../lib/policy.js';
import { isRecord, list, type Props } from '../lib/values.js';

const API_SECRETS: [string, string][] = [
  ['Review API', TLS_SECRET.reviewApi],
  ['Cost API', TLS_SECRET.costApi],
];

export const kubernetesCertificateApis: StackValidationPolicy = {
  name: 'kubernetes-certificate-apis',
  description: `Checklist 9a SSL/TLS Certificates configured for the Review API and the Cost API: cert-manager Certificates write the Secrets ${TLS_SECRET.reviewApi} and ${TLS_SECRET.costApi}, and every Ingress TLS host is among the dnsNames of the Certificate behind its Secret.`,
  severity: 'high',
  framework: checklist('9a SSL/TLS Certificates', 'certificates configured for the Review API and the Cost API with valid domain names'),
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const certs = args.resources.filter((r) => r.type === CERT_MANAGER_TYPE.Certificate);
    const certFor = (namespace: string | undefined, secretName: unknown) =>
      certs.find((c) => isRecord(c.props.spec) && c.props.spec.secretName === secretName && metadataOf(c.props).namespace === namespace);
    for (const [api, secret] of API_SECRETS) {
      if (!certs.some((c) => isRecord(c.props.spec) && c.props.spec.secretName === secret)) {
        reportViolation(`no Certificate writes Secret '${secret}' (the ${api} certificate)`);
      }
    }
    for (const ingress of args.resources.filter((r) => r.type === K8S_TYPE.Ingress)) {
      const meta = metadataOf(ingress.props);
      const spec = isRecord(ingress.props.spec) ? ingress.props.spec : {};
      for (const tls of list<Props>(spec.tls)) {
        const cert = certFor(meta.namespace, tls.secretName);
        if (!cert) {
          reportViolation(`Ingress '${meta.name}' serves TLS from Secret '${String(tls.secretName)}', which no Certificate of this stack writes`, ingress.urn);
          continue;
        }
        const names = new Set(list<string>((cert.props.spec as Props).dnsNames));
        const missing = list<string>(tls.hosts).filter((h) => !names.has(h));
        if (missing.length > 0) reportViolation(`Ingress '${meta.name}' serves ${missing.join(', ')} with Certificate '${metadataOf(cert.props).name}', which does not name it`, ingress.urn);
      }
    }
  },
};
