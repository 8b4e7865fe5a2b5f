/**
 * NetworkSegmentation (`enrichment:network:NetworkSegmentation`): who may talk to whom.
 * Checklist Phase 9a "Networking & Security" (inbound: only required ports; outbound: Claude API
 * allowed; internal: private network; MongoDB, NSQ, Ollama not publicly accessible; APIs only
 * publicly accessible; rate limiting; CORS) and checklist 9c-run-13 (containers reach only the
 * services they need).
 *
 * Kubernetes: a default-deny NetworkPolicy (ingress and egress) in the app and monitoring
 * namespaces, then one allow policy per workload built from {@link networkFlows}, the list of
 * every real flow. One Ingress per API (TLS from cert-manager's Secret, rate limit, CORS, HTTPS to
 * the backend), served by ingress-nginx, whose LoadBalancer Service is the only public entry.
 *
 * Docker: an internal `backend` network (no route out) for everything, and a `frontend` bridge
 * network for the containers that publish ports or need egress (APIs, agents, Grafana).
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from '../config.js';
import { AGENT_WORKLOADS, ANNOTATION, COMPONENT, LABEL, MONITORING_PORT, MONITORING_WORKLOAD, PART_OF, PORT, TLS_SECRET, WORKLOAD } from '../conventions.js';
import { helmRelease } from '../lib/kubernetes.js';
import { dockerLabels, nameSelector, workloadLabels } from '../lib/labels.js';
import type { ComponentBaseArgs } from '../types.js';
import { CERT_MANAGER_NAMESPACE } from './tls.js';

/** The Pulumi type token of {@link NetworkSegmentation}. */
export const NETWORK_SEGMENTATION_TYPE = 'enrichment:network:NetworkSegmentation';

/** Namespace of the ingress-nginx controller (the only source of inbound API traffic). */
export const INGRESS_CONTROLLER_NAMESPACE = 'ingress-nginx';
/** ingress-nginx Helm repository. */
export const INGRESS_NGINX_REPO = 'https://kubernetes.github.io/ingress-nginx';
/** Name of the default-deny NetworkPolicy in each namespace. */
export const DEFAULT_DENY_POLICY = 'default-deny-all';
/** Name of the policy that lets every pod resolve names through kube-dns. */
export const DNS_EGRESS_POLICY = 'allow-dns-egress';
/** RFC 1918 ranges: excluded from "the internet" so public egress never reaches cluster or VPC peers. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;
/** Kubernetes API server port behind the `kubernetes` Service (managed clusters also use 443). */
export const KUBE_APISERVER_PORT = 6443;
/** Docker network names. */
export const DOCKER_NETWORK = { backend: `${PART_OF}-backend`, frontend: `${PART_OF}-frontend` } as const;

/** What {@link NetworkSegmentation.dockerNetworks} returns; merged into the Docker target. */
export interface DockerNetworks {
  /** `internal: true`: no route to the outside; every container joins it. */
  backendNetwork: docker.Network;
  /** Ordinary bridge: published ports and egress (APIs, agents, Grafana). */
  frontendNetwork: docker.Network;
}

/** One end of a flow. */
export type FlowPeer =
  /** Pods labelled `app.kubernetes.io/name` ∈ `workloads`, in the app or the monitoring namespace. */
  | { kind: 'pods'; namespace: 'app' | 'monitoring'; workloads: readonly string[] }
  /** Every pod of another namespace (e.g. the ingress controller's). */
  | { kind: 'namespace'; name: string }
  /** Public addresses: 0.0.0.0/0 except {@link PRIVATE_RANGES}. */
  | { kind: 'internet' }
  /** Private addresses (the Kubernetes API server's endpoints are node or VPC addresses). */
  | { kind: 'private' };

