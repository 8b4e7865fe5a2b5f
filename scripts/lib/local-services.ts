/**
 * Real local services for development and tests: nsqlookupd, nsqd and FerretDB (MongoDB wire
 * protocol on SQLite), built from `tools/` by `scripts/build-services.sh` into `.bin/` and run as
 * child processes on free loopback ports, in a throw-away data directory.
 *
 * Used by `tests/global-setup.ts` (one set for a whole vitest run) and by `scripts/services.ts`.
 * Every child is registered with the process-wide watchdog of `./reaper.ts`, which stops them
 * when this process is killed without a chance to (SIGKILL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { sharedReaper } from './reaper.js';

/** Repository root (this file is `scripts/lib/local-services.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `scripts/build-services.sh` puts the binaries (git-ignored). */
export const BIN_DIR = join(REPO_ROOT, '.bin');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'build-services.sh');
const BINARIES = ['nsqd', 'nsqlookupd', 'ferretdb'] as const;

/**
 * How long one service may take to answer its readiness check. A cold FerretDB start creates its
 * SQLite metadata; all three are normally ready in well under a second, so 30 s only trips on a
 * real hang and keeps a broken run from stalling CI.
 */
export const READY_TIMEOUT_MS = 30_000;
/** Pause between readiness probes. */
const READY_POLL_MS = 50;
/**
 * Spawn attempts per service. A port picked free can be taken by another process between our
 * probe and the child's bind (EADDRINUSE); a fresh port almost always works on the next try.
 */
const MAX_SPAWN_ATTEMPTS = 5;
/** Grace period between SIGTERM and SIGKILL in `stop()`. nsqd flushes its queues to disk on SIGTERM. */
export const STOP_GRACE_MS = 5_000;
/** Lines of a service log quoted in a startup error. */
const LOG_TAIL_LINES = 40;

/**
 * nsqd message timeouts sized for an LLM pipeline: one document may spend minutes in model calls,
 * so a message is only auto-requeued after 10 min without FIN/TOUCH (`--msg-timeout`); a client
 * may ask for up to 1 h (`--max-msg-timeout`); a requeue may defer a message up to 1 h
 * (`--max-req-timeout`, the backoff ceiling).
 */
export const NSQD_MESSAGE_FLAGS = ['--msg-timeout=10m', '--max-msg-timeout=1h', '--max-req-timeout=1h'] as const;

/** Addresses of a running set of local services, as `host:port` strings unless noted. */
export interface LocalServiceAddresses {
  /** `mongodb://127.0.0.1:<port>/` of FerretDB. */
  mongoUri: string;
  nsqdTcpAddress: string;
  nsqdHttpAddress: string;
  nsqlookupdTcpAddress: string;
  nsqlookupdHttpAddress: string;
  /** Temporary directory holding nsqd's queue files, FerretDB's SQLite files and (by default) the logs. */
  dataDir: string;
}

/** A running set of local services. */
export interface LocalServices extends LocalServiceAddresses {
  /** Milliseconds each service took from spawn to ready (for reporting). */
  startupMs: Record<(typeof BINARIES)[number], number>;
  /** Process id of each service (also its process-group id: each runs in its own group). */
  pids: Record<(typeof BINARIES)[number], number>;
  /**
   * Stops every service (SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}) and removes
   * `dataDir` unless `keepData` was set. Safe to call more than once.
   */
  stop(): Promise<void>;
}

export interface StartLocalServicesOptions {
  /** Directory for the `<service>.log` files. Default: `dataDir`. */
  logDir?: string;
  /** Keep `dataDir` after `stop()` (for post-mortems). Default: false. */
  keepData?: boolean;
}

/** Thrown when a service does not start; `message` quotes the tail of its log. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    reason: string,
    readonly logFile: string,
    logTail: string,
  ) {
    super(`${service} did not start: ${reason}\n--- last lines of ${logFile} ---\n${logTail}`);
    this.name = 'ServiceStartError';
  }
}

/**
 * Builds the service binaries with `scripts/build-services.sh` when any of `.bin/{nsqd,nsqlookupd,ferretdb}`
 * is missing. Build output goes to stderr.
 * @throws Error when the build fails (for example Go is not installed).
 */
export function ensureBinaries(): void {
  if (BINARIES.every((name) => existsSync(join(BIN_DIR, name)))) return;
  const result = spawnSync('bash', [BUILD_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`scripts/build-services.sh failed with exit code ${result.status ?? result.signal}`);
  }
}

/**
 * Starts nsqlookupd, then nsqd (registered with it) and FerretDB, on free 127.0.0.1 ports in a
 * fresh temporary directory, and waits until each answers (nsq: `GET /ping` → `OK`; FerretDB: a
 * MongoDB `ping` command). Children are killed if this process exits; if it is killed outright
 * (SIGKILL), the watchdog of `./reaper.ts` stops them and removes the data directory (unless kept).
 * @throws ServiceStartError when a service exits or is not ready within {@link READY_TIMEOUT_MS};
 *   services already started are stopped first, and the data directory (with the logs) is kept.
 */
