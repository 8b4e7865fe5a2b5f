/**
 * The port checks of scripts/lib/local-services.ts that the e2e script relies on: a fixed port
 * held by anything is refused up front, and a `/health` answer is traced to the process that
 * holds the listening socket.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, listensOn, PortInUseError } from '../../scripts/lib/local-services.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('assertPortFree', () => {
  it('refuses a port another listener holds, with PortInUseError naming it', async () => {
    const port = await listen();
    const error = await assertPortFree('127.0.0.1', port).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({ host: '127.0.0.1', port, code: 'EADDRINUSE' });
  });

  it('refuses a loopback port when another process listens on every address', async () => {
    const port = await listen('0.0.0.0');
    await expect(assertPortFree('127.0.0.1', port)).rejects.toBeInstanceOf(PortInUseError);
  });

  it('accepts a free port and leaves it free (it closes its probe)', async () => {
    const port = await listen();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await assertPortFree('127.0.0.1', port);
    await assertPortFree('127.0.0.1', port);
  });
});

describe.runIf(process.platform === 'linux')('listensOn (Linux /proc)', () => {
  it('is true for the process holding the listening socket, false for another process', async () => {
    const port = await listen();
    expect(listensOn(process.pid, port)).toBe(true);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      expect(listensOn(other.pid!, port)).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('is false for a port nobody listens on, and for a process that does not exist', async () => {
    const port = await listen();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(listensOn(process.pid, port)).toBe(false);
    expect(listensOn(2 ** 22 + 12_345, port)).toBe(false);
  });
});
