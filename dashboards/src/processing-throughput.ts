/**
 * Processing Throughput: documents per hour against the checklist's 50-per-hour criterion, the
 * NSQ backlog, worker replicas (at least two) and where time goes (queue wait, job duration),
 * with the failure paths (requeues, dead letters, outbox republishes) and the APIs' response
 * times (checklist: "Check API response times").
 */
import * as units from '@grafana/grafana-foundation-sdk/units';
import { atLeast, buildDashboard, instantQuery, perHour, query, statPanel, timeseriesPanel, type BuiltDashboard } from './factories.js';
import { queue, services, throughput } from './queries.js';
import { throughputStatPanel } from './panels.js';
import { CHECKLIST_TARGETS as T } from './targets.js';

export const PROCESSING_THROUGHPUT_UID = 'processing-throughput';

/** Builds the Processing Throughput dashboard (uid `processing-throughput`). */
export function buildProcessingThroughput(): BuiltDashboard {
  return buildDashboard({
    uid: PROCESSING_THROUGHPUT_UID,
    title: 'Processing Throughput',
    description: `Documents per hour (target ${T.minThroughputDocsPerHour}), queue backlog, worker replicas, latency and failure paths of the enrichment pipeline, and API response times.`,
    tags: ['throughput'],
    panels: [
      throughputStatPanel({ width: 8, height: 4 }),
      statPanel({
        title: 'Worker replicas',
        description: `EnrichmentWorker processes currently scraped (one enrichment_jobs_in_flight series each). Checklist: at least ${T.minWorkerReplicas} replicas.`,
        unit: units.Short,
        queries: [instantQuery(throughput.workerReplicas, 'workers')],
        thresholds: atLeast(T.minWorkerReplicas),
        width: 8,
        height: 4,
      }),
      statPanel({
        title: 'Queue backlog',
        description: 'Messages waiting now on the NSQ enrichment topic and its channels (nsq_exporter).',
        unit: units.Short,
        queries: [instantQuery(queue.backlog, 'backlog')],
        width: 8,
        height: 4,
      }),
      timeseriesPanel({
        title: 'Documents enriched per hour',
        description: `Documents enriched per hour, rolling. Dashed line: the checklist target of ${T.minThroughputDocsPerHour} documents per hour; below it under load, the workers are the bottleneck.`,
        unit: perHour('docs'),
        queries: [query(throughput.docsPerHour, 'enriched')],
        thresholds: atLeast(T.minThroughputDocsPerHour),
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'NSQ depth',
        description: 'Messages waiting per NSQ topic (not yet copied to a channel) and per channel (not yet taken by a worker), for the enrichment and enrichment_dead topics (nsq_exporter). A growing enrichment backlog calls for more workers; anything on enrichment_dead needs a look.',
        unit: units.Short,
        queries: [query(queue.topicDepth, 'topic {{topic}}'), query(queue.channelDepth, '{{topic}} / {{channel}}')],
        min: 0,
        width: 12,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Job duration (p50, p95)',
        description: 'Wall time of one job in a worker, from message receipt to stored result, median and 95th percentile (interpolated within histogram buckets).',
        unit: units.Seconds,
        queries: [query(throughput.jobDurationQuantile(0.5), 'p50'), query(throughput.jobDurationQuantile(0.95), 'p95')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Queue wait (p50, p95)',
        description: 'Time from the ocr_jobs record being created to a worker picking the job up, median and 95th percentile. Rising wait with flat job duration means too few workers.',
        unit: units.Seconds,
        queries: [query(throughput.queueLatencyQuantile(0.5), 'p50'), query(throughput.queueLatencyQuantile(0.95), 'p95')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Jobs in flight by worker',
        description: 'Jobs each worker process is handling right now (by scrape instance). Uneven curves mean NSQ is not spreading the load.',
        unit: units.Short,
        queries: [query(throughput.jobsInFlightByWorker, '{{instance}}')],
        min: 0,
        width: 8,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Failures, requeues and republishes',
        description: 'Per hour: jobs failed for good, NSQ messages requeued after a transient error, messages sent to enrichment_dead after their last attempt, and jobs the outbox republished (failed first publish or stuck).',
        unit: perHour('events'),
        queries: [
          query(throughput.failedJobsPerHour, 'failed'),
          query(throughput.requeuesPerHour, 'requeued'),
          query(throughput.deadLettersPerHour, 'dead-lettered'),
          query(throughput.republishesPerHour, 'republished ({{cause}})'),
        ],
        min: 0,
        width: 6,
        height: 8,
      }),
      timeseriesPanel({
        title: 'Outbox pending jobs',
        description: 'ocr_jobs waiting to be published or republished to NSQ at the last outbox sweep. It should drain to zero between sweeps.',
        unit: units.Short,
        queries: [query(throughput.outboxPending, 'pending')],
        min: 0,
        width: 6,
        height: 8,
      }),
      timeseriesPanel({
        title: 'API latency (p95)',
        description: '95th percentile response time of the Review API (port 5001) and the Cost API (port 5002), by route; /health and /metrics excluded (checklist soft launch: check API response times).',
        unit: units.Seconds,
        queries: [query(services.apiLatencyP95, '{{service}} {{route}}')],
        min: 0,
        width: 6,
        height: 8,
      }),
      timeseriesPanel({
        title: 'API server errors',
        description: 'Share of Review API and Cost API responses that were 5xx, by service. Checklist troubleshooting: check the logs (each 5xx is logged with its request id), restart the affected service.',
        unit: units.PercentUnit,
        queries: [query(services.apiServerErrorRatio, '{{service}}')],
        min: 0,
        width: 6,
        height: 8,
      }),
    ],
  });
}
