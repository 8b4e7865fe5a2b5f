/**
 * Nsq (`enrichment:queue:Nsq`): the message queue between ingest and the EnrichmentWorker
 * (`NSQD_TCP_ADDRESS`, `NSQLOOKUPD_HTTP_ADDRESSES`), image `nsqio/nsq`.
 *
 * Checklist Phase 9a, message queue setup:
 * - checklist 9a-mq-01, 9a-mq-02 (a production cluster whose lookup service survives losing a
 *   node): an nsqlookupd StatefulSet of `nsqlookupdReplicas` (stable names for every nsqd's
 *   `--lookupd-tcp-address`), a headless Service and a PDB.
 * - checklist 9a-mq-03 (more than one nsqd): an nsqd StatefulSet of `nsqdReplicas`, each
 *   advertising its stable headless-Service DNS name
 *   (`--broadcast-address=<pod>.nsqd.<ns>.svc.cluster.local`, from the downward API) rather than
 *   its pod IP, which changes on every reschedule while consumers keep the address nsqlookupd
 *   gave them; a PVC each, a PDB.
 * - checklist 9a-mq-04 (the pipeline's topic exists up front): the `nsq-topics` Job creates every
 *   topic of `TOPICS` (`enrichment`, `enrichment_dead`) on every nsqd through
 *   `POST /topic/create`, annotated {@link ANNOTATION.nsqTopics}.
 * - checklist 9a-mq-05 (how long messages are kept): see {@link nsqdArgs}.
 * - checklist 9a-mq-06 (metrics on backlog and throughput): lovoo/nsq_exporter (topic and
 *   channel depth, in-flight, requeued, timed-out counts) per nsqd, behind the `nsq-exporter`
 *   Service; nsqadmin for people.
 *
 * Kubernetes objects: ConfigMap `nsq-scripts`; StatefulSet, headless Service and PDB `nsqlookupd`;
 * StatefulSet, headless Service `nsqd` (pod DNS names; also what `endpoints().nsqdTcp` resolves, to
 * the ready pods), ClusterIP Service `nsqd-client` and PDB `nsqd`; StatefulSet, headless Service and
 * PDB `nsq-exporter`; Deployment and ClusterIP Service `nsqadmin`; Job `nsq-topics`.
 *
 * Docker (dev): `nsqlookupd` and `nsqd` containers (nsqd advertises its container name, keeps its
 * data in a named volume), an `nsq-exporter` per nsqd, and a one-shot `nsq-topics` container running
 * the Job's script. No nsqadmin: its UI would need a published port, and dev publishes only the
 * APIs and Grafana.
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { ContainerResources, InfraConfig } from '../config.js';
import { ANNOTATION, COMPONENT, PART_OF, PORT, TOPICS, WORKLOAD } from '../conventions.js';
import { endpoints } from '../endpoints.js';
import { dockerLogging, remoteImage, wgetHealthcheck } from '../lib/docker.js';
import { containerSecurityContext, httpGetProbe, oneShotJobOptions, podDisruptionBudget, podSecurityContext, preferOnePodPerNode, volumeClaimTemplate } from '../lib/kubernetes.js';
import { dockerWorkloadLabels, workloadLabels } from '../lib/labels.js';
import { dockerLimits, k8sResources } from '../lib/resources.js';
import { readScript, SCRIPTS_MOUNT, SCRIPTS_SHA_ANNOTATION, scriptsVolume, scriptUploads, sha256Hex } from '../lib/scripts.js';
import type { ComponentBaseArgs, DockerTarget, KubernetesTarget } from '../types.js';

/** The Pulumi type token of {@link Nsq}. */
export const NSQ_TYPE = 'enrichment:queue:Nsq';

/**
 * Prometheus exporter of one nsqd's `/stats` (https://github.com/lovoo/nsq_exporter; alpine, entry
 * `/nsq_exporter`). The project publishes no version tags beyond `latest`: pin it by digest in
 * the registry mirror used for production.
 */
