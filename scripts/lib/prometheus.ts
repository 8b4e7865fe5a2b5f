/**
 * A throw-away Prometheus for checks on a real run: its scrape config, the process (Debian's
 * `prometheus` 2.42 package, installed by `scripts/install-prometheus-tools.sh`) on a free
 * loopback port with a temporary data directory, and a typed client of the HTTP API it serves
 * (`/api/v1/query`, `/api/v1/rules`, `/api/v1/alerts`, `/api/v1/targets`; see
 * https://prometheus.io/docs/prometheus/2.42/querying/api/).
 *
 * Used by `scripts/prometheus-live-check.ts` (checklist, Prometheus setup: "Scrape jobs configured
 * for all services", "Alert rules loaded") and by `scripts/e2e.ts --with-prometheus`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { z } from 'zod';
import { freePorts } from './local-services.js';
import { sharedReaper } from './reaper.js';

/** The command that installs prometheus, promtool and amtool; named in every "missing tool" error. */
export const INSTALL_PROMETHEUS_HINT = 'bash scripts/install-prometheus-tools.sh';

/** Default scrape window of a live check before its queries run, in seconds. */
export const DEFAULT_SCRAPE_SECONDS = 60;

/** How long Prometheus may take to answer `/-/ready` (it replays an empty WAL: normally < 1 s). */
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
/** Grace between SIGTERM and SIGKILL when stopping Prometheus (it flushes its head block). */
const STOP_GRACE_MS = 5_000;
/** Deadline of one HTTP API call: a query over a few minutes of a few hundred series. */
const API_TIMEOUT_MS = 15_000;

/** The Prometheus tools this project uses, each from Debian's packages. */
export type PrometheusTool = 'prometheus' | 'promtool' | 'amtool';

/**
 * Path of a Prometheus tool: `$PROMETHEUS_BIN` / `$PROMTOOL_BIN` / `$AMTOOL_BIN` when set, else
 * the first match on `$PATH`, else `/usr/bin/<tool>` when it exists; `null` when none is found.
 */
export function findPrometheusTool(tool: PrometheusTool): string | null {
  const override = process.env[`${tool.toUpperCase()}_BIN`];
  if (override) return existsSync(override) ? override : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, tool);
    if (existsSync(candidate)) return candidate;
  }
  const fallback = `/usr/bin/${tool}`;
  return existsSync(fallback) ? fallback : null;
}

/**
 * Like {@link findPrometheusTool} but throws when the tool is missing.
 * @throws Error naming {@link INSTALL_PROMETHEUS_HINT}.
 */
export function requirePrometheusTool(tool: PrometheusTool): string {
  const found = findPrometheusTool(tool);
  if (!found) throw new Error(`${tool} not found (looked at $${tool.toUpperCase()}_BIN, $PATH and /usr/bin): run \`${INSTALL_PROMETHEUS_HINT}\``);
  return found;
}

/** One scrape job: a service kind and the processes that serve it. */
export interface ScrapeJob {
  /** Prometheus `job` label, e.g. `worker`, `agent-metadata`, `review-api`. */
  job: string;
  /** `host:port` of each process (Prometheus's `instance` label). */
  targets: string[];
  /** Default `/metrics`. */
  metricsPath?: string;
  /**
   * Bearer token the scraper sends; written to a 0600 file and passed as
   * `authorization.credentials_file`, never inlined into the config.
   */
  bearerToken?: string;
}

export interface PrometheusConfigOptions {
  jobs: ScrapeJob[];
  /** Rule files (absolute paths) to load; Prometheus refuses to start when one is invalid. */
  ruleFiles: string[];
  /** Seconds between scrapes and between rule evaluations. */
  intervalSeconds: number;
  /** Absolute path of the credentials file of each job that has a bearer token. */
  credentialsFile: (job: string) => string;
}

/**
 * The `prometheus.yml` document (as an object; stringify with `yaml`) for the given jobs: one
 * `scrape_configs` entry per job with `static_configs`, `scrape_timeout` equal to the interval,
 * and `authorization: { type: Bearer, credentials_file }` for jobs with a token.
 * @throws Error on an empty or duplicate job name, or a job without targets.
 */
