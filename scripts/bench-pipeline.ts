/**
 * `npm run bench:pipeline`: pipeline overhead in documents/second, against a raw floor measured in
 * the same run. A benchmark that prints figures, not a test.
 *
 * - Pipeline: real nsqd and FerretDB, five real agent MCP servers (Streamable HTTP, JWT) and a real
 *   EnrichmentWorker, with a provider that answers instantly, so what is measured is our overhead:
 *   ingest, NSQ, the outbox, MCP round trips, merge and scoring, and the MongoDB writes.
 * - Floor: the same number of NSQ publishes/consumes and the same MongoDB writes per document
 *   (job insert, claim, cost-record bulk write, enriched document, review sync, completion), with
 *   no pipeline in between.
 *
 * Both run in this one process on the same services, one after the other, on fresh databases.
 * Usage: npm run bench:pipeline -- [--docs N] [--max-in-flight N]
 *
 * FerretDB on SQLite scans for any filter beyond a bare `_id` and writes slowly, so the floor here
 * is FerretDB's, far below MongoDB's. Set BENCH_MONGODB_URI to measure both against a real MongoDB.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import nsq from 'nsqjs';
import { pino } from 'pino';
import { startAgentServer, type AgentServerHandle } from '../app/src/agents/http.js';
import { loadConfig, type AppConfig } from '../app/src/config.js';
import { AGENT_NAMES, FIELD_SCHEMAS, type AgentName, type FieldCandidate, type FieldName } from '../app/src/domain/fields.js';
import type { CallRecord, ExtractionRequest, ExtractionResult, LLMProvider } from '../app/src/llm/provider.js';
import { createMetrics } from '../app/src/metrics/catalog.js';
import { submitFiles } from '../app/src/pipeline/ingest.js';
import { ensureTopology, Publisher } from '../app/src/queue/nsq.js';
import type { CostRecord, OcrJob } from '../app/src/store/collections.js';
import { Store } from '../app/src/store/store.js';
import { McpAgentCaller } from '../app/src/services/worker/agent-caller.js';
import { EnrichmentWorker } from '../app/src/services/worker/worker.js';
import { ensureBinaries, startLocalServices } from './lib/local-services.js';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Answers every requested field at once with a schema-valid placeholder. It stands in for a model
 * endpoint to measure overhead only; its values mean nothing and no quality figure comes from it.
 */
class InstantProvider implements LLMProvider {
  readonly name = 'offline' as const;
  readonly model = 'instant-bench';
  async extract(request: ExtractionRequest): Promise<ExtractionResult> {
    const fields: Partial<Record<FieldName, FieldCandidate>> = {};
    for (const f of request.fields) fields[f] = { value: PLACEHOLDERS[f], confidence: 0.99 };
    const call: CallRecord = {
      provider: 'offline', model: this.model, attempt: 1, outcome: 'ok', input_tokens: 0, output_tokens: 0,
      duration_seconds: 0, gpu_seconds: 0, cost_usd: 0, price_table_version: 'n/a',
    };
    return { fields, calls: [call], provider: 'offline', model: this.model };
  }
}

const PLACEHOLDERS: Record<FieldName, unknown> = {
  document_type: 'receipt', language: 'en', vendor_name: 'BENCH VENDOR', vendor_address: '1 BENCH STREET, 10000 TOWN',
  document_date: '2020-01-01', document_number: 'B-1', organizations: ['BENCH VENDOR'], people: ['A PERSON'],
  total_amount: 1, currency: 'MYR', title: 'Bench receipt', summary: 'A receipt used by the benchmark.', keywords: ['bench'],
  line_items: [{ description: 'item', quantity: 1, unit_price: 1, amount: 1 }], sections: ['items'], key_values: [{ key: 'k', value: 'v' }],
};
for (const [name, value] of Object.entries(PLACEHOLDERS)) FIELD_SCHEMAS[name as FieldName].parse(value);

const quiet = pino({ level: 'silent' });

