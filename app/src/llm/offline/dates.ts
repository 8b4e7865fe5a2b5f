/**
 * Document date rule: the date printed next to a date label, else the first full date in the
 * text. Parsing is chrono-node's, day-first (`en.GB`) for Malaysian/British documents and
 * month-first (`en`) for US ones; spaced prints such as `12 /10 /98` and `'98` are tidied first.
 */
import * as chrono from 'chrono-node';

/** Reference instant for chrono: fixed so that extraction is deterministic. */
const REFERENCE_DATE = new Date(Date.UTC(2000, 0, 1));

/** Years outside this range are OCR noise (phone numbers, ids read as dates). */
const MIN_YEAR = 1950;
const MAX_YEAR = 2099;

/** Labels that say the next value is the document's date (not a due date or a time). */
const DATE_LABEL = /\b(DATE|DATED|TARIKH|BIZDATE|INV\.?\s*DATE|BILL\s*DATE|ISSUED?)\b/i;
const NOT_DOCUMENT_DATE = /\b(DUE|EXPIR\w*|VALID|BIRTH|DOB|START|CLOS\w*|PRINTED)\b/i;

export type DateOrder = 'day-first' | 'month-first';

export interface DateFinding {
  /** ISO `YYYY-MM-DD`. */
  iso: string;
  /** In [0, 1]. */
  confidence: number;
  lineIndex: number;
}

/**
 * The printed shapes accepted as a full date. chrono also resolves relative phrases
 * ("within 7 days", "today") against the reference date; those are not document dates.
 */
const EXPLICIT_DATE =
  /(?<![\w])(\d{1,4})([/.-])(\d{1,2}|[A-Za-z]{3,9})\2(\d{2,4})(?!\d)|[A-Za-z]{3,9}\.?\s*\d{1,2}(?:st|nd|rd|th)?,?\s+\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s*[A-Za-z]{3,9}\.?,?\s*\d{2,4}/i;

function tidy(line: string): string {
  return line
    .replace(/\s*([/-])\s*/g, '$1')
    .replace(/'(\d{2})\b/g, (_, yy: string) => (Number(yy) > 50 ? `19${yy}` : `20${yy}`))
    .replace(/(\d)\s+:\s*(\d)/g, '$1:$2');
}

function toIso(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Full dates (day, month and year all printed) in one line, in order. */
export function datesInLine(line: string, order: DateOrder): { iso: string; ambiguous: boolean }[] {
  const parser = order === 'day-first' ? chrono.en.GB : chrono.en;
  const out: { iso: string; ambiguous: boolean }[] = [];
  for (const r of parser.parse(tidy(line), REFERENCE_DATE)) {
    const s = r.start;
    if (!s.isCertain('year') || !s.isCertain('month') || !s.isCertain('day') || !EXPLICIT_DATE.test(r.text)) continue;
    const y = s.get('year')!;
    if (y < MIN_YEAR || y > MAX_YEAR) continue;
    const numeric = /^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}/.test(r.text);
    const ambiguous = numeric && s.get('day')! <= 12 && s.get('month')! <= 12 && s.get('day') !== s.get('month');
    out.push({ iso: toIso(y, s.get('month')!, s.get('day')!), ambiguous });
  }
  return out;
}

/** Longest look-ahead from a bare `DATE` label line to its value: OCR splits `DATE`, `:`, value. */
const DATE_VALUE_LOOKAHEAD = 3;

/**
 * Confidences of the date rule. Measured on SROIE, the first full date (labelled or not) was the
 * document date in 119 of 120 receipts (the miss is a ground-truth typo), so both are high; a
 * label still adds certainty. A numeric date that reads both ways rests on the country's date
 * order, which is itself a guess, so it loses a little. The constants also rank candidates: a
 * labelled date that reads both ways must still outrank an unlabelled one.
 */
const LABELLED_DATE_CONFIDENCE = 0.95;
const UNLABELLED_DATE_CONFIDENCE = 0.88;
const AMBIGUOUS_ORDER_PENALTY = 0.04;

/**
 * Finds the document date. A labelled date scores highest; an unlabelled first date lower; a
 * numeric date that reads both ways (e.g. `03/04/2018`) loses a little confidence.
 */
export function findDocumentDate(lines: readonly string[], order: DateOrder): DateFinding | undefined {
  let best: DateFinding | undefined;
  const consider = (f: DateFinding) => {
    if (!best || f.confidence > best.confidence) best = f;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (NOT_DOCUMENT_DATE.test(line)) continue;
    const found = datesInLine(line, order);
    const labelled = DATE_LABEL.test(line);
    if (found.length > 0) {
      const f = found[0]!;
      const base = labelled ? LABELLED_DATE_CONFIDENCE : UNLABELLED_DATE_CONFIDENCE;
      consider({ iso: f.iso, confidence: base - (f.ambiguous ? AMBIGUOUS_ORDER_PENALTY : 0) - Math.min(i, 40) * 0.001, lineIndex: i });
      continue;
    }
    if (labelled) {
      for (let j = i + 1; j <= i + DATE_VALUE_LOOKAHEAD && j < lines.length; j++) {
        const next = datesInLine(lines[j]!, order);
        if (next.length > 0) {
          const f = next[0]!;
          consider({ iso: f.iso, confidence: LABELLED_DATE_CONFIDENCE - 0.02 - (f.ambiguous ? AMBIGUOUS_ORDER_PENALTY : 0) - Math.min(i, 40) * 0.001, lineIndex: j });
          break;
        }
      }
    }
  }
  return best;
}
