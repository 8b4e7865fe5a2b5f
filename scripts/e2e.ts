/**
 * The end-to-end run (`./run-e2e-test.sh`, `npm run e2e`; checklist "Run E2E test").
 *
 * Starts real nsqlookupd, nsqd and FerretDB, the five agent MCP servers and N EnrichmentWorkers
 * as separate processes, submits a corpus, shows progress until every job is terminal, then
 * writes a JSON report (reports/e2e-<time>.json and reports/latest.json) and prints a summary.
 *
 * Exit code: 0 when every accepted job completed; 1 when a job was lost (not terminal at the
 * deadline, or completed without an enriched document), failed (dead-lettered), or the run
 * crashed (a process died); 2 for a usage or configuration error (one line on stderr), including
 * a fixed port (REVIEW_API_PORT, COST_API_PORT) already in use; 130 when interrupted. Jobs still
 * open when the run was interrupted or crashed are reported as unfinished, not lost.
 *
 * Every child runs in its own process group (so a terminal's Ctrl-C reaches only this script,
 * which stops them in order) and is registered with the watchdog of `scripts/lib/reaper.ts`,
 * which stops them if this script is killed outright (SIGKILL).
 *
 * Models: offline rules unless OLLAMA_HOST (phase 1) and/or ANTHROPIC_API_KEY (phase 2) are set.
 *
 * `--with-prometheus`: a Prometheus (Debian's package) scrapes every process of the run from
 * start-up on, with every `alerts/*.rules.yml` loaded; after the report the live check
 * (`scripts/prometheus-live-check.ts`) queries every dashboard panel and reads the alerts, prints
 * its table, and fails the run (exit 1) when an app panel has no data, an alert other than
 * Watchdog fires or a target is down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, constants as fsConstants, existsSync, openSync } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import Fastify, { type FastifyInstance } from 'fastify';
import { AGENT_NAMES } from '../app/src/domain/fields.js';
import { OFFLINE_MODEL } from '../app/src/llm/offline/index.js';
import { ConfigError, loadConfig, type AppConfig } from '../app/src/config.js';
import { listDocumentFiles, submitFiles } from '../app/src/pipeline/ingest.js';
import { ensureTopology, Publisher, topicStats } from '../app/src/queue/nsq.js';
import { buildRunReport, type RunReport } from '../app/src/reporting/run-report.js';
import { TERMINAL_JOB_STATUSES } from '../app/src/store/collections.js';
import { Store } from '../app/src/store/store.js';
import { createMetrics, type Metrics } from '../app/src/metrics/catalog.js';
import { SCRAPE_JOBS } from '../app/src/metrics/exporters.js';
import { registerOpsRoutes } from '../app/src/ops/http.js';
import { assertPortFree, ensureBinaries, freePorts, listensOn, PortInUseError, REPO_ROOT, startLocalServices, type LocalServices } from './lib/local-services.js';
import { sharedReaper } from './lib/reaper.js';
// The live check itself (and the dashboards it builds) is imported only with --with-prometheus.
import { DEFAULT_SCRAPE_SECONDS, findPrometheusTool, INSTALL_PROMETHEUS_HINT, startPrometheus, type PrometheusServer, type ScrapeJob } from './lib/prometheus.js';

const USAGE = `usage: ./run-e2e-test.sh [--corpus DIR] [--limit N] [--workers N] [--timeout-seconds S] [--report FILE] [--serve]
                         [--with-prometheus [--prometheus-seconds S]]

  --corpus DIR         folder of documents in the corpus JSON shape
                       (default: ../shared/corpus/sroie when it exists, else samples/)
  --limit N            submit only the first N documents (by file name)
  --workers N          EnrichmentWorker processes (default 2; checklist: replicas >= 2)
  --timeout-seconds S  give up waiting after S seconds (default: 300 + 10 per document)
  --report FILE        also write the report here
  --serve              after the report, keep MongoDB (FerretDB), the Review API (:5001) and the
                       Cost API (:5002) serving this run's results until Ctrl-C; prints tokens
  --with-prometheus    scrape every process of the run with a local Prometheus (every 2 s, all
                       alerts/*.rules.yml loaded); after the report, run the live check: every
                       dashboard panel's queries, the loaded rules and the active alerts, as a
                       table. Fails the run when an app panel has no data, an alert other than
                       Watchdog fires or a target is down. Needs /usr/bin/prometheus
                       (${INSTALL_PROMETHEUS_HINT})
  --prometheus-seconds S  with --with-prometheus: scrape at least S seconds before the check
                       (default ${DEFAULT_SCRAPE_SECONDS})`;

/** Pause between progress polls of ocr_jobs. */
const POLL_MS = 1_000;
/** `--with-prometheus`: seconds between scrapes and rule evaluations. */
const PROMETHEUS_INTERVAL_S = 2;
/** How long a child process may take to answer /health. */
const HEALTH_TIMEOUT_MS = 60_000;

