/**
 * Nsq (`enrichment:queue:Nsq`), planned under Pulumi mocks on Kubernetes (prod, staging) and
 * Docker (dev). The topic script runs against the real nsqd of the test run
 * (tests/global-setup.ts), and the exporter's start command in a real shell.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInfraConfig, type InfraConfig, type StackName } from '../../infra/src/config.js';
import { ANNOTATION, LABEL, PORT, TOPICS, WORKLOAD } from '../../infra/src/conventions.js';
import { endpoints } from '../../infra/src/endpoints.js';
import { byName, ofType, type Plan } from '../../infra/src/plan.js';
import { NSQ_EXPORTER_IMAGE, NSQ_TOPICS_SCRIPT, NSQ_TYPE, Nsq, nsqdArgs } from '../../infra/src/components/nsq.js';
import { services, uniqueTopic } from '../support/services.js';
import { componentObjects, envVar as envOf, expectConventionalMetadata, expectSchemaValid, planComponent, TEST_NETWORK, TYPE } from './support.js';

const { statefulSet: STS, deployment: DEPLOYMENT, job: JOB, service: SVC, configMap: CONFIGMAP, pdb: PDB, container: CONTAINER, volume: VOLUME } = TYPE;

async function plan(stack: StackName, overrides?: Record<string, unknown>): Promise<{ plan: Plan; nsq: Nsq }> {
  const { plan: p, component: nsq } = await planComponent(stack, (args) => new Nsq('nsq', args), {
    overrides,
    outputs: (c) => ({ nsqdTcpAddress: c.nsqdTcpAddress }),
  });
  return { plan: p, nsq };
}

const sts = (p: Plan, name: string) => byName(p, STS, name).inputs;
/** The containerPort a probe's named port refers to. */
const probePort = (c: any, probe: any) => (c.ports as any[]).find((port) => port.name === probe.httpGet.port)?.containerPort;

