/**
 * Configuration files the platform ships inside resources: Prometheus, Alertmanager and rule
 * files, Grafana dashboards. On Kubernetes they are ConfigMap `data` (or Secret `stringData`/
 * `data` when they hold credentials); on Docker they are `uploads` of a container. The monitoring
 * policies read them from here, whichever the target.
 */
import { parse as parseYaml } from 'yaml';
import type { PolicyResource } from '@pulumi/policy';
import { DOCKER_TYPE, dockerContainerOf } from './docker.js';
import { K8S_TYPE, metadataOf } from './kubernetes.js';
import { isRecord, stringMap } from './values.js';

/** One configuration file found in a resource. */
export interface ConfigDocument {
  /** `ConfigMap 'prometheus-rules' key 'queue.rules.yml'` or `container 'prometheus' file '/etc/...'`. */
  source: string;
  /** URN of the resource that carries it. */
  urn: string;
  /** Data key or file path. */
  key: string;
  /** The parsed document: YAML or JSON; undefined when it does not parse (or is plain text). */
  parsed: unknown;
}

function parseDocument(key: string, text: string): unknown {
  try {
    if (/\.json$/i.test(key)) return JSON.parse(text) as unknown;
    if (/\.ya?ml$/i.test(key) || /^\s*[\w.-]+:/m.test(text)) return parseYaml(text) as unknown;
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Every configuration document of a stack.
 *
 * @param resources the stack's resources (`StackValidationArgs.resources`).
 */
export function configDocuments(resources: readonly PolicyResource[]): ConfigDocument[] {
  const docs: ConfigDocument[] = [];
  for (const r of resources) {
    if (r.type === K8S_TYPE.ConfigMap || r.type === K8S_TYPE.Secret) {
      const kind = r.type === K8S_TYPE.ConfigMap ? 'ConfigMap' : 'Secret';
      const { name } = metadataOf(r.props);
      const entries: [string, string][] = Object.entries(stringMap(r.props.data));
      if (kind === 'Secret') {
        entries.splice(0, entries.length, ...entries.map(([k, v]): [string, string] => [k, Buffer.from(v, 'base64').toString('utf8')]));
        entries.push(...Object.entries(stringMap(r.props.stringData)));
      }
      for (const [key, text] of entries) docs.push({ source: `${kind} '${name}' key '${key}'`, urn: r.urn, key, parsed: parseDocument(key, text) });
    } else if (r.type === DOCKER_TYPE.Container) {
      const c = dockerContainerOf(r.props);
      for (const u of c.uploads) {
        if (u.content !== undefined) docs.push({ source: `container '${c.name}' file '${u.file}'`, urn: r.urn, key: u.file, parsed: parseDocument(u.file, u.content) });
      }
    }
  }
  return docs;
}

/** A Prometheus server configuration (`prometheus.yml`): has `scrape_configs`. */
export function isPrometheusConfig(doc: unknown): doc is { scrape_configs?: unknown[]; alerting?: unknown; rule_files?: unknown } {
  return isRecord(doc) && Array.isArray(doc.scrape_configs);
}

/** An Alertmanager configuration: has `route` and `receivers`. */
export function isAlertmanagerConfig(doc: unknown): doc is { route: unknown; receivers: unknown } {
  return isRecord(doc) && isRecord(doc.route) && 'receivers' in doc;
}

/** A Prometheus rule file: `groups[].rules[]`. */
export function isRuleFile(doc: unknown): doc is { groups: { rules?: unknown[] }[] } {
  return isRecord(doc) && Array.isArray(doc.groups) && doc.groups.every((g) => isRecord(g) && (g.rules === undefined || Array.isArray(g.rules)));
}

/** A Grafana dashboard model: `title` and `panels`. */
export function isDashboard(doc: unknown): doc is { title: string; uid?: string; panels: unknown[]; time?: { from?: string; to?: string } } {
  return isRecord(doc) && typeof doc.title === 'string' && Array.isArray(doc.panels);
}