export const NSQ_EXPORTER_IMAGE = 'lovoo/nsq_exporter:latest';
/** The exporter's collectors: topic and channel depth and counts, and per-client in-flight counts. */
export const NSQ_EXPORTER_COLLECTORS = 'stats.topics,stats.channels,stats.clients';
/** uid of `nobody`: the nsq images run as root by default and need no privilege. */
export const NSQ_UID = 65534;
/** nsqd's `--data-path`: the PVC (Kubernetes) or named volume (Docker). */
export const NSQD_DATA_PATH = '/data';
/** ClusterIP Service of nsqd for publishers that prefer one virtual IP over the headless name. */
export const NSQD_CLIENT_SERVICE = 'nsqd-client';
/** ConfigMap of the topic Job's script. */
export const NSQ_SCRIPTS_CONFIGMAP = 'nsq-scripts';
/**
 * Seconds nsqd gets between SIGTERM and SIGKILL: on SIGTERM it stops accepting, then writes its
 * in-memory messages and metadata to `--data-path`.
 */
export const NSQD_TERMINATION_GRACE_SECONDS = 60;
/** Longest the topic Job may take, seconds (it waits for every nsqd to answer). */
export const TOPICS_DEADLINE_SECONDS = 900;
/** The exporter, nsqadmin and the topic Job: not sized by config. */
export const SMALL_RESOURCES: ContainerResources = { cpuRequest: '25m', memoryRequest: '32Mi', cpuLimit: '250m', memoryLimit: '128Mi' };

/** The topic script (`scripts/nsq-topics.sh`), run by the Job and the Docker one-shot container. */
export const NSQ_TOPICS_SCRIPT = readScript('nsq-topics.sh');

/** Arguments of {@link Nsq}: only the common ones. */
export type NsqArgs = ComponentBaseArgs;

/**
 * The arguments of one nsqd.
 *
 * Message retention (checklist 9a-mq-05): NSQ keeps a message until a
 * consumer finishes it, with no age limit; what must be configured is where it is kept. Each
 * topic and channel holds up to `--mem-queue-size` (`config.nsq.memQueueSize`) messages in memory
 * and writes the rest to disk queue files under `--data-path`, which is the pod's own PVC, so a
 * backlog outlives the pod. On SIGTERM nsqd writes its in-memory messages and its topic/channel
 * metadata to the same path and reloads them at start ({@link NSQD_TERMINATION_GRACE_SECONDS}). Only
 * an unclean kill can lose the in-memory part; `memQueueSize: 0` sends every message to disk.
 * `--max-msg-timeout` bounds how long a consumer may hold a message (`TOUCH`) before it is
 * requeued; messages that exhaust their attempts go to `enrichment_dead` (the worker's doing).
 *
 * @param config            the stack config (`nsq.memQueueSize`, `nsq.maxMsgTimeoutSeconds`).
 * @param broadcastAddress  the name nsqd registers with nsqlookupd and consumers connect to.
 * @param lookupdTcp        `host:port` of every nsqlookupd (`endpoints().nsqlookupdTcp`).
 */
export function nsqdArgs(config: InfraConfig, broadcastAddress: string, lookupdTcp: readonly string[]): string[] {
  return [
    `--data-path=${NSQD_DATA_PATH}`,
    `--tcp-address=0.0.0.0:${PORT.nsqdTcp}`,
    `--http-address=0.0.0.0:${PORT.nsqdHttp}`,
    `--broadcast-address=${broadcastAddress}`,
    `--mem-queue-size=${config.nsq.memQueueSize}`,
    `--max-msg-timeout=${config.nsq.maxMsgTimeoutSeconds}s`,
    ...lookupdTcp.map((address) => `--lookupd-tcp-address=${address}`),
  ];
}