describe('Nsq on Kubernetes (prod)', () => {
  let p: Plan;
  let nsq: Nsq;
  let config: InfraConfig;
  beforeAll(async () => {
    ({ plan: p, nsq } = await plan('prod'));
    config = p.config;
  });

  it('is one component whose Kubernetes children all carry explicit names, the namespace and the three labels', () => {
    expect(ofType(p, NSQ_TYPE)).toHaveLength(1);
    const objects = componentObjects(p);
    expect(objects.map((r) => `${r.inputs.kind}/${r.inputs.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/nsq-scripts',
        'Deployment/nsqadmin',
        'Job/nsq-topics',
        'PodDisruptionBudget/nsq-exporter',
        'PodDisruptionBudget/nsqd',
        'PodDisruptionBudget/nsqlookupd',
        'Service/nsq-exporter',
        'Service/nsqadmin',
        'Service/nsqd',
        'Service/nsqd-client',
        'Service/nsqlookupd',
        'StatefulSet/nsq-exporter',
        'StatefulSet/nsqd',
        'StatefulSet/nsqlookupd',
      ].sort(),
    );
    for (const r of objects) expectConventionalMetadata(r, config.namespace);
  });

  it('runs nsqlookupd as a StatefulSet of config.nsq.nsqlookupdReplicas behind a headless Service, with a PDB and /ping probes', () => {
    const lookupd = sts(p, 'nsq-nsqlookupd');
    expect(config.nsq.nsqlookupdReplicas).toBe(3);
    expect(lookupd.spec.replicas).toBe(config.nsq.nsqlookupdReplicas);
    const svc = byName(p, SVC, 'nsq-nsqlookupd-headless').inputs;
    expect(svc.spec.clusterIP).toBe('None');
    expect(lookupd.spec.serviceName).toBe(svc.metadata.name);
    const c = lookupd.spec.template.spec.containers[0];
    expect(c.image).toBe(config.nsq.image);
    expect(c.args).toContain(`--broadcast-address=$(POD_NAME).nsqlookupd.${config.namespace}.svc.cluster.local`);
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.path).toBe('/ping');
      expect(probePort(c, probe)).toBe(PORT.nsqlookupdHttp);
    }
    expect(byName(p, PDB, 'nsq-nsqlookupd-pdb').inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: lookupd.spec.selector.matchLabels } });
  });

  it('runs nsqd as a StatefulSet of config.nsq.nsqdReplicas, each with a PVC of nsqdStorageSize at --data-path', () => {
    const nsqd = sts(p, 'nsq-nsqd');
    expect(nsqd.spec.replicas).toBe(config.nsq.nsqdReplicas);
    expect(nsqd.spec.replicas).toBeGreaterThanOrEqual(2);
    const [claim] = nsqd.spec.volumeClaimTemplates;
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: config.nsq.nsqdStorageSize } } });
    const c = nsqd.spec.template.spec.containers[0];
    expect(c.command).toEqual(['/nsqd']);
    expect(c.args).toContain('--data-path=/data');
    expect(c.volumeMounts).toEqual([{ name: claim.metadata.name, mountPath: '/data' }]);
    expect(c.args).toContain(`--mem-queue-size=${config.nsq.memQueueSize}`);
    expect(c.args).toContain(`--max-msg-timeout=${config.nsq.maxMsgTimeoutSeconds}s`);
    const r = config.nsq.resources;
    expect(c.resources).toEqual({ requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } });
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.path).toBe('/ping');
      expect(probePort(c, probe)).toBe(PORT.nsqdHttp);
    }
    expect(nsqd.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    expect(byName(p, PDB, 'nsq-nsqd-pdb').inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: nsqd.spec.selector.matchLabels } });
  });

  it('makes nsqd advertise its stable headless DNS name (downward API), registered with every nsqlookupd', () => {
    const nsqd = sts(p, 'nsq-nsqd');
    const c = nsqd.spec.template.spec.containers[0];
    expect(envOf(c, 'POD_NAME')).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const broadcast = (c.args as string[]).filter((a) => a.startsWith('--broadcast-address='));
    expect(broadcast).toEqual([`--broadcast-address=$(POD_NAME).${nsqd.spec.serviceName}.${config.namespace}.svc.cluster.local`]);
    expect(broadcast[0]).not.toMatch(/status\.podIP|POD_IP/);
    // What pod i advertises is what endpoints() (the topic Job, the app) calls it.
    const advertised = Array.from({ length: nsqd.spec.replicas }, (_, i) =>
      broadcast[0]!.replace('--broadcast-address=', '').replace('$(POD_NAME)', `${nsqd.metadata.name}-${i}`),
    );
    expect(advertised.map((h) => `${h}:${PORT.nsqdHttp}`)).toEqual(endpoints(config, config.namespace).nsqdPodsHttp);
    const lookupds = (c.args as string[]).filter((a) => a.startsWith('--lookupd-tcp-address=')).map((a) => a.split('=')[1]);
    expect(lookupds).toEqual(endpoints(config, config.namespace).nsqlookupdTcp);
    expect(lookupds).toHaveLength(config.nsq.nsqlookupdReplicas);
  });

  it('exposes nsqd through its headless Service and a ClusterIP Service, and nothing as LoadBalancer or NodePort', () => {
    expect(byName(p, SVC, 'nsq-nsqd-headless').inputs.spec.clusterIP).toBe('None');
    const client = byName(p, SVC, 'nsq-nsqd-client').inputs.spec;
    expect(client.type).toBe('ClusterIP');
    expect(client.ports.map((port: any) => port.port)).toEqual([PORT.nsqdTcp, PORT.nsqdHttp]);
    for (const svc of ofType(p, SVC)) {
      expect(svc.inputs.spec.type === 'ClusterIP' || svc.inputs.spec.clusterIP === 'None', svc.name).toBe(true);
    }
    expect(nsq.nsqdTcpAddress).toBe(`nsqd.${config.namespace}.svc.cluster.local:${PORT.nsqdTcp}`);
  });

  it('runs one exporter per nsqd, each scraping its own nsqd /stats, behind a headless Service on 9117', () => {
    const exporter = sts(p, 'nsq-exporter');
    expect(exporter.spec.replicas).toBe(config.nsq.nsqdReplicas);
    const c = exporter.spec.template.spec.containers[0];
    expect(c.image).toBe(NSQ_EXPORTER_IMAGE);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: PORT.nsqExporter, protocol: 'TCP' }]);
    expect(probePort(c, c.livenessProbe)).toBe(PORT.nsqExporter);
    expect(probePort(c, c.readinessProbe)).toBe(PORT.nsqExporter);
    // Run the start command in a real shell with the exporter replaced by echo.
    expect(c.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const last = exporter.spec.replicas - 1;
    const started = spawnSync('sh', ['-c', c.command[2].replace('exec /nsq_exporter', 'echo')], { env: { POD_NAME: `${exporter.metadata.name}-${last}` }, encoding: 'utf8' });
    expect(started.stdout.trim().split(' ')).toEqual([
      `-nsqd.addr=http://${endpoints(config, config.namespace).nsqdPodsHttp[last]}/stats`,
      '-collect=stats.topics,stats.channels,stats.clients',
      `-web.listen=:${PORT.nsqExporter}`,
    ]);
    const svc = byName(p, SVC, 'nsq-exporter-headless').inputs.spec;
    expect(svc).toMatchObject({ clusterIP: 'None', ports: [{ name: 'metrics', port: PORT.nsqExporter }] });
    // The addresses the component reports are the exporter pods' stable DNS names under the headless Service.
    const service = byName(p, SVC, 'nsq-exporter-headless').inputs.metadata.name;
    expect(nsq.exporterAddresses).toEqual(
      Array.from({ length: exporter.spec.replicas }, (_, i) => `${exporter.metadata.name}-${i}.${service}.${config.namespace}.svc.cluster.local:${PORT.nsqExporter}`),
    );
    expect(svc.selector).toEqual(exporter.spec.selector.matchLabels);
    expect(svc.selector[LABEL.name]).toBe(WORKLOAD.nsqExporter);
  });

  it('runs nsqadmin against every nsqlookupd, with /ping probes, behind a ClusterIP Service only', () => {
    const admin = byName(p, DEPLOYMENT, 'nsq-nsqadmin').inputs;
    const c = admin.spec.template.spec.containers[0];
    expect(c.args.filter((a: string) => a.startsWith('--lookupd-http-address='))).toEqual(
      endpoints(config, config.namespace).nsqlookupdHttp.map((a) => `--lookupd-http-address=${a}`),
    );
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.path).toBe('/ping');
      expect(probePort(c, probe)).toBe(PORT.nsqadmin);
    }
    expect(byName(p, SVC, 'nsq-nsqadmin-service').inputs.spec.type).toBe('ClusterIP');
  });

  it('creates the topics with a Job on every nsqd pod, annotated with the topics', () => {
    const job = byName(p, JOB, 'nsq-topics').inputs;
    expect(job.metadata.annotations[ANNOTATION.nsqTopics]).toBe('enrichment,enrichment_dead');
    expect(job.metadata.annotations[ANNOTATION.nsqTopics]).toBe(TOPICS.join(','));
    const c = job.spec.template.spec.containers[0];
    expect(envOf(c, 'NSQD_HTTP_ADDRESSES').value.split(',')).toEqual(endpoints(config, config.namespace).nsqdPodsHttp);
    expect(envOf(c, 'NSQD_HTTP_ADDRESSES').value.split(',')).toHaveLength(config.nsq.nsqdReplicas);
    expect(envOf(c, 'NSQ_TOPICS').value).toBe(TOPICS.join(','));
    expect(c.command).toEqual(['sh', '/opt/enrichment/scripts/nsq-topics.sh']);
    const script = byName(p, CONFIGMAP, 'nsq-scripts').inputs.data['nsq-topics.sh'] as string;
    expect(script).toBe(NSQ_TOPICS_SCRIPT);
    expect(script).toContain('--post-data \'\' "http://$address/topic/create?topic=$topic"');
    expect(job.spec.template.spec.volumes[0].configMap.name).toBe('nsq-scripts');
  });

  it('gives every container resources and a non-root, non-escalating security context; long-running ones both probes', () => {
    for (const r of [...ofType(p, STS), ...ofType(p, DEPLOYMENT), ...ofType(p, JOB)]) {
      const pod = r.inputs.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, r.name).toBe(true);
      for (const c of pod.containers) {
        expect(Object.keys(c.resources.limits).sort(), r.name).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.requests).sort(), r.name).toEqual(['cpu', 'memory']);
        expect(c.securityContext.allowPrivilegeEscalation, r.name).toBe(false);
        if (r.type !== JOB) {
          expect(c.livenessProbe, r.name).toBeDefined();
          expect(c.readinessProbe, r.name).toBeDefined();
        }
      }
    }
  });

  it('declares only objects that validate against the Kubernetes schemas', async () => {
    const objects = componentObjects(p);
    expect(objects).toHaveLength(14);
    await expectSchemaValid(objects);
  });
});

