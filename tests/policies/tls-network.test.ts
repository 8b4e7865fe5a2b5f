/**
 * TLS and network policies (checklist 9a SSL/TLS Certificates, Networking & Security; 9c networks
 * isolated): compliant fixture passes, each broken field fails with its exact message.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION, TLS_SECRET, WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { parseGoDurationHours } from '../../policies/src/lib/quantities.js';
import { dockerProgram, kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, messages, T, without } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

describe('Go durations', () => {
  it('reads cert-manager durations in hours', () => {
    expect(parseGoDurationHours('17520h0m0s')).toBe(17520);
    expect(parseGoDurationHours('1h30m')).toBe(1.5);
    expect(parseGoDurationHours('90d')).toBeNaN();
  });
});

describe('kubernetes-certificate-validity', () => {
  const policy = 'kubernetes-certificate-validity';
  const cert = 'review-api-certificate';
  it('passes the compliant fixture (a CA certificate needs no renewBefore or dnsNames)', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a duration under two years', async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => (i.spec.duration = '8760h0m0s'));
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' lasts 8760h (8760h0m0s); at least 17520h is required"]);
  });
  it("reports cert-manager's 90-day default", async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => delete i.spec.duration);
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' lasts 2160h (cert-manager default); at least 17520h is required"]);
  });
  it('reports a missing renewBefore', async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => delete i.spec.renewBefore);
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' sets no renewBefore"]);
  });
  it('reports a renewBefore not shorter than the duration', async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => (i.spec.renewBefore = '17520h'));
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' renewBefore 17520h is not shorter than its duration"]);
  });
  it('reports missing dnsNames', async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => (i.spec.dnsNames = []));
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' has no dnsNames"]);
  });
  it('reports an unreadable duration', async () => {
    const broken = breaking(kube, T.Certificate, cert, (i) => (i.spec.duration = '2y'));
    expect(await messages(policy, broken)).toEqual(["Certificate 'review-api' has an unreadable duration '2y'"]);
  });
});

describe('kubernetes-certificate-issuer-not-acme', () => {
  const policy = 'kubernetes-certificate-issuer-not-acme';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports an ACME issuer', async () => {
    const broken = breaking(kube, T.ClusterIssuer, 'ca-issuer', (i) => (i.spec = { acme: { server: 'https://acme-v02.api.letsencrypt.org/directory' } }));
    expect(await messages(policy, broken)).toEqual([
      "Certificate 'review-api' is issued by ACME ClusterIssuer 'enrichment-ca', which ignores duration (90-day certificates)",
      "Certificate 'cost-api' is issued by ACME ClusterIssuer 'enrichment-ca', which ignores duration (90-day certificates)",
    ]);
  });
  it('reports an issuer the stack does not declare', async () => {
    const broken = breaking(kube, T.Certificate, 'cost-api-certificate', (i) => (i.spec.issuerRef = { name: 'letsencrypt' }));
    expect(await messages(policy, broken)).toEqual(["Certificate 'cost-api' references Issuer 'letsencrypt', which this stack does not declare"]);
  });
});

describe('kubernetes-certificate-apis', () => {
  const policy = 'kubernetes-certificate-apis';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports an API without certificate', async () => {
    const broken = without(kube, (r) => r.name === 'cost-api-certificate');
    expect(await messages(policy, broken)).toEqual([
      `no Certificate writes Secret '${TLS_SECRET.costApi}' (the Cost API certificate)`,
      `Ingress 'cost-api' serves TLS from Secret '${TLS_SECRET.costApi}', which no Certificate of this stack writes`,
    ]);
  });
  it('reports an Ingress host the certificate does not name', async () => {
    const broken = breaking(kube, T.Certificate, 'review-api-certificate', (i) => (i.spec.dnsNames = ['other.example.com']));
    expect(await messages(policy, broken)).toEqual(["Ingress 'review-api' serves review.example.com with Certificate 'review-api', which does not name it"]);
  });
});

describe('tls-locallysignedcert-validity and tls-certrequest-dns-names', () => {
  it('pass the compliant fixture', async () => {
    expect(await messages('tls-locallysignedcert-validity', dock)).toEqual([]);
    expect(await messages('tls-certrequest-dns-names', dock)).toEqual([]);
  });
  it('report a one-year leaf', async () => {
    const broken = breaking(dock, T.LocallySignedCert, 'review-api-cert', (i) => (i.validityPeriodHours = 8760));
    expect(await messages('tls-locallysignedcert-validity', broken)).toEqual(["LocallySignedCert 'review-api-cert' is valid 8760h; at least 17520h is required"]);
  });
  it('report a leaf without early renewal', async () => {
    const broken = breaking(dock, T.LocallySignedCert, 'review-api-cert', (i) => delete i.earlyRenewalHours);
    expect(await messages('tls-locallysignedcert-validity', broken)).toEqual(["LocallySignedCert 'review-api-cert' sets no earlyRenewalHours"]);
  });
  it('report a request without DNS names', async () => {
    const broken = breaking(dock, T.CertRequest, 'review-api-csr', (i) => delete i.dnsNames);
    expect(await messages('tls-certrequest-dns-names', broken)).toEqual(["CertRequest 'review-api-csr' has no dnsNames"]);
  });
});

describe('kubernetes-service-type', () => {
  const policy = 'kubernetes-service-type';
  it('passes the compliant fixture (the annotated ingress controller may be a LoadBalancer)', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it.each(['LoadBalancer', 'NodePort'])('reports a %s Service', async (type) => {
    const broken = breaking(kube, T.Service, 'review-api-service', (i) => (i.spec.type = type));
    expect(await messages(policy, broken)).toEqual([
      `Service 'review-api' is of type ${type}; only the ingress controller's Service (annotation ${ANNOTATION.ingressController}) may be`,
    ]);
  });
  it('reports externalIPs', async () => {
    const broken = breaking(kube, T.Service, 'review-api-service', (i) => (i.spec.externalIPs = ['203.0.113.7']));
    expect(await messages(policy, broken)).toEqual(["Service 'review-api' sets externalIPs"]);
  });
});

describe('kubernetes-service-data-tier-internal', () => {
  const policy = 'kubernetes-service-data-tier-internal';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports an exposed Ollama, even annotated as the ingress controller', async () => {
    const broken = breaking(kube, T.Service, 'ollama-service', (i) => {
      i.spec.type = 'LoadBalancer';
      i.metadata.annotations = { [ANNOTATION.ingressController]: 'true' };
    });
    expect(await messages(policy, broken)).toEqual(["Service 'ollama' of the data tier is of type LoadBalancer; it must be ClusterIP"]);
  });
  it('reports a public annotation and externalIPs on MongoDB', async () => {
    const broken = breaking(kube, T.Service, 'mongodb-service', (i) => {
      i.metadata.annotations = { [ANNOTATION.publicEndpoint]: 'true' };
      i.spec.externalIPs = ['203.0.113.7'];
    });
    expect(await messages(policy, broken)).toEqual([
      "Service 'mongodb' of the data tier sets externalIPs",
      `Service 'mongodb' of the data tier is annotated ${ANNOTATION.publicEndpoint}`,
    ]);
  });
});

describe('kubernetes-ingress-api-only', () => {
  const policy = 'kubernetes-ingress-api-only';
  const ingress = 'review-api-ingress';
  const prefix = 'nginx.ingress.kubernetes.io/';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a route to the data tier', async () => {
    const broken = breaking(kube, T.Ingress, ingress, (i) => (i.spec.rules[0].http.paths[0].backend.service.name = WORKLOAD.nsqadmin));
    expect(await messages(policy, broken)).toEqual(["Ingress 'review-api' routes to 'nsqadmin'; only 'review-api', 'cost-api' may be public"]);
  });
  it('reports a missing TLS section and a host without TLS', async () => {
    expect(await messages(policy, breaking(kube, T.Ingress, ingress, (i) => delete i.spec.tls))).toEqual(["Ingress 'review-api' has no TLS"]);
    const extraHost = breaking(kube, T.Ingress, ingress, (i) => i.spec.rules.push({ host: 'plain.example.com', http: i.spec.rules[0].http }));
    expect(await messages(policy, extraHost)).toEqual(["Ingress 'review-api' serves plain.example.com without TLS"]);
  });
  it('reports a missing rate limit', async () => {
    const broken = breaking(kube, T.Ingress, ingress, (i) => delete i.metadata.annotations[`${prefix}limit-rpm`]);
    expect(await messages(policy, broken)).toEqual([`Ingress 'review-api' has no rate limit (${prefix}limit-rps, limit-rpm or limit-connections)`]);
  });
  it('reports CORS off and CORS for every origin', async () => {
    const off = breaking(kube, T.Ingress, ingress, (i) => delete i.metadata.annotations[`${prefix}enable-cors`]);
    expect(await messages(policy, off)).toEqual([`Ingress 'review-api' does not enable CORS (${prefix}enable-cors: "true")`]);
    const star = breaking(kube, T.Ingress, ingress, (i) => (i.metadata.annotations[`${prefix}cors-allow-origin`] = '*'));
    expect(await messages(policy, star)).toEqual([`Ingress 'review-api' has no explicit CORS origin list (${prefix}cors-allow-origin must name origins, not *)`]);
  });
});

describe('kubernetes-networkpolicy-default-deny', () => {
  const policy = 'kubernetes-networkpolicy-default-deny';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a namespace without default deny', async () => {
    const broken = without(kube, (r) => r.name === 'enrichment-default-deny');
    expect(await messages(policy, broken)).toEqual(["namespace 'enrichment' has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)"]);
  });
  it('does not count a policy that allows traffic or omits Egress', async () => {
    const allows = breaking(kube, T.NetworkPolicy, 'monitoring-default-deny', (i) => (i.spec.ingress = [{ from: [{ podSelector: {} }] }]));
    expect(await messages(policy, allows)).toEqual(["namespace 'monitoring' has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)"]);
    const ingressOnly = breaking(kube, T.NetworkPolicy, 'monitoring-default-deny', (i) => (i.spec.policyTypes = ['Ingress']));
    expect(await messages(policy, ingressOnly)).toEqual(["namespace 'monitoring' has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)"]);
  });
});

describe('docker-container-published-ports', () => {
  const policy = 'docker-container-published-ports';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a published data-tier port, even when labelled public', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.mongodb, (i) => {
      i.ports = [{ internal: 27017, external: 27017 }];
      i.labels.push({ label: ANNOTATION.publicEndpoint, value: 'true' });
    });
    expect(await messages(policy, broken)).toEqual(["container 'mongodb' of the data tier publishes 27017->27017"]);
  });
  it('reports a port published without the public label', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.prometheus, (i) => (i.ports = [{ internal: 9090, external: 9090 }]));
    expect(await messages(policy, broken)).toEqual([`container 'prometheus' publishes 9090->9090 without the ${ANNOTATION.publicEndpoint} label`]);
  });
});

describe('docker-container-api-tls', () => {
  const policy = 'docker-container-api-tls';
  it('passes the compliant fixture', async () => {
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports an API without certificate', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.costApi, (i) => (i.envs = i.envs.filter((e: string) => !e.startsWith('API_TLS_CERT_FILE'))));
    expect(await messages(policy, broken)).toEqual(["container 'cost-api' sets no API_TLS_CERT_FILE: the API serves plain HTTP"]);
  });
  it('reports a key that is not uploaded', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.costApi, (i) => (i.uploads = i.uploads.filter((u: { file: string }) => !u.file.endsWith('tls.key'))));
    expect(await messages(policy, broken)).toEqual(["container 'cost-api' API_TLS_KEY_FILE /etc/enrichment/tls/tls.key is not uploaded into the container"]);
  });
  it('reports CORS for every origin', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.costApi, (i) => (i.envs = i.envs.map((e: string) => (e.startsWith('API_CORS_ORIGINS') ? 'API_CORS_ORIGINS=*' : e))));
    expect(await messages(policy, broken)).toEqual(["container 'cost-api' allows every CORS origin (API_CORS_ORIGINS contains *)"]);
  });
});
