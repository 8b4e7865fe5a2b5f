/**
 * The alert rules of `alerts/` (checklist 9b-prom-04 and 9b-alert-10: thirty or more rules, loaded
 * and tested):
 * - `promtool check rules` accepts every rule file and `promtool test rules` passes every test file;
 * - 30+ alerts besides an always-firing Watchdog, each with the labels and annotations routing and
 *   on-call need, and a runbook section;
 * - each rule file has a test file that makes every alert of the file fire, and that shows both
 *   sides of every `for:` wait (no alert one evaluation before, the alert at the boundary).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { EXPORTER_METRICS, findMetric, SCRAPE_JOBS } from '../../app/src/metrics/exporters.js';
import { runTool } from './support/tools.js';

const ALERTS_DIR = fileURLToPath(new URL('../../alerts/', import.meta.url));
const RUNBOOK = fileURLToPath(new URL('../../docs/runbooks/alerts.md', import.meta.url));
const RUNBOOK_URL = 'https://github.com/enrichment-platform/enrichment-platform/blob/main/docs/runbooks/alerts.md';

/** The rule groups, one file each (alerts/README.md). */
const GROUPS = ['pipeline', 'quality', 'cost', 'queue', 'agents-llm', 'apis', 'data-tier', 'gpu-ollama', 'tls-secrets', 'platform'] as const;

const ruleSchema = z.object({
  alert: z.string(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
});
const ruleFileSchema = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema) })).length(1) });

const expAlertSchema = z.object({ exp_labels: z.record(z.string(), z.string()).optional(), exp_annotations: z.record(z.string(), z.string()).optional() });
const testFileSchema = z.object({
  rule_files: z.array(z.string()),
  evaluation_interval: z.string(),
  tests: z.array(
    z.object({
      name: z.string(),
      alert_rule_test: z.array(z.object({ eval_time: z.string(), alertname: z.string(), exp_alerts: z.array(expAlertSchema) })).default([]),
    }),
  ),
});

type Rule = z.infer<typeof ruleSchema>;

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Seconds in a Prometheus duration such as `26h15m`. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration) throw new Error(`not a duration: ${duration}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
}

const ruleFile = (group: string) => path.join(ALERTS_DIR, `${group}.rules.yml`);
const testFile = (group: string) => path.join(ALERTS_DIR, 'tests', `${group}.test.yml`);
const rulesOf = (group: string): Rule[] => ruleFileSchema.parse(parse(readFileSync(ruleFile(group), 'utf8'))).groups[0]!.rules;
const rulesByGroup = new Map(GROUPS.map((g) => [g, rulesOf(g)]));
const allRules = [...rulesByGroup.values()].flat();
const alerting = allRules.filter((r) => r.alert !== 'Watchdog');

/** GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to dashes. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
const runbookAnchors = new Set([...readFileSync(RUNBOOK, 'utf8').matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1]!)));

describe('alert rule files', () => {
  it('holds exactly one file per group, named after its group', () => {
    const files = readdirSync(ALERTS_DIR).filter((f) => f.endsWith('.rules.yml')).sort();
    expect(files).toEqual(GROUPS.map((g) => `${g}.rules.yml`).sort());
    for (const g of GROUPS) expect(ruleFileSchema.parse(parse(readFileSync(ruleFile(g), 'utf8'))).groups[0]!.name).toBe(g);
  });

  it.each(GROUPS)('promtool check rules accepts %s.rules.yml', (group) => {
    const run = runTool('promtool', ['check', 'rules', ruleFile(group)]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${rulesByGroup.get(group)!.length} rules found`);
  });

  it.each(GROUPS)('promtool test rules passes tests/%s.test.yml', (group) => {
    const run = runTool('promtool', ['test', 'rules', testFile(group)], { cwd: ALERTS_DIR });
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).not.toContain('FAILED');
  });
});

describe('alert rules', () => {
  it('has 30+ alerts besides an always-firing Watchdog', () => {
    expect(alerting.length).toBeGreaterThanOrEqual(30);
    const watchdogs = allRules.filter((r) => r.alert === 'Watchdog');
    expect(watchdogs).toHaveLength(1);
    expect(watchdogs[0]!.expr.trim()).toBe('vector(1)');
    // Neither a page nor a ticket: a page would inhibit every ticket of its service.
    expect(watchdogs[0]!.labels['severity']).toBe('none');
  });

  it('has unique PascalCase alert names', () => {
    const names = allRules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^(?:[A-Z][a-z0-9]*)+$/);
  });

  it.each(alerting.map((r) => [r.alert, r] as const))('%s has severity, service, annotations and a for: wait', (_name, rule) => {
    expect(['page', 'ticket']).toContain(rule.labels['severity']);
    expect(rule.labels['service'], 'service label').toMatch(/\S/);
    expect(rule.annotations['summary'], 'summary').toMatch(/\S/);
    expect(rule.annotations['summary']).not.toContain('\n');
    expect(rule.annotations['description'], 'description').toMatch(/\S/);
    expect(rule.for, 'for:').toBeDefined();
    expect(seconds(rule.for!)).toBeGreaterThan(0);
  });

  it.each(allRules.map((r) => [r.alert, r] as const))('%s links a runbook section that exists', (name, rule) => {
    expect(rule.annotations['runbook_url']).toBe(`${RUNBOOK_URL}#${name.toLowerCase()}`);
    expect(runbookAnchors.has(name.toLowerCase()), `docs/runbooks/alerts.md has no "## ${name}" section`).toBe(true);
  });

  it('has no runbook section without an alert', () => {
    const names = new Set(allRules.map((r) => r.alert.toLowerCase()));
    expect([...runbookAnchors].filter((a) => !names.has(a))).toEqual([]);
  });
});