/** A port a flow uses. */
export interface FlowPort {
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** One allowed connection: `from` may open connections to `to` on `ports`. */
export interface Flow {
  /** Why the flow exists (which app code or checklist line needs it). */
  purpose: string;
  from: FlowPeer;
  to: FlowPeer;
  ports: FlowPort[];
}

const tcp = (...ports: number[]): FlowPort[] => ports.map((port) => ({ port, protocol: 'TCP' as const }));
const app = (...workloads: string[]): FlowPeer => ({ kind: 'pods', namespace: 'app', workloads });
const mon = (...workloads: string[]): FlowPeer => ({ kind: 'pods', namespace: 'monitoring', workloads });
const internet: FlowPeer = { kind: 'internet' };

/** TCP port of an http(s) URL (explicit port, else 443 for https and 80 for http). */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'https:' ? PORT.https : 80;
}

/**
 * Every connection the platform needs, besides DNS (allowed for every pod by
 * {@link DNS_EGRESS_POLICY}). Sources and destinations are workloads of `conventions.ts`.
 */
export function networkFlows(config: InfraConfig): Flow[] {
  const s3 = tcp(urlPort(config.mongodb.backup.s3Endpoint));
  const smtpPort = Number(config.monitoring.alerting.smtpSmarthost.split(':')[1]);
  return [
    // EnrichmentWorker (app/src/services/worker): store, queue, agents.
    { purpose: 'worker reads jobs and writes results in MongoDB', from: app(WORKLOAD.worker), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'worker publishes (TCP) and checks nsqd (HTTP /ping)', from: app(WORKLOAD.worker), to: app(WORKLOAD.nsqd), ports: tcp(PORT.nsqdTcp, PORT.nsqdHttp) },
    { purpose: 'worker consumers discover nsqd through nsqlookupd', from: app(WORKLOAD.worker), to: app(WORKLOAD.nsqlookupd), ports: tcp(PORT.nsqlookupdHttp) },
    { purpose: 'worker calls the five MCP agents', from: app(WORKLOAD.worker), to: app(...AGENT_WORKLOADS), ports: tcp(PORT.agent) },
    // Agents (app/src/agents): local models, escalation to Claude.
    { purpose: 'agents run phase-1 and structure models on Ollama', from: app(...AGENT_WORKLOADS), to: app(WORKLOAD.ollama), ports: tcp(PORT.ollama) },
    { purpose: 'agents escalate to the Claude API (checklist 9a-net-03)', from: app(...AGENT_WORKLOADS), to: internet, ports: tcp(PORT.https) },
    // APIs.
    { purpose: 'Review and Cost APIs read and write MongoDB', from: app(WORKLOAD.reviewApi, WORKLOAD.costApi), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'public API traffic arrives through the ingress controller only', from: { kind: 'namespace', name: INGRESS_CONTROLLER_NAMESPACE }, to: app(WORKLOAD.reviewApi), ports: tcp(PORT.reviewApi) },
    { purpose: 'public API traffic arrives through the ingress controller only', from: { kind: 'namespace', name: INGRESS_CONTROLLER_NAMESPACE }, to: app(WORKLOAD.costApi), ports: tcp(PORT.costApi) },
    // Data tier.
    { purpose: 'MongoDB replica set members replicate to each other', from: app(WORKLOAD.mongodb), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'nsqd registers with nsqlookupd', from: app(WORKLOAD.nsqd), to: app(WORKLOAD.nsqlookupd), ports: tcp(PORT.nsqlookupdTcp) },
    { purpose: 'nsqadmin reads the topology and stats', from: app(WORKLOAD.nsqadmin), to: app(WORKLOAD.nsqlookupd), ports: tcp(PORT.nsqlookupdHttp) },
    { purpose: 'nsqadmin reads the topology and stats', from: app(WORKLOAD.nsqadmin), to: app(WORKLOAD.nsqd), ports: tcp(PORT.nsqdHttp) },
    { purpose: 'mongodb exporter reads server and collection stats', from: app(WORKLOAD.mongodbExporter), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'nsq exporter reads each nsqd pod\'s /stats', from: app(WORKLOAD.nsqExporter), to: app(WORKLOAD.nsqd), ports: tcp(PORT.nsqdHttp) },
    // Jobs.
    { purpose: 'index Job creates the checklist indexes', from: app(WORKLOAD.mongodbIndexes), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'topic Job creates the topics through the nsqd HTTP API', from: app(WORKLOAD.nsqTopics), to: app(WORKLOAD.nsqd), ports: tcp(PORT.nsqdHttp) },
    { purpose: 'backup and restore Jobs dump and restore MongoDB', from: app(WORKLOAD.mongodbBackup, WORKLOAD.mongodbRestore), to: app(WORKLOAD.mongodb), ports: tcp(PORT.mongodb) },
    { purpose: 'backup and restore Jobs reach S3-compatible storage', from: app(WORKLOAD.mongodbBackup, WORKLOAD.mongodbRestore), to: internet, ports: s3 },
    { purpose: 'model-pull Job calls /api/tags and /api/pull', from: app(WORKLOAD.ollamaModels), to: app(WORKLOAD.ollama), ports: tcp(PORT.ollama) },
    { purpose: 'Ollama downloads models from registry.ollama.ai', from: app(WORKLOAD.ollama), to: internet, ports: tcp(PORT.https) },
    // Monitoring (checklist 9b-prom-02: Prometheus reaches every service).
    { purpose: 'Prometheus scrapes the worker', from: mon(WORKLOAD.prometheus), to: app(WORKLOAD.worker), ports: tcp(PORT.workerMetrics) },
    { purpose: 'Prometheus scrapes the agents', from: mon(WORKLOAD.prometheus), to: app(...AGENT_WORKLOADS), ports: tcp(PORT.agent) },
    { purpose: 'Prometheus scrapes the Review API', from: mon(WORKLOAD.prometheus), to: app(WORKLOAD.reviewApi), ports: tcp(PORT.reviewApi) },
    { purpose: 'Prometheus scrapes the Cost API', from: mon(WORKLOAD.prometheus), to: app(WORKLOAD.costApi), ports: tcp(PORT.costApi) },
    { purpose: 'Prometheus scrapes the mongodb exporter', from: mon(WORKLOAD.prometheus), to: app(WORKLOAD.mongodbExporter), ports: tcp(PORT.mongodbExporter) },
    { purpose: 'Prometheus scrapes the nsq exporter', from: mon(WORKLOAD.prometheus), to: app(WORKLOAD.nsqExporter), ports: tcp(PORT.nsqExporter) },
    { purpose: 'Prometheus sends alerts to (and scrapes) Alertmanager', from: mon(WORKLOAD.prometheus), to: mon(WORKLOAD.alertmanager), ports: tcp(PORT.alertmanager) },
    { purpose: 'Prometheus scrapes Grafana', from: mon(WORKLOAD.prometheus), to: mon(WORKLOAD.grafana), ports: tcp(PORT.grafana) },
    { purpose: 'Prometheus service discovery reads the Kubernetes API', from: mon(WORKLOAD.prometheus), to: { kind: 'private' }, ports: tcp(PORT.https, KUBE_APISERVER_PORT) },
    { purpose: 'Prometheus runs the blackbox probes', from: mon(WORKLOAD.prometheus), to: mon(MONITORING_WORKLOAD.blackboxExporter), ports: tcp(MONITORING_PORT.blackboxExporter) },
    {
      purpose: 'Prometheus scrapes kube-state-metrics',
      from: mon(WORKLOAD.prometheus),
      to: mon(MONITORING_WORKLOAD.kubeStateMetrics),
      ports: tcp(MONITORING_PORT.kubeStateMetrics, MONITORING_PORT.kubeStateMetricsTelemetry),
    },
    {
      purpose: 'Prometheus scrapes node addresses: node-exporter (hostNetwork), kubelet, DCGM exporter',
      from: mon(WORKLOAD.prometheus),
      to: { kind: 'private' },
      ports: tcp(MONITORING_PORT.nodeExporter, MONITORING_PORT.kubelet, MONITORING_PORT.dcgmExporter),
    },
    { purpose: 'Prometheus scrapes cert-manager', from: mon(WORKLOAD.prometheus), to: { kind: 'namespace', name: CERT_MANAGER_NAMESPACE }, ports: tcp(MONITORING_PORT.certManager) },
    { purpose: 'kube-state-metrics reads the Kubernetes API', from: mon(MONITORING_WORKLOAD.kubeStateMetrics), to: { kind: 'private' }, ports: tcp(PORT.https, KUBE_APISERVER_PORT) },
    { purpose: 'blackbox exporter probes the Ollama models on /api/tags', from: mon(MONITORING_WORKLOAD.blackboxExporter), to: app(WORKLOAD.ollama), ports: tcp(PORT.ollama) },
    {
      purpose: 'blackbox exporter probes the APIs through their public hosts (load balancer: public or private address)',
      from: mon(MONITORING_WORKLOAD.blackboxExporter),
      to: internet,
      ports: tcp(PORT.https),
    },
    { purpose: 'blackbox exporter probes the APIs through an internal load balancer', from: mon(MONITORING_WORKLOAD.blackboxExporter), to: { kind: 'private' }, ports: tcp(PORT.https) },
    { purpose: 'Grafana queries Prometheus', from: mon(WORKLOAD.grafana), to: mon(WORKLOAD.prometheus), ports: tcp(PORT.prometheus) },
    // Logging (checklist 9b Logging: logs gathered in one store and searchable).
    { purpose: 'log collectors push container logs to Loki', from: mon(MONITORING_WORKLOAD.logCollector), to: mon(MONITORING_WORKLOAD.loki), ports: tcp(MONITORING_PORT.loki) },
    {
      purpose: 'log collectors discover the pods of their node through the Kubernetes API',
      from: mon(MONITORING_WORKLOAD.logCollector),
      to: { kind: 'private' },
      ports: tcp(PORT.https, KUBE_APISERVER_PORT),
    },
    { purpose: 'Grafana searches logs in Loki', from: mon(WORKLOAD.grafana), to: mon(MONITORING_WORKLOAD.loki), ports: tcp(MONITORING_PORT.loki) },
    { purpose: 'Prometheus scrapes Loki', from: mon(WORKLOAD.prometheus), to: mon(MONITORING_WORKLOAD.loki), ports: tcp(MONITORING_PORT.loki) },
    { purpose: 'Prometheus scrapes the log collectors', from: mon(WORKLOAD.prometheus), to: mon(MONITORING_WORKLOAD.logCollector), ports: tcp(MONITORING_PORT.logCollector) },
    { purpose: 'Grafana is reached through the ingress controller', from: { kind: 'namespace', name: INGRESS_CONTROLLER_NAMESPACE }, to: mon(WORKLOAD.grafana), ports: tcp(PORT.grafana) },
    { purpose: 'Alertmanager notifies Slack and PagerDuty (HTTPS) and email (SMTP)', from: mon(WORKLOAD.alertmanager), to: internet, ports: tcp(PORT.https, smtpPort) },
  ];
}

