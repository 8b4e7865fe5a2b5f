/**
 * Cost aggregations over `cost_records` for the Cost API: totals, means and p95 by document,
 * enrichment job, agent, model and provider; one document's breakdown; budget status.
 *
 * Every query runs on the server and returns small grouped rows, never whole records (issue 3:
 * "MongoDB aggregations on the indexed fields; never load whole collections into memory"):
 * - range queries `$match` on `created_at` first (indexed, checklist);
 * - one document's records are found through its job id (`enrichment_job_id`, indexed), read from
 *   `ocr_jobs` by `dedupe_key` (unique index, equal to the document id for accepted jobs);
 * - each `$group` has one `$sum` ({@link groupedSums}), because FerretDB 1.24 computes only the
 *   first accumulator and has no `$avg`/`$percentile` (docs/ferretdb-gaps.md). Means come from
 *   sum ÷ count;
 * - a p95 over per-group totals (per document, per job) is taken in TypeScript from the grouped
 *   rows; a p95 over the calls of one group (per agent, model, provider) is one small query per
 *   group that reads the single record at the p95 rank ({@link callCostAtRank}).
 *
 * Every p95 here is nearest-rank: the value at ascending 1-based rank ⌈0.95·n⌉ of the n values
 * ({@link nearestRank}; the same rank as `percentile` in app/src/reporting/run-report.ts), so it is
 * always one of the values, and for n ≤ 20 it is the largest.
 *
 * Units: USD, calls (model calls = cost records), dates as UTC `Date`s; ranges are `[from, to)`.
 */
import type { Collection, Filter } from 'mongodb';
import { groupedSums } from './aggregate.js';
import type { CostRecord, OcrJob } from './collections.js';

/** A half-open time range `[from, to)` on `created_at`. */
export interface DateRange {
  from: Date;
  to: Date;
}

/** What `/costs/by/:dimension` can group by, and the cost-record field behind each. */
export const COST_DIMENSION_FIELDS = {
  document: 'document_id',
  job: 'enrichment_job_id',
  agent: 'agent',
  model: 'model',
  provider: 'provider',
} as const satisfies Record<string, keyof CostRecord>;
export type CostDimension = keyof typeof COST_DIMENSION_FIELDS;
export const COST_DIMENSIONS = Object.keys(COST_DIMENSION_FIELDS) as CostDimension[];

/**
 * Dimensions whose groups are categories of model calls (few groups, many calls each): their rows
 * carry the mean and p95 cost of one call in the group. Document and job groups are units of work
 * instead: their distribution is the mean and p95 of the per-group totals.
 */
export const PER_CALL_DIMENSIONS: readonly CostDimension[] = ['agent', 'model', 'provider'];

/** The percentile the API reports (issue 3: "with mean, p95 and total"). */
export const COST_PERCENTILE = 95;

/** Totals of one group. `key` is `null` for records that lack the grouped field. */
export interface CostRow {
  key: string | null;
  /** Model calls (cost records) in the group. */
  calls: number;
  total_usd: number;
  /** total_usd ÷ calls; 0 for no calls. */
  mean_usd_per_call: number;
  /**
   * Nearest-rank p95 of `cost_usd` over the group's calls. Set on agent, model and provider rows
   * ({@link PER_CALL_DIMENSIONS}); absent on document and job rows and in one document's breakdown.
   */
  p95_usd_per_call?: number;
}

/** A row of an agent, model or provider group, with its per-call p95. */
export interface CallCostRow extends CostRow {
  p95_usd_per_call: number;
}

export interface CostSummary {
  from: Date;
  to: Date;
  total_usd: number;
  calls: number;
  documents: number;
  /** Mean of per-document totals; 0 when there are no documents. */
  mean_usd_per_document: number;
  /** Nearest-rank p95 of per-document totals; 0 when there are no documents. */
  p95_usd_per_document: number;
  /** Per provider: calls, total, and mean and p95 per call. */
  by_provider: CallCostRow[];
  /** Price-table versions on the records of the range, sorted. */
  price_table_versions: string[];
}