export function buildPrometheusConfig(options: PrometheusConfigOptions): Record<string, unknown> {
  const seen = new Set<string>();
  for (const job of options.jobs) {
    if (!job.job) throw new Error('scrape job without a name');
    if (seen.has(job.job)) throw new Error(`duplicate scrape job "${job.job}"`);
    if (job.targets.length === 0) throw new Error(`scrape job "${job.job}" has no targets`);
    seen.add(job.job);
  }
  const interval = `${options.intervalSeconds}s`;
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles,
    scrape_configs: options.jobs.map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? '/metrics',
      static_configs: [{ targets: job.targets }],
      ...(job.bearerToken ? { authorization: { type: 'Bearer', credentials_file: options.credentialsFile(job.job) } } : {}),
    })),
  };
}

export interface StartPrometheusOptions {
  jobs: ScrapeJob[];
  ruleFiles?: string[];
  /** Seconds between scrapes and rule evaluations. Default 2. */
  intervalSeconds?: number;
  /** Where Prometheus's own log goes. Default `<dataDir>/prometheus.log` (gone after stop). */
  logFile?: string;
  /** Keep the data directory (config, credentials, TSDB) after stop. Default false. */
  keepData?: boolean;
  /**
   * When set, Prometheus also scrapes its own `/metrics` as this job (the `prometheus_*` series
   * of the alert rules, as a production Prometheus scraping itself has them).
   */
  selfScrapeJob?: string;
}

/** A running Prometheus. */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  api: PrometheusApi;
  configFile: string;
  dataDir: string;
  logFile: string;
  /** When it answered `/-/ready`; the scrape window starts here. */
  readyAt: Date;
  /** SIGTERM, SIGKILL after 5 s, then removes the data directory (unless kept). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Writes the config (and one credentials file per job with a token) to a fresh temporary
 * directory, starts `prometheus` on a free 127.0.0.1 port with its TSDB there, and waits until
 * `/-/ready` answers 200.
 * @throws Error when the binary is missing (naming {@link INSTALL_PROMETHEUS_HINT}), or when
 *   Prometheus exits (bad config or rule file: its log is quoted) or is not ready in 30 s.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = requirePrometheusTool('prometheus');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'prometheus-check-'));
  const credentialsDir = path.join(dataDir, 'credentials');
  await mkdir(credentialsDir, { mode: 0o700 });
  const credentialsFile = (job: string) => path.join(credentialsDir, `${job.replace(/[^A-Za-z0-9_.-]/g, '_')}.token`);
  for (const job of options.jobs) {
    if (!job.bearerToken) continue;
    await writeFile(credentialsFile(job.job), job.bearerToken, { mode: 0o600 });
    await chmod(credentialsFile(job.job), 0o600);
  }
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const selfJob: ScrapeJob[] = options.selfScrapeJob ? [{ job: options.selfScrapeJob, targets: [`127.0.0.1:${port}`] }] : [];
  const config = buildPrometheusConfig({
    jobs: [...options.jobs, ...selfJob],
    ruleFiles: options.ruleFiles ?? [],
    intervalSeconds: options.intervalSeconds ?? 2,
    credentialsFile,
  });
  const configFile = path.join(dataDir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));
  const logFile = options.logFile ?? path.join(dataDir, 'prometheus.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', logFd, logFd], detached: true },
  );
  closeSync(logFd);
  // The watchdog stops Prometheus (and removes its data) if this process dies without cleaning up.
  if (child.pid !== undefined) sharedReaper().add(child.pid);
  if (!options.keepData) sharedReaper().addPath(dataDir);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
    if (child.pid !== undefined) sharedReaper().remove(child.pid);
  });
  child.once('error', (err) => {
    exited = `could not be spawned: ${err.message}`;
  });
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      if (exited === undefined) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killed = await Promise.race([gone.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
        if (killed && exited === undefined) {
          child.kill('SIGKILL');
          await gone;
        }
      }
      if (!options.keepData) {
        await rm(dataDir, { recursive: true, force: true });
        sharedReaper().removePath(dataDir);
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (exited === undefined && Date.now() < deadline) {
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (ready) {
      return { url, api: new PrometheusApi(url), configFile, dataDir, logFile, readyAt: new Date(), stop };
    }
    await sleep(READY_POLL_MS);
  }
  const reason = exited ?? `not ready after ${READY_TIMEOUT_MS} ms`;
  const log = await readTail(logFile);
  await stop();
  throw new Error(`prometheus ${reason}\n--- ${logFile} ---\n${log}`);
}

async function readTail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// --- HTTP API ---------------------------------------------------------------------------------

const sample = z.tuple([z.number(), z.string()]);
const vectorResult = z.object({ metric: z.record(z.string(), z.string()), value: sample });
const matrixResult = z.object({ metric: z.record(z.string(), z.string()), values: z.array(sample) });

/** `data` of a successful `/api/v1/query`. */
export const queryDataSchema = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(vectorResult) }),
  z.object({ resultType: z.literal('matrix'), result: z.array(matrixResult) }),
  z.object({ resultType: z.literal('scalar'), result: sample }),
  z.object({ resultType: z.literal('string'), result: sample }),
]);
export type QueryData = z.infer<typeof queryDataSchema>;

const alertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  state: z.enum(['pending', 'firing']),
  activeAt: z.string().optional(),
  value: z.string().optional(),
});
/** One active alert of `/api/v1/alerts` (or of an alerting rule in `/api/v1/rules`). */
export type ActiveAlert = z.infer<typeof alertSchema>;

const ruleSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('alerting'),
    name: z.string(),
    query: z.string(),
    state: z.enum(['inactive', 'pending', 'firing']),
    health: z.string(),
    lastError: z.string().optional(),
    labels: z.record(z.string(), z.string()).default({}),
    alerts: z.array(alertSchema).default([]),
  }),
  z.object({
    type: z.literal('recording'),
    name: z.string(),
    query: z.string(),
    health: z.string(),
    lastError: z.string().optional(),
  }),
]);
/** One rule of `/api/v1/rules`. */
export type LoadedRule = z.infer<typeof ruleSchema>;
const rulesDataSchema = z.object({
  groups: z.array(z.object({ name: z.string(), file: z.string(), rules: z.array(ruleSchema) })),
});
/** `data` of `/api/v1/rules`: rule groups with their file and rules. */
export type RulesData = z.infer<typeof rulesDataSchema>;

const targetSchema = z.object({
  labels: z.record(z.string(), z.string()),
  scrapeUrl: z.string(),
  health: z.enum(['up', 'down', 'unknown']),
  lastError: z.string().default(''),
});
/** One active target of `/api/v1/targets`. */
export type ActiveTarget = z.infer<typeof targetSchema>;

const envelope = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.unknown() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

/** Thrown when Prometheus answers `status: error` (e.g. a PromQL parse error) or a non-JSON body. */
export class PrometheusApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${endpoint}: ${errorType}: ${message}`);
    this.name = 'PrometheusApiError';
  }
}

/** A typed client of the Prometheus HTTP API v1 at `baseUrl` (no authentication). */
export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  private async get<T>(endpoint: string, params: Record<string, string>, schema: z.ZodType<T>): Promise<T> {
    const url = new URL(`/api/v1/${endpoint}`, this.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new PrometheusApiError(endpoint, `http_${res.status}`, text.slice(0, 200));
    }
    const parsed = envelope.parse(body);
    if (parsed.status === 'error') throw new PrometheusApiError(endpoint, parsed.errorType, parsed.error);
    return schema.parse(parsed.data);
  }

  /**
   * Instant query (`/api/v1/query`) at `time` (default: now).
   * @throws PrometheusApiError on a bad expression or an evaluation error.
   */
  query(expr: string, time?: Date): Promise<QueryData> {
    return this.get('query', { query: expr, ...(time ? { time: String(time.getTime() / 1000) } : {}) }, queryDataSchema);
  }

  /** Loaded rule groups with each rule's health, state and active alerts (`/api/v1/rules`). */
  rules(): Promise<RulesData> {
    return this.get('rules', {}, rulesDataSchema);
  }

  /** Pending and firing alerts (`/api/v1/alerts`). */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.get('alerts', {}, z.object({ alerts: z.array(alertSchema) }))).alerts;
  }

  /** Active scrape targets with their health and last error (`/api/v1/targets?state=active`). */
  async targets(): Promise<ActiveTarget[]> {
    return (await this.get('targets', { state: 'active' }, z.object({ activeTargets: z.array(targetSchema) }))).activeTargets;
  }
}

/** Number of series (vector/matrix) or 1 for a scalar/string result that is a number other than NaN. */
export function resultSeriesCount(data: QueryData): number {
  if (data.resultType === 'vector' || data.resultType === 'matrix') return data.result.length;
  return Number.isNaN(Number(data.result[1])) ? 0 : 1;
}

/**
 * Runs `promtool check rules <file>` and returns its exit status and output.
 * @throws Error when promtool is missing (naming {@link INSTALL_PROMETHEUS_HINT}).
 */
export function promtoolCheckRules(file: string): { ok: boolean; output: string } {
  const promtool = requirePrometheusTool('promtool');
  const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
