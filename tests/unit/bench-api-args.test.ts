/**
 * `npm run bench:api` (scripts/bench-api.ts): its options are positive integers checked with zod
 * (a bad one prints the usage and exits 2); its table says in words when a route completed no
 * request, and the listing target is "not measured" when there is nothing sound to measure.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchUsageError, formatRow, listingTargetLine, parseBenchArgs, type Row } from '../../scripts/bench-api.js';
import { REPO_ROOT } from '../support/processes.js';

describe('parseBenchArgs', () => {
  it('defaults to the issue\'s figures', () => {
    expect(parseBenchArgs([])).toEqual({ items: 100_000, costRecords: 500_000, seconds: 5, connections: 10 });
  });

  it('reads every option, in either form', () => {
    expect(parseBenchArgs(['--items', '200', '--cost-records=900', '--seconds', '2', '--connections', '4'])).toEqual({ items: 200, costRecords: 900, seconds: 2, connections: 4 });
  });

  it.each([
    [['--items', 'abc'], "--items must be a positive integer, got 'abc'"],
    [['--items', '-5'], "--items must be a positive integer, got '-5'"],
    [['--items=-5'], "--items must be a positive integer, got '-5'"],
    [['--seconds', '1.5'], "--seconds must be a positive integer, got '1.5'"],
    [['--connections', '0'], "--connections must be a positive integer, got '0'"],
    [['--items'], '--items needs a value'],
    [['--bogus'], 'unknown option --bogus'],
    [['--items', '3', 'extra'], "unexpected argument 'extra'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(new BenchUsageError(message));
  });

  it('exits 2 with the message and the usage, before seeding anything', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/bench-api.ts'), '--items', 'abc'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^bench:api: --items must be a positive integer, got 'abc'\n\nusage: npm run bench:api -- /);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain('FerretDB');
  });
});

const row = (overrides: Partial<Row>): Row => ({ route: 'GET /reviews (queue listing)', single: 12.3, singleStatus: 200, completed: 400, p50: 8, p99: 15, rps: 80, errors: 0, timeouts: 0, non2xx: 0, ...overrides });
const base = row({ route: 'bare fastify route (baseline)', rps: 40_000 });

describe('the result table', () => {
  it('a route that completed no request in its window says so, with n/a figures', () => {
    const line = formatRow(row({ completed: 0, p50: 0, p99: 0, rps: 0 }), base, 5);
    expect(line).toMatch(/ {6}0 {6}n\/a {6}n\/a {7}n\/a {11}n\/a {2}0\/0\/0 {2}done 0 \(none completed in the 5 s window\)$/);
  });

  it('a measured route shows its figures and the ratio to the bare route', () => {
    const line = formatRow(row({}), base, 5);
    expect(line).toContain('    400      8.0     15.0        80        0.0020  0/0/0');
    expect(line).not.toContain('none completed');
  });

  it('notes a request alone that did not answer 2xx', () => {
    expect(formatRow(row({ singleStatus: 401 }), base, 5)).toMatch(/ {2}the request alone answered 401$/);
  });
});

describe('the listing target line', () => {
  it('met / NOT met when every listing answered 2xx', () => {
    expect(listingTargetLine(row({ p99: 15 }), 5)).toBe('target: queue listing p99 <= 20 ms: met (15.0 ms over 400 requests)');
    expect(listingTargetLine(row({ p99: 21 }), 5)).toBe('target: queue listing p99 <= 20 ms: NOT met (21.0 ms over 400 requests)');
  });

  it('not measured when the window completed no listing', () => {
    expect(listingTargetLine(row({ completed: 0, p99: 0, single: 7_400 }), 5)).toBe(
      'target: queue listing p99 <= 20 ms: not measured: no listing completed within the 5 s window (one alone took 7400 ms)',
    );
  });

  it('not measured when listings answered non-2xx, however fast', () => {
    expect(listingTargetLine(row({ non2xx: 400, p99: 1 }), 5)).toBe('target: queue listing p99 <= 20 ms: not measured: 400 of 400 listings in the window answered non-2xx, 0 errors (the one alone: 200)');
    expect(listingTargetLine(row({ singleStatus: 500, p99: 1 }), 5)).toMatch(/: not measured: .*\(the one alone: 500\)$/);
  });
});
