/**
 * vitest globalSetup: builds the service binaries when `.bin/` lacks them and starts one set of
 * real local services (nsqlookupd, nsqd, FerretDB) for the whole run, in the main vitest process.
 * Test files in every fork read the addresses with `inject('services')`; see tests/support/services.ts.
 *
 * `TEST_LOCAL_SERVICES=off` skips this (unit tests only, e.g. on a machine without Go); tests
 * that call `services()` then fail with a message saying so.
 */
import type { TestProject } from 'vitest/node';
import { ensureBinaries, startLocalServices, type LocalServiceAddresses } from '../scripts/lib/local-services.js';

/** What `inject('services')` returns: the service addresses, or `null` when disabled. */
export type ServicesContext = Omit<LocalServiceAddresses, 'dataDir'> | null;

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServicesContext;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env['TEST_LOCAL_SERVICES'] === 'off') {
    console.log('[global-setup] TEST_LOCAL_SERVICES=off: not starting nsqlookupd, nsqd, FerretDB');
    project.provide('services', null);
    return undefined;
  }
  ensureBinaries();
  const keepData = process.env['TEST_KEEP_SERVICE_DATA'] === '1';
  const services = await startLocalServices({ keepData });
  const { startupMs } = services;
  console.log(
    `[global-setup] services up: nsqlookupd ${startupMs.nsqlookupd} ms, nsqd ${startupMs.nsqd} ms, ferretdb ${startupMs.ferretdb} ms` +
      (keepData ? ` (data kept in ${services.dataDir})` : ''),
  );
  project.provide('services', {
    mongoUri: services.mongoUri,
    nsqdTcpAddress: services.nsqdTcpAddress,
    nsqdHttpAddress: services.nsqdHttpAddress,
    nsqlookupdTcpAddress: services.nsqlookupdTcpAddress,
    nsqlookupdHttpAddress: services.nsqlookupdHttpAddress,
  });
  return () => services.stop();
}
