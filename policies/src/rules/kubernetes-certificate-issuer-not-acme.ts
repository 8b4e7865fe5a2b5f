/**
 * kubernetes-certificate-issuer-not-acme: long-lived certificates come from an issuer that honours
 * `duration`. Checklist 9a-tls-01 and 9a-tls-03 (own or CA certificates, valid two
 * years or more): ACME issuers (Let's Encrypt) ignore `duration` and issue 90-day certificates.
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { CERT_MANAGER_TYPE } from '../lib/certificates.js';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist } from '../lib/policy.js';
import { isRecord } from '../lib/values.js';

export const kubernetesCertificateIssuerNotAcme: StackValidationPolicy = {
  name: 'kubernetes-certificate-issuer-not-acme',
  description:
    'Checklist 9a SSL/TLS Certificates, 2+ year expiration: every cert-manager Certificate references an Issuer or ClusterIssuer declared in the stack whose spec is not acme (ACME ignores duration).',
  severity: 'high',
  framework: checklist('9a SSL/TLS Certificates', 'certificates from an own CA or self-signed, able to last two years'),
  validateStack: (args, reportViolation) => {
    const certificates = args.resources.filter((r) => r.type === CERT_MANAGER_TYPE.Certificate);
    if (certificates.length === 0) args.notApplicable('the stack declares no cert-manager Certificate');
    for (const cert of certificates) {
      const meta = metadataOf(cert.props);
      const spec = isRecord(cert.props.spec) ? cert.props.spec : {};
      const ref = isRecord(spec.issuerRef) ? spec.issuerRef : {};
      const kind = ref.kind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer';
      const where = `Certificate '${meta.name}'`;
      if (ref.group !== undefined && ref.group !== 'cert-manager.io') {
        reportViolation(`${where} uses the external issuer group '${String(ref.group)}', which this pack cannot check`, cert.urn);
        continue;
      }
      const issuer = args.resources.find(
        (r) =>
          r.type === CERT_MANAGER_TYPE[kind] &&
          metadataOf(r.props).name === ref.name &&
          (kind === 'ClusterIssuer' || metadataOf(r.props).namespace === meta.namespace),
      );
      if (!issuer) {
        reportViolation(`${where} references ${kind} '${String(ref.name)}', which this stack does not declare`, cert.urn);
        continue;
      }
      const issuerSpec = isRecord(issuer.props.spec) ? issuer.props.spec : {};
      if (isRecord(issuerSpec.acme)) reportViolation(`${where} is issued by ACME ${kind} '${String(ref.name)}', which ignores duration (90-day certificates)`, cert.urn);
    }
  },
};