const labelsOf = (workload: string) => workloadLabels(workload, COMPONENT.queue);
const dockerLabelsOf = (workload: string, extra: Record<string, string> = {}) => dockerWorkloadLabels(workload, COMPONENT.queue, extra);
const hostOf = (address: string) => address.split(':')[0]!;
const restricted = containerSecurityContext({ readOnlyRootFilesystem: true });
const podSecurity = podSecurityContext(NSQ_UID);
const podNameEnv = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
const httpProbe = (port: number | string, pathname: string, periodSeconds: number) => httpGetProbe({ path: pathname, port }, { periodSeconds });

/**
 * Deploys nsqlookupd, nsqd, the exporters, nsqadmin (Kubernetes) and creates the topics.
 *
 * Outputs: {@link nsqdTcpAddress}, {@link nsqdHttpAddress}, {@link nsqlookupdHttpAddresses},
 * {@link nsqadminAddress}, {@link topics}, {@link exporterAddresses}.
 */
export class Nsq extends pulumi.ComponentResource {
  /** Publishers' `NSQD_TCP_ADDRESS` (`endpoints().nsqdTcp`). */
  readonly nsqdTcpAddress: string;
  /** `NSQD_HTTP_ADDRESS` (`endpoints().nsqdHttp`). */
  readonly nsqdHttpAddress: string;
  /** Consumers' `NSQLOOKUPD_HTTP_ADDRESSES` (`endpoints().nsqlookupdHttp`). */
  readonly nsqlookupdHttpAddresses: string[];
  /** `host:port` of nsqadmin (Kubernetes; reach it with `kubectl port-forward`), undefined on Docker. */
  readonly nsqadminAddress: string | undefined;
  /** Topics created on every nsqd. */
  readonly topics: string[];
  /** `host:port` of each nsqd's exporter (`/metrics`), nsqd order. */
  readonly exporterAddresses: string[];
  /** The topic Job (Kubernetes) or one-shot container (Docker): the topics exist after it. */
  readonly topicsReady: pulumi.Resource;

