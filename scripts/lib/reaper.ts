/**
 * A watchdog that stops a script's child process groups when the script dies without stopping
 * them (SIGKILL, an OOM kill, `kill -KILL -- -<pgid>` of the run): no handler of the script runs
 * then, and each child sits in its own process group, so nothing else would reach them.
 *
 * The script (the "parent") registers each child's process group with a {@link ProcessGroupReaper};
 * the first registration starts one small detached node process, the watchdog, which re-reads the
 * registry file every {@link REAPER_POLL_MS}. When the parent is gone it sends SIGTERM to every
 * group still registered, SIGKILL after the grace period to any group still alive, removes the
 * registered paths, and exits. A parent that stopped its children unregisters them, so after a
 * normal exit the watchdog finds nothing to stop and just exits.
 *
 * Used by `scripts/lib/local-services.ts` (nsqlookupd, nsqd, FerretDB) and `scripts/e2e.ts`
 * (agents, workers, APIs). POSIX only (process groups, negative pids to `kill`).
 *
 * Run directly (`node --import tsx scripts/lib/reaper.ts <registry-file>`), this file is the
 * watchdog; it imports node built-ins only so that it starts quickly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How often the watchdog checks on the parent and re-reads the registry, ms. */
export const REAPER_POLL_MS = 500;
/**
 * Default time between SIGTERM and SIGKILL, ms. The app's processes drain in well under this on
 * SIGTERM; one that does not (e.g. an API whose stdout was a pipe to the dead parent, seen to
 * outlive its own 30 s shutdown deadline) is killed.
 */
export const REAPER_GRACE_MS = 10_000;
/** Pause between checks of whether the terminated groups are gone, ms. */
const REAP_CHECK_MS = 100;

const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const THIS_FILE = fileURLToPath(import.meta.url);

/** The registry the parent writes and the watchdog reads (JSON). */
export interface ReaperRegistry {
  /** The process whose death triggers the reaping. */
  parentPid: number;
  /** SIGTERM → SIGKILL delay, ms. */
  graceMs: number;
  /** Process-group ids (= the group leader's pid) to stop. */
  groups: number[];
  /** Files or folders to remove after the groups are gone (e.g. throw-away data directories). */
  paths: string[];
}

export interface ProcessGroupReaperOptions {
  /** SIGTERM → SIGKILL delay, ms. Default {@link REAPER_GRACE_MS}. */
  graceMs?: number;
}

/**
 * The parent's side: a registry of process groups (and paths) and the watchdog that guards them.
 * The registry file is rewritten synchronously (write + rename) on every change, so a SIGKILL
 * right after a `spawn` still finds the new group registered.
 */
export class ProcessGroupReaper {
  private readonly groups = new Set<number>();
  private readonly paths = new Set<string>();
  private readonly graceMs: number;
  private registryFile: string | undefined;
  private watchdogPid: number | undefined;

  constructor(options: ProcessGroupReaperOptions = {}) {
    this.graceMs = options.graceMs ?? REAPER_GRACE_MS;
  }

  /** The watchdog's pid once one was started (on the first {@link add}), else undefined. */
  get pid(): number | undefined {
    return this.watchdogPid;
  }

  /** Registers a process group (a child spawned with `detached: true`: its pid is its pgid). */
  add(pgid: number): void {
    this.groups.add(pgid);
    this.save();
    this.ensureWatchdog();
  }

  /** Unregisters a process group: call when it has exited or was stopped. */
  remove(pgid: number): void {
    if (this.groups.delete(pgid)) this.save();
  }

  /** Registers a file or folder the watchdog removes (recursively) after reaping. */
  addPath(target: string): void {
    this.paths.add(target);
    this.save();
    this.ensureWatchdog();
  }

  /** Unregisters a path (it was removed, or is to be kept). */
  removePath(target: string): void {
    if (this.paths.delete(target)) this.save();
  }

  private save(): void {
    this.registryFile ??= path.join(mkdtempSync(path.join(tmpdir(), 'enrichment-reaper-')), 'registry.json');
    const registry: ReaperRegistry = { parentPid: process.pid, graceMs: this.graceMs, groups: [...this.groups], paths: [...this.paths] };
    const partial = `${this.registryFile}.tmp`;
    writeFileSync(partial, JSON.stringify(registry));
    renameSync(partial, this.registryFile);
  }

  private ensureWatchdog(): void {
    if (this.watchdogPid !== undefined) return;
    // Own session and process group: a signal to the parent's group does not reach it.
    const child = spawn(process.execPath, ['--import', TSX_LOADER, THIS_FILE, this.registryFile!], { detached: true, stdio: 'ignore' });
    // A watchdog that cannot start must not take the parent down; the next registration retries.
    child.once('error', () => {
      if (this.watchdogPid === child.pid) this.watchdogPid = undefined;
    });
    child.unref();
    this.watchdogPid = child.pid;
  }
}

let shared: ProcessGroupReaper | undefined;

/** The process-wide reaper (default grace period) shared by local-services and the e2e script. */
export function sharedReaper(): ProcessGroupReaper {
  shared ??= new ProcessGroupReaper();
  return shared;
}

// ---------------------------------------------------------------------------------------------
// The watchdog

/** The parent pid of this process from `/proc/self/stat` (Linux), or null elsewhere. */
function currentParentPid(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/**
 * Whether the parent has gone. `kill(pid, 0)` alone is fooled by a zombie parent (dead, not yet
 * reaped by its own parent) and by pid reuse; on Linux, being re-parented settles it.
 */
function parentGone(parentPid: number): boolean {
  try {
    process.kill(parentPid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const ppid = currentParentPid();
  return ppid !== null && ppid !== parentPid;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone (ESRCH).
  }
}

/**
 * Stops process groups: SIGTERM to each, then SIGKILL to those still alive after `graceMs`.
 * Resolves when every group is gone or has been sent SIGKILL.
 */
export async function reapGroups(groups: readonly number[], graceMs: number): Promise<void> {
  const targets = groups.filter(groupAlive);
  for (const pgid of targets) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (targets.some(groupAlive) && Date.now() < deadline) await sleep(REAP_CHECK_MS);
  for (const pgid of targets.filter(groupAlive)) signalGroup(pgid, 'SIGKILL');
}

function readRegistry(file: string): ReaperRegistry | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ReaperRegistry;
  } catch {
    return null;
  }
}

/** The watchdog's loop: wait for the parent to go, reap what is still registered, clean up, return. */
async function watch(registryFile: string): Promise<void> {
  let registry = readRegistry(registryFile);
  if (!registry) return;
  while (!parentGone(registry.parentPid)) {
    await sleep(REAPER_POLL_MS);
    registry = readRegistry(registryFile) ?? registry;
  }
  await reapGroups(registry.groups, registry.graceMs);
  for (const target of registry.paths) rmSync(target, { recursive: true, force: true });
  rmSync(path.dirname(registryFile), { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const registryFile = process.argv[2];
  if (!registryFile) {
    console.error('usage: node --import tsx scripts/lib/reaper.ts <registry-file>');
    process.exit(2);
  }
  // The parent's terminal may send its group a SIGINT/SIGHUP; the watchdog is in another group,
  // but ignore them anyway: its job is to outlive the parent.
  for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
  await watch(registryFile);
  process.exit(0);
}
