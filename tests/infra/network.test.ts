/**
 * NetworkSegmentation (`enrichment:network:NetworkSegmentation`), planned under Pulumi mocks:
 * default-deny NetworkPolicies with one allow rule per real flow and the API Ingresses on
 * Kubernetes (prod), an internal backend network and a frontend bridge on Docker (dev).
 */
import * as docker from '@pulumi/docker';
import { describe, expect, it } from 'vitest';
import { AGENT_WORKLOADS, ANNOTATION, LABEL, MONITORING_WORKLOAD, PORT, TLS_SECRET, WORKLOAD } from '../../infra/src/conventions.js';
import { byName, ofType, planStack, type Plan } from '../../infra/src/plan.js';
import type { Target } from '../../infra/src/types.js';
import {
  DEFAULT_DENY_POLICY,
  DNS_EGRESS_POLICY,
  INGRESS_CONTROLLER_NAMESPACE,
  KUBE_APISERVER_PORT,
  NETWORK_SEGMENTATION_TYPE,
  NetworkSegmentation,
  PRIVATE_RANGES,
  urlPort,
  type DockerNetworks,
} from '../../infra/src/components/network.js';
import { expectSchemaValid, planComponent, testTarget } from './support.js';

const POLICY = 'kubernetes:networking.k8s.io/v1:NetworkPolicy';
const INGRESS = 'kubernetes:networking.k8s.io/v1:Ingress';
const RELEASE = 'kubernetes:helm.sh/v3:Release';
const NETWORK = 'docker:index/network:Network';

async function plan(stack: 'prod' | 'dev', overrides?: Record<string, unknown>): Promise<{ plan: Plan; network: NetworkSegmentation }> {
  const { plan: p, component: network } = await planComponent(stack, (args) => new NetworkSegmentation('network', args), {
    overrides,
    // Docker: the target has no networks yet; the component creates them (as in platform.ts).
    target: (config) => (config.target === 'kubernetes' ? testTarget(config) : ({ kind: 'docker', provider: new docker.Provider('docker', {}) } as unknown as Target)),
  });
  return { plan: p, network };
}

type Rule = { from?: any[]; to?: any[]; ports: { port: number; protocol: string }[] };
const policy = (p: Plan, ns: string, name: string) => {
  const found = ofType(p, POLICY).find((r) => r.inputs.metadata.namespace === ns && r.inputs.metadata.name === name);
  if (!found) throw new Error(`no policy ${ns}/${name}`);
  return found.inputs.spec as { podSelector: any; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
};
const ports = (rules: Rule[] | undefined) => (rules ?? []).flatMap((r) => r.ports.map((x) => x.port)).sort((a, b) => a - b);
const pods = (...names: string[]) =>
  names.length === 1 ? { podSelector: { matchLabels: { [LABEL.name]: names[0] } } } : { podSelector: { matchExpressions: [{ key: LABEL.name, operator: 'In', values: names }] } };
const inNs = (ns: string, peer: object) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, ...peer });
const internet = { ipBlock: { cidr: '0.0.0.0/0', except: [...PRIVATE_RANGES] } };
const tcp = (...list: number[]) => list.map((port) => ({ port, protocol: 'TCP' }));

