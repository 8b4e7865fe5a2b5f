/**
 * Every Kubernetes object the staging and prod stacks declare, validated against the Kubernetes
 * schemas (issue 4, Tests): the API machinery's strict decoder (`.bin/k8s-validate`, unknown and
 * duplicate fields refused), kubernetes-models' OpenAPI validators (required fields, types,
 * formats) and our zod schemas of cert-manager's v1 CRDs. See `infra/src/validate.ts`.
 *
 * Needs `.bin/k8s-validate` (`bash scripts/build-services.sh`, run by `npm test`'s pretest): when it
 * is missing every test here fails with that instruction; none is skipped.
 */
import * as k8s from '@pulumi/kubernetes';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECRET_CONFIG_KEYS } from '../../infra/src/config.js';
import { planStack } from '../../infra/src/plan.js';
import {
  K8sValidateUnavailableError,
  kubernetesObjects,
  validateKubernetesObjects,
  type KubernetesObject,
  type NonObjectKubernetesResource,
  type ObjectValidation,
  type PlannedKubernetesObject,
} from '../../infra/src/validate.js';

/**
 * `kubernetes:` resources that are not Kubernetes objects and so cannot be schema-checked here,
 * by exact type token. A Helm release's inputs are a chart reference and values; the chart renders
 * the objects inside the cluster, where its values schema and the API server check them.
 */
const ALLOWED_NON_OBJECT_TYPES = new Set(['kubernetes:helm.sh/v3:Release']);

/** Every secret config key set, so that objects declared only for a configured secret (receiver
 *  credentials, registry pull secret, backup credentials) are planned and validated too. */
const SECRETS = Object.fromEntries(SECRET_CONFIG_KEYS.map((key) => [key, `test-${key}-0123456789abcdef0123456789`]));

interface StackValidation {
  objects: PlannedKubernetesObject[];
  others: NonObjectKubernetesResource[];
  results: ObjectValidation[];
}

/** `<type> <logical name> (<kind> <namespace>/<name>)` for failure messages. */
function describeObject(planned: PlannedKubernetesObject, result: ObjectValidation): string {
  const where = `${result.kind} ${result.namespace ? `${result.namespace}/` : ''}${result.name}`;
  return `${planned.resource.type} ${planned.resource.name} (${where})`;
}

/** Objects of one kind in plan order. */
function ofKind(state: StackValidation, apiVersion: string, kind: string): KubernetesObject[] {
  return state.objects.map((o) => o.object).filter((o) => o.apiVersion === apiVersion && o.kind === kind);
}

// Filled by the prod suite; the negative tests start from its objects, which must be valid.
let prod: StackValidation | undefined;

describe.each(['staging', 'prod'] as const)('%s stack: every Kubernetes object passes the schemas', (stack) => {
  let state: StackValidation;

  beforeAll(async () => {
    const plan = await planStack(stack, { secrets: SECRETS });
    const { objects, others } = kubernetesObjects(plan);
    const results = await validateKubernetesObjects(objects.map((o) => o.object));
    state = { objects, others, results };
    if (stack === 'prod') prod = state;
  });

  it('declares the objects of every concern, all handed to the validators', () => {
    const kinds = new Set(state.objects.map((o) => `${o.object.apiVersion} ${o.object.kind}`));
    for (const kind of [
      'v1 Namespace',
      'v1 Secret',
      'v1 Service',
      'apps/v1 StatefulSet',
      'apps/v1 Deployment',
      'batch/v1 Job',
      'batch/v1 CronJob',
      'policy/v1 PodDisruptionBudget',
      'networking.k8s.io/v1 NetworkPolicy',
      'networking.k8s.io/v1 Ingress',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'cert-manager.io/v1 Certificate',
      'cert-manager.io/v1 ClusterIssuer',
    ]) {
      expect(kinds, `no ${kind} planned`).toContain(kind);
    }
    expect(state.results).toHaveLength(state.objects.length);
  });

  it('has no schema error in any object', () => {
    const failures = state.results
      .filter((r) => r.status === 'invalid')
      .map((r) => ({ object: describeObject(state.objects[r.index]!, r), errors: r.errors }));
    expect(failures).toEqual([]);
  });

  it('validates every object strictly (unknown fields refused), none left unvalidated', () => {
    const uncovered = state.results
      .filter((r) => r.status === 'not validated' || !r.strict)
      .map((r) => `${describeObject(state.objects[r.index]!, r)}: ${r.status}, validators ${r.validators.join(', ') || 'none'}`);
    expect(uncovered).toEqual([]);
  });

  it('leaves out only allow-listed non-object resources (exact type tokens)', () => {
    const unexpected = state.others
      .filter((o) => !ALLOWED_NON_OBJECT_TYPES.has(o.resource.type))
      .map((o) => `${o.resource.type} ${o.resource.name}: ${o.reason}`);
    expect(unexpected).toEqual([]);
  });
});