export interface CostsByDimension {
  dimension: CostDimension;
  from: Date;
  to: Date;
  /** Number of groups in the range (rows may be capped by `limit`). */
  groups: number;
  total_usd: number;
  calls: number;
  /**
   * Mean of the per-group totals (total ÷ groups); 0 when there are no groups. For `document` and
   * `job`, the mean cost of a document or job; for `agent`, `model` and `provider`, the mean spend
   * of one such category (their per-call mean is on each row).
   */
  mean_usd_per_group: number;
  /**
   * Nearest-rank p95 of the per-group totals; 0 when there are no groups. For `document` and `job`,
   * the p95 cost of a document or job; for `agent`, `model` and `provider` (a handful of groups,
   * so usually the largest total), see each row's `p95_usd_per_call` for the per-call p95.
   */
  p95_usd_per_group: number;
  /**
   * At most `limit` rows, by total descending (ties by key ascending). Agent, model and provider
   * rows also carry `p95_usd_per_call`.
   */
  rows: CostRow[];
}

export interface DocumentCosts {
  document_id: string;
  /** Enrichment job ids the records belong to. */
  job_ids: string[];
  total_usd: number;
  calls: number;
  by_agent: CostRow[];
  by_tier: CostRow[];
  by_provider: CostRow[];
  price_table_versions: string[];
}

export interface OverBudgetDocument {
  document_id: string;
  total_usd: number;
}

export interface BudgetStatus {
  /** `YYYY-MM`, UTC. */
  month: string;
  from: Date;
  to: Date;
  document_budget_usd: number;
  documents: number;
  /** How many documents spent more than the per-document budget within the month. */
  documents_over_budget: number;
  /** The most expensive of those, by total descending, at most `overBudgetLimit` entries. */
  over_budget: OverBudgetDocument[];
  monthly_budget_usd: number;
  spent_usd: number;
  /** `max(0, monthly budget − spent)`. */
  remaining_usd: number;
  /** spent ÷ monthly budget; null when the budget is 0. */
  share_used: number | null;
  /** Share of the month elapsed at `now`, in [0, 1]. */
  month_elapsed_share: number;
  /**
   * Linear run-rate projection of the month's spend: spent ÷ elapsed share for the current
   * month, the spend itself for a past month, 0 for a future one.
   */
  projected_month_usd: number;
}

const SUMS = { usd: '$cost_usd', calls: 1 } as const;

function rangeMatch(range: DateRange): Filter<CostRecord> {
  return { created_at: { $gte: range.from, $lt: range.to } };
}

function toRows(groups: { key: unknown; sums: Record<string, number> }[]): CostRow[] {
  return groups.map((g) => {
    const calls = g.sums['calls'] ?? 0;
    const total = g.sums['usd'] ?? 0;
    return { key: g.key === null || g.key === undefined ? null : String(g.key), calls, total_usd: total, mean_usd_per_call: calls > 0 ? total / calls : 0 };
  });
}

