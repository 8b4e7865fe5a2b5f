/**
 * Money rules: the total amount, the currency and (best effort) the line items of a receipt or
 * invoice. Labels and values are often separate OCR lines (`TOTAL :`, `RM`, `31.00`).
 */
import type { LineItem } from '../../domain/fields.js';
import { amountOfLine, amountsInLine, isFillerLine, letterShare, MALAYSIAN_STATES, norm, STRONG_COMPANY } from './text.js';

/** Longest look-ahead from a label line to its amount: label, `:`, `RM`, amount. */
const VALUE_LOOKAHEAD = 4;

/** Total labels, best first. A label's weight says how surely it is the amount paid. */
const TOTAL_LABELS: readonly { pattern: RegExp; weight: number }[] = [
  { pattern: /\b(ROUNDED\s+TOTAL|TOTAL\s+(?:AMT\s+|AMOUNT\s+)?ROUNDED|TOTAL\s+AFTER\s+ROUNDING|NETT?\s+TOTAL\s+ROUNDED)\b/, weight: 10 },
  { pattern: /\b(GRAND\s+TOTAL|AMOUNT\s+DUE|TOTAL\s+DUE|BALANCE\s+DUE|AMOUNT\s+PAYABLE|TOTAL\s+(?:AMT\s+)?PAYABLE|AMOUNT\s+TO\s+BE\s+PAID|JUMLAH\s+BESAR)\b|^DUE\b/, weight: 9 },
  { pattern: /\b(NETT?\s+TOTAL|NETT?\s+AMOUNT|TOTAL\s+NETT?)\b/, weight: 8 },
  { pattern: /\b(?:TOTAL\s*(?:AMT\.?\s*|AMOUNT\s*|SALES\s*)?|(?:AMT|AMOUNT)\s+PAID\s+)\(?\s*INCL(?!UDES?\s+\d)/, weight: 7 },
  { pattern: /\b(TOTAL\s+AMOUNT|TOTAL\s+AMT|TOTAL\s+SALES|TOTAL\s*\(\s*(?:RM|MYR|USD|\$)\s*\)|TOTAL\s+(?:RM|MYR)|JUMLAH)\b/, weight: 6 },
  { pattern: /(?:^|[^A-Z])TOTAL\b/, weight: 5 },
  // "TOTAL INCLUDES 6% GST" is followed by the total on some printers and by the tax on others.
  { pattern: /\bTOTAL\s+INCLUDES?\b/, weight: 4 },
  { pattern: /\bSUB[\s-]*TOTAL\b/, weight: 1 },
];

/** `TOTAL`-lines that are not the amount paid. */
const NOT_TOTAL = /\b(TOTAL\s*(?:QTY|QUANT\w*|ITEMS?|LTEMS?|ITEM\(S\)|POINTS?|SAVINGS?|PROMOTIONAL|DISC\w*|TAX|GST|SST|(?:AMT\s+)?EXCL\w*|TENDER\w*|PAID|WEIGHT|UNITS?|PCS|NO\.?)|\(?\s*EXCL\w*\.?\s*(?:OF\s*)?(?:GST|TAX)|BEFORE\s+(?:GST|TAX)|TOTAL\s+GROSS)\b|^\(/;

/** Headings after which amounts are a tax breakdown, not the total paid. */
const TAX_SUMMARY = /\b(GST|TAX|SST)\s+SUMMARY\b|\bSUMMARY\b/;

const PAYMENT_LABEL = /^(CASH(?:\s+RECEIVED|\s+TENDERED)?|PAYMENT|PAID(?:\s+AMOUNT)?|TOTAL\s+PAID|TENDERED|AMOUNT\s+TENDERED|VISA|MASTER\w*|CREDIT(?:\s+CARD)?|DEBIT|CARD|PAY)\b(?!.*CHANGE)/;
const ROUNDING_LABEL = /^(?:CASH\s+)?(?:ROUND(?:ING)?|RND)(?:\s+ADJ\w*\.?)?\b/;
const CHANGE_LABEL = /^((?:CASH\s+)?CHANGE(?:\s+DUE)?|BAKI)\b/;

/** Most labels printed in a column before their values (`ROUNDING`, `GRAND TOTAL`, then both amounts). */
const MAX_LABEL_COLUMN = 3;

interface Candidate {
  amount: number;
  weight: number;
  lineIndex: number;
}

function isBareLabel(line: string): boolean {
  const l = norm(line);
  return /[A-Z]{2}/.test(l) && amountsInLine(l).length === 0 && !isFillerLine(l);
}

/**
 * The amount on a label line after its label, else on one of the next value lines. When labels
 * are printed in a column (`ROUNDING`, `GRAND TOTAL`, `0.02`, `14.20`), the label's position in
 * the column picks the value.
 */
function valueAfter(lines: readonly string[], i: number, labelEnd: number): number | undefined {
  const rest = lines[i]!.slice(labelEnd);
  const inline = amountsInLine(rest);
  if (inline.length > 0) return inline[inline.length - 1];
  if (rest.trim() !== '' && amountOfLine(rest) !== null) return amountOfLine(rest)!;
  let offset = 0;
  while (offset < MAX_LABEL_COLUMN && i - offset - 1 >= 0 && isBareLabel(lines[i - offset - 1]!) && !/:\s*$/.test(lines[i - offset - 1]!)) offset++;
  const values: number[] = [];
  for (let j = i + 1; j <= i + VALUE_LOOKAHEAD + offset && j < lines.length; j++) {
    const line = lines[j]!;
    if (isFillerLine(line)) continue;
    const v = amountOfLine(line);
    if (v !== null) {
      values.push(v);
      continue;
    }
    break;
  }
  if (values.length === 0) return undefined;
  return offset > 0 && values.length > offset ? values[offset] : values[0];
}

function labelledAmounts(lines: readonly string[], label: RegExp): number[] {
  const out: number[] = [];
  lines.forEach((line, i) => {
    const m = label.exec(norm(line));
    if (!m) return;
    const v = valueAfter(lines, i, m.index + m[0].length);
    if (v !== undefined) out.push(v);
  });
  return out;
}

export interface TotalFinding {
  amount: number;
  confidence: number;
  lineIndex: number;
}

/**
 * Finds the total paid: the amount after the strongest total label (rounded and grand totals
 * first), ignoring quantity, tax and excluding-tax lines and anything in a trailing tax summary.
 * A total that equals payment minus change gains confidence; a conflicting total of the same
 * label strength loses some. When the chosen amount is far from payment minus change but another
 * total is within rounding of it, payment minus change wins (misaligned label columns). Without
 * any total label the
 * payment minus change, else the largest amount, is returned at low confidence.
 */
export function findTotal(lines: readonly string[]): TotalFinding | undefined {
  const candidates: Candidate[] = [];
  let inTaxSummary = false;
  let afterRounding = false;
  lines.forEach((raw, i) => {
    const line = norm(raw);
    if (TAX_SUMMARY.test(line)) inTaxSummary = true;
    if (ROUNDING_LABEL.test(line) && !/TOTAL/.test(line)) afterRounding = true;
    if (!/TOTAL|DUE|PAYABLE|JUMLAH|TO BE PAID|PAID\s+INCL/.test(line) || NOT_TOTAL.test(line)) return;
    const label = TOTAL_LABELS.find((l) => l.pattern.test(line));
    if (!label) return;
    const m = label.pattern.exec(line)!;
    const amount = valueAfter(lines, i, m.index + m[0].length);
    if (amount === undefined || amount < 0) return;
    // A total printed after the rounding adjustment is the rounded, final one.
    const bonus = (afterRounding && label.weight >= 5 ? 3 : 0) - (inTaxSummary ? 6 : 0);
    candidates.push({ amount, weight: label.weight + bonus, lineIndex: i });
  });

  const paid = labelledAmounts(lines, PAYMENT_LABEL).filter((v) => v > 0);
  const change = labelledAmounts(lines, CHANGE_LABEL).filter((v) => v >= 0);
  const impliedTotal = paid.length > 0 && change.length > 0 ? round2(paid[0]! - change[0]!) : undefined;
  const confirms = (amount: number) => impliedTotal !== undefined && Math.abs(amount - impliedTotal) < 0.005;

  const score = (c: Candidate) => c.weight + (confirms(c.amount) ? 3 : 0);
  const best = candidates.length > 0 ? candidates.reduce((a, b) => (score(b) >= score(a) ? b : a)) : undefined;
  if (!best || score(best) < 4) {
    if (impliedTotal !== undefined && impliedTotal > 0) return { amount: impliedTotal, confidence: 0.6, lineIndex: -1 };
    if (best) return { amount: round2(best.amount), confidence: 0.45, lineIndex: best.lineIndex };
    const all = lines.flatMap((l, i) => amountsInLine(l).map((amount) => ({ amount, i })));
    if (all.length === 0) return undefined;
    const max = all.reduce((a, b) => (b.amount > a.amount ? b : a));
    return { amount: max.amount, confidence: 0.4, lineIndex: max.i };
  }

  let amount = round2(best.amount);
  // Payment minus change beats a label read off a misaligned column when a total is near it.
  if (impliedTotal !== undefined && Math.abs(amount - impliedTotal) > 0.1 && candidates.some((c) => Math.abs(c.amount - impliedTotal) <= 0.1)) {
    return { amount: impliedTotal, confidence: 0.8, lineIndex: -1 };
  }
  const rivals = candidates.filter((c) => c.weight >= best.weight && Math.abs(c.amount - amount) >= 0.005 && Math.abs(c.amount - best.amount) >= 0.005);
  let confidence = best.weight >= 8 ? 0.9 : best.weight >= 5 ? 0.85 : 0.6;
  if (confirms(amount)) confidence += 0.07;
  if (rivals.length > 0) confidence -= 0.2;
  return { amount, confidence: clamp(confidence), lineIndex: best.lineIndex };
}

const CURRENCY_MARKS: readonly { pattern: RegExp; code: string }[] = [
  { pattern: /\b(RM|MYR)\b|RM\s?\d/, code: 'MYR' },
  { pattern: /\bS\$|\bSGD\b/, code: 'SGD' },
  { pattern: /€|\bEUR\b|\bEURO?S?\b/, code: 'EUR' },
  { pattern: /£|\bGBP\b/, code: 'GBP' },
  { pattern: /\bUS\$|\bUSD\b/, code: 'USD' },
  { pattern: /\$\s?\d/, code: 'USD' },
];

/** Country cues for a currency when none is printed, and the code they imply. */
const MALAYSIA_CUES: readonly RegExp[] = [
  MALAYSIAN_STATES,
  /\bSDN\.?\s*BHD\b|\bS\/B\b/,
  /\b(JALAN|JLN|TAMAN|TMN|KAWASAN|BANDAR)\b/,
  /\bGST\s*(ID|REG|NO)/,
  /\b0\d-\d{3,4}\s?\d{4}\b/,
];
const US_CUES: readonly RegExp[] = [/\b(INC|CORP|LLC)\b/, /\b[A-Z]{2}\s\d{5}(-\d{4})?\b/, /\(\d{3}\)\s?\d{3}-\s?\d{4}/];

export interface CurrencyFinding {
  code: string;
  confidence: number;
}

/**
 * Currency: a printed mark (`RM`, `MYR`, `$`, `USD`, `€`, `£`, `S$`) gives the code with high
 * confidence; otherwise country cues (Malaysian states, `SDN BHD`, street words, US zip codes)
 * give a default with low confidence that rises a little with each independent cue, unless
 * `printedOnly` (forms, where a country is no evidence of any money).
 */
export function findCurrency(lines: readonly string[], printedOnly = false): CurrencyFinding | undefined {
  const text = lines.map(norm).join('\n');
  const counts = CURRENCY_MARKS.map((c) => ({ code: c.code, n: text.match(new RegExp(c.pattern.source, 'g'))?.length ?? 0 }));
  const byCode = new Map<string, number>();
  for (const c of counts) byCode.set(c.code, (byCode.get(c.code) ?? 0) + c.n);
  const ranked = [...byCode.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (ranked.length > 0) {
    const [code, n] = ranked[0]!;
    const second = ranked[1]?.[1] ?? 0;
    return { code, confidence: clamp((second > 0 ? 0.75 : 0.9) + Math.min(n - 1, 3) * 0.02) };
  }
  if (printedOnly) return undefined;
  const my = MALAYSIA_CUES.filter((c) => c.test(text)).length;
  const us = US_CUES.filter((c) => c.test(text)).length;
  if (my === 0 && us === 0) return undefined;
  const [code, cues] = my >= us ? ['MYR', my] : ['USD', us];
  return { code, confidence: clamp(0.5 + 0.05 * Math.min(cues, 5)) };
}

/** Headings of an item table. */
const ITEM_HEADER = /^(ITEM|ITEMS|DESCRIPTION|DESC|PRODUCT|QTY|QUANTITY|PRICE|U\.?\s*PRICE|UNIT\s*PRICE|AMOUNT|AMT|TOTAL|RM|\(RM\)|TAX|CODE|S\/N|NO\.?|BIL)\b/;
const ITEM_BLOCK_END = /\b(SUB[\s-]*TOTAL|TOTAL|ROUNDING|GST\s*@|SERVICE\s+CHARGE|CASH|CHANGE|ITEM\s*COUNT|QTY\s*\(S\)|NO\.?\s*QTYS?|DISC(OUNT)?\s*:)/;
/** Longest item table scanned, in lines; bounds work on pathological inputs. */
const MAX_ITEM_LINES = 400;
const MAX_LINE_ITEMS = 100;

function isNumberish(line: string): boolean {
  return /^[\s\dxX*@.,:()$-]*(RM|SR|ZR|S|Z|T|X)?\s*$/i.test(line) && /\d/.test(line);
}

/**
 * Best-effort line items: the lines between the item-table heading (or the first description)
 * and the first subtotal/total line, each description paired with the numbers printed around it
 * (quantity, unit price, amount). Layout orders differ between printers, so the order is read
 * from which comes first after the heading. Returns `[]` when no item block is found.
 */
export function findLineItems(lines: readonly string[]): LineItem[] {
  let start = -1;
  for (let i = 0; i < lines.length && i < MAX_ITEM_LINES; i++) {
    const l = norm(lines[i]!);
    if (/^(QTY|QUANTITY|AMOUNT|AMT|PRICE|U\.?\s*PRICE|TOTAL|RM|\(RM\))\b/.test(l) || /\b(DESCRIPTION|ITEM)\b.*\b(QTY|AMOUNT|PRICE)\b/.test(l)) start = i;
    else if (start >= 0) break;
  }
  if (start < 0) return [];
  let end = lines.length;
  for (let i = start + 1; i < lines.length && i < start + MAX_ITEM_LINES; i++) {
    if (ITEM_BLOCK_END.test(norm(lines[i]!))) {
      end = i;
      break;
    }
  }
  const block = lines.slice(start + 1, end).filter((l) => !isFillerLine(l) && !ITEM_HEADER.test(norm(l)) || isNumberish(l));
  if (block.length === 0) return [];
  const isDescription = (l: string) => letterShare(l) >= 0.5 && l.replace(/[^A-Za-z]/g, '').length >= 3 && !STRONG_COMPANY.test(l);
  const descriptionFirst = isDescription(block[0]!);
  const groups: { description: string; numbers: string[] }[] = [];
  let pending: string[] = [];
  for (const line of block) {
    if (isDescription(line)) {
      if (descriptionFirst) groups.push({ description: line.trim(), numbers: [] });
      else {
        groups.push({ description: line.trim(), numbers: pending });
        pending = [];
      }
    } else if (descriptionFirst && groups.length > 0) groups[groups.length - 1]!.numbers.push(line);
    else pending.push(line);
    if (groups.length >= MAX_LINE_ITEMS) break;
  }
  return groups.map((g) => toLineItem(g.description, g.numbers));
}

function toLineItem(description: string, numberLines: string[]): LineItem {
  const text = numberLines.join(' ');
  const decimals = [...amountsInLine(text), ...amountsInLine(description.replace(/^.*?(\d+\.\d{2}\s*$)/, '$1'))];
  const qtyMatch = /(?:^|\s)(\d{1,3})(?:\.0+)?\s*[xX*@]/.exec(text) ?? /^\s*(\d{1,3})(?:\.00)?\s*$/m.exec(numberLines.find((l) => /^\s*\d{1,3}(\.00)?\s*$/.test(l)) ?? '');
  const quantity = qtyMatch ? Number(qtyMatch[1]) : null;
  const amount = decimals.length > 0 ? round2(decimals[decimals.length - 1]!) : null;
  const unit = decimals.length > 1 ? round2(decimals[decimals.length - 2]!) : quantity && amount !== null ? round2(amount / quantity) : null;
  return { description, quantity, unit_price: unit, amount };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function clamp(c: number): number {
  return Math.max(0, Math.min(1, Math.round(c * 100) / 100));
}