  constructor(name: string, args: NsqArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NSQ_TYPE, name, {}, opts);
    const { config, target } = args;
    const ns = target.kind === 'kubernetes' ? target.namespace : undefined;
    const ep = endpoints(config, ns);
    this.nsqdTcpAddress = ep.nsqdTcp;
    this.nsqdHttpAddress = ep.nsqdHttp;
    this.nsqlookupdHttpAddresses = ep.nsqlookupdHttp;
    this.topics = [...TOPICS];
    // Exporter i scrapes nsqd i; on Kubernetes it is pod i of the nsq-exporter StatefulSet.
    this.exporterAddresses = ep.nsqExportersHttp;
    if (target.kind === 'kubernetes') {
      this.nsqadminAddress = `${WORKLOAD.nsqadmin}.${target.namespace}.svc.cluster.local:${PORT.nsqadmin}`;
      this.topicsReady = this.kubernetes(name, config, target);
    } else {
      this.nsqadminAddress = undefined;
      this.topicsReady = this.docker(name, config, target);
    }
    this.registerOutputs({
      nsqdTcpAddress: this.nsqdTcpAddress,
      nsqdHttpAddress: this.nsqdHttpAddress,
      nsqlookupdHttpAddresses: this.nsqlookupdHttpAddresses,
      nsqadminAddress: this.nsqadminAddress,
      topics: this.topics,
      exporterAddresses: this.exporterAddresses,
    });
  }

  private kubernetes(name: string, config: InfraConfig, target: KubernetesTarget): pulumi.Resource {
    const n = config.nsq;
    const ns = target.namespace;
    const ep = endpoints(config, ns);
    const opts = { parent: this, provider: target.provider, dependsOn: [...target.namespaces] };
    const pdb = (id: string, workload: string, labels: Record<string, string>) =>
      podDisruptionBudget(`${name}-${id}-pdb`, { name: workload, namespace: ns, labels }, labels, opts);

    // --- nsqlookupd ---
    const lookupdLabels = labelsOf(WORKLOAD.nsqlookupd);
    const lookupdService = new k8s.core.v1.Service(
      `${name}-nsqlookupd-headless`,
      {
        metadata: { name: WORKLOAD.nsqlookupd, namespace: ns, labels: lookupdLabels },
        spec: {
          clusterIP: 'None',
          // nsqd connects to every nsqlookupd by name from its start; unready ones are retried.
          publishNotReadyAddresses: true,
          selector: lookupdLabels,
          ports: [
            { name: 'tcp', port: PORT.nsqlookupdTcp, targetPort: 'tcp', protocol: 'TCP' },
            { name: 'http', port: PORT.nsqlookupdHttp, targetPort: 'http', protocol: 'TCP' },
          ],
        },
      },
      opts,
    );
    const lookupd = new k8s.apps.v1.StatefulSet(
      `${name}-nsqlookupd`,
      {
        metadata: { name: WORKLOAD.nsqlookupd, namespace: ns, labels: lookupdLabels },
        spec: {
          serviceName: WORKLOAD.nsqlookupd,
          replicas: n.nsqlookupdReplicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: lookupdLabels },
          template: {
            metadata: { labels: lookupdLabels },
            spec: {
              securityContext: podSecurity,
              affinity: preferOnePodPerNode(lookupdLabels),
              containers: [
                {
                  name: 'nsqlookupd',
                  image: n.image,
                  command: ['/nsqlookupd'],
                  args: [
                    `--tcp-address=0.0.0.0:${PORT.nsqlookupdTcp}`,
                    `--http-address=0.0.0.0:${PORT.nsqlookupdHttp}`,
                    `--broadcast-address=$(POD_NAME).${WORKLOAD.nsqlookupd}.${ns}.svc.cluster.local`,
                  ],
                  env: [podNameEnv],
                  ports: [
                    { name: 'tcp', containerPort: PORT.nsqlookupdTcp, protocol: 'TCP' },
                    { name: 'http', containerPort: PORT.nsqlookupdHttp, protocol: 'TCP' },
                  ],
                  resources: k8sResources(n.resources),
                  livenessProbe: httpProbe('http', '/ping', 20),
                  readinessProbe: httpProbe('http', '/ping', 10),
                  securityContext: restricted,
                },
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, lookupdService] },
    );
    pdb('nsqlookupd', WORKLOAD.nsqlookupd, lookupdLabels);

    // --- nsqd ---
    const nsqdLabels = labelsOf(WORKLOAD.nsqd);
    const nsqdPorts = [
      { name: 'tcp', port: PORT.nsqdTcp, targetPort: 'tcp', protocol: 'TCP' },
      { name: 'http', port: PORT.nsqdHttp, targetPort: 'http', protocol: 'TCP' },
    ];
    // Headless: gives each pod its stable name (<pod>.nsqd.<ns>.svc.cluster.local), the address it
    // broadcasts; its own name resolves to the ready pods (publishers, endpoints().nsqdTcp).
    const nsqdService = new k8s.core.v1.Service(
      `${name}-nsqd-headless`,
      { metadata: { name: WORKLOAD.nsqd, namespace: ns, labels: nsqdLabels }, spec: { clusterIP: 'None', selector: nsqdLabels, ports: nsqdPorts } },
      opts,
    );
    new k8s.core.v1.Service(
      `${name}-nsqd-client`,
      { metadata: { name: NSQD_CLIENT_SERVICE, namespace: ns, labels: nsqdLabels }, spec: { type: 'ClusterIP', selector: nsqdLabels, ports: nsqdPorts } },
      opts,
    );
    const nsqd = new k8s.apps.v1.StatefulSet(
      `${name}-nsqd`,
      {
        metadata: { name: WORKLOAD.nsqd, namespace: ns, labels: nsqdLabels },
        spec: {
          serviceName: WORKLOAD.nsqd,
          replicas: n.nsqdReplicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: nsqdLabels },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          template: {
            metadata: { labels: nsqdLabels },
            spec: {
              securityContext: podSecurity,
              terminationGracePeriodSeconds: NSQD_TERMINATION_GRACE_SECONDS,
              affinity: preferOnePodPerNode(nsqdLabels),
              containers: [
                {
                  name: 'nsqd',
                  image: n.image,
                  command: ['/nsqd'],
                  // $(POD_NAME) is expanded by the kubelet from the env below (downward API).
                  args: nsqdArgs(config, `$(POD_NAME).${WORKLOAD.nsqd}.${ns}.svc.cluster.local`, ep.nsqlookupdTcp),
                  env: [podNameEnv],
                  ports: [
                    { name: 'tcp', containerPort: PORT.nsqdTcp, protocol: 'TCP' },
                    { name: 'http', containerPort: PORT.nsqdHttp, protocol: 'TCP' },
                  ],
                  resources: k8sResources(n.resources),
                  livenessProbe: httpProbe('http', '/ping', 20),
                  readinessProbe: httpProbe('http', '/ping', 10),
                  securityContext: restricted,
                  volumeMounts: [{ name: 'data', mountPath: NSQD_DATA_PATH }],
                },
              ],
            },
          },
          volumeClaimTemplates: [volumeClaimTemplate('data', nsqdLabels, n.nsqdStorageSize)],
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, nsqdService, lookupd] },
    );
    pdb('nsqd', WORKLOAD.nsqd, nsqdLabels);

    // --- exporters: pod i scrapes nsqd-i (the exporter reads one nsqd's /stats) ---
    const exporterLabels = labelsOf(WORKLOAD.nsqExporter);
    new k8s.core.v1.Service(
      `${name}-exporter-headless`,
      {
        metadata: { name: WORKLOAD.nsqExporter, namespace: ns, labels: exporterLabels },
        spec: {
          // Headless: DNS and endpoints list every exporter pod, so each nsqd is scraped.
          clusterIP: 'None',
          selector: exporterLabels,
          ports: [{ name: 'metrics', port: PORT.nsqExporter, targetPort: 'metrics', protocol: 'TCP' }],
        },
      },
      opts,
    );
    new k8s.apps.v1.StatefulSet(
      `${name}-exporter`,
      {
        metadata: { name: WORKLOAD.nsqExporter, namespace: ns, labels: exporterLabels },
        spec: {
          serviceName: WORKLOAD.nsqExporter,
          replicas: n.nsqdReplicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: exporterLabels },
          template: {
            metadata: { labels: exporterLabels },
            spec: {
              securityContext: podSecurity,
              containers: [
                {
                  name: 'exporter',
                  image: NSQ_EXPORTER_IMAGE,
                  // The ordinal of nsq-exporter-<i> names nsqd-<i>.
                  command: [
                    '/bin/sh',
                    '-c',
                    `exec /nsq_exporter -nsqd.addr="http://${WORKLOAD.nsqd}-\${POD_NAME##*-}.${WORKLOAD.nsqd}.${ns}.svc.cluster.local:${PORT.nsqdHttp}/stats" ` +
                      `-collect=${NSQ_EXPORTER_COLLECTORS} -web.listen=:${PORT.nsqExporter}`,
                  ],
                  env: [podNameEnv],
                  ports: [{ name: 'metrics', containerPort: PORT.nsqExporter, protocol: 'TCP' }],
                  resources: k8sResources(SMALL_RESOURCES),
                  livenessProbe: httpProbe('metrics', '/', 30),
                  readinessProbe: httpProbe('metrics', '/', 10),
                  securityContext: restricted,
                },
              ],
            },
          },
        },
      },
      opts,
    );
    pdb('exporter', WORKLOAD.nsqExporter, exporterLabels);

    // --- nsqadmin (ClusterIP only: it can delete topics and has no authentication) ---
    const adminLabels = labelsOf(WORKLOAD.nsqadmin);
    new k8s.apps.v1.Deployment(
      `${name}-nsqadmin`,
      {
        metadata: { name: WORKLOAD.nsqadmin, namespace: ns, labels: adminLabels },
        spec: {
          replicas: 1,
          selector: { matchLabels: adminLabels },
          template: {
            metadata: { labels: adminLabels },
            spec: {
              securityContext: podSecurity,
              containers: [
                {
                  name: 'nsqadmin',
                  image: n.image,
                  command: ['/nsqadmin'],
                  args: [`--http-address=0.0.0.0:${PORT.nsqadmin}`, ...ep.nsqlookupdHttp.map((a) => `--lookupd-http-address=${a}`)],
                  ports: [{ name: 'http', containerPort: PORT.nsqadmin, protocol: 'TCP' }],
                  resources: k8sResources(SMALL_RESOURCES),
                  livenessProbe: httpProbe('http', '/ping', 20),
                  readinessProbe: httpProbe('http', '/ping', 10),
                  securityContext: restricted,
                },
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [...opts.dependsOn, lookupd] },
    );
    new k8s.core.v1.Service(
      `${name}-nsqadmin-service`,
      {
        metadata: { name: WORKLOAD.nsqadmin, namespace: ns, labels: adminLabels },
        spec: { type: 'ClusterIP', selector: adminLabels, ports: [{ name: 'http', port: PORT.nsqadmin, targetPort: 'http', protocol: 'TCP' }] },
      },
      opts,
    );

    // --- topics ---
    const scriptFiles = { 'nsq-topics.sh': NSQ_TOPICS_SCRIPT };
    const scripts = scriptsVolume(NSQ_SCRIPTS_CONFIGMAP);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      { metadata: { name: NSQ_SCRIPTS_CONFIGMAP, namespace: ns, labels: labelsOf(WORKLOAD.nsqTopics) }, data: scriptFiles },
      opts,
    );
    const topicLabels = labelsOf(WORKLOAD.nsqTopics);
    const topicAnnotations = { [ANNOTATION.nsqTopics]: TOPICS.join(',') };
    return new k8s.batch.v1.Job(
      `${name}-topics`,
      {
        metadata: {
          name: WORKLOAD.nsqTopics,
          namespace: ns,
          labels: topicLabels,
          annotations: { ...topicAnnotations, 'pulumi.com/replaceUnready': 'true' },
        },
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: TOPICS_DEADLINE_SECONDS,
          template: {
            metadata: {
              labels: topicLabels,
              annotations: { ...topicAnnotations, [SCRIPTS_SHA_ANNOTATION]: sha256Hex(NSQ_TOPICS_SCRIPT) },
            },
            spec: {
              restartPolicy: 'Never',
              securityContext: podSecurity,
              containers: [
                {
                  name: 'topics',
                  image: n.image,
                  command: ['sh', `${SCRIPTS_MOUNT}/nsq-topics.sh`],
                  env: [
                    { name: 'NSQD_HTTP_ADDRESSES', value: ep.nsqdPodsHttp.join(',') },
                    { name: 'NSQ_TOPICS', value: TOPICS.join(',') },
                  ],
                  resources: k8sResources(SMALL_RESOURCES),
                  securityContext: restricted,
                  volumeMounts: [scripts.mount],
                },
              ],
              volumes: [scripts.volume],
            },
          },
        },
      },
      {
        ...opts,
        dependsOn: [...opts.dependsOn, nsqd, configMap],
        ...oneShotJobOptions(TOPICS_DEADLINE_SECONDS),
      },
    );
  }

  private docker(name: string, config: InfraConfig, target: DockerTarget): pulumi.Resource {
    const n = config.nsq;
    const ep = endpoints(config);
    const dopts = { parent: this, provider: target.provider };
    const image = remoteImage(`${name}-image`, n.image, dopts);
    const exporterImage = remoteImage(`${name}-exporter-image`, NSQ_EXPORTER_IMAGE, dopts);
    const backend = (alias: string) => [{ name: target.backendNetwork.name, aliases: [alias] }];
    // nsqd, nsqlookupd and the exporter answer within milliseconds once up, and start in seconds.
    const wgetCheck = (port: number, pathname: string) => wgetHealthcheck(port, pathname, { interval: '30s', timeout: '5s', retries: 3, startPeriod: '10s' });

    const lookupds = ep.nsqlookupdTcp.map((address, i) => {
      const host = hostOf(address);
      return new docker.Container(
        `${name}-nsqlookupd-${i}`,
        {
          name: host,
          image: image.imageId,
          command: ['/nsqlookupd', `--tcp-address=0.0.0.0:${PORT.nsqlookupdTcp}`, `--http-address=0.0.0.0:${PORT.nsqlookupdHttp}`, `--broadcast-address=${host}`],
          restart: 'unless-stopped',
          ...dockerLogging(),
          ...dockerLimits(n.resources),
          healthcheck: wgetCheck(PORT.nsqlookupdHttp, '/ping'),
          networksAdvanced: backend(host),
          labels: dockerLabelsOf(WORKLOAD.nsqlookupd),
        },
        dopts,
      );
    });

    const nsqds = ep.nsqdPodsHttp.map((address, i) => {
      const host = hostOf(address);
      const volume = new docker.Volume(`${name}-nsqd-data-${i}`, { name: `${PART_OF}-${host}-data`, labels: dockerLabelsOf(WORKLOAD.nsqd) }, dopts);
      return new docker.Container(
        `${name}-nsqd-${i}`,
        {
          name: host,
          image: image.imageId,
          command: ['/nsqd', ...nsqdArgs(config, host, ep.nsqlookupdTcp)],
          restart: 'unless-stopped',
          ...dockerLogging(),
          // Room to write the in-memory messages to the volume on `docker stop`.
          stopTimeout: NSQD_TERMINATION_GRACE_SECONDS,
          ...dockerLimits(n.resources),
          healthcheck: wgetCheck(PORT.nsqdHttp, '/ping'),
          wait: true,
          waitTimeout: 120,
          volumes: [{ volumeName: volume.name, containerPath: NSQD_DATA_PATH }],
          networksAdvanced: backend(host),
          labels: dockerLabelsOf(WORKLOAD.nsqd),
        },
        { ...dopts, dependsOn: lookupds },
      );
    });

    ep.nsqdPodsHttp.forEach((address, i) => {
      const host = hostOf(this.exporterAddresses[i]!);
      new docker.Container(
        `${name}-exporter-${i}`,
        {
          name: host,
          image: exporterImage.imageId,
          command: [`-nsqd.addr=http://${address}/stats`, `-collect=${NSQ_EXPORTER_COLLECTORS}`, `-web.listen=:${PORT.nsqExporter}`],
          restart: 'unless-stopped',
          ...dockerLogging(),
          ...dockerLimits(SMALL_RESOURCES),
          healthcheck: wgetCheck(PORT.nsqExporter, '/'),
          networksAdvanced: backend(host),
          labels: dockerLabelsOf(WORKLOAD.nsqExporter),
        },
        { ...dopts, dependsOn: [nsqds[i]!] },
      );
    });

    // One-shot: the Job's script against every nsqd.
    return new docker.Container(
      `${name}-topics`,
      {
        name: WORKLOAD.nsqTopics,
        image: image.imageId,
        entrypoints: ['sh', `${SCRIPTS_MOUNT}/nsq-topics.sh`],
        envs: [`NSQD_HTTP_ADDRESSES=${ep.nsqdPodsHttp.join(',')}`, `NSQ_TOPICS=${TOPICS.join(',')}`],
        uploads: scriptUploads({ 'nsq-topics.sh': NSQ_TOPICS_SCRIPT }),
        restart: 'no',
        ...dockerLogging(),
        mustRun: false,
        ...dockerLimits(SMALL_RESOURCES),
        networksAdvanced: backend(WORKLOAD.nsqTopics),
        labels: dockerLabelsOf(WORKLOAD.nsqTopics, { [ANNOTATION.nsqTopics]: TOPICS.join(',') }),
      },
      { ...dopts, dependsOn: nsqds },
    );
  }
}