interface Args {
  corpus: string;
  limit?: number;
  workers: number;
  timeoutSeconds?: number;
  report?: string;
  serve: boolean;
  withPrometheus: boolean;
  prometheusSeconds: number;
}

/** A mistake in the command line: one line pointing at `--help`, exit 2 (not a crash). */
class UsageError extends Error {}
/** The run cannot start as configured (a port in use, a path it cannot write): one line, exit 2. */
class SetupError extends Error {}

function parseCli(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
    args: argv,
    options: {
      corpus: { type: 'string' },
      limit: { type: 'string' },
      workers: { type: 'string', default: '2' },
      'timeout-seconds': { type: 'string' },
      report: { type: 'string' },
      serve: { type: 'boolean' },
      'with-prometheus': { type: 'boolean' },
      'prometheus-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
    return n;
  };
  if (values['prometheus-seconds'] !== undefined && !values['with-prometheus']) throw new UsageError('--prometheus-seconds needs --with-prometheus');
  const shared = path.resolve(REPO_ROOT, '..', 'shared', 'corpus', 'sroie');
  const corpus = values.corpus ? path.resolve(values.corpus) : existsSync(shared) ? shared : path.join(REPO_ROOT, 'samples');
  return {
    corpus,
    limit: positive('limit', values.limit),
    workers: positive('workers', values.workers) ?? 2,
    timeoutSeconds: positive('timeout-seconds', values['timeout-seconds']),
    report: values.report,
    serve: values.serve ?? false,
    withPrometheus: values['with-prometheus'] ?? false,
    prometheusSeconds: positive('prometheus-seconds', values['prometheus-seconds']) ?? DEFAULT_SCRAPE_SECONDS,
  };
}

interface Child {
  name: string;
  proc: ChildProcess;
  /** The port its ops server (`/health`) listens on. */
  port: number;
  /** The host it binds, for the port probe after a failed start. */
  host: string;
  /** For a fixed port (the APIs): the environment variable that sets it. */
  portVariable?: string;
  healthUrl: string;
  exited: Promise<number | null>;
}

/** The fixed ports a run listens on: the APIs' (agents, workers and Prometheus take free ones). */
interface FixedPort {
  variable: 'REVIEW_API_PORT' | 'COST_API_PORT';
  service: string;
  port: number;
}

function fixedPorts(config: AppConfig): FixedPort[] {
  return [
    { variable: 'REVIEW_API_PORT', service: 'the Review API', port: config.REVIEW_API_PORT },
    { variable: 'COST_API_PORT', service: 'the Cost API', port: config.COST_API_PORT },
  ];
}

/** The one line for a fixed port that another process holds. */
function portBusyMessage(busy: FixedPort, host: string, suggestion: string): string {
  return (
    `port ${busy.port} on ${host} (${busy.variable}, ${busy.service}) is already in use; another run (e.g. ./run-e2e-test.sh --serve) may hold it. ` +
    `Stop it, or choose other ports: ${suggestion} ./run-e2e-test.sh ...`
  );
}

/** `REVIEW_API_PORT=a COST_API_PORT=b` with two ports free on `host` above `above`, for the hint. */
async function suggestPorts(host: string, above: number): Promise<string> {
  const free: number[] = [];
  for (let port = above + 1; port < Math.min(above + 200, 65_535) && free.length < 2; port++) {
    if (await assertPortFree(host, port).then(() => true, () => false)) free.push(port);
  }
  return free.length === 2 ? `REVIEW_API_PORT=${free[0]} COST_API_PORT=${free[1]}` : 'REVIEW_API_PORT=... COST_API_PORT=...';
}

