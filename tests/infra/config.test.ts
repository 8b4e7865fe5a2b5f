/**
 * The infra stack config (infra/src/config.ts): the three stack files load as real config, prod's
 * values are the checklist's figures, and invalid config is refused with exact messages.
 */
import { describe, expect, it } from 'vitest';
import { InfraConfigError, loadInfraConfig, stackValuesFromConfigMap, STACKS } from '../../infra/src/config.js';
import { readStackFile } from '../../infra/src/plan.js';

describe('stack files', () => {
  it.each(STACKS)('Pulumi.%s.yaml validates', (stack) => {
    const config = loadInfraConfig(stack, readStackFile(stack));
    expect(config.target).toBe(stack === 'dev' ? 'docker' : 'kubernetes');
  });

  it('prod carries the checklist figures', () => {
    const prod = loadInfraConfig('prod', readStackFile('prod'));
    expect(prod.mongodb.replicas).toBe(3);
    expect(prod.mongodb.backup.retentionDays).toBeGreaterThanOrEqual(30);
    expect(prod.mongodb.backup.schedule).toBe('0 2 * * *');
    expect(prod.nsq.nsqlookupdReplicas).toBeGreaterThanOrEqual(3);
    expect(prod.nsq.nsqdReplicas).toBeGreaterThanOrEqual(2);
    expect(prod.ollama.models).toEqual(['llama3.2', 'mixtral']);
    expect(Number.parseInt(prod.ollama.storageSize, 10)).toBeGreaterThanOrEqual(30);
    expect(prod.ollama.gpu.enabled).toBe(true);
    expect(prod.worker.replicas).toBeGreaterThanOrEqual(2);
    expect(prod.apis.documentBudgetUsd).toBe(0.5);
    expect(prod.tls.durationHours).toBeGreaterThanOrEqual(17520);
    expect(prod.tls.renewBeforeHours).toBe(60 * 24);
    expect(prod.monitoring.retentionDays).toBeGreaterThanOrEqual(30);
  });

  it('staging and dev keep at least two workers', () => {
    for (const stack of ['dev', 'staging'] as const) expect(loadInfraConfig(stack, readStackFile(stack)).worker.replicas).toBeGreaterThanOrEqual(2);
  });
});

describe('invalid config', () => {
  it('lists every problem with its path, in one error', () => {
    const bad = {
      nsq: { nsqdReplicas: -1 },
      ollama: { storageSize: '50GB' },
      apis: { reviewHost: 'Review API', corsOrigins: ['not a url'] },
      mongodb: { backup: { schedule: 'daily' } },
    };
    expect(() => loadInfraConfig('prod', bad)).toThrow(
      [
        "invalid config for stack 'prod':",
        '  - mongodb.backup.schedule: must be a 5-field cron expression',
        '  - nsq.nsqdReplicas: Too small: expected number to be >=1',
        '  - ollama.storageSize: must be a storage size such as 512Mi, 20Gi or 1Ti',
        '  - apis.reviewHost: must be a DNS name such as review.example.com',
        '  - apis.corsOrigins.0: Invalid URL',
      ].join('\n'),
    );
  });

  it('refuses unknown keys (a typo must not silently fall back to a default)', () => {
    expect(() => loadInfraConfig('prod', { nsq: { nsqdReplica: 3 } })).toThrow(
      "invalid config for stack 'prod':\n  - nsq: Unrecognized key: \"nsqdReplica\"",
    );
  });

  it('refuses a wrongly typed value', () => {
    expect(() => loadInfraConfig('staging', { worker: { replicas: 'two' } })).toThrow(
      "invalid config for stack 'staging':\n  - worker.replicas: Invalid input: expected number, received string",
    );
  });

  it('refuses an unknown stack', () => {
    const err = (() => {
      try {
        loadInfraConfig('qa', {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InfraConfigError);
    expect((err as Error).message).toBe("invalid config for stack 'qa':\n  - unknown stack (stacks: dev, staging, prod)");
  });

  it('does not enforce checklist minimums: that is the policy pack\'s job', () => {
    expect(loadInfraConfig('prod', { nsq: { nsqdReplicas: 1 } }).nsq.nsqdReplicas).toBe(1);
  });
});

describe('stackValuesFromConfigMap', () => {
  it('keeps this project\'s non-secret keys and parses structured values', () => {
    const values = stackValuesFromConfigMap({
      'enrichment-platform:target': 'kubernetes',
      'enrichment-platform:nsq': '{"nsqdReplicas":3}',
      'enrichment-platform:anthropicApiKey': 'sk-ant-secret',
      'kubernetes:context': 'prod-cluster',
    });
    expect(values).toEqual({ target: 'kubernetes', nsq: { nsqdReplicas: 3 } });
  });
});