export async function startLocalServices(opts: StartLocalServicesOptions = {}): Promise<LocalServices> {
  for (const name of BINARIES) {
    if (!existsSync(join(BIN_DIR, name))) {
      throw new Error(`${join(BIN_DIR, name)} is missing: run \`bash scripts/build-services.sh\` (or call ensureBinaries())`);
    }
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'enrichment-services-'));
  const logDir = opts.logDir ?? dataDir;
  const nsqdDataPath = join(dataDir, 'nsqd');
  const ferretDataPath = join(dataDir, 'ferretdb');
  await Promise.all([mkdir(logDir, { recursive: true }), mkdir(nsqdDataPath), mkdir(ferretDataPath)]);

  if (!opts.keepData) {
    dataDirsToRemove.add(dataDir);
    sharedReaper().addPath(dataDir);
  }
  const running: RunningService[] = [];
  let stopped = false;
  const stopChildren = async (): Promise<void> => {
    await Promise.all(running.map((s) => terminate(s.child)));
    for (const s of running) liveChildren.delete(s.child);
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopChildren();
    if (!opts.keepData) await rm(dataDir, { recursive: true, force: true });
    dataDirsToRemove.delete(dataDir);
    sharedReaper().removePath(dataDir);
  };

  let ferretdbStart: Promise<RunningService> | undefined;
  try {
    ferretdbStart = startService({
      name: 'ferretdb',
      logFile: join(logDir, 'ferretdb.log'),
      portCount: 1,
      args: ([port]) => [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${ferretDataPath}/?_pragma=synchronous(normal)`, '--log-level=warn'],
      isReady: ([port]) => mongoPing(`mongodb://127.0.0.1:${port}/`),
    }).then((s) => (running.push(s), s));
    // Handled below (awaited, or awaited in the catch); this only keeps an early rejection from
    // being reported as unhandled while nsqlookupd and nsqd start.
    ferretdbStart.catch(() => undefined);

    const lookupd = await startService({
      name: 'nsqlookupd',
      logFile: join(logDir, 'nsqlookupd.log'),
      portCount: 2,
      args: ([tcp, http]) => [`--tcp-address=127.0.0.1:${tcp}`, `--http-address=127.0.0.1:${http}`, '--broadcast-address=127.0.0.1'],
      isReady: ([, http]) => httpPing(`127.0.0.1:${http}`),
    });
    running.push(lookupd);
    const [lookupdTcp, lookupdHttp] = lookupd.ports;

    const nsqd = await startService({
      name: 'nsqd',
      logFile: join(logDir, 'nsqd.log'),
      portCount: 2,
      args: ([tcp, http]) => [
        `--tcp-address=127.0.0.1:${tcp}`,
        `--http-address=127.0.0.1:${http}`,
        `--data-path=${nsqdDataPath}`,
        `--lookupd-tcp-address=127.0.0.1:${lookupdTcp}`,
        '--broadcast-address=127.0.0.1',
        ...NSQD_MESSAGE_FLAGS,
      ],
      isReady: ([, http]) => httpPing(`127.0.0.1:${http}`),
    });
    running.push(nsqd);
    const [nsqdTcp, nsqdHttp] = nsqd.ports;

    const ferretdb = await ferretdbStart;
    return {
      mongoUri: `mongodb://127.0.0.1:${ferretdb.ports[0]}/`,
      nsqdTcpAddress: `127.0.0.1:${nsqdTcp}`,
      nsqdHttpAddress: `127.0.0.1:${nsqdHttp}`,
      nsqlookupdTcpAddress: `127.0.0.1:${lookupdTcp}`,
      nsqlookupdHttpAddress: `127.0.0.1:${lookupdHttp}`,
      dataDir,
      startupMs: { nsqlookupd: lookupd.startupMs, nsqd: nsqd.startupMs, ferretdb: ferretdb.startupMs },
      pids: { nsqlookupd: lookupd.child.pid!, nsqd: nsqd.child.pid!, ferretdb: ferretdb.child.pid! },
      stop,
    };
  } catch (err) {
    // Let a FerretDB start still in flight settle so its child is in `running` and gets stopped.
    await ferretdbStart?.catch(() => undefined);
    await stopChildren().catch(() => undefined);
    // Keep dataDir: the error names the log file in it, for the post-mortem.
    dataDirsToRemove.delete(dataDir);
    sharedReaper().removePath(dataDir);
    throw err;
  }
}

interface ServiceSpec {
  name: (typeof BINARIES)[number];
  logFile: string;
  portCount: number;
  args(ports: number[]): string[];
  isReady(ports: number[]): Promise<boolean>;
}

interface RunningService {
  child: ChildProcess;
  ports: number[];
  startupMs: number;
}

