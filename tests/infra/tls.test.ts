/**
 * Tls (`enrichment:security:Tls`), planned under Pulumi mocks: cert-manager with our own CA chain
 * and the APIs' Certificates on Kubernetes (prod), a local CA and leaf certificates on Docker (dev).
 */
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { TLS_SECRET } from '../../infra/src/conventions.js';
import { byName, ofType, type PlannedResource } from '../../infra/src/plan.js';
import { CA_ISSUER, CA_SECRET, goDurationHours, SELF_SIGNED_ISSUER, Tls, TLS_TYPE } from '../../infra/src/components/tls.js';
import { outputValue as value, planComponent } from './support.js';

const CR = 'kubernetes:cert-manager.io/v1:Certificate';
const CLUSTER_ISSUER = 'kubernetes:cert-manager.io/v1:ClusterIssuer';
const RELEASE = 'kubernetes:helm.sh/v3:Release';

async function plan(stack: 'prod' | 'staging' | 'dev', overrides?: Record<string, unknown>) {
  const { plan: p, component: tls } = await planComponent(stack, (args) => new Tls('tls', args), {
    overrides,
    outputs: (c) => ({ secretNames: c.secretNames, issuerName: c.issuerName }),
  });
  return { plan: p, tls };
}

describe('goDurationHours', () => {
  it('writes hours the way cert-manager stores durations', () => {
    expect(goDurationHours(17520)).toBe('17520h0m0s');
    expect(goDurationHours(1440)).toBe('1440h0m0s');
    expect(() => goDurationHours(0)).toThrow('hours must be a positive integer, got 0');
    expect(() => goDurationHours(1.5)).toThrow('hours must be a positive integer, got 1.5');
  });
});