async function makeDocuments(n: number): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-docs-'));
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `doc-${String(i).padStart(5, '0')}.json`);
    const lines = ['BENCH VENDOR SDN BHD', '1 BENCH STREET, 10000 TOWN', `RECEIPT NO: B-${i}`, 'DATE: 01/01/2020', 'ITEM 1.00', 'TOTAL', '1.00'];
    await writeFile(file, JSON.stringify({ id: `BENCH-${i}`, source: 'synthetic benchmark document', ocr_lines: lines }));
    files.push(file);
  }
  return files;
}

async function runPipeline(base: Record<string, string>, files: string[]): Promise<number> {
  const jwtSecret = randomBytes(32).toString('base64url');
  const pre = loadConfig({ ...base, MCP_JWT_SECRET: jwtSecret });
  const agents = {} as Record<AgentName, AgentServerHandle>;
  for (const agent of AGENT_NAMES) {
    agents[agent] = await startAgentServer({
      agent, providers: { offline: new InstantProvider() }, port: 0, jwtSecret, issuer: pre.MCP_JWT_ISSUER, metrics: createMetrics(`agent-${agent}`), logger: quiet,
    });
  }
  const config = loadConfig({ ...base, MCP_JWT_SECRET: jwtSecret, AGENT_URLS: AGENT_NAMES.map((a) => `${a}=${agents[a].url}`).join(',') });
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, maxPoolSize: config.WORKER_MAX_IN_FLIGHT * 2 + 4 });
  await ensureTopology(config);
  const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS);
  const caller = new McpAgentCaller(
    Object.fromEntries(AGENT_NAMES.map((a) => [a, agents[a].url])) as Record<AgentName, string>,
    { jwtSecret, issuer: config.MCP_JWT_ISSUER, timeoutMs: 60_000 },
  );
  const worker = new EnrichmentWorker({ config, store, publisher, agents: caller, metrics: createMetrics('worker'), logger: quiet });
  await worker.start();
  try {
    const started = performance.now();
    const { batch_id } = await submitFiles(files, { store, publisher, config });
    while ((await store.ocrJobs.countDocuments({ batch_id, status: 'completed' })) < files.length) await sleep(20);
    return (performance.now() - started) / 1000;
  } finally {
    await worker.stop();
    await caller.close();
    publisher.close();
    await Promise.all(AGENT_NAMES.map((a) => agents[a].close()));
    await store.db.dropDatabase();
    await store.close();
  }
}

