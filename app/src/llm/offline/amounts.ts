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
  { pattern: /\b(NETT?\s+TOTAL|NETT?\s+AMOUNT|NETT?\s+AMT|TOTAL\s+NETT?)\b/, weight: 8 },
  { pattern: /\b(?:TOTAL\s*(?:AMT\.?\s*|AMOUNT\s*|SALES\s*)?|(?:AMT|AMOUNT)\s+PAID\s+)\(?\s*INCL(?!UDES?\s+\d)/, weight: 7 },
  { pattern: /\b(TOTAL\s+AMOUNT|TOTAL\s+AMT|TOTAL\s+SALES|TOTAL\s*\(\s*(?:RM|MYR|USD|\$)\s*\)|TOTAL\s+(?:RM|MYR)|JUMLAH)\b/, weight: 6 },
  { pattern: /(?:^|[^A-Z])(?<!SUB[\s-]*)TOTAL\b/, weight: 5 },
  // "TOTAL INCLUDES 6% GST" is followed by the total on some printers and by the tax on others.
  { pattern: /\bTOTAL\s+INCLUDES?\b/, weight: 4 },
  { pattern: /\bSUB[\s-]*TOTAL\b/, weight: 1 },
];

/** `TOTAL`-lines that are not the amount paid. */
const NOT_TOTAL = /\b(TOTAL[\s-]*(?:QTY|QUANT\w*|ITEMS?|LTEMS?|ITEM\(S\)|POINTS?|SAVINGS?|PROMOTIONAL|DISC\w*|TAX|GST|SST|(?:AMT\s+)?EXCL\w*|TENDER\w*|PAID|WEIGHT|UNITS?|PCS|NO\.?)|\(?\s*EXCL\w*\.?\s*(?:OF\s*)?(?:GST|TAX)|BEFORE\s+(?:GST|TAX)|TOTAL\s+GROSS)\b|^\(/;

/** Headings after which amounts are a tax breakdown, not the total paid. */
const TAX_SUMMARY = /\b(GST|TAX|SST)\s+SUMMARY\b|\bSUMMARY\b/;

const PAYMENT_LABEL = /^(CASH(?:\s+RECEIVED|\s+TENDERED)?|PAYMENT|PAID(?:\s+AMOUNT)?|TOTAL\s+PAID|TENDERED|AMOUNT\s+TENDERED|RECEIVED|VISA|MASTER\w*|CREDIT(?:\s+CARD)?|DEBIT|CARD|PAY)\b(?!.*CHANGE)/;
const ROUNDING_LABEL = /^(?:CASH\s+)?(?:ROUND(?:ING)?|RND)(?:\s+ADJ\w*\.?)?\b/;
const CHANGE_LABEL = /^((?:CASH\s+)?CHANGE(?:\s+DUE)?|BAKI)\b/;

/** Most labels printed in a column before their values (`ROUNDING`, `GRAND TOTAL`, then both amounts). */
const MAX_LABEL_COLUMN = 3;

interface Candidate {
  amount: number;
  weight: number;
  lineIndex: number;
  /** The label's own weight, before position bonuses. */
  labelWeight: number;
  inTaxSummary: boolean;
}

/** Largest cash-rounding step: Malaysian and Singaporean totals round to 5 sen/cents, some countries to 10. */
const ROUNDING_STEP = 0.1;

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
 *
 * Confidence: 0.9 for a grand/net/rounded total label, 0.85 for a plain total, 0.6 for weaker
 * labels such as a subtotal. Payment minus change equal to the chosen amount is an independent
 * check and lifts it to at least 0.92. A conflicting total of the same label strength puts it
 * below 0.7.
 * Payment minus change replaces the chosen amount when it is far from it but near another total
 * (misaligned label columns). Without any total label, payment minus change (0.75 when the
 * amount is also printed elsewhere, else 0.6), else the largest amount (0.4), is returned.
 * Returns undefined when the text holds no amount.
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
    candidates.push({ amount, weight: label.weight + bonus, lineIndex: i, labelWeight: label.weight, inTaxSummary });
  });

  const paid = labelledAmounts(lines, PAYMENT_LABEL).filter((v) => v > 0);
  const change = labelledAmounts(lines, CHANGE_LABEL).filter((v) => v >= 0);
  const impliedTotal = paid.length > 0 && change.length > 0 ? round2(paid[0]! - change[0]!) : undefined;
  const confirms = (amount: number) => impliedTotal !== undefined && Math.abs(amount - impliedTotal) < 0.005;

  const score = (c: Candidate) => c.weight + (confirms(c.amount) ? 3 : 0);
  const best = candidates.length > 0 ? candidates.reduce((a, b) => (score(b) >= score(a) ? b : a)) : undefined;
  const printedElsewhere = (amount: number) =>
    lines.some((l) => !PAYMENT_LABEL.test(norm(l)) && !CHANGE_LABEL.test(norm(l)) && amountsInLine(l).some((v) => Math.abs(v - amount) < 0.005));
  if (!best || score(best) < 4) {
    // Payment minus change is the amount paid; printed again elsewhere it is two pieces of evidence.
    if (impliedTotal !== undefined && impliedTotal > 0) return { amount: impliedTotal, confidence: printedElsewhere(impliedTotal) ? 0.75 : 0.6, lineIndex: -1 };
    if (best) return { amount: round2(best.amount), confidence: 0.45, lineIndex: best.lineIndex };
    const all = lines.flatMap((l, i) => amountsInLine(l).map((amount) => ({ amount, i })));
    if (all.length === 0) return undefined;
    const max = all.reduce((a, b) => (b.amount > a.amount ? b : a));
    return { amount: max.amount, confidence: 0.4, lineIndex: max.i };
  }

  let amount = round2(best.amount);
  // Payment minus change beats a label read off a misaligned column when a total is near it.
  if (impliedTotal !== undefined && Math.abs(amount - impliedTotal) > ROUNDING_STEP && candidates.some((c) => Math.abs(c.amount - impliedTotal) <= ROUNDING_STEP)) {
    return { amount: impliedTotal, confidence: 0.8, lineIndex: -1 };
  }
  // Total labels of the chosen one's rank (outside the tax summary) that print another amount.
  const rivals = candidates.filter((c) => !c.inTaxSummary && c.labelWeight >= 5 && c.weight >= best.weight && Math.abs(c.amount - amount) >= 0.005);
  let confidence = best.weight >= 8 ? 0.9 : best.weight >= 5 ? 0.85 : 0.6;
  // Payment minus change equal to the total is an independent check of it, whatever its label.
  if (confirms(amount)) confidence = Math.max(confidence, 0.85) + 0.07;
  // Two real totals that disagree: at most one is right, so neither is sure.
  if (rivals.length > 0) confidence = Math.min(confidence - 0.2, 0.65);
  return { amount, confidence: clamp(confidence), lineIndex: best.lineIndex };
}

