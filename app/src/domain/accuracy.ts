/**
 * Accuracy of extracted fields against a document's ground truth: pure, normalised exact match.
 *
 * Source: the pipeline issue's accuracy rule, "case, spacing and punctuation folded for names and
 * addresses, dates parsed to a calendar date, totals compared as numbers without currency", and
 * the ground-truth shapes of the test corpus (SROIE `company`/`date`/`address`/`total`; FUNSD
 * question/answer pairs), whose README lists the printed date shapes handled here.
 */
import type { FieldName } from './fields.js';

/** Which extracted field each SROIE ground-truth key is scored against. */
export const GROUND_TRUTH_FIELD_MAP = {
  company: 'vendor_name',
  address: 'vendor_address',
  date: 'document_date',
  total: 'total_amount',
} as const satisfies Record<string, FieldName>;

export type GroundTruthKey = keyof typeof GROUND_TRUTH_FIELD_MAP;

/** One scored field of one document. */
export interface FieldScore {
  field: FieldName;
  /** The ground truth as given (for `key_values`, a count such as `"12 pairs"`). */
  expected: string;
  /** The extracted value, or `undefined` when the field was not extracted. */
  predicted: unknown;
  /** For `key_values`: true only when every ground-truth pair was found. */
  correct: boolean;
  /** `key_values` only: share of ground-truth pairs found, in [0, 1]. */
  ratio?: number;
  /** `key_values` only: ground-truth pairs found. */
  matched?: number;
  /** `key_values` only: ground-truth pairs. */
  total?: number;
}

/** A ground-truth question/answer pair (corpus shape). */
export interface GroundTruthPair {
  question: string;
  answer: string;
}

/**
 * Folds case, spacing and punctuation: upper-cases, strips diacritics and keeps only letters and
 * digits (`"ENW HARDWARE CENTRE (M) SDN. BHD."` → `"ENWHARDWARECENTREMSDNBHD"`). This is also how
 * the corpus README matches vendors.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Currency marks accepted around an amount; longest first so `US$` wins over `$`. */
const CURRENCY_MARKS = /(US\$|S\$|A\$|MYR|USD|EUR|GBP|SGD|RM|\$|€|£)/gi;

/**
 * Parses a printed amount to a number, ignoring currency marks (`RM`, `MYR`, `$`, `USD`, `€`, `£`
 * …), spaces and thousands separators: `"RM 3.90"` → 3.9, `"1,234.50"` → 1234.5, `"$12"` → 12.
 * Returns `null` when the text holds no single number.
 */
export function parseAmount(text: string): number | null {
  const stripped = text.replace(CURRENCY_MARKS, '').replace(/\s+/g, '');
  if (!/^-?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$/.test(stripped) || !/\d/.test(stripped)) return null;
  const value = Number(stripped.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

const MONTHS: Record<string, number> = {
  JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, SEPT: 9, OCT: 10, NOV: 11, DEC: 12,
  // Malay month abbreviations that differ from English (SROIE receipts are English or Malay).
  MAC: 3, MEI: 5, OGO: 8, OKT: 10, DIS: 12,
};

/** Two-digit years: 00-50 are 20xx, 51-99 are 19xx (the chrono-node convention). */
function expandYear(year: number): number {
  if (year >= 100) return year;
  return year <= 50 ? 2000 + year : 1900 + year;
}

function isoDate(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function monthNumber(name: string): number | undefined {
  const key = name.toUpperCase().replace(/\./g, '');
  return MONTHS[key] ?? MONTHS[key.slice(0, 3)];
}

/**
 * Every calendar date a printed date may mean, as ISO `YYYY-MM-DD` strings, day-first reading
 * first. Shapes: `DD/MM/YYYY`, `DD-MM-YY`, `D/M/YYYY`, `DD.MM.YYYY`, `DD/MON/YYYY`, `DD MON YY`,
 * `DD-MON-YYYY`, `MON DD, YYYY`, `YYYY-MM-DD`, with stray spaces around separators (`12 /10 /98`).
 * A numeric date whose first two parts are both ≤ 12 yields both readings, since receipts print
 * either order. Two-digit years map 00-50 → 20xx, 51-99 → 19xx. Returns `[]` when unparseable.
 */
export function parsePrintedDate(text: string): string[] {
  const t = text.trim().replace(/\s*([/.-])\s*/g, '$1').replace(/\s+/g, ' ').toUpperCase();
  const out: string[] = [];
  const add = (iso: string | null) => {
    if (iso && !out.includes(iso)) out.push(iso);
  };
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(t);
  if (m) {
    add(isoDate(Number(m[1]), Number(m[2]), Number(m[3])));
    return out;
  }
  m = /^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})$/.exec(t);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = expandYear(Number(m[3]));
    add(isoDate(y, b, a));
    add(isoDate(y, a, b));
    return out;
  }
  m = /^(\d{1,2})[-/. ]?([A-Z]{3,9})\.?[-/., ]*(\d{4}|\d{2})$/.exec(t);
  if (m) {
    const month = monthNumber(m[2]!);
    if (month) add(isoDate(expandYear(Number(m[3])), month, Number(m[1])));
    return out;
  }
  m = /^([A-Z]{3,9})\.?[-/. ]?(\d{1,2})(?:ST|ND|RD|TH)?[,]?[-/. ]*'?(\d{4}|\d{2})$/.exec(t);
  if (m) {
    const month = monthNumber(m[1]!);
    if (month) add(isoDate(expandYear(Number(m[3])), month, Number(m[2])));
  }
  return out;
}

