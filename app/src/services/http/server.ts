/**
 * Boot helper of the API services: listen, then shut down gracefully on SIGTERM/SIGINT.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';

export interface StartServiceOptions {
  host: string;
  port: number;
  /** Closed after the app, so in-flight requests finish with a working database. */
  store: Store;
  /** Hard deadline of the shutdown, ms; a process still alive then exits with code 1. Default 30 000. */
  shutdownTimeoutMs?: number;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Starts listening and installs SIGTERM/SIGINT handlers that stop taking connections, let
 * in-flight requests finish (`app.close()`), close the store and exit 0.
 * @returns the address the app listens on (`http(s)://host:port`).
 * @throws the listen error (e.g. EADDRINUSE).
 */
export async function startService(app: FastifyInstance, options: StartServiceOptions): Promise<string> {
  const address = await app.listen({ host: options.host, port: options.port });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      await app.close();
      await options.store.close();
      app.log.info('stopped');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return address;
}
