/**
 * Ingest: `enrich submit <file|dir>`. Each file is parsed and validated, recorded as an
 * `ocr_jobs` entry, and published to NSQ topic `enrichment` through the outbox.
 *
 * Bad input (malformed JSON, no text, text over INGEST_MAX_TEXT_BYTES, invalid UTF-8, a
 * duplicate id) is recorded as a `rejected` job with its reason; the rest of the batch goes on.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../config.js';
import { parseInputDocument } from '../domain/input-document.js';
import type { Metrics } from '../metrics/catalog.js';
import type { Publisher } from '../queue/nsq.js';
import { publishJob } from '../queue/outbox.js';
import type { OcrJob } from '../store/collections.js';
import type { Store } from '../store/store.js';

export interface SubmittedJob {
  job_id: string;
  document_id: string | null;
  file: string;
  status: 'queued' | 'pending' | 'rejected';
  reason?: string;
}

export interface SubmitResult {
  batch_id: string;
  jobs: SubmittedJob[];
  accepted: number;
  rejected: number;
  /** Accepted but not yet published (NSQ refused); the outbox sweep will publish them. */
  unpublished: number;
}

export interface DocumentListing {
  /** Files to submit, sorted by name. */
  files: string[];
  /** Entries of a folder that are not submitted: sub-folders and files not ending in `.json`. */
  skipped: string[];
}

/**
 * Lists what to submit from a path: the file itself, or a folder's `*.json` entries sorted by name
 * (not recursive). Anything else in the folder is listed as skipped so callers can say so.
 * @throws the fs error when the path does not exist.
 */
export async function listDocumentFiles(target: string): Promise<DocumentListing> {
  const info = await stat(target);
  if (!info.isDirectory()) return { files: [target], skipped: [] };
  const entries = await readdir(target, { withFileTypes: true });
  const files: string[] = [];
  const skipped: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(target, e.name);
    if (e.name.toLowerCase().endsWith('.json') && !e.isDirectory()) files.push(full);
    else skipped.push(full);
  }
  return { files, skipped };
}

/** Maps a rejection reason to the metric label of `enrichment_documents_rejected_total`. */
export function rejectionClass(reason: string): string {
  if (reason.startsWith('invalid UTF-8')) return 'invalid_utf8';
  if (reason.startsWith('malformed JSON')) return 'malformed_json';
  if (reason.startsWith('no text')) return 'no_text';
  if (reason.startsWith('text is') || reason.startsWith('file is') || reason.startsWith('invalid document: ocr_lines: more than') || reason.includes('a line is longer than')) return 'too_large';
  if (reason.startsWith('duplicate')) return 'duplicate_id';
  return 'invalid_document';
}

export async function submitFiles(
  files: string[],
  deps: { store: Store; publisher: Publisher | null; config: AppConfig; metrics?: Metrics; onJob?: (job: SubmittedJob) => void; signal?: AbortSignal },
  batchId: string = randomUUID(),
): Promise<SubmitResult> {
  const jobs: SubmittedJob[] = [];
  for (const file of files) {
    // Stop between documents when asked (Ctrl-C): every file submitted so far is recorded.
    if (deps.signal?.aborted) break;
    const job = await submitOne(file, batchId, deps);
    jobs.push(job);
    deps.onJob?.(job);
  }
  return {
    batch_id: batchId,
    jobs,
    accepted: jobs.filter((j) => j.status !== 'rejected').length,
    rejected: jobs.filter((j) => j.status === 'rejected').length,
    unpublished: jobs.filter((j) => j.status === 'pending').length,
  };
}

async function submitOne(
  file: string,
  batchId: string,
  deps: { store: Store; publisher: Publisher | null; config: AppConfig; metrics?: Metrics },
): Promise<SubmittedJob> {
  const jobId = randomUUID();
  const now = new Date();
  const base: OcrJob = {
    _id: jobId,
    job_id: jobId,
    document_id: null,
    dedupe_key: `rejected:${jobId}`,
    status: 'rejected',
    batch_id: batchId,
    source_file: path.basename(file),
    source: null,
    ocr_lines: [],
    ground_truth: null,
    key_values: null,
    reject_reason: null,
    failure_reason: null,
    last_error: null,
    attempts: 0,
    publish_count: 0,
    lease_owner: null,
    lease_until: null,
    outcome: null,
    completeness_score: null,
    cost_usd: null,
    created_at: now,
    updated_at: now,
    published_at: null,
    started_at: null,
    completed_at: null,
  };
  const reject = async (reason: string, documentId: string | null): Promise<SubmittedJob> => {
    await deps.store.insertRejectedJob({ ...base, document_id: documentId, reject_reason: reason, completed_at: now });
    deps.metrics?.documentsRejected.inc({ reason: rejectionClass(reason) });
    return { job_id: jobId, document_id: documentId, file, status: 'rejected', reason };
  };

  let raw: Buffer;
  try {
    // Check the size before reading, so a huge file is refused as such and never held in memory.
    const { size } = await stat(file);
    const maxFileBytes = Math.max(4 * deps.config.INGEST_MAX_TEXT_BYTES, 1024 * 1024);
    if (size > maxFileBytes) return reject(`file is ${size} bytes, over the limit of ${maxFileBytes} (4 × INGEST_MAX_TEXT_BYTES)`, null);
    raw = await readFile(file);
  } catch (err) {
    return reject(`unreadable file: ${(err as Error).message}`, null);
  }
  const parsed = parseInputDocument(raw, { maxTextBytes: deps.config.INGEST_MAX_TEXT_BYTES });
  if (!parsed.ok) return reject(parsed.reason, parsed.documentId ?? null);

  const doc = parsed.document;
  const job: OcrJob = {
    ...base,
    document_id: doc.id,
    dedupe_key: doc.id,
    status: 'pending',
    source: doc.source ?? null,
    ocr_lines: doc.ocr_lines,
    ground_truth: doc.ground_truth ?? null,
    key_values: doc.key_values ?? null,
    completed_at: null,
  };
  if ((await deps.store.insertAcceptedJob(job)) === 'duplicate') {
    return reject(`duplicate document id "${doc.id}": an accepted job for it already exists`, doc.id);
  }
  deps.metrics?.documentsSubmitted.inc();
  const published = await publishJob(job, deps);
  return { job_id: jobId, document_id: doc.id, file, status: published ? 'queued' : 'pending' };
}
