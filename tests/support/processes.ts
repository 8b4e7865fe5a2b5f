/**
 * Process helpers for the tests of scripts that start children (the reaper, the e2e script).
 * Linux: liveness and parentage are read from `/proc`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** `[state, ppid]` from `/proc/<pid>/stat`, or null when there is no such process. */
function statOf(pid: number): [string, number] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [state!, Number(ppid)];
  } catch {
    return null;
  }
}

/** Whether `pid` is a running process (a zombie, dead but not yet reaped, counts as gone). */
export function running(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== null && stat[0] !== 'Z';
}

/** The pids of `parent`'s running children. */
export function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat && stat[1] === parent && stat[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Polls until none of `pids` runs or `timeoutMs` passes.
 * @returns the pids still running at the end (empty when all are gone).
 */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(running);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(100);
  }
}

/** A script run with `node --import tsx`, its output collected as it comes. */
export interface ScriptRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name) when the process exits. */
  exited: Promise<number | string>;
}

/**
 * Starts `script` (relative to the repository root) with `node --import tsx` in its own process
 * group (like a terminal job), so a test can signal the group as a user would.
 */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): ScriptRun {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Waits until `read()` matches `pattern`.
 * @throws Error with the output so far when it does not within `timeoutMs`.
 */
export async function waitForOutput(read: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() >= deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${read()}`);
    await sleep(100);
  }
}
