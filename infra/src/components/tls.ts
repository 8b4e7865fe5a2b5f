/**
 * Tls (`enrichment:security:Tls`): the certificates of the Review API (5001) and the Cost API
 * (5002). Checklist Phase 9a "SSL/TLS Certificates": valid domain names, 2+ year expiration,
 * intermediate (CA) certificates included, renewal automated, 60 days before expiry.
 *
 * Kubernetes: cert-manager (jetstack chart, CRDs included) and a CA of our own: a self-signed
 * ClusterIssuer issues a 10-year CA Certificate whose Secret backs a `ca:` ClusterIssuer. ACME
 * issuers (Let's Encrypt) ignore `spec.duration` and always issue 90-day certificates, so they
 * cannot meet the 2-year line. cert-manager renews each API Certificate `renewBefore` ahead of
 * expiry with a fresh private key (`rotationPolicy: Always`), and writes `tls.crt`, `tls.key` and
 * `ca.crt` into the Secret named {@link TLS_SECRET}.
 *
 * Docker: a local CA and leaf certificates from `@pulumi/tls`; `pulumi up` re-issues a leaf
 * `renewBeforeHours` before it expires (`earlyRenewalHours`).
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import { COMPONENT, PART_OF, TLS_SECRET, WORKLOAD } from '../conventions.js';
import { helmRelease } from '../lib/kubernetes.js';
import { workloadLabels } from '../lib/labels.js';
import type { ComponentBaseArgs } from '../types.js';

/** The Pulumi type token of {@link Tls}. */
export const TLS_TYPE = 'enrichment:security:Tls';

/** The two public APIs that get a certificate. */
export const TLS_APIS = ['reviewApi', 'costApi'] as const;
export type TlsApi = (typeof TLS_APIS)[number];

/** Namespace of cert-manager; also its "cluster resource namespace" where the CA Secret lives. */
/**
 * cert-manager chart values: its CRDs, and requests and limits for each of its pods (checklist
 * "Resource limits configured"; the chart sets none by default). No secret is ever a value here.
 */
export const CERT_MANAGER_VALUES = {
  crds: { enabled: true },
  resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  webhook: { resources: { requests: { cpu: '20m', memory: '48Mi' }, limits: { cpu: '250m', memory: '128Mi' } } },
  cainjector: { resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { cpu: '250m', memory: '256Mi' } } },
  startupapicheck: { resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } } },
} as const;

export const CERT_MANAGER_NAMESPACE = 'cert-manager';
/** jetstack Helm repository. */
export const CERT_MANAGER_REPO = 'https://charts.jetstack.io';
/** ClusterIssuer that self-signs the CA certificate (bootstrap only). */
export const SELF_SIGNED_ISSUER = 'enrichment-selfsigned';
/** ClusterIssuer (`spec.ca`) that signs the API certificates. */
export const CA_ISSUER = 'enrichment-ca';
/** Secret (in {@link CERT_MANAGER_NAMESPACE}) holding the CA key pair. */
export const CA_SECRET = 'enrichment-ca';
/** CA lifetime, hours (10 years): longer than any leaf it signs. */
export const CA_DURATION_HOURS = 87_600;

/** Keys of a `kubernetes.io/tls` Secret; also the file names the APIs read on Docker. */
export const TLS_FILE = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** A certificate and its key as PEM text (Docker target). */
export interface PemPair {
  /** Leaf certificate followed by the CA certificate (the chain), PEM. */
  certPem: pulumi.Output<string>;
  /** The leaf's private key, PEM (PKCS#8), a Pulumi secret. */
  keyPem: pulumi.Output<string>;
}

/** Arguments of {@link Tls}: only the common ones. */
export type TlsArgs = ComponentBaseArgs;

/**
 * Formats hours as a Go duration, the form cert-manager stores (`17520` → `17520h0m0s`).
 * @throws RangeError for a non-positive or fractional number of hours.
 */
export function goDurationHours(hours: number): string {
  if (!Number.isInteger(hours) || hours <= 0) throw new RangeError(`hours must be a positive integer, got ${hours}`);
  return `${hours}h0m0s`;
}

/** The service (workload) name of each API, used for in-cluster DNS names and labels. */
const API_WORKLOAD: Record<TlsApi, string> = { reviewApi: WORKLOAD.reviewApi, costApi: WORKLOAD.costApi };

/** The public host name of an API (`config.apis.reviewHost` / `costHost`). */
export function apiHost(config: ComponentBaseArgs['config'], api: TlsApi): string {
  return api === 'reviewApi' ? config.apis.reviewHost : config.apis.costHost;
}

/**
 * Issues the APIs' certificates.
 *
 * Outputs: {@link secretNames}, {@link issuerName}, {@link dockerCerts}, {@link caCertPem}.
 */
