/**
 * Grouped sums that give the same answer on MongoDB 7 and on FerretDB 1.24.
 *
 * FerretDB computes only the first accumulator of a `$group` (the others come back as 0, FerretDB
 * issue #4616; docs/ferretdb-gaps.md), and supports only `$sum`/`$count` there. So each sum is its
 * own `$group` with one accumulator, run on the server (no documents are loaded), and the results
 * are joined on `_id` here. Means and percentiles are derived from these in TypeScript.
 */
import type { Collection, Document, Filter } from 'mongodb';

export type GroupKey = string | null | Record<string, string>;

export interface GroupedSums<K> {
  key: K;
  /** One entry per requested sum: a field path (`'$cost_usd'`) or 1 for a count. */
  sums: Record<string, number>;
}

/**
 * `$match` then `$group` by `groupBy`, with one `$sum` per entry of `sums`, each in its own
 * aggregation. Returns one row per group, in no particular order.
 */
export async function groupedSums<T extends Document, K = unknown>(
  collection: Collection<T>,
  match: Filter<T>,
  groupBy: GroupKey,
  sums: Record<string, string | 1>,
): Promise<GroupedSums<K>[]> {
  const rows = new Map<string, GroupedSums<K>>();
  for (const [name, expr] of Object.entries(sums)) {
    const result = await collection
      .aggregate<{ _id: K; v: number }>([{ $match: match }, { $group: { _id: groupBy, v: { $sum: expr } } }])
      .toArray();
    for (const r of result) {
      const id = JSON.stringify(r._id);
      const row = rows.get(id) ?? { key: r._id, sums: Object.fromEntries(Object.keys(sums).map((k) => [k, 0])) };
      row.sums[name] = r.v;
      rows.set(id, row);
    }
  }
  return [...rows.values()];
}
