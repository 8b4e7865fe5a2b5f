/**
 * Logging policies (checklist 9b Logging: local files, central aggregation, retention of 7 days
 * or more): the compliant fixtures pass, and each broken field fails with its exact message, on
 * both targets.
 */
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_WORKLOAD, WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { dockerProgram, kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, messages, T, violations, without } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

const LOKI = MONITORING_WORKLOAD.loki;
const LOKI_FILE = '/etc/loki/loki.yaml';

/** Rewrites the Loki configuration of the Kubernetes fixture (ConfigMap `loki-config`). */
const editKubeLoki = (edit: (doc: any) => void) =>
  breaking(kube, T.ConfigMap, 'loki-config', (i) => {
    const doc = parseYaml(i.data['loki.yaml']);
    edit(doc);
    i.data['loki.yaml'] = toYaml(doc);
  });

/** Rewrites the Loki configuration uploaded into the Docker fixture's `loki` container. */
const editDockerLoki = (edit: (doc: any) => void) =>
  breaking(dock, T.Container, LOKI, (i) => {
    const upload = i.uploads.find((u: { file: string }) => u.file === LOKI_FILE);
    const doc = parseYaml(upload.content);
    edit(doc);
    upload.content = toYaml(doc);
  });

describe('logging-retention-days', () => {
  const policy = 'logging-retention-days';
  it('passes both compliant fixtures (336h = 14 days)', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a retention below 7 days (Kubernetes ConfigMap)', async () => {
    const broken = editKubeLoki((doc) => (doc.limits_config.retention_period = '72h'));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'loki-config' key 'loki.yaml' keeps logs 72h; at least 7d is required"]);
  });
  it('reports compactor retention not enabled (Docker upload)', async () => {
    const broken = editDockerLoki((doc) => (doc.compactor.retention_enabled = false));
    expect(await messages(policy, broken)).toEqual([
      `container 'loki' file '${LOKI_FILE}' does not set compactor.retention_enabled: the retention period is never applied and the volume fills up`,
    ]);
  });
  it('reports a configuration without retention_period', async () => {
    const broken = editDockerLoki((doc) => delete doc.limits_config.retention_period);
    expect(await messages(policy, broken)).toEqual([`container 'loki' file '${LOKI_FILE}' sets no limits_config.retention_period; at least 7d is required`]);
  });
  it('reports an unreadable retention_period', async () => {
    const broken = editKubeLoki((doc) => (doc.limits_config.retention_period = 'two weeks'));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'loki-config' key 'loki.yaml' has an unreadable retention_period 'two weeks'"]);
  });
  it('takes the minimum from the policy config', async () => {
    expect(await messages(policy, kube, { minRetentionDays: 30 })).toEqual(["ConfigMap 'loki-config' key 'loki.yaml' keeps logs 336h; at least 30d is required"]);
  });
  it('reports a stack without a Loki server', async () => {
    const broken = without(kube, (r) => r.type === T.StatefulSet && r.name === LOKI);
    expect(await messages(policy, broken)).toEqual(['no Loki server (workload or container labelled loki): logs are not aggregated centrally']);
  });
  it('reports a stack without a Loki configuration', async () => {
    const broken = breaking(dock, T.Container, LOKI, (i) => (i.uploads = []));
    expect(await messages(policy, broken)).toEqual(['no Loki configuration (a document with schema_config) in any ConfigMap, Secret or container upload']);
  });
});

describe('docker-container-log-rotation', () => {
  const policy = 'docker-container-log-rotation';
  it('passes the compliant Docker fixture, and does not apply to Kubernetes', async () => {
    expect(await messages(policy, dock)).toEqual([]);
    expect(await messages(policy, kube)).toEqual([]);
  });
  it('reports a container without logDriver', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.mongodb, (i) => {
      delete i.logDriver;
      delete i.logOpts;
    });
    expect(await messages(policy, broken)).toEqual([
      "container 'mongodb' sets no logDriver: the engine default (json-file without max-size) never rotates; set json-file with max-size and max-file",
    ]);
  });
  it('reports a driver that keeps no local files', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.grafana, (i) => (i.logDriver = 'syslog'));
    expect(await messages(policy, broken)).toEqual(["container 'grafana' logs with driver 'syslog': no local files to debug from; use json-file (with max-size and max-file) or local"]);
  });
  it('reports json-file without rotation options', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.nsqd, (i) => (i.logOpts = { 'max-size': '10m' }));
    expect(await messages(policy, broken)).toEqual(["container 'nsqd' keeps json-file logs without rotation: set logOpts max-file"]);
    const none = breaking(dock, T.Container, WORKLOAD.nsqd, (i) => delete i.logOpts);
    expect(await messages(policy, none)).toEqual(["container 'nsqd' keeps json-file logs without rotation: set logOpts max-size and max-file"]);
  });
  it('accepts the local driver, which rotates by itself', async () => {
    const local = breaking(dock, T.Container, WORKLOAD.nsqd, (i) => {
      i.logDriver = 'local';
      delete i.logOpts;
    });
    expect(await messages(policy, local)).toEqual([]);
  });
  it('checks one-shot containers too (their logs are the only record of a setup run)', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.ollamaModels, (i) => delete i.logDriver);
    const found = await violations(policy, broken);
    expect(found.map((v) => v.message)).toEqual([
      "container 'ollama-models' sets no logDriver: the engine default (json-file without max-size) never rotates; set json-file with max-size and max-file",
    ]);
    expect(found[0]!.urn).toContain(WORKLOAD.ollamaModels);
  });
});
