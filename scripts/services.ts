/**
 * Runs nsqlookupd, nsqd and FerretDB locally until interrupted.
 *
 *   npx tsx scripts/services.ts start [--keep-data] [--log-dir DIR]
 *
 * Prints the environment for the app (`MONGODB_URI=... NSQD_TCP_ADDRESS=...`), one variable per
 * line on stdout so `eval "$(...)"`-style use and copy-paste both work; progress goes to stderr.
 * Builds the binaries first when `.bin/` lacks them.
 */
import { Command } from 'commander';
import { ensureBinaries, startLocalServices, type LocalServices } from './lib/local-services.js';

/** Environment variables of `app/src/config.ts` that point the app at these services. */
export function serviceEnv(services: LocalServices): Record<string, string> {
  return {
    MONGODB_URI: services.mongoUri,
    NSQD_TCP_ADDRESS: services.nsqdTcpAddress,
    NSQD_HTTP_ADDRESS: services.nsqdHttpAddress,
    NSQLOOKUPD_HTTP_ADDRESSES: services.nsqlookupdHttpAddress,
  };
}

async function start(options: { keepData?: boolean; logDir?: string }): Promise<void> {
  ensureBinaries();
  const services = await startLocalServices({ keepData: options.keepData ?? false, ...(options.logDir ? { logDir: options.logDir } : {}) });
  const { startupMs } = services;
  process.stderr.write(
    `services up (nsqlookupd ${startupMs.nsqlookupd} ms, nsqd ${startupMs.nsqd} ms, ferretdb ${startupMs.ferretdb} ms); ` +
      `data and logs in ${services.dataDir}${options.keepData ? ' (kept)' : ''}\n`,
  );
  for (const [name, value] of Object.entries(serviceEnv(services))) process.stdout.write(`${name}=${value}\n`);
  process.stderr.write('Ctrl-C to stop\n');

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('stopping services\n');
  await services.stop();
}

const program = new Command('services').description('local nsqlookupd, nsqd and FerretDB for development');
program
  .command('start')
  .description('start the services, print their env vars, stop them on SIGINT/SIGTERM')
  .option('--keep-data', 'keep the data directory after stopping')
  .option('--log-dir <dir>', 'write the service logs here instead of the data directory')
  .action(start);

await program.parseAsync(process.argv);