describe('NetworkSegmentation on Kubernetes (prod)', () => {
  it('denies all ingress and egress by default in the app and monitoring namespaces, and allows DNS', async () => {
    const { plan: p, network } = await plan('prod');
    expect(ofType(p, NETWORK_SEGMENTATION_TYPE)).toHaveLength(1);
    for (const ns of ['enrichment', 'monitoring']) {
      expect(policy(p, ns, DEFAULT_DENY_POLICY)).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(policy(p, ns, DNS_EGRESS_POLICY)).toEqual({
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [inNs('kube-system', { podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } })],
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
        ],
      });
    }
    expect(network.policyNames).toContain('enrichment/default-deny-all');
    expect(() => network.dockerNetworks()).toThrow('dockerNetworks() is only available on the Docker target');
  });

  it('worker: out to MongoDB, nsqd, nsqlookupd and the agents; in from Prometheus on its metrics port only', async () => {
    const { plan: p } = await plan('prod');
    const worker = policy(p, 'enrichment', `allow-${WORKLOAD.worker}`);
    expect(worker.podSelector).toEqual({ matchLabels: { [LABEL.name]: WORKLOAD.worker } });
    expect(worker.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(worker.egress).toEqual([
      { to: [pods(WORKLOAD.mongodb)], ports: tcp(PORT.mongodb) },
      { to: [pods(WORKLOAD.nsqd)], ports: tcp(4150, 4151) },
      { to: [pods(WORKLOAD.nsqlookupd)], ports: tcp(4161) },
      { to: [pods(...AGENT_WORKLOADS)], ports: tcp(5100) },
    ]);
    expect(worker.ingress).toEqual([{ from: [inNs('monitoring', pods(WORKLOAD.prometheus))], ports: tcp(9464) }]);
  });

  it('agents: out to Ollama and to public addresses on 443 only (Claude API); in from the worker and Prometheus', async () => {
    const { plan: p } = await plan('prod');
    expect(AGENT_WORKLOADS).toHaveLength(5);
    for (const agent of AGENT_WORKLOADS) {
      const spec = policy(p, 'enrichment', `allow-${agent}`);
      expect(spec.egress).toEqual([
        { to: [pods(WORKLOAD.ollama)], ports: tcp(11434) },
        { to: [internet], ports: tcp(443) },
      ]);
      expect(spec.ingress).toEqual([
        { from: [pods(WORKLOAD.worker)], ports: tcp(5100) },
        { from: [inNs('monitoring', pods(WORKLOAD.prometheus))], ports: tcp(5100) },
      ]);
    }
  });

  it('MongoDB, NSQ and Ollama are reachable only from pods of the platform, never from the ingress controller or the internet', async () => {
    const { plan: p } = await plan('prod');
    for (const w of [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.nsqlookupd, WORKLOAD.ollama]) {
      const spec = policy(p, 'enrichment', `allow-${w}`);
      const peers = (spec.ingress ?? []).flatMap((r) => r.from ?? []);
      expect(peers.length, w).toBeGreaterThan(0);
      for (const peer of peers) {
        expect(peer, w).not.toHaveProperty('ipBlock');
        expect(peer.podSelector, w).toBeDefined();
      }
    }
    const mongo = policy(p, 'enrichment', `allow-${WORKLOAD.mongodb}`);
    expect(mongo.ingress!.flatMap((r) => r.from)).toEqual([
      pods(WORKLOAD.worker),
      pods(WORKLOAD.reviewApi, WORKLOAD.costApi),
      pods(WORKLOAD.mongodb),
      pods(WORKLOAD.mongodbExporter),
      pods(WORKLOAD.mongodbIndexes),
      pods(WORKLOAD.mongodbBackup, WORKLOAD.mongodbRestore),
    ]);
    expect(ports(mongo.ingress)).toEqual(Array(6).fill(27017));
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.nsqlookupd}`).ingress).toContainEqual({ from: [pods(WORKLOAD.nsqd)], ports: tcp(4160) });
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.ollama}`).egress).toEqual([{ to: [internet], ports: tcp(443) }]);
  });

  it('APIs: in from the ingress controller namespace on their own port only; out to MongoDB only', async () => {
    const { plan: p } = await plan('prod');
    for (const [w, port] of [
      [WORKLOAD.reviewApi, 5001],
      [WORKLOAD.costApi, 5002],
    ] as const) {
      const spec = policy(p, 'enrichment', `allow-${w}`);
      expect(spec.ingress).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_CONTROLLER_NAMESPACE } } }], ports: tcp(port) },
        { from: [inNs('monitoring', pods(WORKLOAD.prometheus))], ports: tcp(port) },
      ]);
      expect(spec.egress).toEqual([{ to: [pods(WORKLOAD.mongodb)], ports: tcp(27017) }]);
    }
  });

  it('Prometheus may scrape every metrics port of the app namespace', async () => {
    const { plan: p } = await plan('prod');
    const prom = policy(p, 'monitoring', `allow-${WORKLOAD.prometheus}`);
    const toApp = prom.egress!.filter((r) => r.to?.[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'enrichment');
    expect(ports(toApp)).toEqual([PORT.costApi, PORT.reviewApi, PORT.agent, PORT.nsqExporter, PORT.mongodbExporter, PORT.workerMetrics].sort((a, b) => a - b));
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.mongodbExporter}`).ingress).toEqual([{ from: [inNs('monitoring', pods(WORKLOAD.prometheus))], ports: tcp(9216) }]);
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.nsqExporter}`).ingress).toEqual([{ from: [inNs('monitoring', pods(WORKLOAD.prometheus))], ports: tcp(9117) }]);
  });

  it('the monitoring namespace: its helpers, the Kubernetes API and node ports are reachable, nothing else', async () => {
    const { plan: p } = await plan('prod');
    const prom = policy(p, 'monitoring', `allow-${WORKLOAD.prometheus}`);
    const privateRanges = PRIVATE_RANGES.map((cidr) => ({ ipBlock: { cidr } }));
    expect(prom.egress).toContainEqual({ to: privateRanges, ports: tcp(443, KUBE_APISERVER_PORT) });
    expect(prom.egress).toContainEqual({ to: privateRanges, ports: tcp(9100, 10250, 9400) });
    expect(prom.egress).toContainEqual({ to: [pods(MONITORING_WORKLOAD.blackboxExporter)], ports: tcp(9115) });
    expect(prom.egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cert-manager' } } }], ports: tcp(9402) });
    // Prometheus accepts connections only from Grafana.
    expect(prom.ingress).toEqual([{ from: [pods(WORKLOAD.grafana)], ports: tcp(9090) }]);
    const blackbox = policy(p, 'monitoring', `allow-${MONITORING_WORKLOAD.blackboxExporter}`);
    expect(blackbox.egress).toContainEqual({ to: [inNs('enrichment', pods(WORKLOAD.ollama))], ports: tcp(11434) });
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.ollama}`).ingress).toContainEqual({
      from: [inNs('monitoring', pods(MONITORING_WORKLOAD.blackboxExporter))],
      ports: tcp(11434),
    });
    const alertmanager = policy(p, 'monitoring', `allow-${WORKLOAD.alertmanager}`);
    expect(alertmanager.egress).toEqual([{ to: [internet], ports: tcp(443, 587) }]);
  });

  it('Jobs: index → MongoDB, topics → nsqd HTTP, backup → MongoDB and S3, model pull → Ollama', async () => {
    const { plan: p } = await plan('prod');
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.mongodbIndexes}`).egress).toEqual([{ to: [pods(WORKLOAD.mongodb)], ports: tcp(27017) }]);
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.nsqTopics}`).egress).toEqual([{ to: [pods(WORKLOAD.nsqd)], ports: tcp(4151) }]);
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.mongodbBackup}`).egress).toEqual([
      { to: [pods(WORKLOAD.mongodb)], ports: tcp(27017) },
      { to: [internet], ports: tcp(443) },
    ]);
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.ollamaModels}`).egress).toEqual([{ to: [pods(WORKLOAD.ollama)], ports: tcp(11434) }]);
    // Jobs accept no connections: their policies have no Ingress type, so the default deny holds.
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.mongodbBackup}`).policyTypes).toEqual(['Egress']);
  });

  it('the backup egress port follows the S3 endpoint', async () => {
    expect(urlPort('https://s3.eu-west-1.amazonaws.com')).toBe(443);
    expect(urlPort('http://minio.storage:9000')).toBe(9000);
    const { plan: p } = await plan('prod', { mongodb: { backup: { s3Endpoint: 'http://minio.storage:9000' } } });
    expect(policy(p, 'enrichment', `allow-${WORKLOAD.mongodbBackup}`).egress![1]).toEqual({ to: [internet], ports: tcp(9000) });
  });

  it('one Ingress per API, with TLS, rate limit, CORS and HTTPS to the backend', async () => {
    const { plan: p, network } = await plan('prod');
    const ingresses = ofType(p, INGRESS);
    expect(ingresses.map((i) => i.inputs.metadata.name).sort()).toEqual(['cost-api', 'review-api']);
    const review = byName(p, INGRESS, 'network-review-api-ingress').inputs;
    expect(review.metadata.namespace).toBe('enrichment');
    expect(review.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['review.enrichment.example.com'], secretName: TLS_SECRET.reviewApi }],
      rules: [
        {
          host: 'review.enrichment.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'review-api', port: { number: 5001 } } } }] },
        },
      ],
    });
    const a = review.metadata.annotations as Record<string, string>;
    expect(a['nginx.ingress.kubernetes.io/limit-rpm']).toBe('600');
    expect(a['nginx.ingress.kubernetes.io/enable-cors']).toBe('true');
    expect(a['nginx.ingress.kubernetes.io/cors-allow-origin']).toBe('https://review-ui.enrichment.example.com');
    expect(a['nginx.ingress.kubernetes.io/ssl-redirect']).toBe('true');
    expect(a['nginx.ingress.kubernetes.io/backend-protocol']).toBe('HTTPS');
    expect(a['nginx.ingress.kubernetes.io/proxy-ssl-secret']).toBe(`enrichment/${TLS_SECRET.reviewApi}`);
    expect(a[ANNOTATION.publicEndpoint]).toBe('true');
    const cost = byName(p, INGRESS, 'network-cost-api-ingress').inputs;
    expect(cost.spec.tls).toEqual([{ hosts: ['cost.enrichment.example.com'], secretName: TLS_SECRET.costApi }]);
    expect(cost.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'cost-api', port: { number: 5002 } });
    expect(network.ingressNames).toEqual(['enrichment/review-api', 'enrichment/cost-api']);
    // Nothing else is exposed through an Ingress.
    const backends = ingresses.flatMap((i) => i.inputs.spec.rules.flatMap((r: any) => r.http.paths.map((x: any) => x.backend.service.name)));
    expect(backends.sort()).toEqual(['cost-api', 'review-api']);
  });

  it('rate limit and CORS follow the config', async () => {
    const { plan: p } = await plan('prod', { apis: { rateLimitPerMinute: 120, corsOrigins: ['https://a.example.com', 'https://b.example.com'] }, ingress: { className: 'internal-nginx' } });
    const review = byName(p, INGRESS, 'network-review-api-ingress').inputs;
    expect(review.spec.ingressClassName).toBe('internal-nginx');
    expect(review.metadata.annotations['nginx.ingress.kubernetes.io/limit-rpm']).toBe('120');
    expect(review.metadata.annotations['nginx.ingress.kubernetes.io/cors-allow-origin']).toBe('https://a.example.com, https://b.example.com');
  });

  it('installs ingress-nginx; its Service is the annotated LoadBalancer', async () => {
    const { plan: p } = await plan('prod');
    const release = byName(p, RELEASE, 'network-ingress-nginx').inputs;
    expect(release.chart).toBe('ingress-nginx');
    expect(release.version).toBe(p.config.ingress.controllerVersion);
    expect(release.namespace).toBe(INGRESS_CONTROLLER_NAMESPACE);
    expect(release.values.controller.service).toEqual({ type: 'LoadBalancer', annotations: { [ANNOTATION.ingressController]: 'true' } });
    expect(release.values.controller.ingressClassResource.name).toBe('nginx');
    const noController = await plan('prod', { ingress: { installController: false } });
    expect(ofType(noController.plan, RELEASE)).toEqual([]);
    expect(ofType(noController.plan, INGRESS)).toHaveLength(2);
  });

  it('every policy and Ingress is named, namespaced, labelled and valid against the Kubernetes schema', async () => {
    const { plan: p } = await plan('prod');
    const policies = ofType(p, POLICY);
    expect(policies.length).toBeGreaterThan(20);
    for (const r of policies) {
      expect(['enrichment', 'monitoring']).toContain(r.inputs.metadata.namespace);
      expect(r.inputs.metadata.name).toMatch(/^(default-deny-all|allow-[a-z-]+)$/);
      expect(r.inputs.metadata.labels[LABEL.partOf]).toBe('enrichment-platform');
    }
    await expectSchemaValid([...policies, ...ofType(p, INGRESS)]);
  });
});

