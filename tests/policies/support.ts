/**
 * Helpers of the policy tests: run one policy on a set of planned resources (through
 * `evaluatePack`, hence through the one args helper of policies/src/evaluate.ts), and break one
 * field of one resource.
 */
import type { PolicyPackConfig } from '@pulumi/policy';
import type { PlannedResource } from '../../infra/src/plan.js';
import { evaluatePack, type Violation } from '../../policies/src/evaluate.js';
import { K8S_TYPE } from '../../policies/src/lib/kubernetes.js';
import type { PackPolicy } from '../../policies/src/lib/policy.js';
import { PACK_ENFORCEMENT_LEVEL, POLICIES } from '../../policies/src/pack.js';

/** The policy of the pack with this name. @throws Error when there is none. */
export function policyNamed(name: string): PackPolicy {
  const policy = POLICIES.find((p) => p.name === name);
  if (!policy) throw new Error(`no policy '${name}' in the pack`);
  return policy;
}

/** The violations one policy reports on `resources`, with the pack's default level. */
export async function violations(name: string, resources: readonly PlannedResource[], config?: Record<string, unknown>): Promise<Violation[]> {
  const packConfig: PolicyPackConfig = config ? { [name]: config } : {};
  return (await evaluatePack([policyNamed(name)], resources, { enforcementLevel: PACK_ENFORCEMENT_LEVEL, config: packConfig })).violations;
}

/** The messages one policy reports on `resources`. */
export async function messages(name: string, resources: readonly PlannedResource[], config?: Record<string, unknown>): Promise<string[]> {
  return (await violations(name, resources, config)).map((v) => v.message);
}

/**
 * A copy of `resources` in which the resource of this type and logical name has had `mutate`
 * applied to (a deep copy of) its inputs. The original list is left unchanged.
 *
 * @throws Error when no such resource exists (a fixture renamed under a test).
 */
export function breaking(resources: readonly PlannedResource[], type: string, name: string, mutate: (inputs: Record<string, any>) => void): PlannedResource[] {
  let found = false;
  const out = resources.map((r) => {
    if (r.type !== type || r.name !== name) return r;
    found = true;
    const inputs = structuredClone(r.inputs);
    mutate(inputs);
    return { ...r, inputs };
  });
  if (!found) throw new Error(`no ${type} named '${name}' among the resources`);
  return out;
}

/** `resources` without the ones matching `drop`. */
export function without(resources: readonly PlannedResource[], drop: (r: PlannedResource) => boolean): PlannedResource[] {
  return resources.filter((r) => !drop(r));
}

/** The first container of a workload's pod template (Deployment, StatefulSet, DaemonSet, Job). */
export function firstContainer(inputs: Record<string, any>): Record<string, any> {
  return inputs.spec.template.spec.containers[0];
}

/** Type tokens used by the tests: the pack's Kubernetes tokens plus the CRs, Docker and TLS ones. */
export const T = {
  ...K8S_TYPE,
  Certificate: 'kubernetes:cert-manager.io/v1:Certificate',
  ClusterIssuer: 'kubernetes:cert-manager.io/v1:ClusterIssuer',
  Container: 'docker:index/container:Container',
  LocallySignedCert: 'tls:index/locallySignedCert:LocallySignedCert',
  CertRequest: 'tls:index/certRequest:CertRequest',
} as const;
