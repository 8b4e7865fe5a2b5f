/**
 * `npm run checklist` (scripts/checklist.ts) options: unknown ones print the usage and exit 2.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChecklistArgs } from '../../scripts/checklist.js';
import { REPO_ROOT } from '../support/processes.js';

describe('parseChecklistArgs', () => {
  it.each([
    [[], 'write'],
    [['--check'], 'check'],
    [['--lines'], 'lines'],
    [['-h'], 'help'],
  ])('%j → %s', (argv, command) => {
    expect(parseChecklistArgs(argv)).toBe(command);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['check'], "Unexpected argument 'check'"],
    [['--check', '--lines'], '--check and --lines do not go together'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseChecklistArgs(argv)).toThrow(message);
  });
});

describe('npm run checklist -- --bogus', () => {
  it('exits 2 with the usage and writes nothing', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/checklist.ts'), '--bogus'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^checklist: Unknown option '--bogus'\n\nusage: npm run checklist /);
    expect(run.stdout).toBe('');
  });
});
