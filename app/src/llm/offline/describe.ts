/**
 * Descriptive fields built from the others: title, summary, keywords, people and organisations.
 * Summaries are templates over extracted fields, so they are deterministic and never invent facts.
 */
import type { DocumentType, KeyValue, LineItem } from '../../domain/fields.js';
import { namedEntities, tagTokens } from './nlp.js';
import { norm, STRONG_COMPANY } from './text.js';

const TYPE_LABEL: Record<DocumentType, string> = { receipt: 'Receipt', invoice: 'Invoice', form: 'Form', other: 'Document' };

export interface DescribeInput {
  type: DocumentType;
  vendor?: string;
  address?: string;
  date?: string;
  number?: string;
  total?: number;
  currency?: string;
  lineItems?: readonly LineItem[];
  formTitle?: string;
  pairs?: readonly KeyValue[];
  firstLine?: string;
}

/** Title: the form's own heading, else `<Type> from <vendor> (<date>)`. */
export function buildTitle(d: DescribeInput): string | undefined {
  if (d.formTitle) return d.formTitle;
  const label = TYPE_LABEL[d.type];
  if (d.vendor) return `${label} from ${d.vendor}${d.date ? ` (${d.date})` : ''}`;
  if (d.number) return `${label} ${d.number}${d.date ? ` (${d.date})` : ''}`;
  if (d.firstLine && d.firstLine.trim().length >= 2) return d.firstLine.trim().slice(0, 120);
  return undefined;
}

/** Longest answer quoted in a form summary, in characters. */
const SUMMARY_ANSWER_CHARS = 60;
/** Pairs quoted in a form summary. */
const SUMMARY_PAIRS = 3;

/**
 * One or two sentences from the extracted fields: who issued it, when, for how much, how many
 * items; for forms, the title, the pair count and the first few pairs.
 */
export function buildSummary(d: DescribeInput): { text: string; facts: number } | undefined {
  const label = TYPE_LABEL[d.type];
  if (d.type === 'form' || (d.pairs && d.pairs.length > 0 && !d.vendor)) {
    const pairs = d.pairs ?? [];
    if (pairs.length === 0 && !d.formTitle) return undefined;
    const head = d.formTitle ? `${label} "${d.formTitle}"` : label;
    const quoted = pairs
      .slice(0, SUMMARY_PAIRS)
      .map((p) => `${p.key.replace(/:\s*$/, '')}: ${p.value.length > SUMMARY_ANSWER_CHARS ? `${p.value.slice(0, SUMMARY_ANSWER_CHARS)}…` : p.value}`);
    const text = `${head} with ${pairs.length} filled field${pairs.length === 1 ? '' : 's'}.${quoted.length ? ` ${quoted.join('; ')}.` : ''}`;
    return { text, facts: (d.formTitle ? 1 : 0) + Math.min(pairs.length, 2) };
  }
  const parts: string[] = [`${label}${d.number ? ` ${d.number}` : ''}`];
  let facts = 0;
  if (d.vendor) {
    parts.push(`from ${d.vendor}`);
    facts++;
  }
  if (d.address) parts.push(`at ${d.address}`);
  if (d.date) {
    parts.push(`dated ${d.date}`);
    facts++;
  }
  let sentence = parts.join(' ');
  if (d.total !== undefined) {
    sentence += `, total ${d.currency ? `${d.currency} ` : ''}${d.total.toFixed(2)}`;
    facts++;
  }
  sentence += '.';
  const items = d.lineItems?.length ?? 0;
  if (items > 0) sentence += ` ${items} line item${items === 1 ? '' : 's'}.`;
  if (facts === 0) return undefined;
  return { text: sentence, facts };
}

/** Layout words of receipts and forms that say nothing about the content. */
const LAYOUT_WORDS = new Set(
  'total subtotal cash change qty quantity price amount amt item items tax gst sst invoice receipt date time cashier table no number tel fax phone rm myr sdn bhd jalan jln taman thank please page pages rounding round adj disc discount ref bill sr zr pax'.split(' '),
);
/** Most keywords returned (the field schema allows 20). */
const MAX_KEYWORDS = 10;