const CURRENCY_MARKS: readonly { pattern: RegExp; code: string }[] = [
  { pattern: /\b(RM|MYR)\b|(?<![A-Z])RM\s?-?\d/, code: 'MYR' },
  { pattern: /\bS\$|\bSGD\b/, code: 'SGD' },
  { pattern: /€|\bEUR\b|\bEURO?S?\b/, code: 'EUR' },
  { pattern: /£|\bGBP\b/, code: 'GBP' },
  { pattern: /\bUS\$|\bUSD\b/, code: 'USD' },
];
/** A bare dollar sign: a dollar for sure, but which one the country cues must say. */
const BARE_DOLLAR = /(?<![A-Z])\$\s?\d/;

/**
 * Country evidence for a currency when none is printed. Each cue is one independent kind of
 * evidence, counted once however often it occurs, with a weight for how specific it is to the
 * country: 2 for a cue hardly seen elsewhere, 1 for one shared with neighbours or common words.
 */
interface CountryCue {
  pattern: RegExp;
  weight: number;
}
const MALAYSIA_CUES: readonly CountryCue[] = [
  // A 5-digit postcode beside a state name is a Malaysian postal address.
  { pattern: new RegExp(`\\b\\d{5}\\b[^\\n]*${MALAYSIAN_STATES.source}|${MALAYSIAN_STATES.source}[^\\n]*\\b\\d{5}\\b`, 'i'), weight: 2 },
  // Sendirian Berhad / Berhad are Malaysian (and Bruneian) company forms.
  { pattern: /\bSDN\.?\s*BHD\b|\bS\/B\b|\bBERHAD\b|\bBHD\b/, weight: 2 },
  // Malaysian GST (2015-2018) and SST registration numbers are 12 digits.
  { pattern: /\b(?:GST|SST)\b[^\n]{0,20}?\b\d{4}\s?\d{4}\s?\d{4}\b/, weight: 1 },
  { pattern: MALAYSIAN_STATES, weight: 1 },
  // Malay street words; shared with Indonesia and Brunei.
  { pattern: /\b(JALAN|JLN|LORONG|LRG|TAMAN|TMN|PERSIARAN|LEBUH|KAWASAN\s+PERINDUSTRIAN|BANDAR)\b/, weight: 1 },
  // Malay receipt wording; shared with Indonesia and Brunei.
  { pattern: /\b(TERIMA\s+KASIH|BARANG|DIJUAL|DIKEMBALIKAN|TUNAI|BAKI|JUMLAH|PERNIAGAAN|KEDAI|RESTORAN)\b/, weight: 1 },
  // Malaysian phone numbers: `03-8925 4410`, `012-321 6447`.
  { pattern: /\b0\d{1,2}\s?-\s?\d{3,4}\s?\d{4}\b/, weight: 1 },
];
const US_CUES: readonly CountryCue[] = [
  // A two-letter state code before a ZIP code: `SPRINGFIELD, IL 62704`.
  { pattern: /,\s?[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?\b/, weight: 2 },
  { pattern: /\b(INC|CORP|LLC)\b\.?/, weight: 1 },
  { pattern: /\(\d{3}\)\s?\d{3}\s?-\s?\d{4}/, weight: 1 },
];

/**
 * Confidence of a currency inferred from country evidence alone, by total cue weight. One weak
 * cue (a `JALAN`, a phone shape) says little; a postcode with its state plus a Malaysian company
 * form make the domestic currency very likely, since a business that bills in a foreign
 * currency prints the mark. Never above a printed mark's confidence.
 */
function countryConfidence(weight: number): number {
  if (weight >= 5) return 0.88;
  if (weight >= 4) return 0.82;
  if (weight >= 3) return 0.72;
  if (weight >= 2) return 0.6;
  return 0.45;
}

export interface CurrencyFinding {
  code: string;
  confidence: number;
}

/**
 * Currency, by strength of evidence:
 * - a printed, unambiguous mark (`RM`, `MYR`, `USD`, `US$`, `€`, `£`, `S$`) is near-certain
 *   (0.95), less so when marks of another currency are printed too (0.75, or 0.6 when the
 *   other currency's marks are at least half as many);
 * - a bare `$` says dollar but not whose: USD when US cues back it (0.9), or when nothing points
 *   elsewhere (0.75, as most documents with a bare `$` are American), 0.5 against Malaysian cues;
 * - without a mark, country cues (see {@link countryConfidence}) give the domestic currency;
 *   cues of the other country are subtracted, so mixed evidence stays low.
 * With `printedOnly` (forms, where a country is no evidence of any money) only marks count.
 */
export function findCurrency(lines: readonly string[], printedOnly = false): CurrencyFinding | undefined {
  const text = lines.map(norm).join('\n');
  const byCode = new Map<string, number>();
  for (const c of CURRENCY_MARKS) {
    const n = text.match(new RegExp(c.pattern.source, 'g'))?.length ?? 0;
    if (n > 0) byCode.set(c.code, (byCode.get(c.code) ?? 0) + n);
  }
  const weightOf = (cues: readonly CountryCue[]) => cues.reduce((sum, c) => sum + (c.pattern.test(text) ? c.weight : 0), 0);
  const my = weightOf(MALAYSIA_CUES);
  const us = weightOf(US_CUES);
  const dollars = text.match(new RegExp(BARE_DOLLAR.source, 'g'))?.length ?? 0;
  if (dollars > 0 && !byCode.has('USD') && !byCode.has('SGD')) {
    if (byCode.size === 0) return { code: 'USD', confidence: us >= 2 ? 0.9 : my >= 2 ? 0.5 : 0.75 };
    byCode.set('USD', dollars);
  }
  const ranked = [...byCode.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length > 0) {
    const [code, n] = ranked[0]!;
    const contested = ranked.length > 1 && ranked[1]![1] * 2 >= n;
    return { code, confidence: ranked.length === 1 ? 0.95 : contested ? 0.6 : 0.75 };
  }
  if (printedOnly) return undefined;
  if (my === 0 && us === 0) return undefined;
  const [code, weight] = my >= us ? ['MYR', my - us] : ['USD', us - my];
  return { code, confidence: countryConfidence(weight) };
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