type Policy = k8s.types.input.networking.v1.NetworkPolicy;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** A NetworkPolicy to declare: its namespace key, name and full object. */
export interface PolicySpec {
  namespace: 'app' | 'monitoring';
  name: string;
  /** The workload the policy governs (label value), or a namespace-wide policy's name. */
  subject: string;
  object: Policy;
}

const COMPONENT_OF: Record<string, string> = {
  [WORKLOAD.mongodb]: COMPONENT.database,
  [WORKLOAD.mongodbExporter]: COMPONENT.database,
  [WORKLOAD.mongodbBackup]: COMPONENT.database,
  [WORKLOAD.mongodbIndexes]: COMPONENT.database,
  [WORKLOAD.mongodbRestore]: COMPONENT.database,
  [WORKLOAD.nsqlookupd]: COMPONENT.queue,
  [WORKLOAD.nsqd]: COMPONENT.queue,
  [WORKLOAD.nsqadmin]: COMPONENT.queue,
  [WORKLOAD.nsqExporter]: COMPONENT.queue,
  [WORKLOAD.nsqTopics]: COMPONENT.queue,
  [WORKLOAD.ollama]: COMPONENT.llm,
  [WORKLOAD.ollamaModels]: COMPONENT.llm,
  [WORKLOAD.worker]: COMPONENT.app,
  [WORKLOAD.reviewApi]: COMPONENT.api,
  [WORKLOAD.costApi]: COMPONENT.api,
  [WORKLOAD.prometheus]: COMPONENT.monitoring,
  [WORKLOAD.alertmanager]: COMPONENT.monitoring,
  [WORKLOAD.grafana]: COMPONENT.monitoring,
  [MONITORING_WORKLOAD.blackboxExporter]: COMPONENT.monitoring,
  [MONITORING_WORKLOAD.kubeStateMetrics]: COMPONENT.monitoring,
  [MONITORING_WORKLOAD.loki]: COMPONENT.monitoring,
  [MONITORING_WORKLOAD.logCollector]: COMPONENT.monitoring,
  ...Object.fromEntries(AGENT_WORKLOADS.map((a) => [a, COMPONENT.agent])),
};

