/**
 * A parent process for tests/integration/reaper.test.ts, spawned with `node --import tsx`.
 *
 *   reaper-parent.ts services        start local services, print their pids, wait to be killed
 *   reaper-parent.ts services-exit   start local services, print, stop them, exit 0
 *   reaper-parent.ts stubborn <ms>   start a child that ignores SIGTERM, with a reaper of grace <ms>
 *
 * Prints one JSON line on stdout: `{ pids: number[], watchdogPid: number, dataDir?: string }`.
 */
import { spawn } from 'node:child_process';
import { startLocalServices } from '../../scripts/lib/local-services.js';
import { ProcessGroupReaper, sharedReaper } from '../../scripts/lib/reaper.js';

const [mode, arg] = process.argv.slice(2);
const waitForever = () => setInterval(() => undefined, 60_000);

if (mode === 'services' || mode === 'services-exit') {
  const services = await startLocalServices();
  console.log(JSON.stringify({ pids: Object.values(services.pids), watchdogPid: sharedReaper().pid, dataDir: services.dataDir }));
  if (mode === 'services-exit') {
    await services.stop();
    process.exit(0);
  }
  waitForever();
} else if (mode === 'stubborn') {
  const reaper = new ProcessGroupReaper({ graceMs: Number(arg) });
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 60000); console.log('ready')"], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  reaper.add(child.pid!);
  // Report only once its SIGTERM handler is installed.
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  child.stdout!.destroy();
  child.unref();
  console.log(JSON.stringify({ pids: [child.pid], watchdogPid: reaper.pid }));
  waitForever();
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
