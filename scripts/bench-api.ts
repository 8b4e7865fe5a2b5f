/**
 * `npm run bench:api`: seeds review items and cost records, then drives the Review API and the
 * Cost API on loopback with autocannon and prints p50/p99 latency and requests/s per route, with
 * the ratio to a bare fastify route measured in the same run. A benchmark, not a test.
 *
 * Target (issue): queue listing p99 ≤ 20 ms. Defaults follow the issue (100,000 review items,
 * 500,000 cost records); FerretDB on SQLite scans for any filter beyond a bare `_id`, so on the
 * local database use smaller figures or set BENCH_MONGODB_URI to a real MongoDB.
 *
 * Usage: npm run bench:api -- [--items N] [--cost-records N] [--seconds S] [--connections C]
 * Every option takes a positive integer; anything else (an unknown option, `--items abc`) prints
 * the usage and exits 2.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../app/src/config.js';
import { AGENT_NAMES } from '../app/src/domain/fields.js';
import { createMetrics } from '../app/src/metrics/catalog.js';
import { buildCostApi } from '../app/src/services/cost-api/app.js';
import { signToken } from '../app/src/services/http/auth.js';
import { buildReviewApi } from '../app/src/services/review-api/app.js';
import type { CostRecord, EnrichedDocument, OcrJob, ReviewItem } from '../app/src/store/collections.js';
import { Store } from '../app/src/store/store.js';
import { ensureBinaries, startLocalServices, type LocalServices } from './lib/local-services.js';

const SEED_BATCH = 5_000;
const quiet = pino({ level: 'silent' });
/** The issue's target for the queue listing (`GET /reviews`), ms at p99. */
export const LISTING_P99_TARGET_MS = 20;

/** The usage text, printed by `--help` and after a usage error. */
export const USAGE = `usage: npm run bench:api -- [--items N] [--cost-records N] [--seconds S] [--connections C]

  --items N         review items (with their documents and jobs) to seed (default 100000)
  --cost-records N  cost records to seed (default 500000)
  --seconds S       load window per route, seconds (default 5)
  --connections C   concurrent connections (default 10)`;

/** A command-line mistake: the message and the usage, exit 2. */
export class BenchUsageError extends Error {}

const positiveInteger = (name: string, fallback: number) =>
  z
    .string({ error: `--${name} needs a value` })
    .regex(/^\d+$/, `--${name} must be a positive integer`)
    .transform(Number)
    .pipe(z.number().int().positive(`--${name} must be a positive integer`).max(Number.MAX_SAFE_INTEGER))
    .default(fallback);

/** The options, as a zod schema: positive integers only, unknown options refused. */
const benchArgsSchema = z
  .object({
    items: positiveInteger('items', 100_000),
    'cost-records': positiveInteger('cost-records', 500_000),
    seconds: positiveInteger('seconds', 5),
    connections: positiveInteger('connections', 10),
  })
  .strict();

/** The parsed options of `npm run bench:api`. */
export interface BenchArgs {
  /** Review items to seed (each with an enriched document and an ocr_job). */
  items: number;
  costRecords: number;
  /** Load window per route, seconds. */
  seconds: number;
  connections: number;
}

/**
 * Parses and validates the command line (node's `parseArgs` to split it, zod to check it).
 * @throws BenchUsageError for an unknown option, a positional argument, or a value that is not a
 *   positive integer (`--items abc`, `--items -5`, `--items 1.5`).
 */