/**
 * Before anything starts: each fixed port must be free on API_HOST (probed by listening on it);
 * otherwise the health check of our API would be answered by whatever holds it.
 * @throws SetupError naming the port when one is taken or both are the same.
 */
async function checkFixedPorts(config: AppConfig): Promise<void> {
  const ports = fixedPorts(config);
  if (ports[0]!.port === ports[1]!.port) throw new SetupError(`REVIEW_API_PORT and COST_API_PORT are both ${ports[0]!.port}; give them different ports`);
  for (const fixed of ports) {
    try {
      await assertPortFree(config.API_HOST, fixed.port);
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw new SetupError(`cannot listen on ${config.API_HOST}:${fixed.port} (${fixed.variable}): ${(err as Error).message}`);
      throw new SetupError(portBusyMessage(fixed, config.API_HOST, await suggestPorts(config.API_HOST, Math.max(...ports.map((p) => p.port)))));
    }
  }
}

/**
 * Up-front checks of the paths in the options, so that a typo fails before minutes of work:
 * `--corpus` must be a folder, `--report`'s folder must exist or be creatable, and writable.
 * @throws SetupError with the path and the reason.
 */
async function checkPaths(args: Args): Promise<void> {
  const corpus = await stat(args.corpus).catch((err: NodeJS.ErrnoException) => err);
  if (corpus instanceof Error) {
    throw new SetupError(`--corpus ${args.corpus}: ${corpus.code === 'ENOENT' ? 'no such folder' : corpus.message}`);
  }
  if (!corpus.isDirectory()) throw new SetupError(`--corpus ${args.corpus}: a file, not a folder; give the folder holding the .json documents`);
  if (args.report === undefined) return;
  const report = path.resolve(args.report);
  const existing = await stat(report).catch(() => null);
  if (existing?.isDirectory()) throw new SetupError(`--report ${args.report}: a folder; give a file name, e.g. ${path.join(args.report, 'report.json')}`);
  const folder = path.dirname(report);
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, fsConstants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SetupError(`--report ${args.report}: its folder ${folder} cannot be created or written (${e.code ?? e.message})`);
  }
}

const TSX_LOADER = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const CLI = path.join(REPO_ROOT, 'app', 'src', 'cli', 'enrich.ts');

/** Why a child is gone (exit code or signal), or null while it runs. */
function exitOf(child: Child): string | null {
  if (child.proc.signalCode) return `killed by ${child.proc.signalCode}`;
  if (child.proc.exitCode !== null) return `exited with code ${child.proc.exitCode}`;
  return null;
}

interface SpawnSpec {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logDir: string;
  port: number;
  host: string;
  portVariable?: string;
}

function spawnCli(spec: SpawnSpec): Child {
  // The log file itself as stdout/stderr, not a pipe through this script: a child whose stdout
  // was a socket to a dead parent was seen to hang in its SIGTERM shutdown (and logs would stop).
  const logFd = openSync(path.join(spec.logDir, `${spec.name}.log`), 'a');
  // Own process group: a terminal's Ctrl-C reaches only this script, which stops workers first.
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...spec.args], { cwd: REPO_ROOT, env: spec.env, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  const pgid = proc.pid;
  if (pgid !== undefined) sharedReaper().add(pgid);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (pgid !== undefined) sharedReaper().remove(pgid);
      resolve(code);
    }),
  );
  const { name, port, host, portVariable } = spec;
  return { name, proc, port, host, ...(portVariable ? { portVariable } : {}), healthUrl: `http://127.0.0.1:${port}/health`, exited };
}

/**
 * Waits until `child` answers `/health` with 2xx. An answer counts only while the child runs and,
 * where `/proc` tells (Linux), only when the child itself holds the listening socket: another
 * process on the same port (another run's API) would otherwise pass for it.
 * @throws SetupError when the child died and its port is held by another process (EADDRINUSE);
 *   Error when it died otherwise or is not healthy within HEALTH_TIMEOUT_MS.
 */
