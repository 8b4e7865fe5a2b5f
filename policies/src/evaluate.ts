/**
 * Evaluates the pack in-process, the way the Pulumi engine's analyzer does, against the resources
 * `planStack` (infra/src/plan.ts) records under mocks. There is no Pulumi CLI on this machine, so
 * the tests and `npm run policy:check` run the policies through here.
 *
 * Mirrors `@pulumi/policy` 1.21.0 `server.js`:
 * - `analyze` (resource policies): for every resource, every policy whose enforcement level is not
 *   `disabled` runs each of its validations with a `ResourceValidationArgs` of
 *   `{ type, props, urn, name, opts, provider?, stackTags, isType, asType, getConfig, notApplicable }`;
 *   props are wrapped in the package's `unknownCheckingProxy`; a validation carrying a
 *   `__pulumiType` is skipped for other types.
 * - `analyzeStack` (stack policies): once, with `{ resources: PolicyResource[], getConfig, stackTags,
 *   notApplicable }`, each resource `{ type, props, urn, name, opts, provider?, parent?,
 *   dependencies, propertyDependencies, isType, asType }`.
 * - Enforcement level: the policy config's (`--policy-pack-config`), else the policy's, else the
 *   pack's; `remediate` reports as `mandatory`. A config entry may be a level string or an object
 *   with `enforcementLevel` and the policy's properties; the key `all` applies to every policy.
 * - `notApplicable(reason)` throws; the engine records the policy as not applicable.
 *
 * Differences, stated: the engine passes a resource's *outputs* to stack policies; under mocks the
 * outputs are the inputs, so both kinds of policy see the resolved inputs. `parent` and
 * dependencies are not recorded by `planStack`, so they are left empty.
 */
