/**
 * Shared pieces of every policy: the checklist citation, the typed SDK classes, policy config
 * with defaults, and "does this stack have resources of this target at all".
 */
import * as docker from '@pulumi/docker';
import * as k8s from '@pulumi/kubernetes';
import {
  validateResourceOfType,
  type PolicyComplianceFramework,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
} from '@pulumi/policy';
import { DOCKER_TYPE } from './docker.js';
import { workloadOf, type Workload } from './kubernetes.js';
import type { Props } from './values.js';

/** A policy of this pack. */
export type PackPolicy = ResourceValidationPolicy | StackValidationPolicy;

/**
 * The checklist line a policy enforces, as a Pulumi compliance framework entry (shown by
 * `pulumi policy ls` and in Pulumi Cloud).
 *
 * @param reference     the phase and section, e.g. `9a Database Configuration`.
 * @param specification the line, paraphrased (the checklist text is not copied into the repository).
 */
export function checklist(reference: string, specification: string): PolicyComplianceFramework {
  return { name: 'enrichment-platform production deployment checklist', version: '1', reference, specification };
}

/** The policy config (`--policy-pack-config`) merged over the policy's defaults. */
export function configOf<T extends object>(args: Pick<ResourceValidationArgs, 'getConfig'>, defaults: T): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}

/** The workload classes, for `validateResourceOfType`. */
export const WORKLOAD_CLASSES = [k8s.apps.v1.Deployment, k8s.apps.v1.StatefulSet, k8s.apps.v1.DaemonSet, k8s.batch.v1.Job, k8s.batch.v1.CronJob] as const;
/** The long-running workload classes (pods that run until stopped). */
export const LONG_RUNNING_CLASSES = [k8s.apps.v1.Deployment, k8s.apps.v1.StatefulSet, k8s.apps.v1.DaemonSet] as const;

type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

/**
 * One `validateResourceOfType` per workload class, each calling `check` with the flattened
 * workload: a policy that applies to every pod template.
 */
export function validateWorkloads(
  classes: readonly WorkloadClass[],
  check: (workload: Workload, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation[] {
  return classes.map((cls) =>
    validateResourceOfType(cls as typeof k8s.apps.v1.Deployment, (props, args, reportViolation) => {
      check(workloadOf(args.type, props as Props)!, args, reportViolation);
    }),
  );
}

/** `validateResourceOfType(docker.Container, ...)` with the props as plain values. */
export function validateDockerContainers(check: (props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void): ResourceValidation {
  return validateResourceOfType(docker.Container, (props, args, reportViolation) => check(props as Props, args, reportViolation));
}

/** Every Kubernetes workload of a stack. */
export function stackWorkloads(resources: readonly PolicyResource[]): (Workload & { urn: string })[] {
  return resources.flatMap((r) => {
    const w = workloadOf(r.type, r.props);
    return w ? [{ ...w, urn: r.urn }] : [];
  });
}

/** True when the stack targets Kubernetes (declares at least one Kubernetes workload). */
export function isKubernetesStack(resources: readonly PolicyResource[]): boolean {
  return stackWorkloads(resources).length > 0;
}

/** True when the stack targets Docker (declares at least one container). */
export function isDockerStack(resources: readonly PolicyResource[]): boolean {
  return resources.some((r) => r.type === DOCKER_TYPE.Container);
}

/** Marks a Kubernetes-only stack policy not applicable on other stacks. */
export function requireKubernetes(args: StackValidationArgs): void {
  if (!isKubernetesStack(args.resources)) args.notApplicable('the stack declares no Kubernetes workload');
}

/** Marks a Docker-only stack policy not applicable on other stacks. */
export function requireDocker(args: StackValidationArgs): void {
  if (!isDockerStack(args.resources)) args.notApplicable('the stack declares no Docker container');
}

/**
 * True for a one-shot Docker container (`mustRun: false`): the Docker form of a Job (index
 * creation, model pull). It exits when done, so restart policy and healthcheck do not apply.
 */
export function isOneShotContainer(props: Props): boolean {
  return props.mustRun === false;
}

/**
 * A resource validation of a custom resource (`k8s.apiextensions.CustomResource`), whose SDK class
 * has no fixed type: the type token is `kubernetes:<apiVersion>:<kind>`. Like
 * `validateResourceOfType`, it carries that token so the engine skips other resources fast.
 */
export function validateCustomResource(
  apiVersion: string,
  kind: string,
  check: (props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  const type = `kubernetes:${apiVersion}:${kind}`;
  const fn: ResourceValidation = (args, reportViolation) => {
    if (args.type !== type) args.notApplicable(`Policy only applies to resources of type '${type}'`);
    return check(args.props, args, reportViolation);
  };
  return Object.assign(fn, { __pulumiType: type });
}