export class Tls extends pulumi.ComponentResource {
  /** Secret of each API's certificate (Kubernetes; `TLS_SECRET`). The Ingress and the API pods mount it. */
  readonly secretNames: Record<TlsApi, string>;
  /** Name of the ClusterIssuer that signs the API certificates (Kubernetes) or of the local CA (Docker). */
  readonly issuerName: string;
  /** Docker only: the PEM files each API container uploads (`API_TLS_CERT_FILE`, `API_TLS_KEY_FILE`). */
  readonly dockerCerts: Record<TlsApi, PemPair> | undefined;
  /** Docker only: the local CA certificate, for clients to trust. */
  readonly caCertPem: pulumi.Output<string> | undefined;
  /** The resources that must exist before an API pod mounts its certificate Secret. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: TlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TLS_TYPE, name, {}, opts);
    const { config, target } = args;
    this.secretNames = { reviewApi: TLS_SECRET.reviewApi, costApi: TLS_SECRET.costApi };
    this.issuerName = CA_ISSUER;
    this.ready = [];

    if (target.kind === 'kubernetes') {
      const kopts = { parent: this, provider: target.provider };
      const labels = (workload: string) => workloadLabels(workload, COMPONENT.api);
      const deps: pulumi.Resource[] = [...target.namespaces];
      if (config.tls.installCertManager) {
        deps.push(
          helmRelease(
            `${name}-cert-manager`,
            { chart: 'cert-manager', version: config.tls.certManagerVersion, namespace: CERT_MANAGER_NAMESPACE, repo: CERT_MANAGER_REPO, values: CERT_MANAGER_VALUES },
            kopts,
          ),
        );
      }
      const issuerLabels = labels('cert-manager');
      const selfSigned = new k8s.apiextensions.CustomResource(
        `${name}-selfsigned-issuer`,
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: SELF_SIGNED_ISSUER, labels: issuerLabels },
          spec: { selfSigned: {} },
        },
        { ...kopts, dependsOn: deps },
      );
      const caCert = new k8s.apiextensions.CustomResource(
        `${name}-ca-certificate`,
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: CA_SECRET, namespace: CERT_MANAGER_NAMESPACE, labels: issuerLabels },
          spec: {
            isCA: true,
            commonName: `${PART_OF} CA`,
            subject: { organizations: [PART_OF] },
            secretName: CA_SECRET,
            duration: goDurationHours(CA_DURATION_HOURS),
            privateKey: { algorithm: 'ECDSA', size: 384 },
            issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
          },
        },
        { ...kopts, dependsOn: [...deps, selfSigned] },
      );
      const caIssuer = new k8s.apiextensions.CustomResource(
        `${name}-ca-issuer`,
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: CA_ISSUER, labels: issuerLabels },
          spec: { ca: { secretName: CA_SECRET } },
        },
        { ...kopts, dependsOn: [...deps, caCert] },
      );
      for (const api of TLS_APIS) {
        const svc = API_WORKLOAD[api];
        this.ready.push(
          new k8s.apiextensions.CustomResource(
            `${name}-${svc}-certificate`,
            {
              apiVersion: 'cert-manager.io/v1',
              kind: 'Certificate',
              metadata: { name: svc, namespace: target.namespace, labels: labels(svc) },
              spec: {
                secretName: this.secretNames[api],
                secretTemplate: { labels: labels(svc) },
                commonName: apiHost(config, api),
                // The public host first; the Service names let the ingress controller (and any
                // in-cluster client) verify the backend with the same certificate.
                dnsNames: [apiHost(config, api), `${svc}.${target.namespace}.svc`, `${svc}.${target.namespace}.svc.cluster.local`],
                duration: goDurationHours(config.tls.durationHours),
                renewBefore: goDurationHours(config.tls.renewBeforeHours),
                privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' },
                usages: ['server auth', 'digital signature', 'key encipherment'],
                issuerRef: { name: CA_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
              },
            },
            { ...kopts, dependsOn: [...deps, caIssuer] },
          ),
        );
      }
      this.dockerCerts = undefined;
      this.caCertPem = undefined;
    } else {
      const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: 'ECDSA', ecdsaCurve: 'P384' }, { parent: this });
      const ca = new tls.SelfSignedCert(
        `${name}-ca-cert`,
        {
          privateKeyPem: caKey.privateKeyPem,
          isCaCertificate: true,
          validityPeriodHours: CA_DURATION_HOURS,
          allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
          subject: { commonName: `${PART_OF} dev CA`, organization: PART_OF },
        },
        { parent: this },
      );
      const certs = {} as Record<TlsApi, PemPair>;
      for (const api of TLS_APIS) {
        const svc = API_WORKLOAD[api];
        const key = new tls.PrivateKey(`${name}-${svc}-key`, { algorithm: 'ECDSA', ecdsaCurve: 'P256' }, { parent: this });
        const csr = new tls.CertRequest(
          `${name}-${svc}-csr`,
          {
            privateKeyPem: key.privateKeyPem,
            // The host from config, the container name on the Docker network, and localhost for
            // the published port.
            dnsNames: [apiHost(config, api), svc, 'localhost'],
            ipAddresses: ['127.0.0.1'],
            subject: { commonName: apiHost(config, api), organization: PART_OF },
          },
          { parent: this },
        );
        const leaf = new tls.LocallySignedCert(
          `${name}-${svc}-cert`,
          {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: config.tls.durationHours,
            earlyRenewalHours: config.tls.renewBeforeHours,
            allowedUses: ['digital_signature', 'key_encipherment', 'server_auth'],
          },
          { parent: this },
        );
        this.ready.push(leaf);
        certs[api] = {
          certPem: pulumi.concat(leaf.certPem, ca.certPem),
          keyPem: pulumi.secret(key.privateKeyPem),
        };
      }
      this.dockerCerts = certs;
      this.caCertPem = ca.certPem;
    }

    this.registerOutputs({
      secretNames: this.secretNames,
      issuerName: this.issuerName,
      dockerCerts: this.dockerCerts,
      caCertPem: this.caCertPem,
    });
  }
}
