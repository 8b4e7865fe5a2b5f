/**
 * The real local services answer the way the app will use them: the mongodb driver against
 * FerretDB, and nsqjs against nsqd, directly and through nsqlookupd discovery.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MongoServerError } from 'mongodb';
import nsq, { type Message, type Reader, type ReaderConnectionConfigOptions } from 'nsqjs';
import { services, splitHostPort, uniqueTopic, useTestDatabase } from '../support/services.js';

/** How long a published message may take to reach a reader before the test fails. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** nsqd registers a new topic with nsqlookupd asynchronously; poll /lookup this many times, 50 ms apart. */
const LOOKUP_POLLS = 100;

const testDb = useTestDatabase();

describe('FerretDB through the mongodb driver', () => {
  it('inserts, finds and enforces a unique index with E11000 / code 11000', async () => {
    const docs = testDb.db.collection<{ _id?: unknown; docId: string; n: number }>('smoke');
    await docs.insertOne({ docId: 'a', n: 1 });
    await docs.insertOne({ docId: 'b', n: 2 });
    expect(await docs.find({ n: { $gte: 2 } }, { projection: { _id: 0 } }).toArray()).toEqual([{ docId: 'b', n: 2 }]);

    expect(await docs.createIndex({ docId: 1 }, { unique: true, name: 'docId_unique' })).toBe('docId_unique');
    const duplicate = await docs.insertOne({ docId: 'a', n: 3 }).catch((err: unknown) => err);
    expect(duplicate).toBeInstanceOf(MongoServerError);
    expect((duplicate as MongoServerError).code).toBe(11000);
    expect((duplicate as MongoServerError).message).toMatch(/E11000 duplicate key error/);
    expect(await docs.countDocuments({ docId: 'a' })).toBe(1);
  });
});

describe('NSQ through nsqjs', () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    while (closers.length) closers.pop()?.();
  });

  async function publish(topic: string, body: object): Promise<void> {
    const { host, port } = splitHostPort(services().nsqdTcpAddress);
    const writer = new nsq.Writer(host, port);
    closers.push(() => writer.close());
    writer.connect();
    await once(writer, 'ready', { signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    await new Promise<void>((resolve, reject) => writer.publish(topic, body, (err) => (err ? reject(err) : resolve())));
  }

  function read(topic: string, options: ReaderConnectionConfigOptions): Reader {
    const reader = new nsq.Reader(topic, 'smoke', { maxInFlight: 1, ...options });
    closers.push(() => reader.close());
    reader.on('error', () => undefined); // surfaced as a delivery timeout instead
    reader.connect();
    return reader;
  }

  async function nextMessage(reader: Reader): Promise<Message> {
    const [message] = (await once(reader, 'message', { signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) })) as [Message];
    return message;
  }

  it('delivers a published message to a reader connected to nsqd directly', async () => {
    const topic = uniqueTopic();
    await publish(topic, { id: 'doc-1' });
    const reader = read(topic, { nsqdTCPAddresses: [services().nsqdTcpAddress] });
    const message = await nextMessage(reader);
    expect(message.json()).toEqual({ id: 'doc-1' });
    expect(message.attempts).toBe(1);
    message.finish();
  });

  it('delivers through nsqlookupd discovery', async () => {
    const topic = uniqueTopic();
    await publish(topic, { id: 'doc-2' });
    const lookupd = services().nsqlookupdHttpAddress;
    let producers: unknown[] = [];
    for (let poll = 0; poll < LOOKUP_POLLS && producers.length === 0; poll++) {
      const res = await fetch(`http://${lookupd}/lookup?topic=${topic}`);
      if (res.ok) producers = ((await res.json()) as { producers: unknown[] }).producers;
      else await sleep(50);
    }
    expect(producers).toEqual([expect.objectContaining({ broadcast_address: '127.0.0.1', tcp_port: splitHostPort(services().nsqdTcpAddress).port })]);

    const reader = read(topic, { lookupdHTTPAddresses: [lookupd] });
    const message = await nextMessage(reader);
    expect(message.json()).toEqual({ id: 'doc-2' });
    message.finish();
  });

  it('redelivers a message requeued with a delay, with attempts = 2, no sooner than the delay', async () => {
    const topic = uniqueTopic();
    await publish(topic, { id: 'doc-3' });
    const reader = read(topic, { nsqdTCPAddresses: [services().nsqdTcpAddress] });
    const first = await nextMessage(reader);
    expect(first.attempts).toBe(1);
    const requeueDelayMs = 300;
    const requeuedAt = Date.now();
    first.requeue(requeueDelayMs, false);

    // Deferred and timed-out messages are released by nsqd's queue scan, which only learns of a new
    // channel at its next refresh (QueueScanRefreshInterval, 5 s in nsqd v1.3.0 and not a flag):
    // the first redelivery on a fresh channel takes up to ~5 s, hence DELIVERY_TIMEOUT_MS.
    const second = await nextMessage(reader);
    expect(second.id).toBe(first.id);
    expect(second.attempts).toBe(2);
    expect(second.json()).toEqual({ id: 'doc-3' });
    // nsqd only releases a deferred message once its time has passed, never early.
    expect(Date.now() - requeuedAt).toBeGreaterThanOrEqual(requeueDelayMs);
    second.finish();
  });
});