import type {
  EnforcementLevel,
  PolicyPackConfig,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';
import { unknownCheckingProxy } from '@pulumi/policy';
import type { PlannedResource } from '../../infra/src/plan.js';
import type { PackPolicy } from './lib/policy.js';

/** One policy violation, as the engine reports it. */
export interface Violation {
  /** Policy name. */
  policy: string;
  /** Effective enforcement level (`mandatory` blocks `pulumi up`). */
  enforcementLevel: EnforcementLevel;
  severity: Severity | undefined;
  /** The resource in violation; undefined for a stack-wide violation. */
  urn: string | undefined;
  /** The message the policy reported (the engine prints the description above it). */
  message: string;
  /** The policy's description. */
  description: string;
}

/** A policy that declared itself not applicable, and why. */
export interface NotApplicable {
  policy: string;
  reason: string | undefined;
  urn: string | undefined;
}

export interface EvaluationResult {
  violations: Violation[];
  notApplicable: NotApplicable[];
}

export interface EvaluateOptions {
  /** The pack's default enforcement level (`PolicyPackArgs.enforcementLevel`; default `advisory`, as in the SDK). */
  enforcementLevel?: EnforcementLevel;
  /** The policy config (`--policy-pack-config` JSON). */
  config?: PolicyPackConfig;
  /** Stack tags (`pulumi stack tag`). */
  stackTags?: ReadonlyMap<string, string>;
}

/** Thrown by `notApplicable()` (the SDK's own class is private to server.js). */
export class NotApplicableError extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? 'Policy does not apply');
    this.name = 'NotApplicableError';
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** `__pulumiType` of an SDK resource class or a `validateResourceOfType` function. */
function pulumiTypeOf(obj: unknown): string | undefined {
  const t = (obj as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof t === 'string' && t.length > 0 ? t : undefined;
}

/** The SDK's `isTypeOf`: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = pulumiTypeOf(resourceClass);
  if (pulumiType) return type === pulumiType;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean }).isInstance;
  return typeof isInstance === 'function' && isInstance({ __pulumiType: type }) === true;
}

const NO_OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** The provider of a resource (`PlannedResource.provider` is the engine's `<urn>::<id>` reference). */
function providerOf(resource: PlannedResource, all: readonly PlannedResource[]): PolicyProviderResource | undefined {
  if (!resource.provider) return undefined;
  const urn = resource.provider.slice(0, resource.provider.lastIndexOf('::'));
  const name = urn.slice(urn.lastIndexOf('::') + 2);
  const type = urn.split('::')[2]?.split('$').pop() ?? '';
  const declared = all.find((r) => r.type === type && r.name === name);
  return { type, urn, name, props: unknownCheckingProxy(declared?.inputs ?? {}) };
}

/** The config properties of one policy (the SDK's `makeGetConfigFun`: everything but `enforcementLevel`). */
function configFor(config: PolicyPackConfig, policy: string): Record<string, unknown> {
  const entry = config[policy];
  if (entry === undefined || typeof entry === 'string') return {};
  const { enforcementLevel: _level, ...properties } = entry;
  return properties;
}

/** Effective level: config (policy, then `all`), then the policy's own, then the pack's. */
export function enforcementLevelOf(policy: PackPolicy, options: EvaluateOptions = {}): EnforcementLevel {
  const levelIn = (entry: PolicyPackConfig[string] | undefined) => (typeof entry === 'string' ? entry : entry?.enforcementLevel);
  const config = options.config ?? {};
  return levelIn(config[policy.name]) ?? levelIn(config.all) ?? policy.enforcementLevel ?? options.enforcementLevel ?? 'advisory';
}

/**
 * The `ResourceValidationArgs` the engine passes a resource policy for one planned resource: the
 * one helper through which every test and the plan check feed resources to policies.
 *
 * @param resource  a resource recorded by `planStack` (or built the same way in a test).
 * @param options   `getConfig` result for the policy (default `{}`), the other resources (to
 *                  resolve the provider reference), stack tags.
 */
export function resourceValidationArgs(
  resource: PlannedResource,
  options: { config?: Record<string, unknown>; resources?: readonly PlannedResource[]; stackTags?: ReadonlyMap<string, string> } = {},
): ResourceValidationArgs {
  const props = unknownCheckingProxy(resource.inputs) as Record<string, any>;
  const args: ResourceValidationArgs = {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: NO_OPTIONS,
    stackTags: options.stackTags ?? new Map(),
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as ResourceValidationArgs['asType'],
    getConfig: <T extends object>() => (options.config ?? {}) as T,
    notApplicable: throwNotApplicable,
  };
  const provider = providerOf(resource, options.resources ?? []);
  if (provider) args.provider = provider;
  return args;
}

/** The `PolicyResource` list the engine passes stack policies. */
export function policyResources(resources: readonly PlannedResource[]): PolicyResource[] {
  return resources.map((r) => {
    const props = unknownCheckingProxy(r.inputs) as Record<string, any>;
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: NO_OPTIONS,
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(r.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource['asType'],
    };
    const provider = providerOf(r, resources);
    if (provider) resource.provider = provider;
    return resource;
  });
}

/** The `StackValidationArgs` of a stack policy. */
export function stackValidationArgs(
  resources: readonly PlannedResource[],
  options: { config?: Record<string, unknown>; stackTags?: ReadonlyMap<string, string> } = {},
): StackValidationArgs {
  return {
    resources: policyResources(resources),
    getConfig: <T extends object>() => (options.config ?? {}) as T,
    stackTags: options.stackTags ?? new Map(),
    notApplicable: throwNotApplicable,
  };
}

function isStackPolicy(p: PackPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === 'function';
}

function validationsOf(p: ResourceValidationPolicy): ResourceValidation[] {
  if (!p.validateResource) return [];
  return Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
}

/**
 * Runs a pack's policies against a set of resources: every resource policy on each resource, every
 * stack policy on the whole set.
 *
 * @param policies  the policies (`POLICIES` of ./pack.ts, or a subset).
 * @param resources the planned resources (`planStack(...).resources`).
 * @param options   pack enforcement level, policy config, stack tags.
 * @throws Error when the config names a policy the pack does not have (a typo would otherwise
 *   silently keep a rule at its default), or when a policy throws anything but `notApplicable`.
 */
export async function evaluatePack(policies: readonly PackPolicy[], resources: readonly PlannedResource[], options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const config = options.config ?? {};
  const names = new Set(policies.map((p) => p.name));
  const unknown = Object.keys(config).filter((k) => k !== 'all' && !names.has(k));
  if (unknown.length > 0) throw new Error(`policy config names unknown policies: ${unknown.join(', ')}`);

  const violations: Violation[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const policy of policies) {
    let level = enforcementLevelOf(policy, options);
    if (level === 'disabled') continue;
    if (level === 'remediate') level = 'mandatory';
    const policyConfig = configFor(config, policy.name);
    const report =
      (urnOfResource: string | undefined): ReportViolation =>
      (message, urn) => {
        violations.push({
          policy: policy.name,
          enforcementLevel: level,
          severity: policy.severity,
          // Resource policies always report against the resource; stack policies may name one.
          urn: urnOfResource ?? urn,
          message,
          description: policy.description,
        });
      };
    const run = async (fn: () => unknown, urn: string | undefined) => {
      try {
        await Promise.resolve(fn());
      } catch (e) {
        if (e instanceof NotApplicableError) notApplicable.push({ policy: policy.name, reason: e.reason, urn });
        else throw new Error(`Error validating ${urn ?? 'the stack'} with policy '${policy.name}': ${(e as Error).message}`, { cause: e });
      }
    };

    if (isStackPolicy(policy)) {
      const args = stackValidationArgs(resources, { config: policyConfig, ...(options.stackTags ? { stackTags: options.stackTags } : {}) });
      await run(() => policy.validateStack(args, report(undefined)), undefined);
      continue;
    }
    const validations = validationsOf(policy);
    const single = validations.length === 1 ? pulumiTypeOf(validations[0]) : undefined;
    for (const resource of resources) {
      if (single && resource.type !== single) continue;
      const args = resourceValidationArgs(resource, { config: policyConfig, resources, ...(options.stackTags ? { stackTags: options.stackTags } : {}) });
      for (const validation of validations) await run(() => validation(args, report(resource.urn)), resource.urn);
    }
  }
  return { violations, notApplicable };
}

/** Violations that block a deployment. */
export function mandatory(violations: readonly Violation[]): Violation[] {
  return violations.filter((v) => v.enforcementLevel === 'mandatory');
}