async function waitHealthy(child: Child): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const gone = exitOf(child);
    if (gone) throw await startupFailure(child, gone);
    try {
      const res = await fetch(child.healthUrl, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      const own = child.proc.pid === undefined ? false : listensOn(child.proc.pid, child.port);
      if (res.ok && own !== false && exitOf(child) === null) return;
      last = own === false ? `port ${child.port} is answered by another process, not by ${child.name} (pid ${child.proc.pid})` : `${res.status} ${body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} not healthy after ${HEALTH_TIMEOUT_MS} ms: ${last}`);
}

/** Why a child died during start-up: its port taken by another process (a SetupError), or as logged. */
async function startupFailure(child: Child, gone: string): Promise<Error> {
  const taken = await assertPortFree(child.host, child.port).then(() => false, (err: unknown) => err instanceof PortInUseError);
  if (!taken) return new Error(`${child.name} ${gone} during start-up (see its log)`);
  const fixed = child.portVariable as FixedPort['variable'] | undefined;
  if (fixed) {
    const service = fixed === 'REVIEW_API_PORT' ? 'the Review API' : 'the Cost API';
    return new SetupError(portBusyMessage({ variable: fixed, service, port: child.port }, child.host, await suggestPorts(child.host, child.port)));
  }
  return new SetupError(`${child.name} ${gone}: its port ${child.port} was taken by another process during start-up; run again`);
}

async function stopChildren(children: Child[]): Promise<void> {
  // Workers first, so they can finish in-flight calls to the agents.
  const ordered = [...children.filter((c) => c.name.startsWith('worker')), ...children.filter((c) => !c.name.startsWith('worker'))];
  for (const group of [ordered.filter((c) => c.name.startsWith('worker')), ordered.filter((c) => !c.name.startsWith('worker'))]) {
    for (const c of group) if (!exitOf(c)) c.proc.kill('SIGTERM');
    await Promise.all(
      group.map((c) =>
        Promise.race([
          c.exited,
          new Promise((r) => setTimeout(r, 15_000)).then(() => {
            if (!exitOf(c)) c.proc.kill('SIGKILL');
          }),
        ]),
      ),
    );
  }
}

function providerMode(config: AppConfig): { mode: string; models: Record<string, string> } {
  const models: Record<string, string> = { offline: OFFLINE_MODEL };
  const parts = ['offline'];
  if (config.OLLAMA_HOST) {
    parts.push('ollama');
    models.phase1 = config.OLLAMA_PHASE1_MODEL;
    models.structure = config.OLLAMA_STRUCTURE_MODEL;
  }
  if (config.ANTHROPIC_API_KEY) {
    parts.push('anthropic');
    models.escalation = config.ANTHROPIC_MODEL;
  }
  return { mode: parts.join('+'), models };
}

/**
 * Prints the run's summary. `stopReason` labels the unfinished jobs of a run stopped early
 * (`run interrupted`, `run crashed`); they are counted by status, not listed one by one.
 */
