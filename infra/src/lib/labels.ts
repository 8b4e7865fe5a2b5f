/**
 * The labels every object of the platform carries (`conventions.ts`): `app.kubernetes.io/name`,
 * `/component` and `/part-of` on Kubernetes objects, and the same keys as Docker labels. The
 * policy pack recognises workloads by them, so every component builds them here.
 */
import { LABEL, PART_OF } from '../conventions.js';

/** A label map (Kubernetes `metadata.labels`, or the source of a Docker label list). */
export type Labels = Record<string, string>;

/** Docker's form of labels: a list of `{ label, value }`. */
export type DockerLabel = { label: string; value: string };

/**
 * The three recommended labels of a workload's objects.
 *
 * @param workload  `app.kubernetes.io/name` (a `WORKLOAD` value, an agent workload, a helper name).
 * @param component `app.kubernetes.io/component` (a `COMPONENT` value).
 * @example workloadLabels('nsqd', 'queue')
 *   // { 'app.kubernetes.io/name': 'nsqd', 'app.kubernetes.io/component': 'queue', 'app.kubernetes.io/part-of': 'enrichment-platform' }
 */
export function workloadLabels(workload: string, component: string): Labels {
  return { [LABEL.name]: workload, [LABEL.component]: component, [LABEL.partOf]: PART_OF };
}

/** The pod selector of a workload: `{ 'app.kubernetes.io/name': workload }` (Services, PDBs, affinity). */
export function nameSelector(workload: string): Labels {
  return { [LABEL.name]: workload };
}

/** A label map as Docker container, volume or network labels, in the map's order. */
export function dockerLabels(labels: Labels): DockerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/**
 * {@link workloadLabels} as Docker labels, followed by `extra` (checklist facts the policy pack
 * reads from labels on Docker, e.g. `ANNOTATION.mongodbIndexes`).
 */
export function dockerWorkloadLabels(workload: string, component: string, extra: Labels = {}): DockerLabel[] {
  return dockerLabels({ ...workloadLabels(workload, component), ...extra });
}