export function parseBenchArgs(argv: string[]): BenchArgs {
  // Not strict: `--items -5` must reach the schema as a value, not fail as an ambiguous option.
  const { values, positionals } = parseArgs({
    args: argv,
    options: { items: { type: 'string' }, 'cost-records': { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new BenchUsageError(`unexpected argument '${positionals[0]}'`);
  const parsed = benchArgsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') throw new BenchUsageError(`unknown option ${issue.keys.map((k) => `--${k}`).join(', ')}`);
    const given = values[String(issue.path[0])];
    throw new BenchUsageError(typeof given === 'string' ? `${issue.message}, got '${given}'` : issue.message);
  }
  const v = parsed.data;
  return { items: v.items, costRecords: v['cost-records'], seconds: v.seconds, connections: v.connections };
}

/** One route's figures. */
export interface Row {
  route: string;
  /** Latency of one request on its own before the load, ms. */
  single: number;
  /** HTTP status of that request. */
  singleStatus: number;
  /** Requests completed during the load window. */
  completed: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface DriveOptions {
  seconds: number;
  connections: number;
  headers: Record<string, string>;
  requests?: autocannon.Request[];
  method?: string;
  body?: string;
  /** URL of the n-th (0, 1) request alone, when each must differ (a decision can be taken once). Default: `url`. */
  aloneUrl?: (n: number) => string;
}

async function drive(name: string, url: string, opts: DriveOptions): Promise<Row> {
  // One request alone before the load (on a slow database the window may complete none). The
  // first of two waits out what the previous route left in flight; the second is the figure.
  let single = 0;
  let singleStatus = 0;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const res = await fetch(opts.aloneUrl?.(i) ?? url, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.body ? { body: opts.body } : {}) });
    await res.arrayBuffer();
    single = performance.now() - t0;
    singleStatus = res.status;
  }
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers,
    ...(opts.requests ? { requests: opts.requests } : {}),
    ...(opts.method ? { method: opts.method as autocannon.Request['method'] } : {}),
    ...(opts.body ? { body: opts.body } : {}),
  });
  return { route: name, single, singleStatus, completed: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx };
}

async function seed(store: Store, items: number, costRecords: number): Promise<void> {
  const now = Date.now();
  const types = ['receipt', 'invoice', 'form'] as const;
  for (let start = 0; start < items; start += SEED_BATCH) {
    const reviews: ReviewItem[] = [];
    const docs: EnrichedDocument[] = [];
    const jobs: OcrJob[] = [];
    for (let i = start; i < Math.min(items, start + SEED_BATCH); i++) {
      const id = `BENCH-${String(i).padStart(7, '0')}`;
      const created = new Date(now - (items - i) * 1000);
      const type = types[i % types.length]!;
      reviews.push({
        _id: id, document_id: id, job_id: `job-${id}`, document_type: type, status: 'pending',
        missing_fields: i % 2 ? ['vendor_address'] : [], invalid_fields: [], low_confidence_fields: i % 3 ? ['currency'] : [],
        completeness_score: 0.5 + (i % 50) / 100, reasons: ['seeded by bench:api'], version: 1, created_at: created, updated_at: created,
      });
      docs.push({
        _id: id, document_id: id, job_id: `job-${id}`, document_type: type, fields: {}, required_fields: [], missing_fields: [], invalid_fields: [],
        low_confidence_fields: [], completeness_score: 0.8, approval_status: 'pending_review', approval_reasons: [], cost_usd: 0, model_calls: 0, phases: ['offline'],
        created_at: created, updated_at: created,
      });
      jobs.push({
        _id: `job-${id}`, job_id: `job-${id}`, document_id: id, dedupe_key: id, status: 'completed', batch_id: 'bench', source_file: null, source: null,
        ocr_lines: ['BENCH VENDOR', 'TOTAL', '1.00'], ground_truth: null, key_values: null, reject_reason: null, failure_reason: null, last_error: null,
        attempts: 1, publish_count: 1, lease_owner: null, lease_until: null, outcome: 'pending_review', completeness_score: 0.8, cost_usd: 0,
        created_at: created, updated_at: created, published_at: created, started_at: created, completed_at: created,
      });
    }
    await store.reviewQueue.insertMany(reviews, { ordered: false });
    await store.enrichedDocuments.insertMany(docs, { ordered: false });
    await store.ocrJobs.insertMany(jobs, { ordered: false });
  }
  for (let start = 0; start < costRecords; start += SEED_BATCH) {
    const batch: CostRecord[] = [];
    for (let i = start; i < Math.min(costRecords, start + SEED_BATCH); i++) {
      const doc = i % items;
      const id = `BENCH-${String(doc).padStart(7, '0')}`;
      const agent = AGENT_NAMES[i % AGENT_NAMES.length]!;
      batch.push({
        _id: `job-${id}:1:${agent}:local:${i}`, enrichment_job_id: `job-${id}`, document_id: id, agent, tier: 'local', job_attempt: 1, prompt_version: '1.0.0',
        provider: 'ollama', model: agent === 'structure' ? 'mixtral' : 'llama3.2', attempt: 1, outcome: 'ok', input_tokens: 500, output_tokens: 80,
        duration_seconds: 1.2, gpu_seconds: 1.2, cost_usd: 0.0004, price_table_version: '2026-11-01', created_at: new Date(now - (i % 86_400) * 1000),
      });
    }
    await store.costRecords.insertMany(batch, { ordered: false });
  }
}

