/**
 * Monitoring policies (checklist 9b Prometheus Setup, Grafana Dashboards, Alerting), which read the
 * configuration shipped in ConfigMaps (Kubernetes) or container uploads (Docker): compliant
 * fixtures pass, each broken field fails with its exact message, on both targets.
 */
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKLOAD } from '../../infra/src/conventions.js';
import type { PlannedResource } from '../../infra/src/plan.js';
import { parsePrometheusDurationDays, runsEveryDay, toGibibytes } from '../../policies/src/lib/quantities.js';
import { dockerProgram, FIXTURE_ALERT_RULES, kubernetesProgram, planFixture } from './fixtures.js';
import { breaking, firstContainer, messages, T } from './support.js';

let kube: PlannedResource[];
let dock: PlannedResource[];

beforeAll(async () => {
  kube = await planFixture(kubernetesProgram);
  dock = await planFixture(dockerProgram);
});

/** Rewrites one YAML value of a ConfigMap. */
const editYaml = (resources: PlannedResource[], configMap: string, key: string, edit: (doc: any) => void) =>
  breaking(resources, T.ConfigMap, configMap, (i) => {
    const doc = parseYaml(i.data[key]);
    edit(doc);
    i.data[key] = toYaml(doc);
  });

describe('units', () => {
  it('reads Prometheus durations, storage sizes and cron schedules', () => {
    expect([parsePrometheusDurationDays('30d'), parsePrometheusDurationDays('1y'), parsePrometheusDurationDays('720h'), parsePrometheusDurationDays('4w2d')]).toEqual([30, 365, 30, 30]);
    expect(parsePrometheusDurationDays('30 days')).toBeNaN();
    expect([toGibibytes('50Gi'), toGibibytes('30720Mi'), toGibibytes('1Ti')]).toEqual([50, 30, 1024]);
    expect(toGibibytes('32G')).toBeCloseTo(29.8, 1);
    expect([runsEveryDay('0 2 * * *'), runsEveryDay('@daily'), runsEveryDay('CRON_TZ=UTC 30 1 * * *'), runsEveryDay('0 2 * * 1-5'), runsEveryDay('0 2 */2 * *')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('prometheus-retention-days', () => {
  const policy = 'prometheus-retention-days';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a short retention (Kubernetes args)', async () => {
    const broken = breaking(kube, T.StatefulSet, WORKLOAD.prometheus, (i) => (firstContainer(i).args[2] = '--storage.tsdb.retention.time=15d'));
    expect(await messages(policy, broken)).toEqual(["StatefulSet 'prometheus' container 'prometheus' keeps metrics 15d; at least 30d is required"]);
  });
  it("reports Prometheus's default retention when the flag is absent (Docker command)", async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.prometheus, (i) => (i.command = ['--config.file=/etc/prometheus/prometheus.yml']));
    expect(await messages(policy, broken)).toEqual(["container 'prometheus' keeps metrics 15d (Prometheus default); at least 30d is required"]);
  });
  it('reports a stack without Prometheus', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.prometheus, (i) => (i.labels = []));
    expect(await messages(policy, broken)).toEqual(['no Prometheus server (workload or container labelled prometheus)']);
  });
});

describe('prometheus-alert-rules-count', () => {
  const policy = 'prometheus-alert-rules-count';
  it(`passes both compliant fixtures (${FIXTURE_ALERT_RULES} rules)`, async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports 29 rules (one removed)', async () => {
    const broken = editYaml(kube, 'prometheus-rules', 'b.rules.yml', (doc) => doc.groups[0].rules.pop());
    expect(await messages(policy, broken)).toEqual([`the stack ships ${FIXTURE_ALERT_RULES - 1} alerting rules; at least 30 are required`]);
  });
  it('counts a rule shipped twice once', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.prometheus, (i) => {
      const b = i.uploads.find((u: { file: string }) => u.file.endsWith('b.rules.yml'));
      i.uploads = i.uploads.filter((u: { file: string }) => u !== b);
      i.uploads.push({ file: '/etc/prometheus/rules/a-copy.rules.yml', content: i.uploads.find((u: { file: string }) => u.file.endsWith('a.rules.yml')).content });
    });
    expect(await messages(policy, broken)).toEqual([`the stack ships ${FIXTURE_ALERT_RULES / 2} alerting rules; at least 30 are required`]);
  });
  it('reports a Prometheus configuration without rule_files', async () => {
    const broken = editYaml(kube, 'prometheus-config', 'prometheus.yml', (doc) => delete doc.rule_files);
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'prometheus-config' key 'prometheus.yml' loads no rule_files"]);
  });
});