/**
 * Every NetworkPolicy of the platform, as plain objects: per namespace a default deny, DNS egress,
 * and per workload an allow policy with the ingress and egress rules of its {@link networkFlows}.
 *
 * @param config the stack config.
 * @param namespaces the app and monitoring namespace names.
 */
export function networkPolicySpecs(config: InfraConfig, namespaces: { app: string; monitoring: string }): PolicySpec[] {
  const nsName = (key: 'app' | 'monitoring') => namespaces[key];
  const labels = (subject: string) => workloadLabels(subject, COMPONENT_OF[subject] ?? COMPONENT.app);
  // The peers of one flow end, seen from a policy in namespace `here`.
  const peersOf = (peer: FlowPeer, here: 'app' | 'monitoring'): Peer[] => {
    switch (peer.kind) {
      case 'pods': {
        const podSelector =
          peer.workloads.length === 1
            ? { matchLabels: nameSelector(peer.workloads[0]!) }
            : { matchExpressions: [{ key: LABEL.name, operator: 'In', values: [...peer.workloads] }] };
        return [
          peer.namespace === here
            ? { podSelector }
            : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': nsName(peer.namespace) } }, podSelector },
        ];
      }
      case 'namespace':
        return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.name } } }];
      case 'internet':
        return [{ ipBlock: { cidr: '0.0.0.0/0', except: [...PRIVATE_RANGES] } }];
      case 'private':
        return PRIVATE_RANGES.map((cidr) => ({ ipBlock: { cidr } }));
    }
  };

  type Rules = { ns: 'app' | 'monitoring'; ingress: { from: Peer[]; ports: FlowPort[] }[]; egress: { to: Peer[]; ports: FlowPort[] }[] };
  const bySubject = new Map<string, Rules>();
  const rulesOf = (ns: 'app' | 'monitoring', workload: string): Rules => {
    const key = `${ns}/${workload}`;
    let rules = bySubject.get(key);
    if (!rules) bySubject.set(key, (rules = { ns, ingress: [], egress: [] }));
    return rules;
  };
  for (const flow of networkFlows(config)) {
    if (flow.from.kind === 'pods') {
      for (const w of flow.from.workloads) rulesOf(flow.from.namespace, w).egress.push({ to: peersOf(flow.to, flow.from.namespace), ports: flow.ports });
    }
    if (flow.to.kind === 'pods') {
      for (const w of flow.to.workloads) rulesOf(flow.to.namespace, w).ingress.push({ from: peersOf(flow.from, flow.to.namespace), ports: flow.ports });
    }
  }

  const specs: PolicySpec[] = [];
  for (const ns of ['app', 'monitoring'] as const) {
    const namespace = nsName(ns);
    specs.push({
      namespace: ns,
      name: DEFAULT_DENY_POLICY,
      subject: DEFAULT_DENY_POLICY,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: DEFAULT_DENY_POLICY, namespace, labels: { [LABEL.name]: DEFAULT_DENY_POLICY, [LABEL.partOf]: PART_OF } },
        // Empty selector, both types, no rules: nothing in or out unless another policy allows it.
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
    });
    specs.push({
      namespace: ns,
      name: DNS_EGRESS_POLICY,
      subject: DNS_EGRESS_POLICY,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: DNS_EGRESS_POLICY, namespace, labels: { [LABEL.name]: DNS_EGRESS_POLICY, [LABEL.partOf]: PART_OF } },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                },
              ],
              ports: [
                { port: 53, protocol: 'UDP' },
                { port: 53, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    });
  }
  for (const [key, rules] of bySubject) {
    const workload = key.slice(key.indexOf('/') + 1);
    const name = `allow-${workload}`;
    const policyTypes = [...(rules.ingress.length ? ['Ingress'] : []), ...(rules.egress.length ? ['Egress'] : [])];
    specs.push({
      namespace: rules.ns,
      name,
      subject: workload,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: nsName(rules.ns), labels: labels(workload) },
        spec: {
          podSelector: { matchLabels: nameSelector(workload) },
          policyTypes,
          ...(rules.ingress.length ? { ingress: rules.ingress } : {}),
          ...(rules.egress.length ? { egress: rules.egress } : {}),
        },
      },
    });
  }
  return specs;
}

