/**
 * Form rules (FUNSD-style documents, one entity per line in reading order): question/answer
 * pairs, the form's title and its section headings.
 */
import type { KeyValue } from '../../domain/fields.js';
import { letterShare, norm } from './text.js';

/**
 * Most answer lines taken for one question. Forms split long answers into a few entities, but
 * beyond two the following lines are usually unrelated text.
 */
const MAX_ANSWER_LINES = 2;
/** Longest label of an inline `Label: value` line, in characters. */
const MAX_INLINE_LABEL = 40;

/** A form line: a short label ending in a colon, such as `DATE:` or `FAX NUMBER:`. */
export function isFormLabel(line: string): boolean {
  const t = line.trim();
  return /^[^:]{1,60}:$/.test(t) && /\p{L}/u.test(t);
}

/** Questions that forms often print without a colon. */
const BARE_QUESTION = /^(TO|FROM|RE|CC|ATTN|DATE|SUBJECT|FAX(?:\s*(?:NO\.?|NUMBER|#))?|PHONE(?:\s*(?:NO\.?|NUMBER|#))?|TEL(?:EPHONE)?\s*(?:NO\.?|#)?|PAGES?|NAME|ADDRESS|SIGNATURE|TITLE|DEPARTMENT|DEPT\.?|[A-Z][A-Z .]{1,30}\s(?:NO\.|#))$/i;

export function isQuestion(line: string): boolean {
  return isFormLabel(line) || BARE_QUESTION.test(line.trim());
}

function looksLikeAnswer(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && !isQuestion(t);
}

/** A short caption without a colon (`Batch Size`, `MEDIA TYPE`, `SEP 15`): maybe a question. */
function isBareLabel(line: string): boolean {
  const words = line.split(/\s+/).length;
  return words <= 6 && line.length <= 50 && letterShare(line) >= 0.6 && !/[.!?]$/.test(line.replace(/\b(NO|NOS|EST|TIP)\.$/i, '')) && !line.includes(':');
}

/** Every word of three letters or more starts with a capital: `Purpose of Sample`. */
function isTitleCase(line: string): boolean {
  const words = line.split(/\s+/).filter((w) => /^\p{L}{3,}/u.test(w));
  return words.length > 0 && words.every((w) => /^\p{Lu}/u.test(w));
}

/**
 * Whether `next` reads as the filled-in value of caption `label` rather than another caption:
 * it holds a digit or a tick mark, or its case differs from an all-capitals or Title Case caption, or it is a
 * sentence much longer than the caption.
 */
function isValueFor(next: string, label: string): boolean {
  if (/\d/.test(next) || /^[xX☑☒✓✔]$/.test(next)) return true;
  if (label === norm(label) && next !== norm(next)) return true;
  if (isTitleCase(label) && !isTitleCase(next) && next !== norm(next)) return true;
  return next.length > 2 * label.length && /[.!?]$/.test(next);
}

/** Fewest and most columns of a header row; more columns are rarely a table in reading order. */
const MIN_TABLE_COLUMNS = 2;
const MAX_TABLE_COLUMNS = 6;
/** Most data rows read under one header row. */
const MAX_TABLE_ROWS = 20;

function isColumnHeader(line: string): boolean {
  const t = line.trim();
  return t.length > 0 && isBareLabel(t.replace(/:$/, '')) && !/\d/.test(t);
}

/**
 * A table printed as a header row followed by data rows, in reading order: `k` captions, then
 * rows of `k` values each. Each value pairs with its column's caption (as FUNSD links them).
 * A row counts only when none of its cells is itself a caption or a question and at least one
 * holds a digit or differs in case from its caption; reading stops at the first row that fails.
 */
function tableAt(lines: readonly string[], start: number): { pairs: KeyValue[]; headers: number; end: number } | undefined {
  let k = 0;
  while (k < MAX_TABLE_COLUMNS && start + k < lines.length && isColumnHeader(lines[start + k]!) && !isFormLabel(lines[start + k]!.trim())) k++;
  if (k < MIN_TABLE_COLUMNS) return undefined;
  const headers = lines.slice(start, start + k).map((l) => l.trim());
  const pairs: KeyValue[] = [];
  let end = start + k;
  for (let row = 0; row < MAX_TABLE_ROWS && end + k <= lines.length; row++) {
    const cells = lines.slice(end, end + k).map((l) => l.trim());
    if (cells.some((c) => isQuestion(c) || headers.includes(c))) break;
    if (!cells.every((c, col) => isValueFor(c, headers[col]!))) break;
    cells.forEach((c, col) => pairs.push({ key: headers[col]!, value: c }));
    end += k;
  }
  return pairs.length > 0 ? { pairs, headers: k, end } : undefined;
}

export interface KeyValueFinding {
  pairs: KeyValue[];
  /** Indices of lines used as an answer, so that headings are not taken from them. */
  answerLines: Set<number>;
  /** Pairs whose question ends in a colon or is a common bare label: the surer kind. */
  strong: number;
  /**
   * Pairs read from a header-row table. Receipts' item tables read as tables too, so these are
   * no evidence that a document is a form.
   */
  fromTables: number;
}

/**
 * Pairs each question line (`Label:`, or a common bare label such as `FAX NO.`) with the answer
 * line(s) that follow it, up to {@link MAX_ANSWER_LINES}, one pair per answer line as FUNSD
 * does. A line not taken as an answer that reads `Label: value` gives a pair of its own.
 */
export function findKeyValues(lines: readonly string[]): KeyValueFinding {
  const pairs: KeyValue[] = [];
  const answerLines = new Set<number>();
  let strong = 0;
  let fromTables = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const table = tableAt(lines, i);
    if (table) {
      for (const p of table.pairs) pairs.push(p);
      fromTables += table.pairs.length;
      for (let j = i + table.headers; j < table.end; j++) answerLines.add(j);
      i = table.end - 1;
      continue;
    }
    if (isQuestion(line)) {
      let taken = 0;
      for (let j = i + 1; j < lines.length && taken < MAX_ANSWER_LINES; j++) {
        const next = lines[j]!.trim();
        if (!looksLikeAnswer(next)) break;
        // A second answer line must read as a continuation, not as a new heading or label.
        if (taken > 0 && !/^[a-z(]/.test(next) && !/[,\-/]$/.test(lines[j - 1]!.trim())) break;
        pairs.push({ key: line, value: next });
        answerLines.add(j);
        taken++;
        strong++;
      }
      continue;
    }
    if (answerLines.has(i)) continue;
    const next = lines[i + 1]?.trim();
    if (next !== undefined && isBareLabel(line) && !isQuestion(next) && isValueFor(next, line)) {
      pairs.push({ key: line, value: next });
      answerLines.add(i + 1);
      i++;
      continue;
    }
    const inline = /^([^:]{2,}?):\s*(\S.*)$/.exec(line);
    if (inline && inline[1]!.length <= MAX_INLINE_LABEL && /\p{L}/u.test(inline[1]!)) {
      pairs.push({ key: `${inline[1]!.trim()}:`, value: inline[2]!.trim() });
    }
  }
  return { pairs, answerLines, strong, fromTables };
}

const TITLE_WORDS = /\b(REPORT|FORM|SHEET|MEMO(?:RANDUM)?|REQUEST|APPLICATION|AGREEMENT|ORDER|TRANSMISSION|PROPOSAL|CHECKLIST|EVALUATION|SUMMARY|QUESTIONNAIRE|INVOICE|RECEIPT|STATEMENT|NOTICE|LETTER|AUTHORIZATION|AUTHORISATION|RECORD|REVIEW|PLAN|BUDGET|SURVEY|PROFILE|CERTIFICATE|SCHEDULE)\b/i;
/** How many top lines may hold a form's title. */
const TITLE_SEARCH_LINES = 8;

function isHeadingLike(line: string): boolean {
  const t = line.trim();
  return t.length >= 4 && t.length <= 100 && !t.includes(':') && letterShare(t) >= 0.75 && t.split(/\s+/).length >= 2;
}

/**
 * A form's title: a heading-like top line (no colon, mostly letters, two words or more),
 * preferring one with a document word (`REPORT`, `FORM`, `SHEET`, `MEMO` …).
 */
export function findFormTitle(lines: readonly string[], answerLines: ReadonlySet<number>): { title: string; confidence: number } | undefined {
  const top = lines.slice(0, TITLE_SEARCH_LINES).map((l, i) => ({ l: l.trim(), i })).filter(({ l, i }) => !answerLines.has(i) && isHeadingLike(l));
  const worded = top.find(({ l }) => TITLE_WORDS.test(l));
  if (worded) return { title: worded.l, confidence: 0.85 };
  const caps = top.find(({ l }) => l === norm(l));
  if (caps) return { title: caps.l, confidence: 0.65 };
  if (top[0]) return { title: top[0].l, confidence: 0.55 };
  return undefined;
}

/** Most headings returned; beyond this the lines are body text. */
const MAX_SECTIONS = 15;

/** A form's section headings: upper-case heading-like lines that are neither labels nor answers. */
export function findFormSections(lines: readonly string[], answerLines: ReadonlySet<number>): string[] {
  const out: string[] = [];
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (out.length >= MAX_SECTIONS || answerLines.has(i) || !isHeadingLike(l) || l !== norm(l) || l.length > 80) return;
    if (!out.includes(l)) out.push(l);
  });
  return out;
}
