/**
 * `npm run policy:check` (scripts/policy-check.ts): a clean prod plan exits 0, a broken config
 * prints the violation the way the Pulumi CLI does and exits 1, a usage error exits 2.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_CONFIG_KEYS } from '../../infra/src/config.js';
import { REPO_ROOT } from '../../infra/src/plan.js';
import { PACK_NAME, PACK_VERSION, POLICIES } from '../../policies/src/pack.js';

function policyCheck(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const tsx = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
  const run = spawnSync(tsx, [path.join(REPO_ROOT, 'scripts/policy-check.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run policy:check', () => {
  it('prints a clean result for prod and exits 0', () => {
    const run = policyCheck('--stack', 'prod');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`✅ ${PACK_NAME}@v${PACK_VERSION} (local: policies)`);
    expect(run.stdout).toContain(`Stack prod: 0 mandatory and 0 advisory violations from 0 policies; ${POLICIES.length} of ${POLICIES.length} policies passed.`);
  }, 120_000);

  it('prints the violation of a broken config (prod, nsqd replicas 1) and exits 1', () => {
    const run = policyCheck('--stack', 'prod', '--set', 'nsq.nsqdReplicas=1');
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes('[mandatory]'));
    expect(lines.slice(at, at + 4)).toEqual([
      '        - [mandatory]  [severity: high]  kubernetes-statefulset-nsqd-replicas  (kubernetes:apps/v1:StatefulSet: nsq-nsqd)',
      '          urn:pulumi:prod::enrichment-platform::kubernetes:apps/v1:StatefulSet::nsq-nsqd',
      '          Checklist 9a Message Queue Setup, nsqd on 2 or more nodes for redundancy: the nsqd StatefulSet runs at least minReplicas (default 2) pods.',
      "          StatefulSet 'nsqd' runs 1 replica; at least 2 are required",
    ]);
    expect(run.stdout).toContain(`❌ ${PACK_NAME}@v${PACK_VERSION}`);
    expect(run.stdout).toContain(`Stack prod: 1 mandatory and 0 advisory violations from 1 policies; ${POLICIES.length - 1} of ${POLICIES.length} policies passed.`);
  }, 120_000);

  it.each([
    [['--stack', 'qa'], "error: unknown stack 'qa' (stacks: dev, staging, prod)"],
    [['--stak', 'prod'], "error: Unknown option '--stak'"],
    [['--stack', 'prod', '--set', 'nsq.nsqdReplicas'], "error: --set expects path=value, got 'nsq.nsqdReplicas'"],
    [['--stack', 'prod', '--set', 'nsq.nsqdReplicas="two"'], 'nsq.nsqdReplicas: Invalid input: expected number, received string'],
    [['--stack', 'prod', '--secret', 'bogusKey=foo'], `error: --secret: unknown key 'bogusKey' (keys: ${SECRET_CONFIG_KEYS.join(', ')})`],
  ])('exits 2 on the usage error %j', (args, message) => {
    const run = policyCheck(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('usage: npm run policy:check -- --stack <dev|staging|prod>');
  }, 120_000);

  it('exits 2 with one line when a component refuses the config at plan time (a ResourceError)', () => {
    const run = policyCheck('--stack', 'prod', '--set', 'logging.lokiImage=nginx:1.27');
    expect(run.status).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      "error: stack 'prod': logging (enrichment:monitoring:Logging) refuses the config: logging.lokiImage must be a grafana/loki image; got 'nginx:1.27'",
    ]);
    expect(run.stdout).toBe('');
  }, 120_000);

  it('accepts a known --secret key', () => {
    const run = policyCheck('--stack', 'prod', '--secret', 'mongodbRootPassword=s3cret-value-for-the-test');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Stack prod: 0 mandatory and 0 advisory violations from 0 policies;`);
  }, 120_000);
});
