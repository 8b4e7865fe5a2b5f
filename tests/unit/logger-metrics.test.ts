/**
 * Error tracking through the shared logger (checklist 9b Logging: errors are tracked):
 * every line at warn, error or fatal is counted into `enrichment_log_messages_total{level}`, child
 * loggers included, and nothing else is; lines are still written (and redacted) as before.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_CATALOG } from '../../app/src/metrics/catalog.js';
import { COUNTED_LOG_LEVELS, createLogger } from '../../app/src/ops/logger.js';

const NAME = METRIC_CATALOG.logMessages.name;

/** A stream collecting the JSON lines pino writes. */
function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** `level` → value of the counter, read from the registry. */
async function counts(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const got = await metrics.logMessages.get();
  return Object.fromEntries(got.values.map((v) => [String(v.labels.level), v.value]));
}

describe('enrichment_log_messages_total', () => {
  it('is in the catalog as a counter by level, zeroed for warn, error and fatal', async () => {
    expect(METRIC_CATALOG.logMessages).toMatchObject({ name: 'enrichment_log_messages_total', type: 'counter', labels: ['level'] });
    expect(Object.keys(COUNTED_LOG_LEVELS)).toEqual([...METRIC_CATALOG.logMessages.knownLabelValues.level]);
    const lines = (await createMetrics('worker').registry.metrics()).split('\n');
    for (const level of ['warn', 'error', 'fatal']) expect(lines).toContain(`${NAME}{level="${level}",component="worker"} 0`);
  });

  it('counts each line at warn, error and fatal, and nothing below warn', async () => {
    const metrics = createMetrics('worker');
    const out = sink();
    const logger = createLogger('worker', 'trace', { metrics, destination: out.stream });
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w1');
    logger.warn({ jobId: 'j-1' }, 'w2');
    logger.error(new Error('boom'), 'e1');
    logger.fatal('f1');
    expect(await counts(metrics)).toEqual({ warn: 2, error: 1, fatal: 1 });
    // The lines are still written, with pino's numeric levels.
    expect(out.lines().map((l) => [l.level, l.msg])).toEqual([
      [10, 't'],
      [20, 'd'],
      [30, 'i'],
      [40, 'w1'],
      [40, 'w2'],
      [50, 'e1'],
      [60, 'f1'],
    ]);
  });

  it('counts lines of child loggers (fastify request loggers) on the parent metrics', async () => {
    const metrics = createMetrics('review-api');
    const out = sink();
    const logger = createLogger('review-api', 'info', { metrics, destination: out.stream });
    const request = logger.child({ reqId: 'req-42' });
    request.error({ statusCode: 500 }, 'request failed');
    request.child({ route: '/review' }).warn('slow');
    expect(await counts(metrics)).toEqual({ warn: 1, error: 1, fatal: 0 });
    expect(out.lines()[0]).toMatchObject({ reqId: 'req-42', msg: 'request failed', level: 50 });
  });

  it('counts only lines actually written: below LOG_LEVEL nothing is counted', async () => {
    const metrics = createMetrics('worker');
    const out = sink();
    const logger = createLogger('worker', 'error', { metrics, destination: out.stream });
    logger.warn('not written');
    logger.error('written');
    expect(await counts(metrics)).toEqual({ warn: 0, error: 1, fatal: 0 });
    expect(out.lines().map((l) => l.msg)).toEqual(['written']);
  });

  it('counts nothing without metrics, and still redacts secrets', async () => {
    const metrics = createMetrics('agent-summary');
    const out = sink();
    const logger = createLogger('agent-summary', 'info', { destination: out.stream });
    logger.error({ config: { MCP_JWT_SECRET: 'super-secret-value' } }, 'bad config');
    expect(await counts(metrics)).toEqual({ warn: 0, error: 0, fatal: 0 });
    const [line] = out.lines();
    expect(line).toMatchObject({ msg: 'bad config', config: { MCP_JWT_SECRET: '[redacted]' } });
    expect(JSON.stringify(line)).not.toContain('super-secret-value');
  });
});
