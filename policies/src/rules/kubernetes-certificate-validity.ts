/**
 * kubernetes-certificate-validity: API certificates last two years, renew ahead of expiry and
 * name real hosts. Checklist 9a "SSL/TLS Certificates": valid domain names, 2+ year expiration,
 * renewal automated; "Ongoing Operations": expiration checked 60 days before.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { CERT_MANAGER_API, TWO_YEARS_HOURS } from '../lib/certificates.js';
import { metadataOf } from '../lib/kubernetes.js';
import { checklist, configOf, validateCustomResource } from '../lib/policy.js';
import { parseGoDurationHours } from '../lib/quantities.js';
import { isRecord, list } from '../lib/values.js';

const DEFAULTS = { minDurationHours: TWO_YEARS_HOURS };

export const kubernetesCertificateValidity: ResourceValidationPolicy = {
  name: 'kubernetes-certificate-validity',
  description: `Checklist 9a SSL/TLS Certificates, valid domain names, 2+ year expiration, renewal automated: every cert-manager Certificate has duration of at least minDurationHours (default ${TWO_YEARS_HOURS}h), and, unless it is a CA, a renewBefore shorter than its duration and DNS names.`,
  severity: 'high',
  framework: checklist('9a SSL/TLS Certificates', 'certificates with valid domain names and at least two years of validity, renewal automated'),
  configSchema: { properties: { minDurationHours: { type: 'integer', minimum: 1, default: DEFAULTS.minDurationHours } } },
  validateResource: validateCustomResource(CERT_MANAGER_API, 'Certificate', (props, args, reportViolation) => {
    const { minDurationHours } = configOf(args, DEFAULTS);
    const spec = isRecord(props.spec) ? props.spec : {};
    const where = `Certificate '${metadataOf(props).name}'`;
    // cert-manager's default duration is 90 days (2160h).
    const duration = spec.duration === undefined ? 2160 : parseGoDurationHours(spec.duration);
    if (Number.isNaN(duration)) reportViolation(`${where} has an unreadable duration '${String(spec.duration)}'`);
    else if (duration < minDurationHours) {
      reportViolation(`${where} lasts ${duration}h (${spec.duration === undefined ? 'cert-manager default' : String(spec.duration)}); at least ${minDurationHours}h is required`);
    }
    // A CA certificate without renewBefore renews at cert-manager's default, 2/3 of its lifetime;
    // leaf certificates must say when (checklist: expiration handled 60 days ahead).
    if (spec.renewBefore === undefined) {
      if (spec.isCA !== true) reportViolation(`${where} sets no renewBefore`);
    } else {
      const renewBefore = parseGoDurationHours(spec.renewBefore);
      if (Number.isNaN(renewBefore) || renewBefore <= 0) reportViolation(`${where} has an unreadable renewBefore '${String(spec.renewBefore)}'`);
      else if (!Number.isNaN(duration) && renewBefore >= duration) reportViolation(`${where} renewBefore ${String(spec.renewBefore)} is not shorter than its duration`);
    }
    if (spec.isCA !== true && list(spec.dnsNames).filter((n) => typeof n === 'string' && n !== '').length === 0) reportViolation(`${where} has no dnsNames`);
  }),
};