describe('promtool test files', () => {
  it.each(GROUPS)('tests/%s.test.yml loads its rule file and fires every alert of it', (group) => {
    const text = readFileSync(testFile(group), 'utf8');
    const tests = testFileSchema.parse(parse(text));
    expect(tests.rule_files).toEqual([`../${group}.rules.yml`]);
    for (const rule of rulesByGroup.get(group)!) {
      expect(text, `${group}.test.yml mentions ${rule.alert}`).toContain(rule.alert);
      const firing = tests.tests.flatMap((t) => t.alert_rule_test).filter((a) => a.alertname === rule.alert && a.exp_alerts.length > 0);
      expect(firing.length, `${rule.alert} fires in some test`).toBeGreaterThan(0);
      for (const a of firing.flatMap((f) => f.exp_alerts)) {
        // Full alerts: every rule label and every annotation is asserted.
        expect(a.exp_labels ?? {}).toMatchObject(Object.fromEntries(Object.entries(rule.labels).filter(([, v]) => !v.includes('{{'))));
        expect(Object.keys(a.exp_annotations ?? {}).sort()).toEqual(Object.keys(rule.annotations).sort());
      }
    }
  });

  it.each(GROUPS)('tests/%s.test.yml shows both sides of every for: wait', (group) => {
    const tests = testFileSchema.parse(parse(readFileSync(testFile(group), 'utf8')));
    const step = seconds(tests.evaluation_interval);
    for (const rule of rulesByGroup.get(group)!.filter((r) => r.for !== undefined)) {
      // Quiet at t - step and firing at t, in one test case: the alert became firing at t, so it
      // had been pending for exactly its for: wait (the expression holding throughout).
      const boundary = tests.tests.some((t) => {
        const evals = t.alert_rule_test.filter((a) => a.alertname === rule.alert);
        return evals.some((after) => after.exp_alerts.length > 0 && evals.some((before) => before.exp_alerts.length === 0 && seconds(after.eval_time) - seconds(before.eval_time) === step));
      });
      expect(boundary, `${rule.alert}: no test with no alert at t - ${tests.evaluation_interval} and the alert at t`).toBe(true);
    }
  });
});

describe('findMetric (app/src/metrics/exporters.ts), which the metric cross-checks rely on', () => {
  it('resolves app histogram series to the catalog, with le on buckets and the component label', () => {
    const bucket = findMetric('enrichment_job_duration_seconds_bucket');
    expect(bucket?.source).toBe('app');
    expect(bucket?.metric.name).toBe('enrichment_job_duration_seconds');
    expect(bucket?.labels).toEqual(expect.arrayContaining(['le', 'component', 'job', 'instance']));
    expect(findMetric('enrichment_job_duration_seconds_sum')?.labels).not.toContain('le');
    expect(findMetric('enrichment_job_duration_seconds')).toBeUndefined();
  });

  it('resolves exporter series with their exporter, labels and target labels', () => {
    const depth = findMetric('nsq_channel_depth');
    expect(depth).toMatchObject({ source: 'exporter', exporter: 'nsq-exporter' });
    expect(depth?.labels).toEqual(expect.arrayContaining(['topic', 'channel', 'job', 'instance']));
    expect(findMetric('probe_success')?.labels).toEqual(expect.arrayContaining(['model', 'service']));
    const summaryCount = findMetric('nsq_exporter_scrape_duration_seconds_count');
    expect(summaryCount).toMatchObject({ exporter: 'nsq-exporter', series: 'nsq_exporter_scrape_duration_seconds_count' });
    expect(findMetric('nsq_exporter_scrape_duration_seconds')?.labels).toContain('quantile');
    expect(findMetric('nsq_depth')).toBeUndefined();
  });

  it('declares scrape jobs only under their exporter, each once', () => {
    const jobs = Object.values(EXPORTER_METRICS).flatMap((e) => e.scrapeJobs.map((j) => j.job));
    expect(new Set(jobs).size).toBe(jobs.length);
    const known = new Set<string>(Object.values(SCRAPE_JOBS));
    for (const job of jobs) expect(known.has(job), job).toBe(true);
  });
});
