/**
 * NSQ publish and consume, through `nsqjs` only.
 *
 * Topics: `enrichment` (one message per ocr_jobs entry, body {@link JobMessage}) and
 * `enrichment_dead` (jobs that exhausted maxAttempts, body {@link DeadLetterMessage}).
 * Source: checklist "Queue topics created: `enrichment`".
 */
import nsq from 'nsqjs';
import { z } from 'zod';
import { lookupdAddresses, type AppConfig } from '../config.js';

export const jobMessageSchema = z.object({ job_id: z.string().min(1), document_id: z.string().nullable().optional() });
export type JobMessage = z.infer<typeof jobMessageSchema>;

export interface DeadLetterMessage {
  job_id: string;
  document_id: string | null;
  reason: string;
  attempts: number;
  failed_at: string;
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

/** A connected nsqjs Writer with promise-returning publish. */
export class Publisher {
  private constructor(private readonly writer: nsq.Writer) {}

  /** Connects to nsqd's TCP address (`host:port`); rejects if it is not ready within `timeoutMs`. */
  static async connect(nsqdTcpAddress: string, timeoutMs = 10_000): Promise<Publisher> {
    const [host, port] = splitHostPort(nsqdTcpAddress);
    const writer = new nsq.Writer(host, port);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nsqd ${nsqdTcpAddress} not ready after ${timeoutMs} ms`)), timeoutMs);
      writer.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      writer.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      writer.connect();
    });
    // Later connection errors surface as publish failures; keep the emitter from throwing.
    writer.on('error', () => {});
    return new Publisher(writer);
  }

  publish(topic: string, message: object | object[]): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.writer.publish(topic, message, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  close(): void {
    this.writer.close();
  }
}

/**
 * Creates the topics and the worker channel through nsqd's HTTP API, so messages published
 * before the first worker connects are kept for it. Idempotent.
 */
export async function ensureTopology(config: Pick<AppConfig, 'NSQD_HTTP_ADDRESS' | 'NSQ_TOPIC' | 'NSQ_DEAD_LETTER_TOPIC' | 'NSQ_CHANNEL'>): Promise<void> {
  const base = `http://${config.NSQD_HTTP_ADDRESS}`;
  const calls = [
    `${base}/topic/create?topic=${encodeURIComponent(config.NSQ_TOPIC)}`,
    `${base}/channel/create?topic=${encodeURIComponent(config.NSQ_TOPIC)}&channel=${encodeURIComponent(config.NSQ_CHANNEL)}`,
    `${base}/topic/create?topic=${encodeURIComponent(config.NSQ_DEAD_LETTER_TOPIC)}`,
  ];
  for (const url of calls) {
    const res = await fetch(url, { method: 'POST' });
    if (!res.ok) throw new Error(`nsqd ${url} answered ${res.status}: ${await res.text()}`);
  }
}

export interface TopicStats {
  depth: number;
  message_count: number;
  channels: { channel_name: string; depth: number; in_flight_count: number; deferred_count: number; requeue_count: number; message_count: number }[];
}

/** Reads one topic's stats from nsqd `/stats?format=json`; null when the topic does not exist. */
export async function topicStats(nsqdHttpAddress: string, topic: string): Promise<TopicStats | null> {
  const res = await fetch(`http://${nsqdHttpAddress}/stats?format=json&topic=${encodeURIComponent(topic)}`);
  if (!res.ok) throw new Error(`nsqd /stats answered ${res.status}`);
  const body = (await res.json()) as { topics?: (TopicStats & { topic_name: string })[] };
  return body.topics?.find((t) => t.topic_name === topic) ?? null;
}

export interface ReaderOptions {
  topic: string;
  channel: string;
  maxInFlight: number;
  /** Seconds between nsqlookupd polls when discovering nsqd. */
  lookupdPollIntervalSeconds?: number;
}

/**
 * Creates (does not connect) an nsqjs Reader. It discovers nsqd through nsqlookupd when
 * `NSQLOOKUPD_HTTP_ADDRESSES` is set, otherwise connects to `NSQD_TCP_ADDRESS`. Attempts are
 * counted by the worker itself (maxAttempts 0 here) so that it can dead-letter with a reason.
 */
export function createReader(config: AppConfig, options: ReaderOptions): nsq.Reader {
  const lookupd = lookupdAddresses(config);
  return new nsq.Reader(options.topic, options.channel, {
    maxInFlight: options.maxInFlight,
    maxAttempts: 0,
    ...(lookupd.length > 0
      ? { lookupdHTTPAddresses: lookupd, lookupdPollInterval: options.lookupdPollIntervalSeconds ?? 15 }
      : { nsqdTCPAddresses: [config.NSQD_TCP_ADDRESS] }),
  });
}