describe('NetworkSegmentation on Docker (dev)', () => {
  it('creates an internal backend network and a bridge frontend network, and no Kubernetes object', async () => {
    const { plan: p, network } = await plan('dev');
    expect(p.resources.filter((r) => r.type.startsWith('kubernetes:'))).toEqual([]);
    const backend = byName(p, NETWORK, 'network-backend').inputs;
    const frontend = byName(p, NETWORK, 'network-frontend').inputs;
    expect(backend).toMatchObject({ name: 'enrichment-platform-backend', driver: 'bridge', internal: true });
    expect(frontend).toMatchObject({ name: 'enrichment-platform-frontend', driver: 'bridge', internal: false });
    const nets: DockerNetworks = network.dockerNetworks();
    expect(nets.backendNetwork).toBeInstanceOf(docker.Network);
    expect(nets.frontendNetwork).not.toBe(nets.backendNetwork);
  });
});

/**
 * The whole platform (every component), planned once per target: the boundaries hold for the
 * resources the other components declare too.
 */
describe('the whole platform', () => {
  const WORKLOADS_WITH_PODS = ['kubernetes:apps/v1:Deployment', 'kubernetes:apps/v1:StatefulSet', 'kubernetes:apps/v1:DaemonSet', 'kubernetes:batch/v1:Job', 'kubernetes:batch/v1:CronJob'];

  it('prod: MongoDB, NSQ and Ollama only behind ClusterIP Services; only the APIs behind an Ingress', async () => {
    const p = await planStack('prod');
    const services = ofType(p, 'kubernetes:core/v1:Service');
    expect(services.length).toBeGreaterThan(10);
    for (const svc of services) expect([undefined, 'ClusterIP'], svc.inputs.metadata.name).toContain(svc.inputs.spec.type);
    const dataTier = services.filter((s) => ['database', 'queue', 'llm'].includes(s.inputs.metadata.labels?.[LABEL.component]));
    expect(dataTier.map((s) => s.inputs.metadata.name)).toEqual(expect.arrayContaining(['mongodb', 'nsqd', 'nsqlookupd', 'ollama']));
    for (const svc of dataTier) expect(svc.inputs.metadata.annotations?.[ANNOTATION.publicEndpoint], svc.inputs.metadata.name).toBeUndefined();
    const backends = ofType(p, INGRESS).flatMap((i) => i.inputs.spec.rules.flatMap((r: any) => r.http.paths.map((x: any) => x.backend.service.name)));
    expect(backends.sort()).toEqual(['cost-api', 'review-api']);
  });

  it('prod: every workload in the two namespaces has an allow policy, and each allowed inbound port is one it listens on', async () => {
    const p = await planStack('prod');
    const policies = ofType(p, POLICY);
    const checked: string[] = [];
    for (const r of p.resources.filter((x) => WORKLOADS_WITH_PODS.includes(x.type))) {
      const ns = r.inputs.metadata.namespace as string;
      if (!['enrichment', 'monitoring'].includes(ns)) continue;
      const template = r.type.endsWith('CronJob') ? r.inputs.spec.jobTemplate.spec.template : r.inputs.spec.template;
      // hostNetwork pods (node-exporter) are outside NetworkPolicy's reach.
      if (template.spec.hostNetwork) continue;
      const workload = template.metadata.labels[LABEL.name] as string;
      const allow = policies.find((x) => x.inputs.metadata.namespace === ns && x.inputs.spec.podSelector.matchLabels?.[LABEL.name] === workload);
      expect(allow, `${ns}/${workload} has no allow policy`).toBeDefined();
      const listening = template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((x: any) => x.containerPort));
      for (const port of ports(allow!.inputs.spec.ingress)) expect(listening, `${ns}/${workload} port ${port}`).toContain(port);
      checked.push(workload);
    }
    expect(checked).toEqual(expect.arrayContaining([WORKLOAD.worker, WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.ollama, WORKLOAD.prometheus, ...AGENT_WORKLOADS]));
  });

  it('dev: host ports only for the two APIs and Grafana; MongoDB, NSQ and Ollama only on internal networks', async () => {
    const p = await planStack('dev');
    const containers = ofType(p, 'docker:index/container:Container');
    const published = containers
      .filter((c) => (c.inputs.ports ?? []).length > 0)
      .map((c) => [c.inputs.name, c.inputs.ports.map((x: { external: number }) => x.external)])
      .sort();
    expect(published).toEqual(
      [
        ['cost-api', [PORT.costApi]],
        ['grafana', [p.config.monitoring.grafanaHostPort]],
        ['review-api', [PORT.reviewApi]],
      ].sort(),
    );
    const backend = byName(p, NETWORK, 'network-backend').inputs;
    expect(backend.internal).toBe(true);
    for (const c of containers.filter((x) => /^(mongodb|nsq|ollama)/.test(x.inputs.name))) {
      expect(c.inputs.networksAdvanced.map((n: { name: string }) => n.name), c.inputs.name).not.toContain('enrichment-platform-frontend');
    }
  });
});