/** Total descending, then key ascending, so equal totals come back in a stable order. */
function byTotalDesc(a: { total_usd: number; key: string | null }, b: { total_usd: number; key: string | null }): number {
  return b.total_usd - a.total_usd || String(a.key).localeCompare(String(b.key));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

async function groupRows(costRecords: Collection<CostRecord>, match: Filter<CostRecord>, field: keyof CostRecord): Promise<CostRow[]> {
  return toRows(await groupedSums(costRecords, match, `$${field}`, SUMS)).sort(byTotalDesc);
}

/** The ranked read, and once more after a recount if records were deleted in between; bounded so a draining collection cannot keep it looping. */
const RANKED_READ_ATTEMPTS = 2;

/**
 * The 1-based ascending rank of the nearest-rank `p`th percentile of `count` values: ⌈p/100·count⌉,
 * at least 1. 0 when `count` is 0. The same rank as `percentile` (app/src/reporting/run-report.ts).
 */
export function nearestRank(count: number, p: number): number {
  return count <= 0 ? 0 : Math.max(1, Math.ceil((p / 100) * count));
}

/**
 * The nearest-rank `p`th percentile of `cost_usd` over the records matching `filter`, of which
 * there are `count` (from the grouped sums). Reads one record on the server: sorted by cost
 * descending, it skips the `count − rank` dearer records. MongoDB keeps at most that many + 1 in
 * its top-k sort (5% of the group for p95); FerretDB has no `$percentile` (docs/ferretdb-gaps.md).
 *
 * Cost records are append-only, so the count can only grow between the two queries, shifting the
 * rank by the calls recorded meanwhile. If records were deleted in between and the rank is gone,
 * it counts again once.
 * @returns USD; 0 when `count` is 0.
 */
export async function callCostAtRank(costRecords: Collection<CostRecord>, filter: Filter<CostRecord>, count: number, p: number): Promise<number> {
  let n = count;
  for (let attempt = 1; attempt <= RANKED_READ_ATTEMPTS && n > 0; attempt++) {
    const [row] = await costRecords
      .find(filter, { projection: { _id: 0, cost_usd: 1 } })
      .sort({ cost_usd: -1 })
      .skip(n - nearestRank(n, p))
      .limit(1)
      .toArray();
    if (row) return row.cost_usd;
    n = await costRecords.countDocuments(filter);
  }
  return 0;
}

/** The nearest-rank `p`th percentile of in-memory values (per-group totals); 0 for none. */
function percentileOf(values: number[], p: number): number {
  const rank = nearestRank(values.length, p);
  return rank === 0 ? 0 : [...values].sort((a, b) => a - b)[rank - 1]!;
}

/** Adds `p95_usd_per_call` to each row of a grouping by `field` within `match`: one query per row. */
async function withCallP95(
  costRecords: Collection<CostRecord>,
  match: Filter<CostRecord>,
  field: keyof CostRecord,
  rows: CostRow[],
): Promise<CallCostRow[]> {
  return Promise.all(
    rows.map(async (row) => ({
      ...row,
      // `{ field: null }` also matches records without the field: the `$group` key of both is null.
      p95_usd_per_call: await callCostAtRank(costRecords, { ...match, [field]: row.key } as Filter<CostRecord>, row.calls, COST_PERCENTILE),
    })),
  );
}

/**
 * Spend over a time range: total, calls, documents, mean and p95 per document, by provider (with
 * mean and p95 per call), and the price-table versions seen. Four small aggregations, one
 * `distinct` and one ranked read per provider, all after a `created_at` match; memory is one row
 * per document of the range.
 */
export async function costSummary(costRecords: Collection<CostRecord>, range: DateRange): Promise<CostSummary> {
  const match = rangeMatch(range);
  const perDocument = await groupRows(costRecords, match, 'document_id');
  const byProvider = await withCallP95(costRecords, match, 'provider', await groupRows(costRecords, match, 'provider'));
  const versions = (await costRecords.distinct('price_table_version', match)).filter((v): v is string => typeof v === 'string').sort();
  const totals = perDocument.map((r) => r.total_usd);
  const total = sum(totals);
  return {
    from: range.from,
    to: range.to,
    total_usd: total,
    calls: sum(perDocument.map((r) => r.calls)),
    documents: perDocument.length,
    mean_usd_per_document: perDocument.length > 0 ? total / perDocument.length : 0,
    p95_usd_per_document: percentileOf(totals, COST_PERCENTILE),
    by_provider: byProvider,
    price_table_versions: versions,
  };
}

/**
 * Spend over a time range grouped by one dimension, sorted by total descending and capped at
 * `limit` rows. What "mean" and "p95" are depends on the dimension:
 * - every row: calls, total and mean per call (total ÷ calls);
 * - `agent`, `model`, `provider` rows also: `p95_usd_per_call`, the nearest-rank p95 of `cost_usd`
 *   over that group's calls in the range (one ranked read per returned row; these groups are few);
 * - overall: groups, total, calls, and the mean and nearest-rank p95 of the per-group totals,
 *   which for `document` and `job` are the cost per document or job. They cover every group, not
 *   just the returned rows.
 *
 * @param limit most rows to return, ≥ 1 (the route caps it).
 */
export async function costsByDimension(
  costRecords: Collection<CostRecord>,
  dimension: CostDimension,
  range: DateRange,
  limit: number,
): Promise<CostsByDimension> {
  const match = rangeMatch(range);
  const field = COST_DIMENSION_FIELDS[dimension];
  const rows = await groupRows(costRecords, match, field);
  const totals = rows.map((r) => r.total_usd);
  const total = sum(totals);
  const shown = rows.slice(0, Math.max(1, limit));
  return {
    dimension,
    from: range.from,
    to: range.to,
    groups: rows.length,
    total_usd: total,
    calls: sum(rows.map((r) => r.calls)),
    mean_usd_per_group: rows.length > 0 ? total / rows.length : 0,
    p95_usd_per_group: percentileOf(totals, COST_PERCENTILE),
    rows: PER_CALL_DIMENSIONS.includes(dimension) ? await withCallP95(costRecords, match, field, shown) : shown,
  };
}

/**
 * One document's spend by agent, tier and provider, over all time. Finds the document's job in
 * `ocr_jobs` (unique `dedupe_key`), then matches its records on the indexed `enrichment_job_id`.
 *
 * @returns null when the document has no accepted job or no cost record.
 */
export async function documentCosts(
  costRecords: Collection<CostRecord>,
  ocrJobs: Collection<OcrJob>,
  documentId: string,
): Promise<DocumentCosts | null> {
  const job = await ocrJobs.findOne({ dedupe_key: documentId }, { projection: { job_id: 1 } });
  if (!job) return null;
  const match: Filter<CostRecord> = { enrichment_job_id: job.job_id, document_id: documentId };
  const byAgent = await groupRows(costRecords, match, 'agent');
  if (byAgent.length === 0) return null;
  const byTier = await groupRows(costRecords, match, 'tier');
  const byProvider = await groupRows(costRecords, match, 'provider');
  const versions = (await costRecords.distinct('price_table_version', match)).filter((v): v is string => typeof v === 'string').sort();
  return {
    document_id: documentId,
    job_ids: [job.job_id],
    total_usd: sum(byAgent.map((r) => r.total_usd)),
    calls: sum(byAgent.map((r) => r.calls)),
    by_agent: byAgent,
    by_tier: byTier,
    by_provider: byProvider,
    price_table_versions: versions,
  };
}

/**
 * The UTC calendar month `YYYY-MM` as a `[first instant, first instant of the next month)` range.
 * @throws RangeError when `month` is not `YYYY-MM` with a month 01–12.
 */
export function monthRange(month: string): DateRange {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new RangeError(`month must be YYYY-MM, got ${JSON.stringify(month)}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { from: new Date(Date.UTC(year, index, 1)), to: new Date(Date.UTC(year, index + 1, 1)) };
}

/** The UTC month of `date` as `YYYY-MM`. */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

export interface BudgetOptions {
  /** `YYYY-MM`, UTC. */
  month: string;
  documentBudgetUsd: number;
  monthlyBudgetUsd: number;
  /** Most over-budget documents to list. */
  overBudgetLimit: number;
  /** The clock for the run-rate projection. */
  now: Date;
}

/**
 * Budget status of one UTC month: documents whose spend within the month exceeds the
 * per-document budget (count, and the top `overBudgetLimit`), and the month's spend against the
 * monthly budget with a linear run-rate projection to month end.
 *
 * A document whose calls straddle a month boundary is judged on each month's part separately.
 * @throws RangeError for a malformed `month`.
 */
export async function budgetStatus(costRecords: Collection<CostRecord>, options: BudgetOptions): Promise<BudgetStatus> {
  const range = monthRange(options.month);
  const perDocument = await groupRows(costRecords, rangeMatch(range), 'document_id');
  const spent = sum(perDocument.map((r) => r.total_usd));
  const over = perDocument.filter((r) => r.total_usd > options.documentBudgetUsd);
  const monthMs = range.to.getTime() - range.from.getTime();
  const elapsedShare = Math.min(1, Math.max(0, (options.now.getTime() - range.from.getTime()) / monthMs));
  return {
    month: options.month,
    from: range.from,
    to: range.to,
    document_budget_usd: options.documentBudgetUsd,
    documents: perDocument.length,
    documents_over_budget: over.length,
    over_budget: over.slice(0, options.overBudgetLimit).map((r) => ({ document_id: String(r.key), total_usd: r.total_usd })),
    monthly_budget_usd: options.monthlyBudgetUsd,
    spent_usd: spent,
    remaining_usd: Math.max(0, options.monthlyBudgetUsd - spent),
    share_used: options.monthlyBudgetUsd > 0 ? spent / options.monthlyBudgetUsd : null,
    month_elapsed_share: elapsedShare,
    projected_month_usd: elapsedShare === 0 ? 0 : spent / elapsedShare,
  };
}