describe('Nsq on Kubernetes (staging)', () => {
  it('follows the staging replica counts and storage size', async () => {
    const { plan: p } = await plan('staging');
    expect(sts(p, 'nsq-nsqlookupd').spec.replicas).toBe(p.config.nsq.nsqlookupdReplicas);
    expect(sts(p, 'nsq-nsqd').spec.replicas).toBe(p.config.nsq.nsqdReplicas);
    expect(sts(p, 'nsq-nsqd').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(p.config.nsq.nsqdStorageSize);
    const lookupds = (sts(p, 'nsq-nsqd').spec.template.spec.containers[0].args as string[]).filter((a) => a.startsWith('--lookupd-tcp-address='));
    expect(lookupds).toHaveLength(p.config.nsq.nsqlookupdReplicas);
  });
});

describe('Nsq on Docker (dev)', () => {
  let p: Plan;
  let config: InfraConfig;
  const container = (name: string) => byName(p, CONTAINER, name).inputs;
  beforeAll(async () => {
    ({ plan: p } = await plan('dev'));
    config = p.config;
  });

  it('runs nsqlookupd and nsqd (advertising its container name, data in a volume) with limits and /ping healthchecks', () => {
    const lookupd = container('nsq-nsqlookupd-0');
    expect(lookupd.name).toBe(WORKLOAD.nsqlookupd);
    expect(lookupd.healthcheck.tests).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORT.nsqlookupdHttp}/ping`]);
    const nsqd = container('nsq-nsqd-0');
    expect(nsqd.name).toBe(WORKLOAD.nsqd);
    expect(nsqd.command).toEqual(['/nsqd', ...nsqdArgs(config, 'nsqd', ['nsqlookupd:4160'])]);
    expect(nsqd.command).toContain('--broadcast-address=nsqd');
    expect(nsqd.healthcheck.tests).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORT.nsqdHttp}/ping`]);
    expect(nsqd.volumes).toEqual([{ volumeName: byName(p, VOLUME, 'nsq-nsqd-data-0').inputs.name, containerPath: '/data' }]);
    expect(nsqd.memory).toBe(1024);
    expect(nsqd.cpus).toBe(config.nsq.resources.cpuLimit);
  });

  it('creates the topics with a one-shot container labelled with the topics', () => {
    const topics = container('nsq-topics');
    expect(topics).toMatchObject({ name: WORKLOAD.nsqTopics, restart: 'no', mustRun: false });
    expect(topics.envs).toEqual(['NSQD_HTTP_ADDRESSES=nsqd:4151', 'NSQ_TOPICS=enrichment,enrichment_dead']);
    expect(topics.labels).toContainEqual({ label: ANNOTATION.nsqTopics, value: 'enrichment,enrichment_dead' });
    expect(topics.uploads[0].file).toBe(topics.entrypoints[1]);
  });

  it('restarts unless-stopped, publishes no port and joins only the backend network', () => {
    const containers = ofType(p, CONTAINER);
    expect(containers.map((c) => c.inputs.name).sort()).toEqual(['nsq-exporter', 'nsq-topics', 'nsqd', 'nsqlookupd']);
    for (const c of containers) {
      expect(c.inputs.ports, c.name).toBeUndefined();
      expect(c.inputs.networksAdvanced, c.name).toEqual([{ name: TEST_NETWORK.backend, aliases: [c.inputs.name] }]);
      expect(c.inputs.restart, c.name).toBe(c.inputs.name === WORKLOAD.nsqTopics ? 'no' : 'unless-stopped');
      expect(c.inputs.memory, c.name).toBeGreaterThan(0);
      if (c.inputs.name !== WORKLOAD.nsqTopics) expect(c.inputs.healthcheck, c.name).toBeDefined();
    }
    expect(container('nsq-exporter-0').command[0]).toBe('-nsqd.addr=http://nsqd:4151/stats');
  });

  it('gives each of several nsqd its own name, volume and exporter', async () => {
    const { plan: two, nsq } = await plan('dev', { nsq: { nsqdReplicas: 2 } });
    const nsqds = ofType(two, CONTAINER).filter((c) => c.name.startsWith('nsq-nsqd-'));
    expect(nsqds.map((c) => c.inputs.name)).toEqual(['nsqd', 'nsqd-1']);
    expect(nsqds.map((c) => (c.inputs.command as string[]).find((a) => a.startsWith('--broadcast-address=')))).toEqual([
      '--broadcast-address=nsqd',
      '--broadcast-address=nsqd-1',
    ]);
    expect(ofType(two, VOLUME).map((v) => v.inputs.name)).toEqual(['enrichment-platform-nsqd-data', 'enrichment-platform-nsqd-1-data']);
    const exporters = ofType(two, CONTAINER).filter((c) => c.name.startsWith('nsq-exporter-'));
    expect(exporters.map((c) => c.inputs.command[0])).toEqual(['-nsqd.addr=http://nsqd:4151/stats', '-nsqd.addr=http://nsqd-1:4151/stats']);
    expect(nsq.exporterAddresses).toEqual(['nsq-exporter:9117', 'nsq-exporter-1:9117']);
    expect(byName(two, CONTAINER, 'nsq-topics').inputs.envs[0]).toBe('NSQD_HTTP_ADDRESSES=nsqd:4151,nsqd-1:4151');
  });
});

