/**
 * Reading `@pulumi/docker` containers (the dev stack) as the policy engine passes them. Docker
 * containers carry the Kubernetes label keys of `infra/src/conventions.ts` as Docker labels, and
 * the `ANNOTATION` keys too (Docker has no annotations).
 */
import { COMPONENT, LABEL } from '../../../infra/src/conventions.js';
import { isRecord, list, type Props } from './values.js';

/** Pulumi type tokens of the Docker resources the pack reads. */
export const DOCKER_TYPE = {
  Container: 'docker:index/container:Container',
  Volume: 'docker:index/volume:Volume',
  Network: 'docker:index/network:Network',
} as const;

/** A file uploaded into a container (`uploads`): how the dev stack delivers secrets and config. */
export interface Upload {
  file: string;
  /** `content`, or `contentBase64` decoded; undefined for an upload from a host `source`. */
  content: string | undefined;
}

/** A Docker container, flattened for the policies. */
export interface DockerContainer {
  /** The container name (`name` input). */
  name: string;
  /** Docker labels as a map. */
  labels: Record<string, string>;
  /** `app.kubernetes.io/name`. */
  workload: string | undefined;
  /** `app.kubernetes.io/component`. */
  component: string | undefined;
  /** `envs` as name/value pairs (`NAME=value`; a bare `NAME` has value undefined). */
  env: { name: string; value: string | undefined }[];
  uploads: Upload[];
  /** `command`, as strings. */
  command: string[];
  props: Props;
}

/** Flattens a `docker.Container`'s props. */
export function dockerContainerOf(props: Props): DockerContainer {
  const labels: Record<string, string> = {};
  for (const l of list<Props>(props.labels)) {
    if (isRecord(l) && typeof l.label === 'string' && typeof l.value === 'string') labels[l.label] = l.value;
  }
  const env = list(props.envs)
    .filter((e): e is string => typeof e === 'string')
    .map((e) => {
      const eq = e.indexOf('=');
      return eq < 0 ? { name: e, value: undefined } : { name: e.slice(0, eq), value: e.slice(eq + 1) };
    });
  const uploads = list<Props>(props.uploads)
    .filter((u) => isRecord(u) && typeof u.file === 'string')
    .map((u) => ({
      file: u.file as string,
      content:
        typeof u.content === 'string'
          ? u.content
          : typeof u.contentBase64 === 'string'
            ? Buffer.from(u.contentBase64, 'base64').toString('utf8')
            : undefined,
    }));
  return {
    name: typeof props.name === 'string' ? props.name : '(unnamed)',
    labels,
    workload: labels[LABEL.name],
    component: labels[LABEL.component],
    env,
    uploads,
    command: [...list(props.entrypoints), ...list(props.command)].filter((a): a is string => typeof a === 'string'),
    props,
  };
}

/** `container 'mongodb'` (messages). */
export function describeDocker(c: Pick<DockerContainer, 'name'>): string {
  return `container '${c.name}'`;
}

/** The data tier (MongoDB, NSQ, Ollama): never published, never public (checklist Network segmentation). */
export const DATA_TIER_COMPONENTS: readonly string[] = [COMPONENT.database, COMPONENT.queue, COMPONENT.llm];
