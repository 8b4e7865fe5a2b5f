/**
 * The pack as a whole: naming, one policy per file, checklist citations, typed validations, the
 * per-stack policy config files, and the pack served the way the Pulumi CLI serves it
 * (`@pulumi/pulumi/cmd/run-policy-pack` on `policies/`, then gRPC `GetAnalyzerInfo` and `Analyze`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCKER_TYPE } from '../../policies/src/lib/docker.js';
import { K8S_TYPE } from '../../policies/src/lib/kubernetes.js';
import { PACK_NAME, PACK_VERSION, POLICIES, POLICY_GROUPS } from '../../policies/src/pack.js';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULES = path.join(ROOT, 'policies/src/rules');

describe('policy names and descriptions', () => {
  it('are unique and follow <resource-type-slug>-<rule>', () => {
    const names = POLICIES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^(kubernetes|docker|tls|platform|prometheus|alertmanager|grafana|ollama|logging)-[a-z0-9]+(-[a-z0-9]+)*$/);
  });
  it('cite the checklist line they enforce, with a severity', () => {
    for (const p of POLICIES) {
      expect(p.description, p.name).toMatch(/^Checklist 9[abc] /);
      expect(p.framework?.reference, p.name).toMatch(/^9[abc] /);
      expect(p.framework?.specification, p.name).toBeTruthy();
      expect(p.severity, p.name).toBeDefined();
    }
  });
  it('are grouped once each', () => {
    expect(POLICY_GROUPS.flatMap((g) => g.policies)).toHaveLength(POLICIES.length);
  });
});

describe('one policy per file', () => {
  it('every file of policies/src/rules exports exactly the policy named like the file', async () => {
    const files = readdirSync(RULES).filter((f) => f.endsWith('.ts'));
    expect(files.map((f) => f.slice(0, -3)).sort()).toEqual(POLICIES.map((p) => p.name).sort());
    for (const file of files) {
      const mod = (await import(path.join(RULES, file))) as Record<string, unknown>;
      const policies = Object.values(mod).filter((v) => typeof v === 'object' && v !== null && 'name' in v && 'description' in v) as { name: string }[];
      expect(policies.map((p) => p.name), file).toEqual([file.slice(0, -3)]);
    }
  });
});

describe('typed validations', () => {
  it('resource policies validate through validateResourceOfType (or a custom resource type)', () => {
    for (const p of POLICIES) {
      if (!('validateResource' in p) || !p.validateResource) continue;
      const fns = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      for (const fn of fns) expect((fn as { __pulumiType?: string }).__pulumiType, p.name).toMatch(/^(kubernetes|docker|tls):/);
    }
  });
  it("spells the SDK classes' type tokens", () => {
    const token = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
    expect(K8S_TYPE).toEqual({
      Deployment: token(k8s.apps.v1.Deployment),
      StatefulSet: token(k8s.apps.v1.StatefulSet),
      DaemonSet: token(k8s.apps.v1.DaemonSet),
      Job: token(k8s.batch.v1.Job),
      CronJob: token(k8s.batch.v1.CronJob),
      Pod: token(k8s.core.v1.Pod),
      Service: token(k8s.core.v1.Service),
      ConfigMap: token(k8s.core.v1.ConfigMap),
      Secret: token(k8s.core.v1.Secret),
      PersistentVolumeClaim: token(k8s.core.v1.PersistentVolumeClaim),
      PodDisruptionBudget: token(k8s.policy.v1.PodDisruptionBudget),
      NetworkPolicy: token(k8s.networking.v1.NetworkPolicy),
      Ingress: token(k8s.networking.v1.Ingress),
      HorizontalPodAutoscaler: token(k8s.autoscaling.v2.HorizontalPodAutoscaler),
      HelmRelease: token(k8s.helm.v3.Release),
      HelmChartV4: token(k8s.helm.v4.Chart),
    });
    expect(DOCKER_TYPE).toEqual({ Container: token(docker.Container), Volume: token(docker.Volume), Network: token(docker.Network) });
  });
});

describe('per-stack policy config', () => {
  const read = (stack: string) => JSON.parse(readFileSync(path.join(ROOT, `policies/config/${stack}.json`), 'utf8')) as Record<string, unknown>;
  const names = new Set(POLICIES.map((p) => p.name));
  it.each(['dev', 'staging', 'prod'])('%s.json names only policies of the pack, with valid levels', (stack) => {
    for (const [policy, value] of Object.entries(read(stack))) {
      expect(names.has(policy), policy).toBe(true);
      const level = typeof value === 'string' ? value : (value as { enforcementLevel?: string }).enforcementLevel;
      if (level !== undefined) expect(['advisory', 'mandatory', 'disabled']).toContain(level);
    }
  });
  it('prod relaxes nothing: every policy is mandatory there', () => {
    expect(read('prod')).toEqual({});
  });
});

describe('policies/README.md', () => {
  it('lists every policy with its checklist reference and stack levels', () => {
    const readme = readFileSync(path.join(ROOT, 'policies/README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(POLICIES.length);
    for (const p of POLICIES) {
      const row = rows.find((r) => r.startsWith(`| \`${p.name}\` |`));
      expect(row, p.name).toContain(`${p.framework!.reference}: ${p.framework!.specification}`);
      for (const stack of ['dev', 'staging']) {
        const level = (JSON.parse(readFileSync(path.join(ROOT, `policies/config/${stack}.json`), 'utf8')) as Record<string, unknown>)[p.name];
        if (level !== undefined) expect(row, p.name).toContain(`${String(level)} on ${stack}`);
      }
    }
  });
});

describe('the pack under the Pulumi CLI runner', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid) process.kill(child.pid);
  });

  it('loads through main.cjs, serves GetAnalyzerInfo and Analyze over gRPC', async () => {
    const runPolicyPack = require.resolve('@pulumi/pulumi/cmd/run-policy-pack');
    child = spawn(process.execPath, [runPolicyPack, '127.0.0.1:0', '.'], { cwd: path.join(ROOT, 'policies'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child!.once('exit', (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
    });
    expect(port).toBeGreaterThan(0);

    const grpc = require('@grpc/grpc-js');
    const rpc = require('@pulumi/pulumi/proto/analyzer_grpc_pb.js');
    const proto = require('@pulumi/pulumi/proto/analyzer_pb.js');
    const { Empty } = require('google-protobuf/google/protobuf/empty_pb.js');
    const { Struct } = require('google-protobuf/google/protobuf/struct_pb.js');
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = <T>(method: string, req: unknown) =>
      new Promise<T>((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));

    const info = await call<any>('getAnalyzerInfo', new Empty());
    expect(info.getName()).toBe(PACK_NAME);
    expect(info.getVersion()).toBe(PACK_VERSION);
    expect(info.getPoliciesList().map((p: any) => p.getName())).toEqual(POLICIES.map((p) => p.name));
    expect(new Set(info.getPoliciesList().map((p: any) => p.getEnforcementlevel()))).toEqual(new Set([proto.EnforcementLevel.MANDATORY]));

    const req = new proto.AnalyzeRequest();
    req.setType('kubernetes:apps/v1:StatefulSet');
    req.setUrn('urn:pulumi:prod::enrichment-platform::kubernetes:apps/v1:StatefulSet::nsq-nsqd');
    req.setName('nsq-nsqd');
    const options = new proto.AnalyzerResourceOptions();
    req.setOptions(options);
    req.setProperties(
      Struct.fromJavaScript({
        metadata: { name: 'nsqd', namespace: 'enrichment', labels: { 'app.kubernetes.io/name': 'nsqd' } },
        spec: { replicas: 1, template: { spec: { containers: [{ name: 'nsqd', image: 'nsqio/nsq:v1.3.0' }] } } },
      }),
    );
    const resp = await call<any>('analyze', req);
    const diagnostics = resp.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage().split('\n').pop()}`);
    expect(diagnostics).toEqual([
      "kubernetes-workload-resources: StatefulSet 'nsqd' container 'nsqd' has no resources.requests.cpu",
      "kubernetes-workload-resources: StatefulSet 'nsqd' container 'nsqd' has no resources.requests.memory",
      "kubernetes-workload-resources: StatefulSet 'nsqd' container 'nsqd' has no resources.limits.cpu",
      "kubernetes-workload-resources: StatefulSet 'nsqd' container 'nsqd' has no resources.limits.memory",
      "kubernetes-workload-probes: StatefulSet 'nsqd' container 'nsqd' has no livenessProbe",
      "kubernetes-workload-probes: StatefulSet 'nsqd' container 'nsqd' has no readinessProbe",
      "kubernetes-statefulset-nsqd-replicas: StatefulSet 'nsqd' runs 1 replica; at least 2 are required",
    ]);
    client.close();
  }, 60_000);
});