describe('prometheus-scrape-jobs', () => {
  const policy = 'prometheus-scrape-jobs';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports services without a scrape job', async () => {
    const broken = editYaml(kube, 'prometheus-config', 'prometheus.yml', (doc) => {
      doc.scrape_configs = doc.scrape_configs.filter((s: { job_name: string }) => s.job_name !== WORKLOAD.worker && s.job_name !== WORKLOAD.nsqExporter);
    });
    expect(await messages(policy, broken)).toEqual(['no Prometheus scrape job for enrichment-worker, nsq-exporter']);
  });
  it('reports a stack without a Prometheus configuration', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.prometheus, (i) => (i.uploads = []));
    expect(await messages(policy, broken)).toEqual(['no Prometheus configuration (a document with scrape_configs) in any ConfigMap, Secret or container upload']);
  });
});

describe('prometheus-alertmanager-integration', () => {
  const policy = 'prometheus-alertmanager-integration';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a Prometheus configuration without Alertmanager', async () => {
    const broken = editYaml(kube, 'prometheus-config', 'prometheus.yml', (doc) => (doc.alerting.alertmanagers = [{ static_configs: [{ targets: [] }] }]));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'prometheus-config' key 'prometheus.yml' sends alerts to no Alertmanager (alerting.alertmanagers)"]);
  });
});

describe('alertmanager-receivers', () => {
  const policy = 'alertmanager-receivers';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a receiver without integration', async () => {
    const broken = editYaml(kube, 'alertmanager-config', 'alertmanager.yml', (doc) => (doc.receivers = [{ name: 'oncall' }]));
    expect(await messages(policy, broken)).toEqual([
      "ConfigMap 'alertmanager-config' key 'alertmanager.yml' has no receiver with a notification integration (email_configs, slack_configs, pagerduty_configs, ...)",
    ]);
  });
  it('reports a route to an undeclared receiver', async () => {
    const broken = editYaml(kube, 'alertmanager-config', 'alertmanager.yml', (doc) => (doc.route.routes[0].receiver = 'pagerduty'));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'alertmanager-config' key 'alertmanager.yml' routes to undeclared receivers pagerduty"]);
  });
  it('reports a configuration without email (the checklist channel)', async () => {
    const broken = editYaml(kube, 'alertmanager-config', 'alertmanager.yml', (doc) => (doc.receivers = [{ name: 'oncall', slack_configs: [{ channel: '#alerts' }] }]));
    expect(await messages(policy, broken)).toEqual(["ConfigMap 'alertmanager-config' key 'alertmanager.yml' has no receiver using email_configs"]);
  });
  it('reports a stack without Alertmanager configuration', async () => {
    const broken = breaking(dock, T.Container, WORKLOAD.alertmanager, (i) => (i.uploads = []));
    expect(await messages(policy, broken)).toEqual(['no Alertmanager configuration (a document with route and receivers) in any ConfigMap, Secret or container upload']);
  });
});

describe('grafana-dashboards', () => {
  const policy = 'grafana-dashboards';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing checklist dashboard', async () => {
    const broken = breaking(kube, T.ConfigMap, 'grafana-dashboards', (i) => delete i.data['cost-tracking.json']);
    expect(await messages(policy, broken)).toEqual(['no dashboard provisioned for Cost Tracking']);
  });
  it('reports a default range other than 24 hours', async () => {
    const broken = breaking(kube, T.ConfigMap, 'grafana-dashboards', (i) => {
      const d = JSON.parse(i.data['document-quality.json']);
      d.time.from = 'now-6h';
      i.data['document-quality.json'] = JSON.stringify(d);
    });
    expect(await messages(policy, broken)).toEqual([
      "ConfigMap 'grafana-dashboards' key 'document-quality.json' dashboard 'Document Quality' opens on now-6h to now; the default range must be now-24h to now",
    ]);
  });
});

describe('grafana-datasource-prometheus', () => {
  const policy = 'grafana-datasource-prometheus';
  it('passes both compliant fixtures', async () => {
    expect(await messages(policy, kube)).toEqual([]);
    expect(await messages(policy, dock)).toEqual([]);
  });
  it('reports a missing Prometheus datasource', async () => {
    const broken = editYaml(kube, 'grafana-datasources', 'datasources.yaml', (doc) => (doc.datasources[0].type = 'loki'));
    expect(await messages(policy, broken)).toEqual(['no Grafana datasource provisioning file declares a prometheus datasource with a url']);
  });
});