describe('a broken field fails validation and the error names it', () => {
  /** A deep copy of the first prod object of a kind, checked valid before it is broken. */
  function fixture(apiVersion: string, kind: string): any {
    if (!prod) throw new Error('the prod plan did not run');
    const found = ofKind(prod, apiVersion, kind)[0];
    if (!found) throw new Error(`prod declares no ${apiVersion} ${kind}`);
    return structuredClone(found);
  }

  async function validateOne(object: KubernetesObject): Promise<ObjectValidation> {
    const [result] = await validateKubernetesObjects([object]);
    return result!;
  }

  it('starts from objects that pass', async () => {
    for (const [apiVersion, kind] of [
      ['apps/v1', 'StatefulSet'],
      ['cert-manager.io/v1', 'Certificate'],
      ['cert-manager.io/v1', 'ClusterIssuer'],
    ] as const) {
      const result = await validateOne(fixture(apiVersion, kind));
      expect(result, `${apiVersion} ${kind}`).toMatchObject({ status: 'valid', strict: true, errors: [] });
    }
  });

  it('a misspelled container field (imagePullPolicyy)', async () => {
    const sts = fixture('apps/v1', 'StatefulSet');
    const container = sts.spec.template.spec.containers[0];
    container.imagePullPolicyy = container.imagePullPolicy ?? 'IfNotPresent';
    delete container.imagePullPolicy;
    const result = await validateOne(sts);
    expect(result.status).toBe('invalid');
    expect(result.errors).toContain('k8s-validate: unknown field "spec.template.spec.containers[0].imagePullPolicyy"');
  });

  it('a misspelled metadata field, on a built-in kind and on a custom resource', async () => {
    const sts = fixture('apps/v1', 'StatefulSet');
    sts.metadata.label = sts.metadata.labels;
    expect((await validateOne(sts)).errors).toContain('k8s-validate: unknown field "metadata.label"');

    const cert = fixture('cert-manager.io/v1', 'Certificate');
    cert.metadata.annotation = { a: 'b' };
    expect((await validateOne(cert)).errors).toContain('k8s-validate: unknown field "metadata.annotation"');
  });

  it('a wrong type (replicas: "3")', async () => {
    const sts = fixture('apps/v1', 'StatefulSet');
    sts.spec.replicas = '3';
    const result = await validateOne(sts);
    expect(result.status).toBe('invalid');
    expect(result.errors).toContain('kubernetes-models: /spec/replicas: must be integer');
    expect(result.errors).toContainEqual(expect.stringMatching(/^k8s-validate: .*cannot unmarshal string into Go struct field StatefulSetSpec\.spec\.replicas of type int32/));
  });

  it('a malformed quantity (memory "512MB")', async () => {
    const sts = fixture('apps/v1', 'StatefulSet');
    sts.spec.template.spec.containers[0].resources.limits.memory = '512MB';
    const result = await validateOne(sts);
    expect(result.status).toBe('invalid');
    expect(result.errors).toContain(
      'kubernetes-models: /spec/template/spec/containers/0/resources/limits/memory: must be number or must match format "quantity"',
    );
    expect(result.errors).toContainEqual(expect.stringMatching(/^k8s-validate: quantities must match/));
  });

  it('a missing required field (container name)', async () => {
    const sts = fixture('apps/v1', 'StatefulSet');
    delete sts.spec.template.spec.containers[0].name;
    const result = await validateOne(sts);
    expect(result.status).toBe('invalid');
    expect(result.errors).toContain('kubernetes-models: /spec/template/spec/containers/0: missing required field "name"');
  });

  it('a misspelled cert-manager field (dnsName) and a misspelled issuerRef field', async () => {
    const cert = fixture('cert-manager.io/v1', 'Certificate');
    cert.spec.dnsName = cert.spec.dnsNames ?? ['x.example.com'];
    delete cert.spec.dnsNames;
    const result = await validateOne(cert);
    expect(result.status).toBe('invalid');
    expect(result.errors).toContain('zod:cert-manager.io/v1/Certificate: spec: Unrecognized key: "dnsName"');

    const cert2 = fixture('cert-manager.io/v1', 'Certificate');
    cert2.spec.issuerRef = { nam: cert2.spec.issuerRef.name, kind: cert2.spec.issuerRef.kind };
    const errors2 = (await validateOne(cert2)).errors;
    expect(errors2).toContain('zod:cert-manager.io/v1/Certificate: spec.issuerRef: Unrecognized key: "nam"');
    expect(errors2).toContainEqual(expect.stringMatching(/^zod:cert-manager\.io\/v1\/Certificate: spec\.issuerRef\.name: /));
  });

  it('a cert-manager duration that Go cannot parse, and an issuer with no type', async () => {
    const cert = fixture('cert-manager.io/v1', 'Certificate');
    cert.spec.duration = '2y';
    expect((await validateOne(cert)).errors).toContain(
      'zod:cert-manager.io/v1/Certificate: spec.duration: must be a Go duration such as 17520h0m0s',
    );
    const issuer = fixture('cert-manager.io/v1', 'ClusterIssuer');
    issuer.spec = {};
    expect((await validateOne(issuer)).errors).toContain(
      'zod:cert-manager.io/v1/ClusterIssuer: spec: exactly one of selfSigned, ca, acme must be set',
    );
  });

  it('reports a kind no validator knows as not validated, not as valid', async () => {
    const result = await validateOne({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
    expect(result).toMatchObject({ status: 'not validated', strict: false, validators: ['k8s-validate:metadata'] });
  });

  it('refuses to run without the Go decoder, saying how to build it', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    await expect(validateKubernetesObjects([configMap], { binary: '/nonexistent/k8s-validate' })).rejects.toThrow(
      K8sValidateUnavailableError,
    );
    await expect(validateKubernetesObjects([], { binary: '/nonexistent/k8s-validate' })).rejects.toThrow(/bash scripts\/build-services\.sh/);
  });
});

describe('kubernetesObjects', () => {
  it('keeps typed objects and custom resources as planned, lists Helm releases apart, and the validators see the inputs as written', async () => {
    const plan = await planStack('staging', {
      program: () => {
        const provider = new k8s.Provider('k8s', {});
        new k8s.core.v1.ConfigMap('cm', { metadata: { name: 'cm', namespace: 'ns' }, data: { a: 'b' } }, { provider });
        new k8s.apiextensions.CustomResource(
          'cert',
          { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c', namespace: 'ns' }, spec: { secretName: 's', issuerRef: { name: 'ca' } } },
          { provider },
        );
        new k8s.helm.v3.Release('release', { chart: 'cert-manager', namespace: 'ns' }, { provider });
        // A typo the TypeScript types would catch, forced through as a component could by spreading
        // an untyped object: the plan carries it to the validators unchanged.
        const container = { name: 'app', image: 'app:1', imagePullPolicyy: 'Always' } as unknown as k8s.types.input.core.v1.Container;
        new k8s.apps.v1.Deployment(
          'deploy',
          {
            metadata: { name: 'app', namespace: 'ns' },
            spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container] } } },
          },
          { provider },
        );
        return {};
      },
    });
    const { objects, others } = kubernetesObjects(plan);
    expect(objects.map((o) => [o.resource.type, o.object.kind])).toEqual([
      ['kubernetes:core/v1:ConfigMap', 'ConfigMap'],
      ['kubernetes:cert-manager.io/v1:Certificate', 'Certificate'],
      ['kubernetes:apps/v1:Deployment', 'Deployment'],
    ]);
    expect(Object.keys(objects[0]!.object).sort()).toEqual(['apiVersion', 'data', 'kind', 'metadata']);
    expect(others.map((o) => o.resource.type)).toEqual(['kubernetes:helm.sh/v3:Release']);
    const results = await validateKubernetesObjects(objects.map((o) => o.object));
    expect(results.map((r) => [r.kind, r.status, r.validators])).toEqual([
      ['ConfigMap', 'valid', ['k8s-validate', 'kubernetes-models']],
      ['Certificate', 'valid', ['k8s-validate:metadata', 'zod:cert-manager.io/v1/Certificate']],
      ['Deployment', 'invalid', ['k8s-validate', 'kubernetes-models']],
    ]);
    expect(results[2]!.errors).toEqual(['k8s-validate: unknown field "spec.template.spec.containers[0].imagePullPolicyy"']);
  });
});
