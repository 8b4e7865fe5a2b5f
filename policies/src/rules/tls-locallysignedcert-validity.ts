/**
 * tls-locallysignedcert-validity: the dev stack's API certificates (@pulumi/tls) also last two
 * years and renew early. Checklist 9a "SSL/TLS Certificates": 2+ year expiration, renewal automated.
 */
import * as tls from '@pulumi/tls';
import { validateResourceOfType, type ResourceValidationPolicy } from '@pulumi/policy';
import { TWO_YEARS_HOURS } from '../lib/certificates.js';
import { checklist, configOf } from '../lib/policy.js';

const DEFAULTS = { minDurationHours: TWO_YEARS_HOURS };

export const tlsLocallySignedCertValidity: ResourceValidationPolicy = {
  name: 'tls-locallysignedcert-validity',
  description: `Checklist 9a SSL/TLS Certificates, 2+ year expiration and automated renewal: every @pulumi/tls LocallySignedCert that is not a CA is valid at least minDurationHours (default ${TWO_YEARS_HOURS}h) and sets earlyRenewalHours, so \`pulumi up\` re-issues it before it expires.`,
  severity: 'medium',
  framework: checklist('9a SSL/TLS Certificates', 'at least two years of validity, renewal automated'),
  configSchema: { properties: { minDurationHours: { type: 'integer', minimum: 1, default: DEFAULTS.minDurationHours } } },
  validateResource: validateResourceOfType(tls.LocallySignedCert, (cert, args, reportViolation) => {
    if (cert.isCaCertificate === true) return;
    const { minDurationHours } = configOf(args, DEFAULTS);
    const where = `LocallySignedCert '${args.name}'`;
    if (!(cert.validityPeriodHours >= minDurationHours)) reportViolation(`${where} is valid ${cert.validityPeriodHours}h; at least ${minDurationHours}h is required`);
    if (!(typeof cert.earlyRenewalHours === 'number' && cert.earlyRenewalHours > 0)) reportViolation(`${where} sets no earlyRenewalHours`);
  }),
};
