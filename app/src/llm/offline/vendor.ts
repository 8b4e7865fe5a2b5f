/**
 * Header rules of a receipt or invoice: the vendor's name, its address and the document number.
 * The header is the top of the document, before the first item or total.
 */
import {
  ADDRESS_STOP,
  ADDRESS_WORDS,
  BOILERPLATE,
  letterShare,
  MALAYSIAN_STATES,
  norm,
  PHONE_LINE,
  POSTCODE,
  REGISTRATION_NUMBER,
  STRONG_COMPANY,
  WEAK_COMPANY,
} from './text.js';

/** How many top lines may hold the vendor's name: logos, branch names and ids come first. */
const VENDOR_SEARCH_LINES = 12;
/** Longest address, in lines. */
const MAX_ADDRESS_LINES = 6;
/** How many header lines the address may start after the vendor line (ids, GST numbers between). */
const ADDRESS_START_WINDOW = 4;

export interface VendorFinding {
  name: string;
  confidence: number;
  /** Index of the (last) vendor line. */
  lineIndex: number;
}

function isNoise(line: string): boolean {
  const l = norm(line);
  const name = norm(cleanVendorName(line));
  if (name.length < 3) return true;
  if (letterShare(name) < 0.5) return true;
  if (/^\(.*\)$/.test(l)) return true;
  if (BOILERPLATE.test(l) && !STRONG_COMPANY.test(l)) return true;
  if (/^(TEL|FAX|PHONE|GST|SST|ROC|BR\s*NO|REG\.?\s*NO|CO\.?\s*(REG|NO)|COMPANY\s*(REG|NO))\b/.test(l)) return true;
  if (/^[A-Z/ ]{2,20}\s*[:#]/.test(l) && !STRONG_COMPANY.test(l)) return true;
  if (/@|WWW\.|HTTP|\.COM\b/.test(l) && !STRONG_COMPANY.test(l)) return true;
  return false;
}

/** UK postcodes (`BS1 4QA`) and country names that end an address. */
const FOREIGN_POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b|\b(UNITED KINGDOM|UNITED STATES|USA|SINGAPORE|AUSTRALIA|INDONESIA|THAILAND)\b/;

function isAddressLike(line: string): boolean {
  const l = norm(line);
  if (/\b\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})\b|\b\d{1,2}:\d{2}\b|^\(.*\)$/.test(l)) return false;
  if (/^\(?[A-Z]{0,3}\d{4,12}\s*-\s*[A-Z]\)?$/.test(l)) return false;
  if (ADDRESS_STOP.test(l) && !/^(NO|LOT|UNIT)\b/.test(l)) return false;
  return ADDRESS_WORDS.test(l) || POSTCODE.test(l) || MALAYSIAN_STATES.test(l) || FOREIGN_POSTCODE.test(l) || /^\d+[A-Z]?[,\s-]/.test(l);
}

/** Town-name words (`PERMAS JAYA`, `BANDAR UTAMA`) that also occur in shop and branch names. */
const TOWN_WORDS = /\b(JAYA|UTAMA|BARU|CITY|SENTRAL)\b/gi;

/**
 * An address line that can open the block: besides looking like an address, it carries a street
 * number, a postcode, a state or a street word, not just a town word that branch names share.
 */
function isAddressStart(line: string): boolean {
  if (!isAddressLike(line)) return false;
  const l = norm(line);
  return POSTCODE.test(l) || MALAYSIAN_STATES.test(l) || FOREIGN_POSTCODE.test(l) || /^\d/.test(l) || ADDRESS_WORDS.test(l.replace(TOWN_WORDS, ' '));
}

/** A leading `ADDRESS:` label (`HQ ADD:`) is not part of the address. */
const ADDRESS_LABEL = /^(?:HQ\s+)?ADD(?:RESS)?\s*[:.]\s*/i;

/** Drops a trailing registration number or branch code: `FARMASI X S/B (587969-U)` → `FARMASI X S/B`. */
export function cleanVendorName(line: string): string {
  let name = line.replace(/\s+/g, ' ').trim();
  const reg = REGISTRATION_NUMBER.exec(name);
  if (reg && reg.index > 2) name = name.slice(0, reg.index);
  name = name.replace(/\s*\((?:CO\.?\s*)?(?:REG|NO|GST)[^)]*\)?\s*$/i, '').replace(/\s*\([^)]*\d[^)]*\)?\s*$/, '');
  return name.replace(/[\s,;:*\-(]+$/, '').replace(/^[\s*\-:]+/, '').trim();
}

