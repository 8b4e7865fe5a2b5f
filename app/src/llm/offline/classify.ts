/**
 * Classification rules: document type, language and the date order the document's country uses.
 *
 * Receipts versus invoices: Malaysian point-of-sale slips are headed `TAX INVOICE` or
 * `SIMPLIFIED TAX INVOICE` because GST law required that wording on every sale, but they are
 * still store receipts (cashier, cash tendered, change, "thank you"). So `INVOICE` alone does
 * not make an invoice here: a document is an invoice only when it carries business-to-business
 * invoice cues (bill-to/ship-to, due date, payment terms, PO number) and outweighs the
 * point-of-sale cues.
 */
import type { DocumentType } from '../../domain/fields.js';
import type { DateOrder } from './dates.js';
import { findKeyValues } from './forms.js';
import { amountsInLine, MALAYSIAN_STATES, norm } from './text.js';

const RECEIPT_CUES: readonly RegExp[] = [
  /\bCASH(IER)?\b/,
  /\bCHANGE\b/,
  /\bTHANK\s*YOU\b|\bTERIMA\s+KASIH\b/,
  /\bRECEIPT\b|\bRESIT\b/,
  /\bCOME\s+AGAIN\b/,
  /\bTABLE\b|\bPAX\b|\bCOUNTER\b|\bTERMINAL\b|\bPOS\d*\b/,
  /\bSIMPLIFIED\s+TAX\s+INVOICE\b/,
  /\bGOODS\s+SOLD\b/,
  /\bROUNDING\b/,
  /\bTENDER(ED)?\b|\bPAID\b/,
  /\bCASH\s+(BILL|SALES?)\b/,
];
const INVOICE_CUES: readonly RegExp[] = [
  /\bBILL\s+TO\b|\bSOLD\s+TO\b|\bINVOICE\s+TO\b/,
  /\bSHIP\s+TO\b|\bDELIVER(Y)?\s+TO\b/,
  /\bDUE\s+DATE\b|\bPAYMENT\s+DUE\b|\bDATE\s+DUE\b/,
  /\bTERMS?\b\s*:|\bPAYMENT\s+TERMS\b|\bNET\s+\d{2}\b/,
  /\bP\.?\s?O\.?\s*(NO|NUMBER|#)/,
  /\bREMIT\b|\bBANK\s+(ACCOUNT|DETAILS)\b|\bIBAN\b|\bSWIFT\b/,
  /\bINVOICE\s*(NO|NUMBER|#|DATE)\b/,
  /\bCUSTOMER\s*(NO|ID|CODE|ACCOUNT)\b/,
];

/** Document words in a form's heading. */
const FORM_WORDS = /\b(FORM|SHEET|APPLICATION|REQUISITION|REQUEST|TRANSMITTAL|QUESTIONNAIRE|CHECKLIST|REPORT|APPROVAL|PROPOSAL|REGISTRATION)\b/;
/** How many top lines may carry the form's heading. */
const FORM_TITLE_LINES = 6;

export interface TypeFinding {
  type: DocumentType;
  confidence: number;
}

/**
 * Classifies the document as receipt, invoice, form or other by counting cue kinds. Confidence
 * grows with the margin between the winner and the runner-up.
 */
export function classifyDocument(lines: readonly string[]): TypeFinding {
  const text = lines.map(norm).join('\n');
  const receipt = RECEIPT_CUES.filter((c) => c.test(text)).length;
  const invoiceCues = INVOICE_CUES.filter((c) => c.test(text)).length;
  const money = lines.filter((l) => amountsInLine(l).length > 0).length;
  const hasTotal = /\bTOTAL\b/.test(text);
  const keyValues = findKeyValues(lines);
  const pairs = keyValues.pairs.length - keyValues.fromTables;
  const pairShare = lines.length === 0 ? 0 : pairs / lines.length;
  const formWords = lines.slice(0, FORM_TITLE_LINES).some((l) => FORM_WORDS.test(norm(l)));
  const checkboxes = /[☐☑☒]/.test(text);

  const scores: Record<DocumentType, number> = {
    receipt: receipt + (hasTotal ? 2 : 0) + (money >= 3 ? 2 : -2),
    invoice: invoiceCues * 1.5 + (/\bINVOICE\b/.test(text) && !/TAX\s+INVOICE/.test(text) ? 1 : 0) + (hasTotal ? 1 : 0) + (money >= 3 ? 1 : -2),
    form: (pairs >= 3 ? 2 : 0) + pairShare * 12 + (formWords ? 1.5 : 0) + (checkboxes ? 1 : 0) - (money >= 3 ? 3 : 0) - (hasTotal ? 1 : 0),
    other: 1.5,
  };
  const ranked = (Object.entries(scores) as [DocumentType, number][]).sort((a, b) => b[1] - a[1]);
  const [type, top] = ranked[0]!;
  const margin = top - ranked[1]![1];
  const confidence = Math.min(0.97, 0.55 + 0.08 * margin);
  return { type, confidence: Math.round(confidence * 100) / 100 };
}

const ENGLISH = /\b(THE|AND|OF|TO|FOR|YOU|THANK|PLEASE|TOTAL|CASH|CHANGE|AMOUNT|PRICE|QTY|DATE|IS|ARE|NOT|WITH|THIS|FROM|SOLD|GOODS|ITEM|RECEIPT|INVOICE|NUMBER|SUBJECT|REPORT)\b/g;
const MALAY = /\b(DAN|YANG|UNTUK|TERIMA|KASIH|JUMLAH|HARGA|TUNAI|BAKI|BARANG|TIDAK|BOLEH|DIKEMBALIKAN|SILA|DATANG|LAGI|KUANTITI|TARIKH|RESIT|DENGAN|INI|ADALAH|CUKAI|BAYARAN|PEMBAYARAN)\b/g;
const FRENCH = /\b(LE|LA|LES|DES|ET|POUR|AVEC|MERCI|FACTURE|MONTANT)\b/g;
const GERMAN = /\b(UND|DER|DIE|DAS|MIT|RECHNUNG|BETRAG|DANKE|SUMME)\b/g;

export interface LanguageFinding {
  code: string;
  confidence: number;
}

/**
 * Language by counting function words of English, Malay, French and German. Malaysian street
 * words (JALAN, TAMAN) are not counted: they appear in English receipts too. Few hits give a
 * low confidence.
 */
export function detectLanguage(lines: readonly string[]): LanguageFinding | undefined {
  const text = lines.map(norm).join('\n');
  const counts: [string, number][] = [
    ['en', text.match(ENGLISH)?.length ?? 0],
    ['ms', text.match(MALAY)?.length ?? 0],
    ['fr', text.match(FRENCH)?.length ?? 0],
    ['de', text.match(GERMAN)?.length ?? 0],
  ];
  counts.sort((a, b) => b[1] - a[1]);
  const [code, n] = counts[0]!;
  if (n === 0) return undefined;
  const share = n / counts.reduce((s, c) => s + c[1], 0);
  const confidence = Math.min(0.95, (n >= 5 ? 0.6 : 0.45) + 0.35 * share);
  return { code, confidence: Math.round(confidence * 100) / 100 };
}

/**
 * Date order from country cues: US documents (US state + zip, `(614)` phone shapes) print the
 * month first; Malaysian and British ones print the day first, which is also the default.
 */
export function dateOrderOf(lines: readonly string[]): DateOrder {
  const text = lines.map(norm).join('\n');
  const malaysian = MALAYSIAN_STATES.test(text) || /\b(SDN|BHD|JALAN|JLN|GST|RM)\b/.test(text);
  const us = /\b[A-Z][a-z]+,?\s+(?:[A-Z]{2}|OHIO|TEXAS|CALIFORNIA|NEW YORK|NORTH CAROLINA|VIRGINIA|KENTUCKY)\s+\d{5}\b/i.test(lines.join('\n')) || /\(\d{3}\)\s?\d{3}\s?-\s?\d{4}/.test(text) || /\b\d{3}\s?-\d{3}\s?-\s?\d{4}\b/.test(text);
  const monthNamed = /\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s+\d{1,2}\b/.test(text);
  if (!malaysian && (us || monthNamed)) return 'month-first';
  return 'day-first';
}