/**
 * ingress-nginx annotations of an API's Ingress: rate limit (checklist 9a-net-11), CORS
 * (checklist 9a-net-12), HTTPS only, and HTTPS to the backend
 * verified against our CA (`ca.crt` of the cert-manager Secret).
 */
export function apiIngressAnnotations(config: InfraConfig, namespace: string, service: string, tlsSecret: string): Record<string, string> {
  const nginx = 'nginx.ingress.kubernetes.io';
  return {
    [`${nginx}/limit-rpm`]: String(config.apis.rateLimitPerMinute),
    [`${nginx}/enable-cors`]: 'true',
    [`${nginx}/cors-allow-origin`]: config.apis.corsOrigins.join(', '),
    [`${nginx}/cors-allow-methods`]: 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    [`${nginx}/cors-allow-headers`]: 'Authorization, Content-Type',
    [`${nginx}/cors-allow-credentials`]: 'false',
    [`${nginx}/ssl-redirect`]: 'true',
    [`${nginx}/force-ssl-redirect`]: 'true',
    // The APIs serve TLS themselves (API_TLS_CERT_FILE); re-encrypt and verify to the pod.
    [`${nginx}/backend-protocol`]: 'HTTPS',
    [`${nginx}/proxy-ssl-secret`]: `${namespace}/${tlsSecret}`,
    [`${nginx}/proxy-ssl-verify`]: 'on',
    [`${nginx}/proxy-ssl-name`]: `${service}.${namespace}.svc`,
    [`${nginx}/proxy-ssl-server-name`]: 'on',
    [ANNOTATION.publicEndpoint]: 'true',
  };
}

