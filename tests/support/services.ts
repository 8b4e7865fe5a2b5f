/**
 * Test access to the real local services started once per run by tests/global-setup.ts.
 * Isolation between test files is by name: each file gets its own database and its own NSQ
 * topics, so files can run in parallel forks against the same FerretDB and nsqd.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import type { ServicesContext } from '../global-setup.js';

export type ServiceAddresses = NonNullable<ServicesContext>;

/**
 * Addresses of the shared services (`host:port` strings; `mongoUri` a `mongodb://` URI).
 * @throws Error when the run was started with `TEST_LOCAL_SERVICES=off`.
 */
export function services(): ServiceAddresses {
  const provided = inject('services');
  if (!provided) {
    throw new Error('local services are disabled (TEST_LOCAL_SERVICES=off); this test needs nsqd and FerretDB');
  }
  return provided;
}

/**
 * A name unique to this run: `prefix` + `_` + 12 hex characters. Valid as a MongoDB database or
 * collection name and as an NSQ topic or channel name (NSQ allows `[.a-zA-Z0-9_-]`, at most 64).
 */
export function uniqueName(prefix: string): string {
  if (!/^[a-zA-Z0-9_]{1,40}$/.test(prefix)) throw new Error(`uniqueName: prefix must match [a-zA-Z0-9_]{1,40}, got ${JSON.stringify(prefix)}`);
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * A fresh NSQ topic name (`t_<hex>` by default); nsqd creates it on first publish.
 * Note for retry tests: on a channel younger than ~5 s, a requeued (deferred) or timed-out message
 * comes back only after nsqd's next queue-scan refresh (5 s, fixed in nsqd v1.3.0), not after its delay.
 */
export function uniqueTopic(prefix = 't'): string {
  return uniqueName(prefix);
}

/** Splits `host:port` for clients that take them apart (nsqjs `Writer`). */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(address);
  if (!match?.[1] || !match[2]) throw new Error(`not a host:port address: ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

/** A connected client and its fresh database; `close()` drops the database and disconnects. */
export interface TestDatabase {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/** Connects to FerretDB and picks a database named `t_<hex>` that nothing else uses. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const client = new MongoClient(services().mongoUri, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  const db = client.db(uniqueName('t'));
  return {
    client,
    db,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the calling file (or `describe`) that open a fresh
 * database and drop it afterwards. Read `.db` / `.client` inside tests, not at import time.
 */
export function useTestDatabase(): { readonly db: Db; readonly client: MongoClient } {
  let opened: TestDatabase | undefined;
  beforeAll(async () => {
    opened = await openTestDatabase();
  });
  afterAll(async () => {
    await opened?.close();
  });
  const current = (): TestDatabase => {
    if (!opened) throw new Error('useTestDatabase(): read .db inside a test or hook, after beforeAll ran');
    return opened;
  };
  return {
    get db() {
      return current().db;
    },
    get client() {
      return current().client;
    },
  };
}

/**
 * Environment for `loadConfig()` (app/src/config.ts) pointing at the shared services, with a
 * unique database and unique topics so the app under test sees no other file's data.
 * `overrides` win over everything.
 */
export function serviceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const s = services();
  return {
    MONGODB_URI: s.mongoUri,
    MONGODB_DB: uniqueName('t'),
    NSQD_TCP_ADDRESS: s.nsqdTcpAddress,
    NSQD_HTTP_ADDRESS: s.nsqdHttpAddress,
    NSQLOOKUPD_HTTP_ADDRESSES: s.nsqlookupdHttpAddress,
    NSQ_TOPIC: uniqueTopic('enrichment'),
    NSQ_DEAD_LETTER_TOPIC: uniqueTopic('enrichment_dead'),
    ...overrides,
  };
}
