/**
 * Persistent storage of workloads: which workloads are stateful, and which of their volumes are
 * backed by PersistentVolumeClaims (and how large those are).
 */
import type { PolicyResource } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { K8S_TYPE, metadataOf, type Workload } from './kubernetes.js';
import { isRecord, list, type Props } from './values.js';

/** Workloads whose data must survive a restart (database, queue on disk, models, metrics). */
export const STATEFUL_WORKLOADS: readonly string[] = [WORKLOAD.mongodb, WORKLOAD.nsqd, WORKLOAD.ollama, WORKLOAD.prometheus];

/** A claim a workload's volume is backed by. */
export interface Claim {
  /** The pod volume name (claim template name for StatefulSets). */
  volume: string;
  /** `spec.resources.requests.storage` of the template or of the declared PVC; undefined when unknown. */
  storage: unknown;
}

/**
 * The PVC-backed volumes of a workload: its volumeClaimTemplates, and its `persistentVolumeClaim`
 * volumes (with the size of the matching PVC when the stack declares it).
 */
export function claimsOf(w: Pick<Workload, 'podSpec' | 'volumeClaimTemplates' | 'namespace'>, resources: readonly PolicyResource[] = []): Claim[] {
  const claims: Claim[] = [];
  const storageOf = (spec: unknown) =>
    isRecord(spec) && isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests.storage : undefined;
  for (const t of w.volumeClaimTemplates) {
    if (isRecord(t.metadata) && typeof t.metadata.name === 'string') claims.push({ volume: t.metadata.name, storage: storageOf(t.spec) });
  }
  for (const v of list<Props>(w.podSpec.volumes)) {
    if (!isRecord(v) || !isRecord(v.persistentVolumeClaim) || typeof v.name !== 'string') continue;
    const claimName = v.persistentVolumeClaim.claimName;
    const pvc = resources.find((r) => r.type === K8S_TYPE.PersistentVolumeClaim && metadataOf(r.props).name === claimName && metadataOf(r.props).namespace === w.namespace);
    claims.push({ volume: v.name, storage: pvc ? storageOf(pvc.props.spec) : undefined });
  }
  return claims;
}

/** The names of the volumes mounted by any container (init containers included) of a pod spec. */
export function mountedVolumes(podSpec: Props): Set<string> {
  const names = new Set<string>();
  for (const c of [...list<Props>(podSpec.containers), ...list<Props>(podSpec.initContainers)]) {
    for (const m of list<Props>(isRecord(c) ? c.volumeMounts : undefined)) if (isRecord(m) && typeof m.name === 'string') names.add(m.name);
  }
  return names;
}
