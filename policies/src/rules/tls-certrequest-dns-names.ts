/**
 * tls-certrequest-dns-names: the dev stack's certificate requests name their hosts.
 * Checklist 9a "SSL/TLS Certificates": valid domain names.
 */
import * as tls from '@pulumi/tls';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { checklist } from '../lib/policy.js';

export const tlsCertRequestDnsNames: ResourceValidationPolicy = {
  name: 'tls-certrequest-dns-names',
  description: 'Checklist 9a SSL/TLS Certificates, valid domain names: every @pulumi/tls CertRequest lists DNS names (subjectAltName), not only a common name.',
  severity: 'medium',
  framework: checklist('9a SSL/TLS Certificates', 'valid domain names'),
  validateResource: validateResourceOfType(tls.CertRequest, (request, args, reportViolation) => {
    if ((request.dnsNames ?? []).filter((n) => n !== '').length === 0) reportViolation(`CertRequest '${args.name}' has no dnsNames`);
  }),
};