/** True when `predicted` (an ISO date) is one of the readings of the printed `expected` date. */
export function datesMatch(expected: string, predicted: unknown): boolean {
  if (typeof predicted !== 'string') return false;
  return parsePrintedDate(expected).includes(predicted.trim());
}

/** True when both sides are the same amount to the cent, currency ignored. */
export function amountsMatch(expected: string, predicted: unknown): boolean {
  const e = parseAmount(expected);
  const p = typeof predicted === 'number' ? predicted : typeof predicted === 'string' ? parseAmount(predicted) : null;
  return e !== null && p !== null && Math.abs(e - p) < 0.005;
}

/** True when both are strings equal after {@link foldText}. */
export function textsMatch(expected: string, predicted: unknown): boolean {
  return typeof predicted === 'string' && foldText(expected) !== '' && foldText(expected) === foldText(predicted);
}

/**
 * Share of ground-truth question/answer pairs found among the predicted `{ key, value }` pairs,
 * both sides folded with {@link foldText}. Each predicted pair may match one ground-truth pair.
 * `ratio` is 1 when there is no ground-truth pair.
 */
export function keyValuePairAccuracy(
  expected: readonly GroundTruthPair[],
  predicted: unknown,
): { matched: number; total: number; ratio: number } {
  const pool = new Map<string, number>();
  if (Array.isArray(predicted)) {
    for (const p of predicted as unknown[]) {
      if (typeof p !== 'object' || p === null) continue;
      const { key, value } = p as { key?: unknown; value?: unknown };
      if (typeof key !== 'string' || typeof value !== 'string') continue;
      const id = `${foldText(key)}\u0000${foldText(value)}`;
      pool.set(id, (pool.get(id) ?? 0) + 1);
    }
  }
  let matched = 0;
  for (const pair of expected) {
    const id = `${foldText(pair.question)}\u0000${foldText(pair.answer)}`;
    const left = pool.get(id) ?? 0;
    if (left > 0) {
      matched++;
      pool.set(id, left - 1);
    }
  }
  return { matched, total: expected.length, ratio: expected.length === 0 ? 1 : matched / expected.length };
}

/**
 * Scores one document's extracted values against its ground truth.
 *
 * @param groundTruth SROIE-style `{ company, date, address, total }` (any subset; other keys ignored).
 * @param keyValues FUNSD-style question/answer pairs; scored as one `key_values` entry when non-empty.
 * @param fields extracted values by field name (plain values, not wrapped).
 * @returns one {@link FieldScore} per scorable ground-truth item, in a fixed order.
 */
export function scoreDocument(
  groundTruth: Readonly<Record<string, string>> | undefined,
  keyValues: readonly GroundTruthPair[] | undefined,
  fields: Partial<Record<FieldName, unknown>>,
): FieldScore[] {
  const scores: FieldScore[] = [];
  for (const key of Object.keys(GROUND_TRUTH_FIELD_MAP) as GroundTruthKey[]) {
    const expected = groundTruth?.[key];
    if (expected === undefined) continue;
    const field = GROUND_TRUTH_FIELD_MAP[key];
    const predicted = fields[field];
    const correct =
      key === 'date' ? datesMatch(expected, predicted) : key === 'total' ? amountsMatch(expected, predicted) : textsMatch(expected, predicted);
    scores.push({ field, expected, predicted, correct });
  }
  if (keyValues && keyValues.length > 0) {
    const predicted = fields.key_values;
    const { matched, total, ratio } = keyValuePairAccuracy(keyValues, predicted);
    scores.push({ field: 'key_values', expected: `${total} pairs`, predicted, correct: matched === total, ratio, matched, total });
  }
  return scores;
}
