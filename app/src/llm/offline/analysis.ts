/**
 * One document's offline analysis: each rule runs at most once, on first use, so a request for
 * two fields pays only for the rules those fields need.
 */
import { DOCUMENT_TYPES, type DocumentType, type FieldCandidate, type FieldName } from '../../domain/fields.js';
import { findCurrency, findLineItems, findTotal } from './amounts.js';
import { classifyDocument, dateOrderOf, detectLanguage } from './classify.js';
import { findDocumentDate } from './dates.js';
import { buildKeywords, buildSummary, buildTitle, findOrganizations, findPeople, type DescribeInput } from './describe.js';
import { findFormSections, findFormTitle, findKeyValues } from './forms.js';
import { norm } from './text.js';
import { findAddress, findDocumentNumber, findVendor } from './vendor.js';

function lazy<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}

function isDocumentType(v: unknown): v is DocumentType {
  return typeof v === 'string' && (DOCUMENT_TYPES as readonly string[]).includes(v);
}

/** Confidence of a value derived from others: no surer than the weakest input it rests on. */
function derived(...confidences: (number | undefined)[]): number {
  const known = confidences.filter((c): c is number => c !== undefined);
  return known.length === 0 ? 0.5 : Math.min(...known);
}

/** The offline rules over one document's OCR lines. */
export class DocumentAnalysis {
  private readonly lines: readonly string[];

  constructor(ocrLines: readonly string[], private readonly typeHint?: unknown) {
    this.lines = ocrLines.map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l.length > 0);
  }

  readonly classification = lazy(() => classifyDocument(this.lines));
  /** The type rules run with: the caller's hint when it is a valid type, else our own. */
  readonly type = lazy((): DocumentType => (isDocumentType(this.typeHint) ? this.typeHint : this.classification().type));
  readonly isForm = lazy(() => this.type() === 'form');
  readonly vendor = lazy(() => (this.isForm() ? undefined : findVendor(this.lines)));
  readonly address = lazy(() => (this.isForm() ? undefined : findAddress(this.lines, this.vendor()?.lineIndex)));
  readonly date = lazy(() => findDocumentDate(this.lines, dateOrderOf(this.lines)));
  readonly number = lazy(() => findDocumentNumber(this.lines));
  readonly total = lazy(() => (this.isForm() ? undefined : findTotal(this.lines)));
  readonly currency = lazy(() => findCurrency(this.lines, this.isForm()));
  readonly lineItems = lazy(() => (this.isForm() ? [] : findLineItems(this.lines)));
  readonly keyValues = lazy(() => findKeyValues(this.lines));
  readonly formTitle = lazy(() => (this.isForm() ? findFormTitle(this.lines, this.keyValues().answerLines) : undefined));

  private readonly describeInput = lazy((): DescribeInput => {
    const form = this.isForm();
    return {
      type: this.type(),
      vendor: this.vendor()?.name,
      address: this.address()?.address,
      date: this.date()?.iso,
      number: this.number()?.value,
      total: this.total()?.amount,
      currency: this.currency()?.code,
      lineItems: this.lineItems(),
      formTitle: this.formTitle()?.title,
      pairs: form ? this.keyValues().pairs : [],
      firstLine: this.lines[0],
    };
  });

  private receiptSections(): string[] {
    const text = this.lines.map(norm).join('\n');
    const sections: string[] = [];
    if (this.vendor() || this.address()) sections.push('header');
    if (this.lineItems().length > 0 || /\b(DESCRIPTION|ITEM|QTY)\b/.test(text)) sections.push('line items');
    if (/\bTOTAL\b/.test(text)) sections.push('totals');
    if (/\b(CASH|CHANGE|VISA|MASTER|CARD|PAYMENT|TENDER)/.test(text)) sections.push('payment');
    if (/\b(GST|TAX|SST)\s+SUMMARY\b/.test(text)) sections.push('tax summary');
    if (/\b(THANK|COME AGAIN|GOODS SOLD|RETURNABLE|REFUND)/.test(text)) sections.push('footer');
    return sections;
  }

  /** The candidate for one field, or undefined when the rules found nothing. */
  candidate(field: FieldName): FieldCandidate | undefined {
    switch (field) {
      case 'document_type': {
        const c = this.classification();
        return { value: c.type, confidence: c.confidence };
      }
      case 'language': {
        const l = detectLanguage(this.lines);
        return l && { value: l.code, confidence: l.confidence };
      }
      case 'vendor_name': {
        const v = this.vendor();
        return v && { value: v.name, confidence: v.confidence };
      }
      case 'vendor_address': {
        const a = this.address();
        return a && { value: a.address, confidence: a.confidence };
      }
      case 'document_date': {
        const d = this.date();
        return d && { value: d.iso, confidence: d.confidence };
      }
      case 'document_number': {
        const n = this.number();
        return n && { value: n.value, confidence: n.confidence };
      }
      case 'total_amount': {
        const t = this.total();
        return t && { value: t.amount, confidence: t.confidence };
      }
      case 'currency': {
        const c = this.currency();
        return c && { value: c.code, confidence: c.confidence };
      }
      case 'organizations': {
        const o = findOrganizations(this.lines, this.vendor()?.name);
        return o && { value: o.names, confidence: o.confidence };
      }
      case 'people': {
        const p = findPeople(this.lines, this.keyValues().pairs);
        return p && { value: p.names, confidence: p.confidence };
      }
      case 'title': {
        const input = this.describeInput();
        const title = buildTitle(input);
        if (!title) return undefined;
        const confidence = this.formTitle()?.confidence ?? (input.vendor ? derived(this.vendor()?.confidence, this.classification().confidence, 0.9) : 0.5);
        return { value: title, confidence };
      }
      case 'summary': {
        const summary = buildSummary(this.describeInput());
        if (!summary) return undefined;
        return { value: summary.text, confidence: summary.facts >= 3 ? 0.85 : summary.facts === 2 ? 0.75 : 0.6 };
      }
      case 'keywords': {
        const words = buildKeywords(this.lines);
        return words.length > 0 ? { value: words, confidence: words.length >= 3 ? 0.7 : 0.5 } : undefined;
      }
      case 'line_items': {
        const items = this.lineItems();
        if (items.length === 0) return undefined;
        const priced = items.filter((i) => i.amount !== null).length / items.length;
        return { value: items, confidence: priced >= 0.8 ? 0.6 : 0.45 };
      }
      case 'sections': {
        const sections = this.isForm() ? findFormSections(this.lines, this.keyValues().answerLines) : this.receiptSections();
        return sections.length > 0 ? { value: sections, confidence: 0.6 } : undefined;
      }
      case 'key_values': {
        const { pairs, strong } = this.keyValues();
        if (pairs.length === 0) return undefined;
        // Colon-labelled pairs are usually right; caption/value guesses are right about half the time.
        const confidence = this.isForm() ? 0.5 + 0.3 * (strong / pairs.length) : 0.45;
        return { value: pairs, confidence: Math.round(confidence * 100) / 100 };
      }
    }
  }
}