/** Arguments of {@link NetworkSegmentation}: only the common ones. */
export type NetworkSegmentationArgs = ComponentBaseArgs;

/**
 * Declares the network boundaries of one stack.
 *
 * Outputs: {@link policyNames}, {@link ingressNames} (Kubernetes); {@link dockerNetworks} (Docker).
 */
export class NetworkSegmentation extends pulumi.ComponentResource {
  /** `namespace/name` of every NetworkPolicy (empty on Docker). */
  readonly policyNames: string[];
  /** `namespace/name` of the API Ingresses (empty on Docker). */
  readonly ingressNames: string[];
  private readonly networks: DockerNetworks | undefined;

  constructor(name: string, args: NetworkSegmentationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETWORK_SEGMENTATION_TYPE, name, {}, opts);
    const { config, target } = args;
    this.policyNames = [];
    this.ingressNames = [];

    if (target.kind === 'docker') {
      const labels = (role: string) => dockerLabels({ [LABEL.name]: `network-${role}`, [LABEL.partOf]: PART_OF });
      this.networks = {
        backendNetwork: new docker.Network(
          `${name}-backend`,
          { name: DOCKER_NETWORK.backend, driver: 'bridge', internal: true, labels: labels('backend') },
          { parent: this, provider: target.provider },
        ),
        frontendNetwork: new docker.Network(
          `${name}-frontend`,
          { name: DOCKER_NETWORK.frontend, driver: 'bridge', internal: false, labels: labels('frontend') },
          { parent: this, provider: target.provider },
        ),
      };
    } else {
      this.networks = undefined;
      const kopts = { parent: this, provider: target.provider, dependsOn: target.namespaces };
      const namespaces = { app: target.namespace, monitoring: target.monitoringNamespace };
      for (const spec of networkPolicySpecs(config, namespaces)) {
        new k8s.networking.v1.NetworkPolicy(`${name}-${spec.namespace}-${spec.name}`, spec.object, kopts);
        this.policyNames.push(`${namespaces[spec.namespace]}/${spec.name}`);
      }

      const ingressDeps: pulumi.Resource[] = [...target.namespaces];
      if (config.ingress.installController) {
        ingressDeps.push(
          helmRelease(
            `${name}-ingress-nginx`,
            {
              chart: 'ingress-nginx',
              version: config.ingress.controllerVersion,
              namespace: INGRESS_CONTROLLER_NAMESPACE,
              repo: INGRESS_NGINX_REPO,
              values: {
                controller: {
                  ingressClass: config.ingress.className,
                  ingressClassResource: { name: config.ingress.className, enabled: true, default: false },
                  replicaCount: 2,
                  service: { type: 'LoadBalancer', annotations: { [ANNOTATION.ingressController]: 'true' } },
                  metrics: { enabled: true },
                  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                  config: { hsts: 'true' },
                },
              },
            },
            { parent: this, provider: target.provider, dependsOn: target.namespaces },
          ),
        );
      }
      const apis = [
        { service: WORKLOAD.reviewApi, host: config.apis.reviewHost, port: PORT.reviewApi, tlsSecret: TLS_SECRET.reviewApi },
        { service: WORKLOAD.costApi, host: config.apis.costHost, port: PORT.costApi, tlsSecret: TLS_SECRET.costApi },
      ];
      for (const api of apis) {
        new k8s.networking.v1.Ingress(
          `${name}-${api.service}-ingress`,
          {
            metadata: {
              name: api.service,
              namespace: target.namespace,
              labels: workloadLabels(api.service, COMPONENT.api),
              annotations: apiIngressAnnotations(config, target.namespace, api.service, api.tlsSecret),
            },
            spec: {
              ingressClassName: config.ingress.className,
              tls: [{ hosts: [api.host], secretName: api.tlsSecret }],
              rules: [
                {
                  host: api.host,
                  http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: api.service, port: { number: api.port } } } }] },
                },
              ],
            },
          },
          { parent: this, provider: target.provider, dependsOn: ingressDeps },
        );
        this.ingressNames.push(`${target.namespace}/${api.service}`);
      }
    }

    this.registerOutputs({
      policyNames: this.policyNames,
      ingressNames: this.ingressNames,
      backendNetwork: this.networks?.backendNetwork.name,
      frontendNetwork: this.networks?.frontendNetwork.name,
    });
  }

  /**
   * The Docker networks, to merge into the Docker target before the other components are created.
   * @throws pulumi.ResourceError on a Kubernetes target (NetworkPolicies there, not networks).
   */
  dockerNetworks(): DockerNetworks {
    if (!this.networks) throw new pulumi.ResourceError('dockerNetworks() is only available on the Docker target', this);
    return this.networks;
  }
}
