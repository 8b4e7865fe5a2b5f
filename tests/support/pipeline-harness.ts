/**
 * The whole pipeline in one test process, against the real FerretDB and nsqd of the run: five
 * agent MCP servers on loopback (real Streamable HTTP, real JWT), an EnrichmentWorker with a real
 * nsqjs Reader, and the real ingest path. Each harness gets its own database and topics.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAgentServer, type AgentServerHandle } from '../../app/src/agents/http.js';
import { buildProviders } from '../../app/src/agents/main.js';
import type { AgentProviders } from '../../app/src/agents/server.js';
import { loadConfig, type AppConfig } from '../../app/src/config.js';
import { AGENT_NAMES, type AgentName } from '../../app/src/domain/fields.js';
import { createMetrics } from '../../app/src/metrics/catalog.js';
import { submitFiles, type SubmitResult } from '../../app/src/pipeline/ingest.js';
import { ensureTopology, Publisher } from '../../app/src/queue/nsq.js';
import { TERMINAL_JOB_STATUSES } from '../../app/src/store/collections.js';
import { Store } from '../../app/src/store/store.js';
import { McpAgentCaller } from '../../app/src/services/worker/agent-caller.js';
import { EnrichmentWorker } from '../../app/src/services/worker/worker.js';
import { serviceEnv } from './services.js';

export interface Harness {
  config: AppConfig;
  store: Store;
  publisher: Publisher;
  worker: EnrichmentWorker;
  agents: Record<AgentName, AgentServerHandle>;
  submit(files: string[]): Promise<SubmitResult>;
  /** Waits until every job of the batch is terminal; throws with the statuses on timeout. */
  waitForBatch(batchId: string, timeoutMs?: number): Promise<void>;
  /** A fresh worker on the same config (e.g. to restart after stop()). */
  newWorker(): EnrichmentWorker;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Replace an agent's providers (default: built from config like `enrich agent`). */
  providers?: (agent: AgentName, config: AppConfig) => AgentProviders;
  startWorker?: boolean;
}

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const jwtSecret = randomBytes(32).toString('base64url');
  const base = serviceEnv({ MCP_JWT_SECRET: jwtSecret, WORKER_BACKOFF_BASE_MS: '200', WORKER_BACKOFF_MAX_MS: '1000', OUTBOX_SWEEP_SECONDS: '1', ...options.env });
  // Direct nsqd connection: lookupd discovery polls add seconds to every test.
  delete (base as Record<string, string | undefined>).NSQLOOKUPD_HTTP_ADDRESSES;
  const preConfig = loadConfig(base);
  const agents = {} as Record<AgentName, AgentServerHandle>;
  for (const agent of AGENT_NAMES) {
    agents[agent] = await startAgentServer({
      agent,
      providers: (options.providers ?? buildProviders)(agent, preConfig),
      port: 0,
      jwtSecret,
      issuer: preConfig.MCP_JWT_ISSUER,
      metrics: createMetrics(`agent-${agent}`),
      logger: quiet,
    });
  }
  const config = loadConfig({ ...base, AGENT_URLS: AGENT_NAMES.map((a) => `${a}=${agents[a].url}`).join(',') });
  const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
  await ensureTopology(config);
  const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS);
  const callers: McpAgentCaller[] = [];
  const newWorker = () => {
    const caller = new McpAgentCaller(
      Object.fromEntries(AGENT_NAMES.map((a) => [a, agents[a].url])) as Record<AgentName, string>,
      { jwtSecret, issuer: config.MCP_JWT_ISSUER, timeoutMs: config.AGENT_CALL_TIMEOUT_SECONDS * 1000 },
    );
    callers.push(caller);
    return new EnrichmentWorker({ config, store, publisher, agents: caller, metrics: createMetrics('worker'), logger: quiet });
  };
  const worker = newWorker();
  if (options.startWorker !== false) await worker.start();

  return {
    config,
    store,
    publisher,
    worker,
    agents,
    newWorker,
    submit: (files) => submitFiles(files, { store, publisher, config }),
    async waitForBatch(batchId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await store.ocrJobs.find({ batch_id: batchId }, { projection: { status: 1, document_id: 1 } }).toArray();
        if (jobs.every((j) => TERMINAL_JOB_STATUSES.includes(j.status))) return;
        if (Date.now() > deadline) throw new Error(`batch ${batchId} not terminal: ${JSON.stringify(jobs.map((j) => [j.document_id, j.status]))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await worker.stop();
      await Promise.all(callers.map((c) => c.close()));
      publisher.close();
      await Promise.all(AGENT_NAMES.map((a) => agents[a].close()));
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    },
  };
}

/** Writes documents (objects, or raw strings/bytes for bad input) as files in a fresh temp dir. */
export async function writeDocuments(docs: Record<string, unknown>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'enrich-docs-'));
  const files: string[] = [];
  for (const [name, body] of Object.entries(docs)) {
    const file = path.join(dir, name);
    await writeFile(file, body instanceof Uint8Array || typeof body === 'string' ? body : JSON.stringify(body));
    files.push(file);
  }
  return files.sort();
}