function printSummary(r: RunReport, reportPath: string, stopReason: string): void {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const d = r.documents;
  const lines = [
    '',
    `E2E run on ${r.corpus} (provider mode: ${r.provider_mode})`,
    `  documents        ${d.submitted} submitted, ${d.accepted} accepted, ${d.rejected} rejected, ${d.completed} completed, ${d.failed} failed, ${d.lost} lost` +
      (d.unfinished > 0 ? `, ${d.unfinished} unfinished (${stopReason})` : ''),
    `  completeness     ${pct(r.average_completeness)} average   (target >= 95%)`,
    `  auto-approval    ${pct(r.auto_approval_rate)}           (target >= 90%)`,
    `  cost/document    mean $${r.cost_per_document_usd.mean.toFixed(6)}, p95 $${r.cost_per_document_usd.p95.toFixed(6)}   (target <= $0.50)`,
    `  throughput       ${r.throughput_docs_per_hour === null ? 'n/a' : r.throughput_docs_per_hour.toFixed(0)} documents/hour   (target >= 50)`,
    `  accuracy         ${Object.entries(r.accuracy).map(([f, a]) => `${f} ${a.correct}/${a.total} (${pct(a.rate)})`).join(', ') || 'no ground truth'}`,
  ];
  const aa = r.auto_approved_fully_correct;
  if (aa.total > 0) lines.push(`  approved & right ${aa.correct}/${aa.total} auto-approved documents right in every scored field (${pct(aa.rate)})`);
  if (r.key_value_pairs.total > 0) lines.push(`  form pairs       ${r.key_value_pairs.matched}/${r.key_value_pairs.total} question/answer pairs found (${pct(r.key_value_pairs.rate)})`);
  for (const rej of r.rejections) lines.push(`  rejected         ${rej.file}: ${rej.reason}`);
  for (const f of r.failures) lines.push(`  failed           ${f.document_id}: ${f.reason}`);
  for (const l of r.lost_jobs) lines.push(`  LOST             ${l.document_id} (${l.job_id}) still ${l.status}`);
  if (r.unfinished_jobs.length > 0) {
    const byStatus = new Map<string, number>();
    for (const u of r.unfinished_jobs) byStatus.set(u.status, (byStatus.get(u.status) ?? 0) + 1);
    lines.push(`  unfinished       ${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')} (${stopReason}; listed in the report's unfinished_jobs)`);
  }
  lines.push(`  report           ${reportPath}`);
  console.log(lines.join('\n'));
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  // Fail on a bad setting before anything starts (the service addresses are filled in later).
  const preflight = loadConfig(process.env);
  if (args.withPrometheus && !findPrometheusTool('prometheus')) {
    throw new SetupError(`--with-prometheus needs the prometheus binary ($PROMETHEUS_BIN, PATH, /usr/bin): run \`${INSTALL_PROMETHEUS_HINT}\``);
  }
  await checkPaths(args);
  await checkFixedPorts(preflight);
  const listing = await listDocumentFiles(args.corpus).catch((err: Error) => {
    throw new SetupError(`--corpus ${args.corpus}: ${err.message}`);
  });
  let files = listing.files;
  if (args.limit) files = files.slice(0, args.limit);
  if (files.length === 0) throw new SetupError(`--corpus ${args.corpus}: no .json documents in it`);
  if (listing.skipped.length > 0) {
    console.log(`skipping ${listing.skipped.length} entries that are not .json files: ${listing.skipped.slice(0, 5).map((f) => path.basename(f)).join(', ')}${listing.skipped.length > 5 ? ', ...' : ''}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const reportsDir = path.join(REPO_ROOT, 'reports');
  const logDir = path.join(reportsDir, 'logs', stamp);
  await mkdir(logDir, { recursive: true });
  console.log(`corpus: ${args.corpus} (${files.length} documents); logs: ${path.relative(process.cwd(), logDir)}`);

  ensureBinaries();
  const started = Date.now();
  const services: LocalServices = await startLocalServices({ logDir });
  const children: Child[] = [];
  // Ctrl-C or a CI timeout: stop submitting and waiting, write the report of what was done (marked
  // interrupted), then stop workers, agents and services in that order. A second signal forces it.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupt.signal.aborted) process.exit(130);
      console.error(`\n${signal}: stopping (again to force)`);
      interrupt.abort(signal);
    });
  }
  let store: Store | null = null;
  let publisher: Publisher | null = null;
  let prometheus: PrometheusServer | null = null;
  let ingestOps: FastifyInstance | null = null;
  let ingestMetrics: Metrics | undefined;
  try {
    console.log(`services: FerretDB ${services.mongoUri}, nsqd ${services.nsqdTcpAddress}, nsqlookupd ${services.nsqlookupdHttpAddress}`);
    // Every port of this run reserved together, so they are distinct.
    const ports = await freePorts(AGENT_NAMES.length + args.workers + 1);
    const agentPorts = ports.slice(0, AGENT_NAMES.length);
    const workerPorts = ports.slice(AGENT_NAMES.length, AGENT_NAMES.length + args.workers);
    const ingestPort = ports.at(-1)!;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MONGODB_URI: services.mongoUri,
      MONGODB_DB: 'enrichment',
      NSQD_TCP_ADDRESS: services.nsqdTcpAddress,
      NSQD_HTTP_ADDRESS: services.nsqdHttpAddress,
      NSQLOOKUPD_HTTP_ADDRESSES: services.nsqlookupdHttpAddress,
      AGENT_HOST: '127.0.0.1',
      AGENT_URLS: AGENT_NAMES.map((a, i) => `${a}=http://127.0.0.1:${agentPorts[i]}/mcp`).join(','),
      // A fresh secret per run: the agents and workers of this run share it, nothing else does.
      MCP_JWT_SECRET: process.env.MCP_JWT_SECRET ?? randomBytes(32).toString('base64url'),
      OUTBOX_SWEEP_SECONDS: process.env.OUTBOX_SWEEP_SECONDS ?? '5',
      API_JWT_SECRET: process.env.API_JWT_SECRET ?? randomBytes(32).toString('base64url'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    const config = loadConfig(env);
    for (const [i, agent] of AGENT_NAMES.entries()) {
      const port = agentPorts[i]!;
      children.push(spawnCli({ name: `agent-${agent}`, args: ['agent', agent], env: { ...env, AGENT_PORT: String(port) }, logDir, port, host: config.AGENT_HOST }));
    }
    await Promise.all(children.map(waitHealthy));
    for (let w = 1; w <= args.workers; w++) {
      const port = workerPorts[w - 1]!;
      children.push(spawnCli({ name: `worker-${w}`, args: ['worker'], env: { ...env, WORKER_METRICS_PORT: String(port) }, logDir, port, host: config.AGENT_HOST }));
    }
    await Promise.all(children.filter((c) => c.name.startsWith('worker')).map(waitHealthy));
    const apis = [
      spawnCli({ name: 'review-api', args: ['review-api'], env, logDir, port: config.REVIEW_API_PORT, host: config.API_HOST, portVariable: 'REVIEW_API_PORT' }),
      spawnCli({ name: 'cost-api', args: ['cost-api'], env, logDir, port: config.COST_API_PORT, host: config.API_HOST, portVariable: 'COST_API_PORT' }),
    ];
    children.push(...apis);
    await Promise.all(apis.map(waitHealthy));
    console.log(`started ${AGENT_NAMES.length} agents, ${args.workers} workers, the Review API (:${config.REVIEW_API_PORT}) and the Cost API (:${config.COST_API_PORT})`);
    if (args.withPrometheus) {
      // Ingest runs in this process: its counters (submitted, rejected, published) are served
      // here for the run's length, as job `submit` (the component name `enrich submit` uses).
      ingestMetrics = createMetrics('submit');
      ingestOps = Fastify({ logger: false });
      registerOpsRoutes(ingestOps, { metrics: ingestMetrics, checks: {} });
      await ingestOps.listen({ host: '127.0.0.1', port: ingestPort });
      const { alertRuleFiles, signMetricsToken, waitForScrapes } = await import('./prometheus-live-check.js');
      // The APIs open /metrics to a bearer token with the `metrics` role only.
      const scraperToken = await signMetricsToken(env);
      // Job names as the alert rules expect them (SCRAPE_JOBS of app/src/metrics/exporters.ts).
      const jobs: ScrapeJob[] = [
        { job: SCRAPE_JOBS.worker, targets: workerPorts.map((p) => `127.0.0.1:${p}`) },
        ...AGENT_NAMES.map((agent, i) => ({ job: `agent-${agent}`, targets: [`127.0.0.1:${agentPorts[i]}`] })),
        { job: SCRAPE_JOBS.reviewApi, targets: [`127.0.0.1:${config.REVIEW_API_PORT}`], bearerToken: scraperToken },
        { job: SCRAPE_JOBS.costApi, targets: [`127.0.0.1:${config.COST_API_PORT}`], bearerToken: scraperToken },
        { job: 'submit', targets: [`127.0.0.1:${ingestPort}`] },
      ];
      const ruleFiles = await alertRuleFiles();
      prometheus = await startPrometheus({ jobs, ruleFiles, intervalSeconds: PROMETHEUS_INTERVAL_S, selfScrapeJob: SCRAPE_JOBS.prometheus, logFile: path.join(logDir, 'prometheus.log') });
      // Every counter needs a sample from before the first job, or increase() misses the run.
      await waitForScrapes(prometheus.api, prometheus.readyAt, 0);
      console.log(`prometheus ${prometheus.url} scraping ${jobs.length} jobs every ${PROMETHEUS_INTERVAL_S} s, ${ruleFiles.length} rule files loaded`);
    }

    store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
    await ensureTopology(config);
    publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS);
    const batchId = randomUUID();
    const submittedAt = new Date();
    const submitted = await submitFiles(files, { store, publisher, config, signal: interrupt.signal, ...(ingestMetrics ? { metrics: ingestMetrics } : {}) }, batchId);
    console.log(`submitted ${submitted.accepted} jobs (${submitted.rejected} rejected) in ${((Date.now() - submittedAt.getTime()) / 1000).toFixed(1)} s`);

    const timeoutMs = (args.timeoutSeconds ?? 300 + 10 * files.length) * 1000;
    const bar = new cliProgress.SingleBar(
      {
        format: 'enriching [{bar}] {value}/{total} jobs terminal | {completed} completed, {failed} failed | {duration_formatted}',
        hideCursor: true,
        stream: process.stderr,
        // Without a terminal (CI, a log file) print a line every 10 s instead of nothing.
        noTTYOutput: true,
        notTTYSchedule: 10_000,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(submitted.accepted, 0, { completed: 0, failed: 0 });
    const deadline = Date.now() + timeoutMs;
    let crashed: string | null = null;
    for (;;) {
      const counts = await store.ocrJobs
        .aggregate<{ _id: string; n: number }>([{ $match: { batch_id: batchId, status: { $ne: 'rejected' } } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
        .toArray();
      const n = (s: string) => counts.find((c) => c._id === s)?.n ?? 0;
      const terminal = TERMINAL_JOB_STATUSES.reduce((sum, s) => sum + (s === 'rejected' ? 0 : n(s)), 0);
      bar.update(terminal, { completed: n('completed'), failed: n('failed') });
      if (terminal >= submitted.accepted || interrupt.signal.aborted) break;
      const dead = children.find((c) => exitOf(c) !== null);
      if (dead) {
        crashed = `${dead.name} ${exitOf(dead)}`;
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    bar.stop();
    const finishedAt = new Date();

    const { mode, models } = providerMode(config);
    // Stopped early: open jobs are unfinished (nobody waited for them), not lost.
    const stoppedEarly = interrupt.signal.aborted || crashed !== null;
    const report = await buildRunReport({ store, batchId, corpus: args.corpus, providerMode: mode, models, startedAt: submittedAt, finishedAt, stoppedEarly });
    const dead = await topicStats(services.nsqdHttpAddress, config.NSQ_DEAD_LETTER_TOPIC);
    const reportPath = path.join(reportsDir, `e2e-${stamp}.json`);
    const interrupted = interrupt.signal.aborted ? String(interrupt.signal.reason) : null;
    const body = JSON.stringify(
      { ...report, dead_letter_depth: dead?.depth ?? 0, run_seconds_total: (Date.now() - started) / 1000, crashed, interrupted },
      null,
      2,
    );
    await writeFile(reportPath, body);
    await writeFile(path.join(reportsDir, 'latest.json'), body);
    if (args.report) await writeFile(path.resolve(args.report), body);
    printSummary(report, path.relative(process.cwd(), reportPath), interrupt.signal.aborted ? 'run interrupted' : 'run crashed');
    if (crashed) console.error(`run crashed: ${crashed}`);
    if (interrupted) {
      console.error(`run interrupted by ${interrupted}: the report covers the ${submitted.jobs.length} documents submitted`);
      return 130;
    }
    // Lost jobs or a crash fail the run; so do failed jobs (dead-lettered after maxAttempts).
    let code = report.documents.lost > 0 || report.documents.failed > 0 || crashed ? 1 : 0;
    if (prometheus && !crashed && !interrupted) {
      // The APIs' panels and alerts need traffic besides health checks and scrapes: read the
      // run's results as a reviewer and as finance would, twice with scrapes in between, since
      // a series born with its first request only shows a rate from its second sample on.
      if (!(await exerciseApis(config))) code = 1;
      await new Promise((r) => setTimeout(r, 3 * PROMETHEUS_INTERVAL_S * 1000));
      if (!(await exerciseApis(config))) code = 1;
      const live = await liveCheck(prometheus, args.prometheusSeconds, path.join(reportsDir, `e2e-${stamp}-prometheus.json`));
      if (!live) code = 1;
    }
    if (args.serve && !crashed) await serveUntilInterrupted(config, interrupt.signal);
    return code;
  } finally {
    await prometheus?.stop();
    await ingestOps?.close();
    publisher?.close();
    await store?.close();
    await stopChildren(children);
    await services.stop();
  }
}

/** Read-only requests of a reviewer and of finance, one per route, each of which must answer 200. */
const API_SMOKE_REQUESTS = [
  { service: 'review-api', role: 'reviewer', path: '/reviews?status=pending&limit=5' },
  { service: 'review-api', role: 'reviewer', path: '/queue/stats' },
  { service: 'cost-api', role: 'finance', path: '/costs/summary' },
  { service: 'cost-api', role: 'finance', path: '/costs/budget' },
] as const;

/**
 * `--with-prometheus`: sends {@link API_SMOKE_REQUESTS} with short-lived tokens and prints one
 * line with each status. @returns whether every request answered 200.
 */
async function exerciseApis(config: AppConfig): Promise<boolean> {
  const { signToken } = await import('../app/src/services/http/auth.js');
  const results: string[] = [];
  let ok = true;
  for (const r of API_SMOKE_REQUESTS) {
    const port = r.service === 'review-api' ? config.REVIEW_API_PORT : config.COST_API_PORT;
    const token = await signToken({ sub: `e2e-${r.role}@example.com`, roles: [r.role], secret: config.API_JWT_SECRET!, issuer: config.API_JWT_ISSUER, expiresIn: '5m' });
    const res = await fetch(`http://127.0.0.1:${port}${r.path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) }).catch((err: Error) => err);
    const status = res instanceof Error ? res.message : String(res.status);
    if (!(res instanceof Error)) await res.arrayBuffer();
    if (status !== '200') ok = false;
    results.push(`${r.service} GET ${r.path} ${status}`);
  }
  console.log(`  API requests     ${results.join('; ')}`);
  return ok;
}

/**
 * `--with-prometheus`: lets Prometheus scrape until `seconds` have passed since it started, runs
 * the live check, prints its table and writes the result object to `resultPath`.
 * @returns whether the check passed.
 */
async function liveCheck(prometheus: PrometheusServer, seconds: number, resultPath: string): Promise<boolean> {
  const { formatLiveCheck, runLiveCheck, waitForScrapes } = await import('./prometheus-live-check.js');
  const waitS = Math.max(0, Math.ceil((prometheus.readyAt.getTime() + seconds * 1000 - Date.now()) / 1000));
  console.log(`\nPrometheus live check${waitS > 0 ? ` (scraping ${waitS} s more first)` : ''}:`);
  await waitForScrapes(prometheus.api, prometheus.readyAt, seconds);
  const result = await runLiveCheck({ prometheus: prometheus.api, rangeSeconds: (Date.now() - prometheus.readyAt.getTime()) / 1000 });
  console.log(formatLiveCheck(result));
  await writeFile(resultPath, JSON.stringify(result, null, 2));
  console.log(`  live check result ${path.relative(process.cwd(), resultPath)}`);
  return result.ok;
}

/** `--serve`: print bearer tokens and curl examples, then wait for Ctrl-C. */
async function serveUntilInterrupted(config: AppConfig, signal: AbortSignal): Promise<void> {
  const { signToken } = await import('../app/src/services/http/auth.js');
  const sign = (sub: string, roles: string[]) =>
    signToken({ sub, roles, secret: config.API_JWT_SECRET!, issuer: config.API_JWT_ISSUER, expiresIn: '12h' });
  const reviewer = await sign('reviewer@example.com', ['reviewer']);
  const finance = await sign('finance@example.com', ['finance']);
  console.log(`
Serving this run's results until Ctrl-C (tokens valid 12 h):
  export REVIEW_TOKEN=${reviewer}
  export FINANCE_TOKEN=${finance}
  curl -s -H "Authorization: Bearer $REVIEW_TOKEN" 'http://127.0.0.1:${config.REVIEW_API_PORT}/reviews?status=pending&limit=5'
  curl -s -H "Authorization: Bearer $FINANCE_TOKEN" 'http://127.0.0.1:${config.COST_API_PORT}/costs/summary'`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`run-e2e-test: ${err.message} (see ./run-e2e-test.sh --help)`);
      process.exit(2);
    }
    if (err instanceof SetupError) {
      console.error(`run-e2e-test: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      console.error(`run-e2e-test: invalid configuration: ${err.problems.join('; ')}`);
      process.exit(2);
    }
    console.error(`e2e run crashed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