describe('Tls on Kubernetes (prod)', () => {
  it('installs cert-manager from the jetstack chart with its CRDs and no secret values', async () => {
    const { plan: p } = await plan('prod');
    expect(ofType(p, TLS_TYPE)).toHaveLength(1);
    const release = byName(p, RELEASE, 'tls-cert-manager').inputs;
    expect(release.chart).toBe('cert-manager');
    expect(release.version).toBe(p.config.tls.certManagerVersion);
    expect(release.repositoryOpts).toEqual({ repo: 'https://charts.jetstack.io' });
    expect(release.namespace).toBe('cert-manager');
    expect(release.values.crds).toEqual({ enabled: true });
    // Requests and limits for the controller and each of its helper pods (the chart sets none).
    for (const pod of [release.values, release.values.webhook, release.values.cainjector, release.values.startupapicheck]) {
      expect(pod.resources.requests.cpu).toBeTruthy();
      expect(pod.resources.requests.memory).toBeTruthy();
      expect(pod.resources.limits.cpu).toBeTruthy();
      expect(pod.resources.limits.memory).toBeTruthy();
    }
  });

  it('builds our own CA: self-signed issuer → 10-year CA Certificate → CA ClusterIssuer', async () => {
    const { plan: p, tls } = await plan('prod');
    const issuers = Object.fromEntries(ofType(p, CLUSTER_ISSUER).map((r) => [r.inputs.metadata.name, r.inputs.spec]));
    expect(issuers).toEqual({ [SELF_SIGNED_ISSUER]: { selfSigned: {} }, [CA_ISSUER]: { ca: { secretName: CA_SECRET } } });
    const ca = byName(p, CR, 'tls-ca-certificate').inputs;
    expect(ca.metadata.namespace).toBe('cert-manager');
    expect(ca.spec).toMatchObject({
      isCA: true,
      secretName: CA_SECRET,
      duration: '87600h0m0s',
      issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    expect(tls.issuerName).toBe(CA_ISSUER);
    expect(p.outputs).toEqual({ secretNames: { reviewApi: TLS_SECRET.reviewApi, costApi: TLS_SECRET.costApi }, issuerName: CA_ISSUER });
  });

  it('issues 2-year Certificates for both APIs, renewed 60 days ahead with a new key', async () => {
    const { plan: p } = await plan('prod');
    const certs = ofType(p, CR).filter((r) => r.inputs.metadata.namespace === 'enrichment');
    expect(certs.map((c) => c.inputs.metadata.name).sort()).toEqual(['cost-api', 'review-api']);
    const expected = { 'review-api': [TLS_SECRET.reviewApi, p.config.apis.reviewHost], 'cost-api': [TLS_SECRET.costApi, p.config.apis.costHost] };
    for (const cert of certs) {
      const name = cert.inputs.metadata.name as keyof typeof expected;
      const [secretName, host] = expected[name];
      const spec = cert.inputs.spec;
      expect(spec.secretName).toBe(secretName);
      expect(spec.dnsNames).toEqual([host, `${name}.enrichment.svc`, `${name}.enrichment.svc.cluster.local`]);
      expect(spec.duration).toBe('17520h0m0s');
      expect(spec.renewBefore).toBe('1440h0m0s');
      expect(spec.privateKey.rotationPolicy).toBe('Always');
      expect(spec.issuerRef).toEqual({ name: CA_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' });
    }
    expect(p.config.apis.reviewHost).toBe('review.enrichment.example.com');
  });

  it('takes duration and renewBefore from config', async () => {
    const { plan: p } = await plan('prod', { tls: { durationHours: 26280, renewBeforeHours: 720, installCertManager: false } });
    const review = ofType(p, CR).find((r) => r.inputs.metadata.name === 'review-api')!;
    expect(review.inputs.spec.duration).toBe('26280h0m0s');
    expect(review.inputs.spec.renewBefore).toBe('720h0m0s');
    expect(ofType(p, RELEASE)).toEqual([]);
  });

  it('staging uses its own hosts', async () => {
    const { plan: p } = await plan('staging');
    const hosts = ofType(p, CR)
      .filter((r: PlannedResource) => r.inputs.metadata.namespace === p.config.namespace)
      .map((r) => r.inputs.spec.dnsNames[0])
      .sort();
    expect(hosts).toEqual([p.config.apis.costHost, p.config.apis.reviewHost].sort());
    expect(hosts[0]).toContain('staging');
  });
});

describe('Tls on Docker (dev)', () => {
  it('creates a local CA and one leaf per API with the configured lifetime', async () => {
    const { plan: p, tls } = await plan('dev');
    expect(p.resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
    const ca = byName(p, 'tls:index/selfSignedCert:SelfSignedCert', 'tls-ca-cert').inputs;
    expect(ca.isCaCertificate).toBe(true);
    expect(ca.validityPeriodHours).toBeGreaterThanOrEqual(10 * 365 * 24);
    expect(ca.allowedUses).toContain('cert_signing');

    const hosts = { 'review-api': 'review.localhost', 'cost-api': 'cost.localhost' };
    for (const [svc, host] of Object.entries(hosts)) {
      const csr = byName(p, 'tls:index/certRequest:CertRequest', `tls-${svc}-csr`).inputs;
      expect(csr.dnsNames).toEqual([host, svc, 'localhost']);
      const leaf = byName(p, 'tls:index/locallySignedCert:LocallySignedCert', `tls-${svc}-cert`).inputs;
      expect(leaf.validityPeriodHours).toBe(p.config.tls.durationHours);
      expect(leaf.earlyRenewalHours).toBe(p.config.tls.renewBeforeHours);
      expect(leaf.caCertPem).toContain('mock-tls-ca-cert');
      expect(leaf.allowedUses).toContain('server_auth');
    }

    const review = tls.dockerCerts!.reviewApi;
    // The chain: leaf first, then the CA.
    expect(await value(review.certPem)).toBe(
      '-----BEGIN CERTIFICATE-----\nmock-tls-review-api-cert\n-----END CERTIFICATE-----\n' +
        '-----BEGIN CERTIFICATE-----\nmock-tls-ca-cert\n-----END CERTIFICATE-----\n',
    );
    expect(await value(review.keyPem)).toContain('mock-tls-review-api-key');
    expect(await pulumi.isSecret(review.keyPem)).toBe(true);
  });
});