/** The table's header line. */
export function formatHeader(): string {
  return `${'route'.padEnd(38)} ${'alone ms'.padStart(9)} ${'done'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(9)} ${'req/s ÷ bare'.padStart(13)}  errors/timeouts/non-2xx`;
}

/**
 * One line of the table. A route whose load window completed no request says so in words; its
 * latencies and rates are `n/a` rather than autocannon's zeros.
 */
export function formatRow(r: Row, base: Row, seconds: number): string {
  const measured = r.completed > 0;
  const ms = (v: number) => (measured ? v.toFixed(1) : 'n/a').padStart(8);
  const rps = measured ? r.rps.toFixed(0) : 'n/a';
  const ratio = measured && base.rps > 0 ? (r.rps / base.rps).toFixed(4) : 'n/a';
  const notes = [
    ...(measured ? [] : [`done 0 (none completed in the ${seconds} s window)`]),
    ...(r.singleStatus >= 200 && r.singleStatus < 300 ? [] : [`the request alone answered ${r.singleStatus}`]),
  ];
  return `${r.route.padEnd(38)} ${r.single.toFixed(1).padStart(9)} ${String(r.completed).padStart(7)} ${ms(r.p50)} ${ms(r.p99)} ${rps.padStart(9)} ${ratio.padStart(13)}  ${r.errors}/${r.timeouts}/${r.non2xx}${notes.map((n) => `  ${n}`).join('')}`;
}

/**
 * The verdict on the queue listing's target ({@link LISTING_P99_TARGET_MS} at p99). It is `not
 * measured` when the window completed no listing, or when any listing answered non-2xx (an error
 * page is fast; its latency says nothing about the listing).
 */
export function listingTargetLine(listing: Row, seconds: number): string {
  const target = `target: queue listing p99 <= ${LISTING_P99_TARGET_MS} ms`;
  if (listing.completed === 0) {
    return `${target}: not measured: no listing completed within the ${seconds} s window (one alone took ${listing.single.toFixed(0)} ms)`;
  }
  const bad = listing.non2xx + (listing.singleStatus >= 200 && listing.singleStatus < 300 ? 0 : 1);
  if (bad > 0 || listing.errors > 0) {
    return `${target}: not measured: ${listing.non2xx} of ${listing.completed} listings in the window answered non-2xx, ${listing.errors} errors (the one alone: ${listing.singleStatus})`;
  }
  return `${target}: ${listing.p99 <= LISTING_P99_TARGET_MS ? 'met' : 'NOT met'} (${listing.p99.toFixed(1)} ms over ${listing.completed} requests)`;
}