/**
 * Finds the vendor: a top line with a company suffix (`SDN BHD`, `S/B`, `ENTERPRISE`,
 * `TRADING`, …) wins; a line ending in a bare `SDN.`/`BHD.` continuation is joined to the line
 * above; otherwise the first name-like line at the top is taken at lower confidence.
 */
export function findVendor(lines: readonly string[]): VendorFinding | undefined {
  const top = lines.slice(0, VENDOR_SEARCH_LINES);
  const firstAddress = top.findIndex((l, i) => i > 0 && isAddressLike(l) && /\d/.test(l) && !STRONG_COMPANY.test(l));
  type Scored = { name: string; score: number; lineIndex: number };
  const scored: Scored[] = [];
  top.forEach((raw, i) => {
    if (isNoise(raw) && !/^SDN\.?\s*BHD\.?$/i.test(norm(raw))) return;
    const l = norm(raw);
    if (/^SDN\.?\s*BHD\.?$/.test(l)) return;
    let name = cleanVendorName(raw);
    let lineIndex = i;
    const next = top[i + 1];
    if (next && /^SDN\.?\s*BHD\.?\s*$/i.test(norm(next))) {
      name = `${name} ${next.trim()}`;
      lineIndex = i + 1;
    }
    // A name broken over two lines: `THE COFFEE BEAN` / `& TEA LEAF (M) SDN. BHD.`.
    const prev = top[i - 1];
    if (prev && /^[&(]/.test(name) && !isNoise(prev) && !isAddressLike(prev)) name = `${cleanVendorName(prev)} ${name}`;
    if (name.replace(/[^A-Za-z]/g, '').length < 3) return;
    if (isAddressLike(raw) && /\d/.test(l) && !STRONG_COMPANY.test(l) && !WEAK_COMPANY.test(l)) return;
    if (ADDRESS_STOP.test(l) && !STRONG_COMPANY.test(l) && !WEAK_COMPANY.test(l)) return;
    let score = 0;
    if (STRONG_COMPANY.test(name)) score += 6;
    else if (WEAK_COMPANY.test(name)) score += 3;
    if (firstAddress >= 0 && i < firstAddress) score += 1;
    if (firstAddress >= 0 && i === firstAddress - 1) score += 1;
    score -= i * 0.25;
    scored.push({ name, score, lineIndex });
  });
  if (scored.length === 0) return undefined;
  const best = scored.reduce((a, b) => (b.score > a.score ? b : a));
  const strong = STRONG_COMPANY.test(best.name);
  const weak = WEAK_COMPANY.test(best.name);
  const beforeAddress = firstAddress >= 0 && best.lineIndex < firstAddress;
  const confidence = strong ? 0.9 : weak ? 0.82 : beforeAddress && best.lineIndex <= 2 ? 0.72 : 0.55;
  return { name: best.name, confidence, lineIndex: best.lineIndex };
}

export interface AddressFinding {
  address: string;
  confidence: number;
}

/**
 * Finds the vendor's address: the run of address-looking lines just below the vendor line
 * (street words, `NO.`/`LOT`, 5-digit postcodes, state names), skipping registration and GST
 * lines before it and stopping at a phone, tax, heading or boilerplate line. A trailing
 * `TEL …` on an address line is cut off. Lines are joined with a space.
 */
export function findAddress(lines: readonly string[], vendorLineIndex: number | undefined): AddressFinding | undefined {
  const from = (vendorLineIndex ?? -1) + 1;
  let start = -1;
  for (let i = from; i < lines.length && i <= from + ADDRESS_START_WINDOW; i++) {
    if (isAddressStart(lines[i]!)) {
      start = i;
      break;
    }
  }
  const belowVendor = start >= 0;
  if (start < 0 && vendorLineIndex !== undefined) {
    // Some receipts print the branch address above the company line.
    for (let i = 0; i < vendorLineIndex; i++) {
      if (isAddressStart(lines[i]!) && /\d/.test(lines[i]!)) {
        start = i;
        break;
      }
    }
  }
  if (start < 0) return undefined;
  const parts: string[] = [];
  let hasPostcode = false;
  let hasState = false;
  /** The block ended at a contact, tax or heading line (or the vendor line), not at stray text. */
  let endedAtStop = false;
  for (let i = start; i < lines.length && parts.length < MAX_ADDRESS_LINES; i++) {
    const raw = (i === start ? lines[i]!.replace(ADDRESS_LABEL, '') : lines[i]!).replace(/\s+/g, ' ').trim();
    const l = norm(raw);
    const cut = /\s*\b(TEL|PHONE|FAX|H\/P)\b/i.exec(raw);
    if (cut && cut.index > 8) {
      parts.push(raw.slice(0, cut.index).replace(/[\s,;:]+$/, ''));
      hasPostcode ||= POSTCODE.test(l);
      endedAtStop = true;
      break;
    }
    if (PHONE_LINE.test(l) || ADDRESS_STOP.test(l) || BOILERPLATE.test(l) || /^\(.*\)$/.test(l) || i === vendorLineIndex) {
      endedAtStop = true;
      break;
    }
    if (parts.length > 0 && !isAddressLike(raw) && !(!/\d/.test(l) && letterShare(l) > 0.6 && l.split(' ').length <= 4)) break;
    if (parts.length > 0 && hasPostcode && hasState && !MALAYSIAN_STATES.test(l) && !FOREIGN_POSTCODE.test(l)) break;
    parts.push(raw);
    hasPostcode ||= POSTCODE.test(l) || FOREIGN_POSTCODE.test(l);
    hasState ||= MALAYSIAN_STATES.test(l) || FOREIGN_POSTCODE.test(l);
  }
  if (parts.length === 0) return undefined;
  const address = parts.join(' ').trim();
  if (address.length < 8) return undefined;
  // A block of two or more street lines fenced by the vendor above and a contact/tax line below
  // has clear edges even without a postcode (measured right in every case on SROIE).
  const fenced = belowVendor && endedAtStop && parts.length >= 2;
  const confidence = hasPostcode && hasState ? 0.88 : hasPostcode || hasState ? 0.8 : fenced ? 0.75 : parts.length >= 2 ? 0.65 : 0.5;
  return { address, confidence };
}

/** Labels of a receipt or invoice number. */
const NUMBER_LABEL =
  /\b(INVOICE|INV|RECEIPT|RESIT|BILL|CASH\s*BILL|DOCUMENT|DOC|CHIT|ORDER|CHK|CHECK|TRANS(?:ACTION)?|TRX|SLIP|CB|C\/N|REF|SALES|TAX\s*INV)\s*(?:NO\.?|NUMBER|#|NUM)?\s*[:.#]?\s*(?:NO\.?\s*[:.]?)?/i;
/** Longest look-ahead from a bare number label to its value. */
const NUMBER_VALUE_LOOKAHEAD = 2;

export interface NumberFinding {
  value: string;
  confidence: number;
}

function numberValue(text: string): string | undefined {
  const t = text.replace(/^[\s:#.]+/, '').replace(/^NO\s*[.:]\s*/i, '').trim();
  const m = /^([A-Z]{0,6}[-/]?\d[\w/-]*(?:\s?[-/]\s?[\w-]+)?)/i.exec(t);
  if (!m) return undefined;
  const v = m[1]!.replace(/\s+/g, '');
  if (!/\d/.test(v) || v.length < 3 || /^\d{1,2}[/-]\d{1,2}[/-]\d{2,4}$/.test(v)) return undefined;
  return v;
}

/**
 * Finds the receipt/invoice number: the value after a label such as `INVOICE NO`, `RECEIPT#`,
 * `BILL NO`, `DOCUMENT NO.`, on the same line or the next. Invoice labels rank above receipt and
 * bill labels.
 */
export function findDocumentNumber(lines: readonly string[]): NumberFinding | undefined {
  let best: { value: string; rank: number } | undefined;
  lines.forEach((raw, i) => {
    const l = norm(raw);
    if (/\b(GST|SST|REG|ROC|TEL|FAX|PHONE|TABLE|ACC(?:OUNT)?|CARD|MEMBER|ITEM|QTY)\b/.test(l)) return;
    const m = NUMBER_LABEL.exec(l);
    if (!m) return;
    const bareHeading = l.slice(m.index + m[0].length).trim() === '' && /BILL|RECEIPT|INVOICE/.test(m[1]!);
    if (!/(NO\b|NO\.|#|NUMBER|NUM\b|:)/.test(m[0]) && !/^(CHK|INV)\b/.test(m[1]!) && !bareHeading) return;
    let value = numberValue(l.slice(m.index + m[0].length));
    for (let j = i + 1; value === undefined && j <= i + NUMBER_VALUE_LOOKAHEAD && j < lines.length; j++) {
      const next = norm(lines[j]!);
      if (/^[:\s]*$/.test(next)) continue;
      value = numberValue(next);
      if (value === undefined) break;
    }
    if (value === undefined) return;
    const rank = /INV/.test(m[1]!) ? 3 : /RECEIPT|RESIT|BILL|DOC/.test(m[1]!) ? 2 : 1;
    if (!best || rank > best.rank) best = { value, rank };
  });
  if (!best) return undefined;
  return { value: best.value, confidence: best.rank >= 2 ? 0.85 : 0.7 };
}