/** The same NSQ traffic and MongoDB writes per document as the pipeline, with nothing in between. */
async function runFloor(config: AppConfig, n: number): Promise<number> {
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB, maxPoolSize: config.WORKER_MAX_IN_FLIGHT * 2 + 4 });
  await ensureTopology(config);
  const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS);
  const [host, port] = config.NSQD_TCP_ADDRESS.split(':') as [string, string];
  const reader = new nsq.Reader(config.NSQ_TOPIC, config.NSQ_CHANNEL, { nsqdTCPAddresses: [`${host}:${port}`], maxInFlight: config.WORKER_MAX_IN_FLIGHT });
  let done = 0;
  reader.on('message', (msg) => {
    void (async () => {
      const { job_id } = msg.json() as { job_id: string };
      const job = await store.claimJob(job_id, 'floor', 60_000);
      const now = new Date();
      const costs: CostRecord[] = AGENT_NAMES.map((agent, i) => ({
        _id: `${job_id}:1:${agent}:offline:1`, enrichment_job_id: job_id, document_id: job!.document_id!, agent, tier: 'offline', job_attempt: 1,
        prompt_version: '1.0.0', created_at: now, provider: 'offline', model: 'floor', attempt: 1, outcome: 'ok', input_tokens: 0, output_tokens: 0,
        duration_seconds: 0, gpu_seconds: 0, cost_usd: 0, price_table_version: 'n/a', ...{ seq: i },
      }));
      await store.writeCostRecords(costs);
      await store.saveEnrichedDocument({
        _id: job!.document_id!, document_id: job!.document_id!, job_id, document_type: 'receipt', fields: {}, required_fields: [], missing_fields: [],
        invalid_fields: [], low_confidence_fields: [], completeness_score: 1, approval_status: 'auto_approved', approval_reasons: [], cost_usd: 0, model_calls: AGENT_NAMES.length, phases: ['offline'], updated_at: now,
      });
      await store.syncReviewItem(null, job!.document_id!);
      await store.completeJob(job_id, 'floor', { outcome: 'auto_approved', completeness_score: 1, cost_usd: 0 });
      msg.finish();
      done++;
    })();
  });
  reader.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const now = new Date();
      const job: OcrJob = {
        _id: id, job_id: id, document_id: `FLOOR-${i}`, dedupe_key: `FLOOR-${i}`, status: 'pending', batch_id: 'floor', source_file: null, source: null,
        ocr_lines: ['x'], ground_truth: null, key_values: null, reject_reason: null, failure_reason: null, last_error: null, attempts: 0, publish_count: 0,
        lease_owner: null, lease_until: null, outcome: null, completeness_score: null, cost_usd: null, created_at: now, updated_at: now, published_at: null,
        started_at: null, completed_at: null,
      };
      await store.insertAcceptedJob(job);
      await publisher.publish(config.NSQ_TOPIC, { job_id: id });
      await store.markPublished(id);
    }
    while (done < n) await sleep(20);
    return (performance.now() - started) / 1000;
  } finally {
    reader.close();
    publisher.close();
    await store.db.dropDatabase();
    await store.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { docs: { type: 'string', default: '300' }, 'max-in-flight': { type: 'string', default: '16' } } });
  const n = Number(values.docs);
  const maxInFlight = values['max-in-flight']!;
  ensureBinaries();
  const services = await startLocalServices();
  try {
    const env = (db: string, topic: string) => ({
      MONGODB_URI: process.env.BENCH_MONGODB_URI ?? services.mongoUri, MONGODB_DB: db, NSQD_TCP_ADDRESS: services.nsqdTcpAddress, NSQD_HTTP_ADDRESS: services.nsqdHttpAddress,
      NSQ_TOPIC: topic, NSQ_DEAD_LETTER_TOPIC: `${topic}_dead`, WORKER_MAX_IN_FLIGHT: maxInFlight, OUTBOX_SWEEP_SECONDS: '60', LOG_LEVEL: 'silent',
    });
    const files = await makeDocuments(n);
    // Warm-up: JIT, connection pools, the agents' first sessions.
    await runPipeline(env('bench_warm', 'bench_warm'), files.slice(0, 20));
    const rssBefore = process.memoryUsage().rss;
    const floorSeconds = await runFloor(loadConfig(env('bench_floor', 'bench_floor')), n);
    const pipelineSeconds = await runPipeline(env('bench_pipe', 'bench_pipe'), files);
    const rssAfter = process.memoryUsage().rss;
    const floorRate = n / floorSeconds;
    const pipeRate = n / pipelineSeconds;
    console.log(`documents:            ${n} (maxInFlight ${maxInFlight}, one worker, five agents, instant provider)`);
    console.log(`database:             ${process.env.BENCH_MONGODB_URI ? 'BENCH_MONGODB_URI' : 'FerretDB 1.24 on SQLite (local)'}`);
    console.log(`raw floor:            ${floorRate.toFixed(1)} docs/s (${((floorSeconds / n) * 1000).toFixed(2)} ms/doc: NSQ publish+consume and the same MongoDB writes)`);
    console.log(`pipeline:             ${pipeRate.toFixed(1)} docs/s (${((pipelineSeconds / n) * 1000).toFixed(2)} ms/doc) = ${(pipeRate * 3600).toFixed(0)} docs/hour`);
    console.log(`pipeline / floor:     ${(pipeRate / floorRate).toFixed(3)}`);
    console.log(`target:               >= 50 docs/s pipeline overhead on this machine: ${pipeRate >= 50 ? 'met' : 'NOT met'}`);
    console.log(`rss:                  ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after (ratio ${(rssAfter / rssBefore).toFixed(2)})`);
  } finally {
    await services.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