async function main(args: BenchArgs): Promise<void> {
  const { items, costRecords, seconds, connections } = args;
  let services: LocalServices | null = null;
  if (!process.env.BENCH_MONGODB_URI) {
    console.error('bench:api on local FerretDB: it scans and sorts in Go for every query but a bare _id, so latencies grow with the seeded size; set BENCH_MONGODB_URI for MongoDB figures.');
    ensureBinaries();
    services = await startLocalServices();
  }
  const apps: FastifyInstance[] = [];
  try {
    const secret = randomBytes(32).toString('base64url');
    const config = loadConfig({
      MONGODB_URI: process.env.BENCH_MONGODB_URI ?? services!.mongoUri,
      MONGODB_DB: `bench_api_${randomBytes(4).toString('hex')}`,
      API_JWT_SECRET: secret,
      API_RATE_LIMIT_PER_MINUTE: String(10_000_000),
      LOG_LEVEL: 'silent',
    });
    const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, maxPoolSize: connections * 2 + 4 });
    const seedStarted = performance.now();
    await seed(store, items, costRecords);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const bare = Fastify({ logger: false });
    bare.get('/bare', async () => ({ ok: true }));
    const review = await buildReviewApi({ config, store, metrics: createMetrics('review-api'), logger: quiet });
    const cost = await buildCostApi({ config, store, metrics: createMetrics('cost-api'), logger: quiet });
    apps.push(bare, review, cost);
    const [bareUrl, reviewUrl, costUrl] = await Promise.all(apps.map((a) => a.listen({ host: '127.0.0.1', port: 0 })));
    const reviewer = `Bearer ${await signToken({ sub: 'bench@example.com', roles: ['reviewer'], secret, issuer: config.API_JWT_ISSUER, expiresIn: '1h' })}`;
    const finance = `Bearer ${await signToken({ sub: 'bench@example.com', roles: ['finance'], secret, issuer: config.API_JWT_ISSUER, expiresIn: '1h' })}`;
    const auth = (h: string) => ({ authorization: h, 'content-type': 'application/json' });

    const rows: Row[] = [];
    rows.push(await drive('bare fastify route (baseline)', `${bareUrl}/bare`, { seconds, connections, headers: {} }));
    rows.push(await drive('GET /reviews (queue listing)', `${reviewUrl}/reviews?status=pending&sort=age&limit=50`, { seconds, connections, headers: auth(reviewer) }));
    let n = 0;
    const nextId = () => `BENCH-${String(n++ % items).padStart(7, '0')}`;
    rows.push(await drive('GET /reviews/:id (one item)', `${reviewUrl}/reviews/BENCH-0000000`, { seconds, connections, headers: auth(reviewer), requests: [{ setupRequest: (r) => ({ ...r, path: `/reviews/${nextId()}` }) }] }));
    rows.push(await drive('GET /costs/summary (cost summary)', `${costUrl}/costs/summary`, { seconds, connections, headers: auth(finance) }));
    // Each decision approves a different pending item at version 1 (an approved one would be a 409).
    let d = Math.floor(items / 2);
    rows.push(
      await drive('POST /reviews/:id/approve (decision)', `${reviewUrl}/reviews/BENCH-0000000/approve`, {
        seconds, connections, headers: auth(reviewer), method: 'POST', body: JSON.stringify({ version: 1 }),
        aloneUrl: (i) => `${reviewUrl}/reviews/BENCH-${String(i % items).padStart(7, '0')}/approve`,
        requests: [{ method: 'POST', setupRequest: (r) => ({ ...r, path: `/reviews/BENCH-${String(d++ % items).padStart(7, '0')}/approve` }) }],
      }),
    );

    const base = rows[0]!;
    console.log(`database: ${process.env.BENCH_MONGODB_URI ? 'BENCH_MONGODB_URI' : 'FerretDB 1.24 on SQLite (local)'}; seeded ${items} review items (+ documents and jobs) and ${costRecords} cost records in ${seedSeconds.toFixed(1)} s`);
    console.log(`${seconds} s per route, ${connections} connections\n`);
    // autocannon reports latency in whole milliseconds, so the bare route's p99 is often 0: the
    // ratio to the baseline is given on requests/s, which it measures finely.
    console.log(formatHeader());
    for (const r of rows) console.log(formatRow(r, base, seconds));
    console.log(`\n${listingTargetLine(rows[1]!, seconds)}`);
    // On a saturated local database the drop can time out behind the backlog; the data dir goes anyway.
    await store.db.dropDatabase().catch((err: Error) => console.error(`cleanup: could not drop the bench database: ${err.message}`));
    await store.close();
  } finally {
    await Promise.all(apps.map((a) => a.close()));
    await services?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    console.error(`bench:api: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  main(args).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
