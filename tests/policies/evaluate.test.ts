/**
 * The in-process evaluator (policies/src/evaluate.ts) against the real analyzer of
 * `@pulumi/policy` 1.21.0: the same resources sent as real `AnalyzeRequest` /
 * `AnalyzeStackRequest` protobuf objects to the package's own analyze handlers
 * (`makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun` of server.js) give the same diagnostics. Also:
 * the args shape, enforcement-level resolution, notApplicable, and config checks.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { enforcementLevelOf, evaluatePack, mandatory, resourceValidationArgs, stackValidationArgs } from '../../policies/src/evaluate.js';
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, PACK_VERSION, POLICIES } from '../../policies/src/pack.js';
import { kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, firstContainer, policyNamed, T } from './support.js';

const require = createRequire(import.meta.url);
const server = require('@pulumi/policy/server.js') as {
  makeAnalyzeRpcFun: (...a: unknown[]) => (call: { request: unknown }, cb: (err: unknown, resp: any) => void) => Promise<void>;
  makeAnalyzeStackRpcFun: (...a: unknown[]) => (call: { request: unknown }, cb: (err: unknown, resp: any) => void) => Promise<void>;
};
const analyzerproto = require('@pulumi/pulumi/proto/analyzer_pb.js');
const { Struct } = require('google-protobuf/google/protobuf/struct_pb.js');

let kube: PlannedResource[];
let broken: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  // Several policies fail on this set: resource policies (replicas, probes, env) and stack ones (backup, default deny).
  broken = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => (i.spec.replicas = 1));
  broken = breaking(broken, T.Deployment, WORKLOAD.worker, (i) => {
    delete firstContainer(i).readinessProbe;
    firstContainer(i).env.push({ name: 'API_TOKEN', value: 'literal' });
  });
  broken = breaking(broken, T.CronJob, 'mongodb-backup', (i) => (i.spec.schedule = '@weekly'));
  broken = broken.filter((r) => r.name !== 'enrichment-default-deny');
});

function options() {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setProtect(false);
  return o;
}

/** What the package's own analyzer reports for `resources`: real requests, real handlers. */
async function analyzeWithServer(resources: readonly PlannedResource[]): Promise<{ policy: string; level: number; urn: string; message: string }[]> {
  const analyze = server.makeAnalyzeRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, POLICIES);
  const analyzeStack = server.makeAnalyzeStackRpcFun(PACK_NAME, PACK_VERSION, PACK_ENFORCEMENT_LEVEL, POLICIES);
  const call = (fn: typeof analyze, request: unknown) =>
    new Promise<any>((resolve, reject) => {
      void fn({ request }, (err, resp) => (err ? reject(err) : resolve(resp)));
    });
  const out: { policy: string; level: number; urn: string; message: string }[] = [];
  const collect = (resp: any, urn: string) => {
    for (const d of resp.getDiagnosticsList()) {
      // The engine prints description then message; the policy's own message is the second part.
      const message: string = d.getMessage().slice(d.getDescription().length + 1);
      out.push({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), urn: d.getUrn() || urn, message });
    }
  };
  for (const r of resources) {
    const req = new analyzerproto.AnalyzeRequest();
    req.setType(r.type);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setProperties(Struct.fromJavaScript(r.inputs));
    req.setOptions(options());
    collect(await call(analyze, req), r.urn);
  }
  const stackReq = new analyzerproto.AnalyzeStackRequest();
  stackReq.setResourcesList(
    resources.map((r) => {
      const a = new analyzerproto.AnalyzerResource();
      a.setType(r.type);
      a.setUrn(r.urn);
      a.setName(r.name);
      a.setProperties(Struct.fromJavaScript(r.inputs));
      a.setOptions(options());
      return a;
    }),
  );
  collect(await call(analyzeStack, stackReq), '');
  return out;
}

describe('evaluatePack mirrors the analyzer of @pulumi/policy', () => {
  it('reports the same violations as the real analyze and analyzeStack handlers', async () => {
    const ours = (await evaluatePack(POLICIES, broken, { enforcementLevel: PACK_ENFORCEMENT_LEVEL })).violations;
    const theirs = await analyzeWithServer(broken);
    const key = (p: string, urn: string | undefined, m: string) => `${p} | ${urn ?? ''} | ${m}`;
    expect(ours.map((v) => key(v.policy, v.urn, v.message)).sort()).toEqual(theirs.map((d) => key(d.policy, d.urn, d.message)).sort());
    // Every diagnostic is mandatory (EnforcementLevel.MANDATORY), as in ours.
    expect(new Set(theirs.map((d) => d.level))).toEqual(new Set([analyzerproto.EnforcementLevel.MANDATORY]));
    expect(new Set(ours.map((v) => v.enforcementLevel))).toEqual(new Set(['mandatory']));
    expect(new Set(ours.map((v) => v.policy))).toEqual(
      new Set([
        'kubernetes-statefulset-nsqd-replicas',
        'kubernetes-workload-probes',
        'kubernetes-workload-env-secrets',
        'kubernetes-cronjob-mongodb-backup',
        'kubernetes-networkpolicy-default-deny',
      ]),
    );
  });
  it('reports nothing on the compliant fixture, like the real handlers', async () => {
    expect((await evaluatePack(POLICIES, kube, { enforcementLevel: PACK_ENFORCEMENT_LEVEL })).violations).toEqual([]);
    expect(await analyzeWithServer(kube)).toEqual([]);
  });
});

