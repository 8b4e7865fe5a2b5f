/**
 * The shared helpers of the infra components (`infra/src/lib/`): quantity conversions, labels,
 * Kubernetes object pieces (checked against the Kubernetes schemas), Docker pieces (the wget
 * healthcheck run against a local server) and the Job scripts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import { Pod } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL, PART_OF } from '../../infra/src/conventions.js';
import {
  DOCKER_HEALTHCHECK_TIMING,
  DOCKER_SECRETS_DIR,
  dockerContainerNames,
  dockerSecretPath,
  remoteImage,
  secretFileUpload,
  wgetHealthcheck,
} from '../../infra/src/lib/docker.js';
import {
  containerSecurityContext,
  helmRelease,
  httpGetProbe,
  oneShotJobOptions,
  podDisruptionBudget,
  podSecurityContext,
  preferOnePodPerNode,
  readWriteOnceClaimSpec,
  secretKeyRefEnv,
  volumeClaimTemplate,
} from '../../infra/src/lib/kubernetes.js';
import { dockerLabels, dockerWorkloadLabels, nameSelector, workloadLabels } from '../../infra/src/lib/labels.js';
import { dockerCpus, dockerLimits, dockerMemoryMb, k8sResources } from '../../infra/src/lib/resources.js';
import { readScript, SCRIPTS_MOUNT, SCRIPTS_SOURCE_DIR, scriptsVolume, scriptUploads, sha256Hex } from '../../infra/src/lib/scripts.js';
import { byName, planStack } from '../../infra/src/plan.js';
import { expectSchemaValid, runHealthcheck as run, startHealthStub } from './support.js';

const SIZES = { cpuRequest: '250m', memoryRequest: '512Mi', cpuLimit: '2', memoryLimit: '1G' };

describe('resources', () => {
  it('writes the config quantities as Kubernetes requests and limits, extended resources in both', () => {
    expect(k8sResources(SIZES)).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '1G' } });
    expect(k8sResources(SIZES, { 'nvidia.com/gpu': '1' })).toEqual({
      requests: { cpu: '250m', memory: '512Mi', 'nvidia.com/gpu': '1' },
      limits: { cpu: '2', memory: '1G', 'nvidia.com/gpu': '1' },
    });
  });

  it('converts CPU quantities to Docker cores', () => {
    expect(['500m', '2', '1.5', '250m', '25m', '1500m'].map(dockerCpus)).toEqual(['0.5', '2', '1.5', '0.25', '0.025', '1.5']);
    expect(() => dockerCpus('1Gi')).toThrow("not a CPU quantity: '1Gi'");
    expect(() => dockerCpus('')).toThrow(RangeError);
  });

  it('converts memory quantities to Docker MiB, rounding up', () => {
    expect(['512Mi', '1Gi', '48Gi', '1Ti', '1024Ki', '1G', '1M', '1048576', '1.5Gi'].map(dockerMemoryMb)).toEqual([512, 1024, 49152, 1048576, 1, 954, 1, 1, 1536]);
    // 1 byte still needs a whole MiB.
    expect(dockerMemoryMb('1')).toBe(1);
    expect(() => dockerMemoryMb('100m')).toThrow("not a memory quantity: '100m'");
    expect(() => dockerMemoryMb('lots')).toThrow(RangeError);
  });

  it('gives Docker the limits, and the memory request as reservation only when asked', () => {
    expect(dockerLimits(SIZES)).toEqual({ cpus: '2', memory: 954 });
    expect(dockerLimits(SIZES, { reserveMemory: true })).toEqual({ cpus: '2', memory: 954, memoryReservation: 512 });
  });
});

describe('labels', () => {
  it('builds the three recommended labels, the name selector and their Docker form', () => {
    expect(workloadLabels('nsqd', 'queue')).toEqual({ [LABEL.name]: 'nsqd', [LABEL.component]: 'queue', [LABEL.partOf]: PART_OF });
    expect(nameSelector('nsqd')).toEqual({ [LABEL.name]: 'nsqd' });
    expect(dockerLabels({ a: '1', b: '2' })).toEqual([
      { label: 'a', value: '1' },
      { label: 'b', value: '2' },
    ]);
    expect(dockerWorkloadLabels('nsq-topics', 'queue', { 'x/topics': 'a,b' })).toEqual([
      { label: LABEL.name, value: 'nsq-topics' },
      { label: LABEL.component, value: 'queue' },
      { label: LABEL.partOf, value: PART_OF },
      { label: 'x/topics', value: 'a,b' },
    ]);
  });
});

describe('Kubernetes pieces', () => {
  it('reads secrets through secretKeyRef, optional only when asked', () => {
    const ref = { secretName: 'app-secrets', key: 'MONGODB_URI' };
    expect(secretKeyRefEnv('MONGODB_URI', ref)).toEqual({ name: 'MONGODB_URI', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'MONGODB_URI' } } });
    expect(secretKeyRefEnv('X', ref, { optional: true }).valueFrom.secretKeyRef.optional).toBe(true);
    expect(secretKeyRefEnv('X', ref, { optional: false }).valueFrom.secretKeyRef).not.toHaveProperty('optional');
  });

  it('runs pods as non-root with the default seccomp profile, fsGroup unless told otherwise', () => {
    expect(podSecurityContext(999)).toEqual({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
    expect(podSecurityContext(100, { gid: 101, fsGroup: false })).toEqual({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } });
    expect(podSecurityContext(7, { gid: 8 }).fsGroup).toBe(8);
  });

  it('drops every capability and escalation; read-only root and non-root only when given', () => {
    expect(containerSecurityContext()).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(containerSecurityContext({ readOnlyRootFilesystem: false, runAsNonRoot: true })).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('writes HTTP probes with every timing field, scheme and initial delay only when given', () => {
    expect(httpGetProbe({ path: '/ping', port: 'http' }, { periodSeconds: 10 })).toEqual({ httpGet: { path: '/ping', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(httpGetProbe({ path: '/health', port: 5001, scheme: 'HTTPS' }, { periodSeconds: 20, failureThreshold: 6, initialDelaySeconds: 0, timeoutSeconds: 2 })).toEqual({
      httpGet: { path: '/health', port: 5001, scheme: 'HTTPS' },
      initialDelaySeconds: 0,
      periodSeconds: 20,
      timeoutSeconds: 2,
      failureThreshold: 6,
    });
  });

  it('claims ReadWriteOnce volumes of the given size', () => {
    expect(readWriteOnceClaimSpec('50Gi')).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
    expect(volumeClaimTemplate('data', { a: 'b' }, '5Gi')).toEqual({ metadata: { name: 'data', labels: { a: 'b' } }, spec: readWriteOnceClaimSpec('5Gi') });
  });

  it('replaces one-shot Jobs delete-first and waits up to their deadline', () => {
    expect(oneShotJobOptions(900)).toEqual({ deleteBeforeReplace: true, customTimeouts: { create: '900s', update: '900s' } });
  });

  it('composes into a pod that validates against the Kubernetes schema', () => {
    const labels = workloadLabels('x', 'app');
    const pod = new Pod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x', labels },
      spec: {
        securityContext: podSecurityContext(1000),
        affinity: preferOnePodPerNode(labels),
        containers: [
          {
            name: 'x',
            image: 'x:1',
            env: [secretKeyRefEnv('A', { secretName: 's', key: 'k' }, { optional: true })],
            resources: k8sResources(SIZES, { 'nvidia.com/gpu': '1' }),
            readinessProbe: httpGetProbe({ path: '/health', port: 8080, scheme: 'HTTP' }, { periodSeconds: 10, initialDelaySeconds: 5 }),
            livenessProbe: httpGetProbe({ path: '/', port: 'http' }, { periodSeconds: 20 }),
            securityContext: containerSecurityContext({ readOnlyRootFilesystem: true, runAsNonRoot: true }),
          },
        ],
      },
    } as ConstructorParameters<typeof Pod>[0]);
    expect(() => pod.validate()).not.toThrow();
    // Control: a wrong probe field type fails the same validation.
    const broken = new Pod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'x', readinessProbe: { periodSeconds: 'ten' } }] } } as never);
    expect(() => broken.validate()).toThrow();
  });

  describe('declared resources', () => {
    it('a PDB lets one pod out; a Helm release is atomic in its own namespace; a remote image is kept locally', async () => {
      const plan = await planStack('prod', {
        program: () => {
          const provider = new k8s.Provider('k8s', {});
          podDisruptionBudget('p-pdb', { name: 'p', namespace: 'ns', labels: workloadLabels('p', 'queue') }, nameSelector('p'), { provider });
          helmRelease('r', { chart: 'c', version: '1.2.3', namespace: 'c-ns', repo: 'https://charts.example.com', values: { a: 1 } }, { provider });
          remoteImage('img', 'nsqio/nsq:v1.3.0', { provider: new docker.Provider('docker', {}) });
          return {};
        },
      });
      const pdb = byName(plan, 'kubernetes:policy/v1:PodDisruptionBudget', 'p-pdb');
      expect(pdb.inputs.metadata).toEqual({ name: 'p', namespace: 'ns', labels: workloadLabels('p', 'queue') });
      expect(pdb.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { [LABEL.name]: 'p' } } });
      await expectSchemaValid([pdb]);
      expect(byName(plan, 'kubernetes:helm.sh/v3:Release', 'r').inputs).toMatchObject({
        name: 'c',
        chart: 'c',
        version: '1.2.3',
        namespace: 'c-ns',
        createNamespace: true,
        repositoryOpts: { repo: 'https://charts.example.com' },
        values: { a: 1 },
        atomic: true,
      });
      expect(byName(plan, 'docker:index/remoteImage:RemoteImage', 'img').inputs).toMatchObject({ name: 'nsqio/nsq:v1.3.0', keepLocally: true });
    });
  });
});

describe('Docker pieces', () => {
  it('uploads secrets under /run/secrets, mode 0400, owned as asked', () => {
    expect(dockerSecretPath({ key: 'MONGODB_URI' })).toBe(`${DOCKER_SECRETS_DIR}/MONGODB_URI`);
    expect(DOCKER_SECRETS_DIR).toBe('/run/secrets');
    expect(secretFileUpload('/run/secrets/a', 'v')).toEqual({ file: '/run/secrets/a', content: 'v', permissions: '0400' });
    expect(secretFileUpload('/run/secrets/a', 'v', { owner: 999 })).toEqual({ file: '/run/secrets/a', content: 'v', owner: '999', permissions: '0400' });
    expect(secretFileUpload('/run/secrets/a', 'v', { owner: 1000, group: 1000 })).toMatchObject({ owner: '1000', group: '1000' });
  });

  it('names one replica after its workload and several <workload>-<n> from 1', () => {
    expect(dockerContainerNames('enrichment-worker', 1)).toEqual(['enrichment-worker']);
    expect(dockerContainerNames('enrichment-worker', 0)).toEqual(['enrichment-worker']);
    expect(dockerContainerNames('enrichment-worker', 3)).toEqual(['enrichment-worker-1', 'enrichment-worker-2', 'enrichment-worker-3']);
  });

  describe('the wget healthcheck', () => {
    let stub: Awaited<ReturnType<typeof startHealthStub>>;
    let port: number;
    beforeAll(async () => {
      stub = await startHealthStub('/-/healthy');
      port = stub.port;
    });
    afterAll(() => stub.close());

    it('exits 0 on a 2xx answer and non-zero otherwise, with the shared timings unless given', async () => {
      const check = wgetHealthcheck(port, '/-/healthy');
      expect(check).toMatchObject(DOCKER_HEALTHCHECK_TIMING);
      expect(await run(check.tests)).toBe(0);
      expect(await run(wgetHealthcheck(port, '/-/ready').tests)).not.toBe(0);
      const fast = { interval: '30s', timeout: '5s', retries: 3, startPeriod: '10s' };
      expect(wgetHealthcheck(port, '/', fast)).toMatchObject(fast);
    });
  });
});

describe('Job scripts', () => {
  it('mounts a scripts ConfigMap executable and read-only, and uploads scripts executable, both at SCRIPTS_MOUNT', () => {
    const { volume, mount } = scriptsVolume('nsq-scripts');
    expect(volume).toEqual({ name: 'scripts', configMap: { name: 'nsq-scripts', defaultMode: 0o555 } });
    expect(mount).toEqual({ name: volume.name, mountPath: SCRIPTS_MOUNT, readOnly: true });
    expect(scriptUploads({ 'a.sh': 'echo a', 'b.js': 'b()' })).toEqual([
      { file: `${SCRIPTS_MOUNT}/a.sh`, content: 'echo a', executable: true },
      { file: `${SCRIPTS_MOUNT}/b.js`, content: 'b()', executable: true },
    ]);
  });

  it('reads the script files next to the components and hashes text as SHA-256 hex', () => {
    expect(existsSync(path.join(SCRIPTS_SOURCE_DIR, 'nsq-topics.sh'))).toBe(true);
    expect(readScript('nsq-topics.sh')).toBe(readFileSync(path.join(SCRIPTS_SOURCE_DIR, 'nsq-topics.sh'), 'utf8'));
    expect(() => readScript('no-such-script.sh')).toThrow(/ENOENT/);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = readScript('mongodb-lib.sh');
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
