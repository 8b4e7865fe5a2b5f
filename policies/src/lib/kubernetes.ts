/**
 * Reading Kubernetes resources as the policy engine passes them: type tokens, the pod template of
 * every workload kind, containers, env, and the recommended labels of `infra/src/conventions.ts`
 * that say which workload a resource belongs to.
 */
import { LABEL } from '../../../infra/src/conventions.js';
import { isRecord, list, stringMap, type Props } from './values.js';

/** Pulumi type tokens of the Kubernetes kinds the pack reads (asserted against the SDK classes in tests). */
export const K8S_TYPE = {
  Deployment: 'kubernetes:apps/v1:Deployment',
  StatefulSet: 'kubernetes:apps/v1:StatefulSet',
  DaemonSet: 'kubernetes:apps/v1:DaemonSet',
  Job: 'kubernetes:batch/v1:Job',
  CronJob: 'kubernetes:batch/v1:CronJob',
  Pod: 'kubernetes:core/v1:Pod',
  Service: 'kubernetes:core/v1:Service',
  ConfigMap: 'kubernetes:core/v1:ConfigMap',
  Secret: 'kubernetes:core/v1:Secret',
  PersistentVolumeClaim: 'kubernetes:core/v1:PersistentVolumeClaim',
  PodDisruptionBudget: 'kubernetes:policy/v1:PodDisruptionBudget',
  NetworkPolicy: 'kubernetes:networking.k8s.io/v1:NetworkPolicy',
  Ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  HorizontalPodAutoscaler: 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
  HelmRelease: 'kubernetes:helm.sh/v3:Release',
  HelmChartV4: 'kubernetes:helm.sh/v4:Chart',
} as const;

/** Kinds with a pod template. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
/** Kinds whose pods run until stopped (probes, PDBs, scrape targets apply to these). */
export const LONG_RUNNING_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** A Kubernetes workload (any kind with a pod template), flattened for the policies. */
export interface Workload {
  kind: WorkloadKind;
  /** `metadata.name`. */
  name: string;
  namespace: string | undefined;
  /** Pod template labels overlaid with the object's own labels. */
  labels: Record<string, string>;
  /** Pod template annotations overlaid with the object's own annotations. */
  annotations: Record<string, string>;
  /** `app.kubernetes.io/name`: the workload name of `conventions.ts` (`WORKLOAD`, `agentWorkload`). */
  workload: string | undefined;
  /** `app.kubernetes.io/component`. */
  component: string | undefined;
  /** The pod spec (`{}` when absent). */
  podSpec: Props;
  /** `spec.replicas` of a Deployment or StatefulSet (the API server defaults it to 1). */
  replicas: number | undefined;
  /** Deployment, StatefulSet or DaemonSet. */
  longRunning: boolean;
  /** StatefulSet `volumeClaimTemplates` (`[]` for other kinds). */
  volumeClaimTemplates: Props[];
}

/** The workload kind of a type token, or undefined. */
export function workloadKindOf(type: string): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((k) => K8S_TYPE[k] === type);
}

/**
 * Flattens a workload's props.
 *
 * @param type  the resource's type token.
 * @param props the resource's inputs.
 * @returns the workload, or undefined when `type` has no pod template.
 */
export function workloadOf(type: string, props: Props): Workload | undefined {
  const kind = workloadKindOf(type);
  if (!kind) return undefined;
  const spec: Props = isRecord(props.spec) ? props.spec : {};
  const template: Props =
    kind === 'CronJob'
      ? (isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) && isRecord(spec.jobTemplate.spec.template) ? spec.jobTemplate.spec.template : {})
      : isRecord(spec.template)
        ? spec.template
        : {};
  const templateMeta: Props = isRecord(template.metadata) ? template.metadata : {};
  const meta: Props = isRecord(props.metadata) ? props.metadata : {};
  const labels = { ...stringMap(templateMeta.labels), ...stringMap(meta.labels) };
  return {
    kind,
    name: typeof meta.name === 'string' ? meta.name : '(unnamed)',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    labels,
    annotations: { ...stringMap(templateMeta.annotations), ...stringMap(meta.annotations) },
    workload: labels[LABEL.name],
    component: labels[LABEL.component],
    podSpec: isRecord(template.spec) ? template.spec : {},
    replicas: (kind === 'Deployment' || kind === 'StatefulSet') && typeof spec.replicas === 'number' ? spec.replicas : undefined,
    longRunning: LONG_RUNNING_KINDS.includes(kind),
    volumeClaimTemplates: kind === 'StatefulSet' ? list(spec.volumeClaimTemplates) : [],
  };
}

