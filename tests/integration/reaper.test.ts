/**
 * The watchdog of scripts/lib/reaper.ts: a parent killed outright (SIGKILL, no handler runs) still
 * has its child process groups stopped; a parent that exits normally leaves no watchdog behind.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { REAPER_GRACE_MS, REAPER_POLL_MS } from '../../scripts/lib/reaper.js';
import { running, runScript, waitForOutput, waitGone, type ScriptRun } from '../support/processes.js';

interface ParentReport {
  pids: number[];
  watchdogPid: number;
  dataDir?: string;
}

const started: ScriptRun[] = [];
const leftovers: number[] = [];

afterEach(() => {
  // A failed assertion must not leave processes behind for the next test.
  for (const pid of leftovers.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
  for (const run of started.splice(0)) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
});

async function startParent(...args: string[]): Promise<{ run: ScriptRun; report: ParentReport }> {
  const run = runScript('tests/support/reaper-parent.ts', args);
  started.push(run);
  const [line] = await waitForOutput(run.stdout, /^\{.*\}$/m, 60_000);
  const report = JSON.parse(line) as ParentReport;
  leftovers.push(...report.pids, report.watchdogPid);
  return { run, report };
}

describe('the process-group reaper', () => {
  it('stops nsqlookupd, nsqd and FerretDB (and removes their data directory) when their parent is SIGKILLed', async () => {
    const { run, report } = await startParent('services');
    expect(report.pids).toHaveLength(3);
    expect(report.pids.every(running)).toBe(true);
    expect(running(report.watchdogPid)).toBe(true);

    run.child.kill('SIGKILL');
    await run.exited;
    // They exit on SIGTERM; the grace period bounds it in any case.
    expect(await waitGone(report.pids, REAPER_GRACE_MS + 3_000)).toEqual([]);
    expect(await waitGone([report.watchdogPid], 3_000)).toEqual([]);
    expect(existsSync(report.dataDir!)).toBe(false);
  }, 60_000);

  it('sends SIGKILL after the grace period to a child that ignores SIGTERM', async () => {
    const graceMs = 2_000;
    const { run, report } = await startParent('stubborn', String(graceMs));
    const [stubborn] = report.pids as [number];
    run.child.kill('SIGKILL');
    const killedAt = Date.now();
    await run.exited;
    // SIGTERM arrives within a poll period and is ignored: still running halfway through the grace.
    await sleep(REAPER_POLL_MS + graceMs / 2);
    expect(running(stubborn)).toBe(true);
    expect(await waitGone([stubborn], graceMs + 3_000)).toEqual([]);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(graceMs);
    expect(await waitGone([report.watchdogPid], 3_000)).toEqual([]);
  }, 30_000);

  it('exits on its own when the parent stops its children and exits normally', async () => {
    const { run, report } = await startParent('services-exit');
    expect(await run.exited).toBe(0);
    expect(report.pids.some(running)).toBe(false);
    expect(await waitGone([report.watchdogPid], 3 * REAPER_POLL_MS + 2_000)).toEqual([]);
  }, 60_000);
});
