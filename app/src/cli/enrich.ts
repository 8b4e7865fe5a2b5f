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
 *
 * Exit status: 0 on success; 2 for a usage or configuration error (an unknown command, agent or
 * role, a missing path, an invalid environment), printed as one line without a stack trace; 1
 * for anything else (e.g. MongoDB unreachable).
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { AGENT_NAMES, type AgentName } from '../domain/fields.js';
import { loadConfig, ConfigError } from '../config.js';
import { createMetrics } from '../metrics/catalog.js';
import { listDocumentFiles, submitFiles } from '../pipeline/ingest.js';
import { ensureTopology, Publisher } from '../queue/nsq.js';
import { Store } from '../store/store.js';

/** A mistake of the caller (arguments or environment): one line on stderr, exit 2. */
export class CliUsageError extends Error {}

/**
 * jose's duration syntax (what `signToken`'s `expiresIn` accepts), positive only: a number and a
 * unit, e.g. `30m`, `8h`, `1.5 hours`, `7d`. jose also reads `-1h` (already expired) and
 * `1h ago`; both are refused here.
 */
export const TOKEN_LIFETIME_PATTERN = /^(\d+(?:\.\d+)?) ?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)$/i;

/**
 * Every role a token may carry to be of use: the Review API's, the Cost API's and the scraper's
 * (`REVIEW_API_ROLES`, `COST_API_ROLES`, `METRICS_ROLE` of app/src/services/). Imported on use,
 * since they come with the fastify apps.
 */
export async function knownApiRoles(): Promise<string[]> {
  const [{ REVIEW_API_ROLES }, { COST_API_ROLES }, { METRICS_ROLE }] = await Promise.all([
    import('../services/review-api/app.js'),
    import('../services/cost-api/app.js'),
    import('../services/http/service-app.js'),
  ]);
  return [...new Set([...REVIEW_API_ROLES, ...COST_API_ROLES, METRICS_ROLE])];
}

/** `enrich api-token`'s options, checked: a non-empty subject, known roles, a positive lifetime. */
function apiTokenOptions(roles: readonly string[]) {
  return z.object({
    sub: z.string().trim().min(1, '--sub must not be empty'),
    roles: z
      .string()
      .transform((v) => v.split(',').map((r) => r.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string().refine((r) => roles.includes(r), { error: (issue) => `--roles: unknown role '${String(issue.input)}' (roles: ${roles.join(', ')})` }))
          .min(1, `--roles needs at least one of ${roles.join(', ')}`),
      ),
    expiresIn: z
      .string()
      .trim()
      .refine((v) => TOKEN_LIFETIME_PATTERN.test(v) && Number(TOKEN_LIFETIME_PATTERN.exec(v)![1]) > 0, {
        error: (issue) => `--expires-in: '${String(issue.input)}' is not a positive lifetime such as 30m, 8h or 7d`,
      }),
  });
}

/**
 * Lists what `enrich submit` would read, before any connection is made.
 * @throws CliUsageError naming the first path that does not exist, or when none holds a .json file.
 */
async function listSubmission(paths: string[]): Promise<{ files: string[]; skipped: string[] }> {
  for (const p of paths) {
    const found = await stat(p).catch((err: NodeJS.ErrnoException) => err);
    if (found instanceof Error) throw new CliUsageError(`submit: ${p}: ${found.code === 'ENOENT' ? 'no such file or folder' : found.message}`);
  }
  const listings = await Promise.all(paths.map(listDocumentFiles));
  const files = listings.flatMap((l) => l.files);
  if (files.length === 0) throw new CliUsageError(`submit: no .json documents in ${paths.join(', ')}`);
  return { files, skipped: listings.flatMap((l) => l.skipped) };
}

// exitOverride: commander's own usage errors (unknown command, missing argument) come back as a
// CommanderError, so that they exit 2 like ours; it has printed them already.
const program = new Command('enrich').description('OCR document enrichment pipeline').showHelpAfterError().exitOverride();

program
  .command('submit')
  .description('validate documents, record them as ocr_jobs and publish them to NSQ')
  .argument('<paths...>', 'JSON files or folders of JSON files in the corpus shape')
  .option('--json', 'print the result as JSON')
  .action(async (paths: string[], opts: { json?: boolean }) => {
    // Paths first: a typo must not wait for (or be hidden by) a database connection.
    const { files, skipped } = await listSubmission(paths);
    const config = loadConfig();
    const store = await Store.connect({ uri: config.MONGODB_URI, dbName: config.MONGODB_DB });
    await ensureTopology(config);
    const publisher = await Publisher.connect(config.NSQD_TCP_ADDRESS).catch((err: Error) => {
      console.error(`warning: nsqd unreachable (${err.message}); jobs are recorded and the outbox will publish them`);
      return null;
    });
    try {
      for (const entry of skipped) console.error(`skipped ${entry}: not a .json file`);
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
    if (!(AGENT_NAMES as readonly string[]).includes(name)) throw new CliUsageError(`unknown agent '${name}' (agents: ${AGENT_NAMES.join(', ')})`);
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
  .action(async (raw: { sub: string; roles: string; expiresIn: string }) => {
    const checked = apiTokenOptions(await knownApiRoles()).safeParse(raw);
    if (!checked.success) throw new CliUsageError(`api-token: ${checked.error.issues[0]!.message}`);
    const config = loadConfig();
    if (!config.API_JWT_SECRET) throw new CliUsageError('api-token: API_JWT_SECRET is not set; export the secret the APIs verify with (at least 32 characters)');
    const { signToken } = await import('../services/http/auth.js');
    const { sub, roles, expiresIn } = checked.data;
    console.log(await signToken({ sub, roles, secret: config.API_JWT_SECRET, issuer: config.API_JWT_ISSUER, expiresIn }));
  });

/** Whether this module is the program being run (bin/enrich, `npm run enrich`), not an import. */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  program.parseAsync().catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof CliUsageError) {
      console.error(`enrich: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      // Every problem on one line: `enrich: invalid configuration: A: ...; B: ...`.
      console.error(`enrich: invalid configuration: ${err.problems.join('; ')}`);
      process.exit(2);
    }
    console.error(`enrich: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