describe('resourceValidationArgs', () => {
  it('has the shape the engine passes', () => {
    const r = kube.find((x) => x.type === T.StatefulSet && x.name === WORKLOAD.nsqd)!;
    const args = resourceValidationArgs(r, { config: { minReplicas: 5 }, resources: kube });
    expect(Object.keys(args).sort()).toEqual(['asType', 'getConfig', 'isType', 'name', 'notApplicable', 'opts', 'props', 'provider', 'stackTags', 'type', 'urn'].sort());
    expect(args).toMatchObject({ type: T.StatefulSet, name: WORKLOAD.nsqd, urn: r.urn });
    expect(args.props.spec.replicas).toBe(2);
    expect(args.getConfig()).toEqual({ minReplicas: 5 });
    expect(args.opts).toEqual({ protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] });
    expect(() => args.notApplicable('why')).toThrow('why');
  });
  it('answers isType and asType from the SDK class type token', async () => {
    const k8s = await import('@pulumi/kubernetes');
    const args = resourceValidationArgs(kube.find((x) => x.type === T.StatefulSet)!);
    expect(args.isType(k8s.apps.v1.StatefulSet)).toBe(true);
    expect(args.isType(k8s.apps.v1.Deployment)).toBe(false);
    expect(args.asType(k8s.apps.v1.Deployment)).toBeUndefined();
    expect(args.asType(k8s.apps.v1.StatefulSet)?.spec).toBeDefined();
  });
  it('resolves the provider reference of a resource', () => {
    const withProvider = kube.find((r) => r.provider !== undefined)!;
    const args = resourceValidationArgs(withProvider, { resources: kube });
    expect(args.provider).toMatchObject({ type: 'pulumi:providers:kubernetes', name: 'k8s' });
  });
  it('builds the stack args with every resource', () => {
    const args = stackValidationArgs(kube);
    expect(args.resources).toHaveLength(kube.length);
    expect(Object.keys(args.resources[0]!).sort()).toEqual(
      ['asType', 'dependencies', 'isType', 'name', 'opts', 'propertyDependencies', 'props', 'type', 'urn', ...(args.resources[0]!.provider ? ['provider'] : [])].sort(),
    );
  });
});

describe('enforcement levels and config', () => {
  const policy = policyNamed('kubernetes-statefulset-nsqd-replicas');
  it('resolves config, then all, then policy, then pack', () => {
    expect(enforcementLevelOf(policy, { enforcementLevel: 'mandatory' })).toBe('mandatory');
    expect(enforcementLevelOf(policy, {})).toBe('advisory');
    expect(enforcementLevelOf(policy, { enforcementLevel: 'mandatory', config: { all: 'advisory' } })).toBe('advisory');
    expect(enforcementLevelOf(policy, { enforcementLevel: 'mandatory', config: { all: 'advisory', [policy.name]: { enforcementLevel: 'disabled' } } })).toBe('disabled');
  });
  it('downgrades by config, disables, and passes properties to getConfig', async () => {
    const nsqd1 = breaking(kube, T.StatefulSet, WORKLOAD.nsqd, (i) => (i.spec.replicas = 1));
    const run = (config: object) => evaluatePack([policy], nsqd1, { enforcementLevel: 'mandatory', config: config as never });
    expect((await run({})).violations.map((v) => v.enforcementLevel)).toEqual(['mandatory']);
    expect(mandatory((await run({ [policy.name]: 'advisory' })).violations)).toEqual([]);
    expect((await run({ [policy.name]: 'disabled' })).violations).toEqual([]);
    expect((await run({ [policy.name]: { minReplicas: 1 } })).violations).toEqual([]);
    expect((await run({ [policy.name]: 'remediate' })).violations.map((v) => v.enforcementLevel)).toEqual(['mandatory']);
  });
  it('refuses config for a policy the pack does not have', async () => {
    await expect(evaluatePack(POLICIES, kube, { config: { 'kubernetes-statefulset-nsqd-replica': 'advisory' } })).rejects.toThrow(
      'policy config names unknown policies: kubernetes-statefulset-nsqd-replica',
    );
  });
  it('records notApplicable for stack policies of the other target', async () => {
    const result = await evaluatePack(POLICIES, kube, { enforcementLevel: 'mandatory' });
    expect(result.notApplicable.filter((n) => n.urn === undefined)).toEqual([
      { policy: 'docker-container-worker-replicas', reason: 'the stack declares no Docker container', urn: undefined },
      { policy: 'docker-container-persistent-volume', reason: 'the stack declares no Docker container', urn: undefined },
    ]);
  });
  it('surfaces a policy that throws', async () => {
    const throwing = {
      name: 'x-throws',
      description: 'd',
      validateStack: () => {
        throw new Error('boom');
      },
    };
    await expect(evaluatePack([throwing], kube)).rejects.toThrow("Error validating the stack with policy 'x-throws': boom");
  });
});