/**
 * Keywords: the most frequent nouns and proper nouns (wink-nlp tags), lower-cased, at least three
 * letters, stop words and layout words left out; ties go to the earlier word.
 */
export function buildKeywords(lines: readonly string[]): string[] {
  // wink tags sentence-case text better than the all-capitals of receipts.
  const text = lines.map((l) => (l === norm(l) ? l.toLowerCase() : l)).join('\n');
  const counts = new Map<string, { n: number; first: number }>();
  tagTokens(text).forEach((t, i) => {
    if (t.stopWord || (t.pos !== 'NOUN' && t.pos !== 'PROPN')) return;
    const w = t.text.toLowerCase();
    if (!/^\p{L}{3,}$/u.test(w) || LAYOUT_WORDS.has(w)) return;
    const c = counts.get(w);
    if (c) c.n++;
    else counts.set(w, { n: 1, first: i });
  });
  return [...counts.entries()]
    .sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)
    .slice(0, MAX_KEYWORDS)
    .map(([w]) => w);
}

/** Form labels whose answers are usually people. */
const PERSON_LABEL = /^(TO|FROM|CC|ATTN|ATTENTION|SENDER|RECIPIENT|NAME|PREPARED BY|APPROVED BY|SUBMITTED BY|REQUESTED BY|SIGNED|CONTACT)\b/i;
/** A personal name as printed on forms: `K. A. Sparrow`, `George Baroody`, `Kent B. Mills`. */
const PERSON_NAME = /^(?:[A-Z]\.\s?){0,3}[A-Z][a-z]+(?:\s(?:[A-Z]\.\s?)?[A-Z][a-z'-]+){0,3}$|^(?:[A-Z]\.\s?){1,3}[A-Z][a-z'-]+$/;

/** Most names returned per field. */
const MAX_NAMES = 20;

/**
 * People: answers to person labels (`TO:`, `FROM:`, `CC:` …) that read as names, then names
 * compromise finds in sentence-case text. High confidence only for labelled names.
 */
export function findPeople(lines: readonly string[], pairs: readonly KeyValue[]): { names: string[]; confidence: number } | undefined {
  const labelled = pairs.filter((p) => PERSON_LABEL.test(p.key.trim()) && PERSON_NAME.test(p.value.trim())).map((p) => p.value.trim());
  const mixedCase = lines.filter((l) => l !== norm(l)).join('\n');
  const found = mixedCase ? namedEntities(mixedCase).people.filter((p) => /\s/.test(p)) : [];
  const names = [...new Set([...labelled, ...found])].slice(0, MAX_NAMES);
  if (names.length === 0) return undefined;
  return { names, confidence: labelled.length > 0 ? 0.75 : 0.55 };
}

/**
 * Organisations: the vendor, lines with a company suffix (`SDN BHD`, `INC`, `LTD` …) and names
 * compromise finds in sentence-case text.
 */
export function findOrganizations(lines: readonly string[], vendor: string | undefined): { names: string[]; confidence: number } | undefined {
  const suffixed = lines.filter((l) => STRONG_COMPANY.test(l) && l.trim().length <= 80).map((l) => l.trim().replace(/\s*\(?\b\d{4,}[^)]*\)?\s*$/, ''));
  const mixedCase = lines.filter((l) => l !== norm(l)).join('\n');
  const found = mixedCase ? namedEntities(mixedCase).organizations : [];
  const names = [...new Set([...(vendor ? [vendor] : []), ...suffixed, ...found])].filter((n) => n.length >= 2).slice(0, MAX_NAMES);
  if (names.length === 0) return undefined;
  return { names, confidence: vendor || suffixed.length > 0 ? 0.8 : 0.55 };
}