describe('config', () => {
  it('refuses a queue without nsqd or nsqlookupd before any resource is declared', () => {
    expect(() => loadInfraConfig('prod', { nsq: { nsqdReplicas: 0 } })).toThrow('nsq.nsqdReplicas: Too small: expected number to be >=1');
    expect(() => loadInfraConfig('prod', { nsq: { nsqlookupdReplicas: 0 } })).toThrow('nsq.nsqlookupdReplicas: Too small: expected number to be >=1');
    expect(loadInfraConfig('prod', { nsq: { nsqdReplicas: 1 } }).nsq.nsqdReplicas).toBe(1);
  });
});

describe('nsq-topics.sh against a real nsqd', () => {
  const load = async () => NSQ_TOPICS_SCRIPT;

  it('creates every topic through POST /topic/create and confirms it in /stats', async () => {
    const { nsqdHttpAddress } = services();
    const topics = [uniqueTopic('topics_a'), uniqueTopic('topics_b')];
    const run = spawnSync('sh', ['-c', await load()], {
      env: { PATH: process.env['PATH'], NSQD_HTTP_ADDRESSES: nsqdHttpAddress, NSQ_TOPICS: topics.join(',') },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const stats = (await (await fetch(`http://${nsqdHttpAddress}/stats?format=json`)).json()) as { topics: { topic_name: string }[] };
    for (const t of topics) expect(stats.topics.map((x) => x.topic_name)).toContain(t);
    // Idempotent: a second run over existing topics succeeds too.
    const again = spawnSync('sh', ['-c', await load()], { env: { PATH: process.env['PATH'], NSQD_HTTP_ADDRESSES: nsqdHttpAddress, NSQ_TOPICS: topics[0]! }, encoding: 'utf8' });
    expect(again.status).toBe(0);
  });

  it('gives up with a non-zero exit when an nsqd never answers', async () => {
    const run = spawnSync('sh', ['-c', await load()], {
      env: { PATH: process.env['PATH'], NSQD_HTTP_ADDRESSES: '127.0.0.1:1', NSQ_TOPICS: 'enrichment', ATTEMPTS: '2', RETRY_SECONDS: '0' },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('could not create topic enrichment on 127.0.0.1:1 after 2 attempts');
  });
});
