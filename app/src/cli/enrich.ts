/**
 * The `enrich` command line: one entry point for every process of the pipeline.
 *
 *   enrich submit <file|dir>...   record ocr_jobs and publish them to NSQ topic `enrichment`
 *   enrich worker                 run one EnrichmentWorker
 *   enrich agent <name>           run one agent's MCP server
 *   enrich agents                 run all five agents in this process (local development)
 *   enrich review-api             run the Review API (REVIEW_API_PORT, default 5001)
 *   enrich cost-api               run the Cost API (COST_API_PORT, default 5002)
 *   enrich api-token              print a bearer token for the APIs (signed with API_JWT_SECRET)
 *
 * Configuration comes from the environment (app/src/config.ts).
 */
import { Command } from 'commander';
import { AGENT_NAMES, type AgentName } from '../domain/fields.js';
import { loadConfig, ConfigError } from '../config.js';
import { createMetrics } from '../metrics/catalog.js';
import { listDocumentFiles, submitFiles } from '../pipeline/ingest.js';
import { ensureTopology, Publisher } from '../queue/nsq.js';
import { Store } from '../store/store.js';

const program = new Command('enrich').description('OCR document enrichment pipeline').showHelpAfterError();

program
  .command('submit')
  .description('validate documents, record them as ocr_jobs and publish them to NSQ')
  .argument('<paths...>', 'JSON files or folders of JSON files in the corpus shape')
  .option('--json', 'print the result as JSON')
  .action(async (paths: string[], opts: { json?: boolean }) => {
    const config = loadConfig();
    const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
    await ensureTopology(config);
    const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS).catch((err: Error) => {
      console.error(`warning: nsqd unreachable (${err.message}); jobs are recorded and the outbox will publish them`);
      return null;
    });
    try {
      const listings = await Promise.all(paths.map(listDocumentFiles));
      const files = listings.flatMap((l) => l.files);
      for (const skipped of listings.flatMap((l) => l.skipped)) console.error(`skipped ${skipped}: not a .json file`);
      const result = await submitFiles(files, { store, publisher, config, metrics: createMetrics('submit') });
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else {
        for (const j of result.jobs.filter((j) => j.status === 'rejected')) console.log(`rejected ${j.file}: ${j.reason}`);
        console.log(`batch ${result.batch_id}: ${result.accepted} accepted, ${result.rejected} rejected, ${result.unpublished} awaiting publish`);
      }
    } finally {
      publisher?.close();
      await store.close();
    }
  });

program
  .command('worker')
  .description('run one EnrichmentWorker (consumes topic `enrichment`)')
  .action(async () => {
    const { runWorker } = await import('../services/worker/main.js');
    await runWorker(loadConfig());
  });

program
  .command('agent')
  .description('run one agent MCP server')
  .argument('<name>', `one of ${AGENT_NAMES.join(', ')}`)
  .action(async (name: string) => {
    if (!(AGENT_NAMES as readonly string[]).includes(name)) throw new Error(`unknown agent "${name}"; expected one of ${AGENT_NAMES.join(', ')}`);
    const { runAgent } = await import('../agents/main.js');
    await runAgent(name as AgentName, loadConfig());
  });

program
  .command('agents')
  .description('run all five agent MCP servers in this process')
  .action(async () => {
    const { runAgent } = await import('../agents/main.js');
    const config = loadConfig();
    for (const name of AGENT_NAMES) await runAgent(name, config);
  });

program
  .command('review-api')
  .description('run the Review API (REVIEW_API_PORT, default 5001)')
  .action(async () => {
    const { runReviewApi } = await import('../services/review-api/server.js');
    await runReviewApi(loadConfig());
  });

program
  .command('cost-api')
  .description('run the Cost API (COST_API_PORT, default 5002)')
  .action(async () => {
    const { runCostApi } = await import('../services/cost-api/server.js');
    await runCostApi(loadConfig());
  });

program
  .command('api-token')
  .description('print a bearer token for the Review API and the Cost API, signed with API_JWT_SECRET')
  .requiredOption('--sub <user>', 'the user (recorded as the reviewer of decisions)')
  .option('--roles <roles>', 'comma-separated roles: reviewer, finance, admin, metrics', 'reviewer')
  .option('--expires-in <duration>', 'lifetime, e.g. 1h, 8h, 30m', '8h')
  .action(async (opts: { sub: string; roles: string; expiresIn: string }) => {
    const config = loadConfig();
    if (!config.API_JWT_SECRET) throw new Error('API_JWT_SECRET is required to sign API tokens (at least 32 characters)');
    const { signToken } = await import('../services/http/auth.js');
    const roles = opts.roles.split(',').map((r) => r.trim()).filter(Boolean);
    console.log(await signToken({ sub: opts.sub, roles, secret: config.API_JWT_SECRET, issuer: config.API_JWT_ISSUER, expiresIn: opts.expiresIn }));
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `enrich: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
