/** Free loopback TCP ports for local runs and tests. */
import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now (bind to 0, read it, close). A later bind may still race. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