/** Children of every `startLocalServices` in this process, killed on exit. */
const liveChildren = new Set<ChildProcess>();
/** Data directories to delete on exit when `stop()` did not run (keepData false). */
const dataDirsToRemove = new Set<string>();
let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = (): void => {
    for (const child of liveChildren) {
      child.kill('SIGKILL');
      if (child.pid !== undefined) sharedReaper().remove(child.pid);
    }
    liveChildren.clear();
    for (const dir of dataDirsToRemove) {
      rmSync(dir, { recursive: true, force: true });
      sharedReaper().removePath(dir);
    }
    dataDirsToRemove.clear();
  };
  process.once('exit', killAll);
  // A signal's default action ends the process without an 'exit' event. When nobody else handles
  // the signal, kill the children and re-raise it so the default action (and exit status) happens.
  // When someone else does (the services CLI, a test runner), they stop or exit, and 'exit' covers it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

async function startService(spec: ServiceSpec): Promise<RunningService> {
  installExitHandlers();
  let lastError: ServiceStartError | undefined;
  for (let attempt = 1; attempt <= MAX_SPAWN_ATTEMPTS; attempt++) {
    const ports = await freePorts(spec.portCount);
    const started = Date.now();
    const logFd = openSync(spec.logFile, 'a');
    // Own process group: a terminal's Ctrl-C reaches only our process, which stops these in order.
    const child = spawn(join(BIN_DIR, spec.name), spec.args(ports), { stdio: ['ignore', logFd, logFd], detached: true });
    closeSync(logFd);
    liveChildren.add(child);
    const pgid = child.pid;
    if (pgid !== undefined) sharedReaper().add(pgid);
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      liveChildren.delete(child);
      if (pgid !== undefined) sharedReaper().remove(pgid);
    });
    child.once('error', (err) => {
      exited = `could not be spawned: ${err.message}`;
    });

    const deadline = started + READY_TIMEOUT_MS;
    while (exited === undefined && Date.now() < deadline) {
      if (await spec.isReady(ports).catch(() => false)) {
        if (exited !== undefined) break;
        return { child, ports, startupMs: Date.now() - started };
      }
      await sleep(READY_POLL_MS);
    }

    const log = await readTail(spec.logFile);
    if (exited === undefined) {
      await terminate(child);
      throw new ServiceStartError(spec.name, `not ready after ${READY_TIMEOUT_MS} ms`, spec.logFile, log);
    }
    lastError = new ServiceStartError(spec.name, exited, spec.logFile, log);
    if (!/address already in use/i.test(log)) throw lastError;
    // EADDRINUSE: another process took the port between our probe and the bind; retry on new ports.
  }
  throw lastError ?? new Error(`${spec.name}: no spawn attempt made`);
}

/** Ports the kernel reports free on 127.0.0.1, reserved together so they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              if (address && typeof address === 'object') resolve(address.port);
              else reject(new Error('no port from listen(0)'));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

/** A fixed port another process holds (or may not be bound), found by {@link assertPortFree}. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    /** The listen error's code: `EADDRINUSE`, or `EACCES` for a privileged port. */
    readonly code: string,
  ) {
    super(`port ${port} on ${host} is not free (${code})`);
    this.name = 'PortInUseError';
  }
}

/**
 * Checks that `port` can be listened on at `host` (the host the service will bind) by listening
 * on it and closing again. Whatever holds it (another run's API, any other program) is refused
 * alike; nothing is sent to it.
 * @throws PortInUseError when the listen fails with EADDRINUSE or EACCES; other listen errors
 *   (e.g. EADDRNOTAVAIL for a host not on this machine) as they are.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(host, port, err.code) : err);
    });
    // exclusive: a cluster primary would otherwise share a handle instead of binding.
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Whether process `pid` holds the TCP socket listening on `port` (any address, IPv4 or IPv6):
 * tells a service's own answer from that of another process on the same port. Linux only: reads
 * the listening sockets' inodes in `/proc/net/tcp{,6}` and the process's `/proc/<pid>/fd` links.
 * @returns true or false on Linux; null where `/proc` cannot tell (another OS, no permission).
 */
export function listensOn(pid: number, port: number): boolean | null {
  const inodes = new Set<string>();
  let readable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...; st 0A = LISTEN
      const fields = line.trim().split(/\s+/);
      const localPort = fields[1]?.split(':').at(-1);
      if (fields[3] === '0A' && localPort !== undefined && parseInt(localPort, 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (!readable) return null;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : null;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match && inodes.has(match[1]!)) return true;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return false;
}

/** nsqd and nsqlookupd answer `GET /ping` with `OK` once their HTTP listener is up. */
async function httpPing(hostPort: string): Promise<boolean> {
  const res = await fetch(`http://${hostPort}/ping`, { signal: AbortSignal.timeout(1_000) });
  return res.ok && (await res.text()).trim() === 'OK';
}

/** A real MongoDB `ping` through the driver: proves the wire protocol and the SQLite backend answer. */
async function mongoPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000, directConnection: true });
  try {
    const reply = await client.db('admin').command({ ping: 1 });
    return reply['ok'] === 1;
  } finally {
    await client.close();
  }
}

async function readTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

/** SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}; resolves when the child has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