/** `Deployment 'enrichment-worker'` (messages). */
export function describe(w: Pick<Workload, 'kind' | 'name'>): string {
  return `${w.kind} '${w.name}'`;
}

/** A container of a pod spec. */
export interface ContainerRef {
  container: Props;
  name: string;
  /** An init container (no probes; its resources still count). */
  init: boolean;
}

/** The containers (then the init containers) of a pod spec. */
export function containersOf(podSpec: Props): ContainerRef[] {
  const named = (c: Props, init: boolean): ContainerRef => ({ container: c, name: typeof c.name === 'string' ? c.name : '(unnamed)', init });
  return [
    ...list<Props>(podSpec.containers).filter(isRecord).map((c) => named(c, false)),
    ...list<Props>(podSpec.initContainers).filter(isRecord).map((c) => named(c, true)),
  ];
}

/** `container 'mongod'` or `init container 'pull-models'` (messages). */
export function describeContainer(c: ContainerRef): string {
  return `${c.init ? 'init container' : 'container'} '${c.name}'`;
}

/** An env var entry (`{ name, value }` or `{ name, valueFrom }`). */
export interface EnvVar {
  name: string;
  value?: unknown;
  valueFrom?: Props;
}

/** A container's `env` entries. */
export function envOf(container: Props): EnvVar[] {
  return list<Props>(container.env)
    .filter((e) => isRecord(e) && typeof e.name === 'string')
    .map((e) => ({ name: e.name as string, value: e.value, ...(isRecord(e.valueFrom) ? { valueFrom: e.valueFrom } : {}) }));
}

/** `command` followed by `args`, as strings. */
export function commandLine(container: Props): string[] {
  return [...list(container.command), ...list(container.args)].filter((a): a is string => typeof a === 'string');
}

/**
 * The value of a `--flag=value` or `--flag value` argument; `true` for a bare `--flag`;
 * undefined when absent. The last occurrence wins, as in most CLIs.
 */
export function flagValue(argv: readonly string[], flag: string): string | true | undefined {
  // Shell scripts (`sh -c "mongod --auth ..."`) pass the whole command line as one argument.
  const words = argv.flatMap((arg) => arg.split(/\s+/)).filter(Boolean);
  let found: string | true | undefined;
  words.forEach((word, i) => {
    if (word === flag) {
      const next = words[i + 1];
      found = next !== undefined && !next.startsWith('-') ? next : true;
    } else if (word.startsWith(`${flag}=`)) found = word.slice(flag.length + 1);
  });
  return found;
}

/**
 * The volume that backs a path inside a container: the volume of the longest `volumeMounts`
 * entry whose `mountPath` contains `path`.
 */
export function volumeForPath(podSpec: Props, container: Props, path: string): Props | undefined {
  const mounts = list<Props>(container.volumeMounts).filter(
    (m) => isRecord(m) && typeof m.mountPath === 'string' && (path === m.mountPath || path.startsWith(`${String(m.mountPath).replace(/\/$/, '')}/`)),
  );
  mounts.sort((a, b) => String(b.mountPath).length - String(a.mountPath).length);
  const mount = mounts[0];
  if (!mount) return undefined;
  return list<Props>(podSpec.volumes).find((v) => isRecord(v) && v.name === mount.name);
}

/** True for a `secret` volume or a `projected` volume whose sources are all Secrets. */
export function isSecretVolume(volume: Props | undefined): boolean {
  if (!volume) return false;
  if (isRecord(volume.secret)) return true;
  const sources = isRecord(volume.projected) ? list<Props>(volume.projected.sources) : [];
  return sources.length > 0 && sources.every((s) => isRecord(s) && isRecord(s.secret));
}

/** `metadata` of any Kubernetes object. */
export function metadataOf(props: Props): { name: string; namespace: string | undefined; labels: Record<string, string>; annotations: Record<string, string> } {
  const meta: Props = isRecord(props.metadata) ? props.metadata : {};
  return {
    name: typeof meta.name === 'string' ? meta.name : '(unnamed)',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
  };
}

/** True when every `matchLabels` pair and `In` expression of a label selector matches `labels`. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = stringMap(selector.matchLabels);
  const expressions = list<Props>(selector.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return true;
  const labelsOk = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  const exprOk = expressions.every((e) => {
    const value = labels[String(e.key)];
    const values = list<string>(e.values);
    switch (e.operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return labelsOk && exprOk;
}

/** The pod labels a Service selects (`spec.selector`, a plain map). */
export function serviceSelector(props: Props): Record<string, string> {
  return isRecord(props.spec) ? stringMap(props.spec.selector) : {};
}
