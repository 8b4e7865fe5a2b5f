/**
 * Line-level text helpers and the cue patterns the offline rules share. Pure, no I/O.
 *
 * The cues are general shapes of Malaysian/English receipts and US/English forms (company
 * suffixes, address words, labels), never values copied from any dataset.
 */

/** Upper-cased line with runs of whitespace collapsed. */
export function norm(line: string): string {
  return line.replace(/\s+/g, ' ').trim().toUpperCase();
}

/** Share of a string's non-space characters that are letters. */
export function letterShare(line: string): number {
  const chars = line.replace(/\s+/g, '');
  if (chars.length === 0) return 0;
  const letters = chars.match(/\p{L}/gu)?.length ?? 0;
  return letters / chars.length;
}

/** A printed amount such as `12.50`, `RM 3.90`, `1,234.00`, `-0.02`; the whole line must be it. */
const AMOUNT_LINE = /^(?:[A-Z]{0,2}\s*)?(?:RM|MYR|USD|US\$|S\$|\$|€|£|EUR|GBP)?\s*:?\s*(-?\s?\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|-?\s?\d*\.\d{1,2})\s*(?:RM|MYR|SR|ZR|S|Z)?$/i;

/** The amount a line consists of (optionally with a currency mark), or null. */
export function amountOfLine(line: string): number | null {
  const m = AMOUNT_LINE.exec(line.trim());
  if (!m) return null;
  const value = Number(m[1]!.replace(/[\s,]/g, ''));
  return Number.isFinite(value) ? value : null;
}

/** Decimal amounts anywhere in a line (`x.yy` shapes only, so dates and ids are not taken). */
export function amountsInLine(line: string): number[] {
  const out: number[] = [];
  for (const m of line.matchAll(/(?<![\d.,/-])(-?\d{1,3}(?:,\d{3})+\.\d{2}|-?\d+\.\d{2})(?![\d/%])/g)) {
    const v = Number(m[1]!.replace(/,/g, ''));
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Lines that only carry punctuation or a currency mark between a label and its value. */
export function isFillerLine(line: string): boolean {
  return /^\s*(?:[:=\-*#.]+|\(?\s*(?:RM|MYR|\$)\s*\)?|[A-Z]\s+RM|SR|ZR)\s*$/i.test(line);
}

/** Company-name suffixes and trade words. Strong ones make a line almost surely a business name. */
export const STRONG_COMPANY = /\b(SDN\.?\s*BHD\.?|BHD\.?|S\/B|SB|BERHAD|ENTERPRISES?|TRADING|PLT|INC\.?|LTD\.?|LIMITED|LLC|CORP(?:ORATION)?\.?|CO\.,?\s*LTD|GMBH|PTE\.?\s*LTD)\b/i;
export const WEAK_COMPANY = /\b(RESTAURANT|RESTORAN|CAFE|KEDAI|PERNIAGAAN|HARDWARE|STATIONERY|STATIONERS|MARKET|MART|SUPERMARKET|HYPERMARKET|FARMASI|PHARMACY|BOOKS?(?:TORES?)?|BAKERY|FLORIST|HOLDINGS|GALLERY|CENTRE|CENTER|STORE|SHOP|PETRO|MOTOR|AUTO|TRAVEL|SERVICES?|INDUSTRIES|CONFECTIONERY|CASH\s*&\s*CARRY|KITCHEN(?:ETTE)?|BISTRO|SDN)\b/i;

/** Words that mark a line as part of a Malaysian or English street address. */
export const ADDRESS_WORDS = /\b(JALAN|JLN|JIN|LORONG|LRG|TAMAN|TMN|LOT|NO\.?|NO:|UNIT|BLOCK|BLK|BLOK|LEVEL|FLOOR|TINGKAT|WISMA|PLAZA|MALL|KOMPLEKS|KAWASAN|PERINDUSTRIAN|BANDAR|SEKSYEN|SEK|SEC|MUKIM|KAMPUNG|KG|BATU|PUSAT|DATARAN|PERSIARAN|LEBUH|LEBUHRAYA|ROAD|RD|STREET|ST|AVENUE|AVE|SUITE|BUILDING|BANGUNAN|INDUSTRIAL|PARK|SQUARE|CITY|JAYA|UTAMA|BARU|SENTRAL|SS\d+|PJU|USJ|OFF|GROUND|MEGAMALL)\b/i;

/** Malaysian states and federal territories, with common short forms. */
export const MALAYSIAN_STATES = /\b(JOHOR|KEDAH|KELANTAN|MELAKA|MALACCA|NEGERI SEMBILAN|PAHANG|PERAK|PERLIS|PULAU PINANG|PENANG|SABAH|SARAWAK|SELANGOR|TERENGGANU|KUALA LUMPUR|PUTRAJAYA|LABUAN|DARUL EHSAN|DARUL TAKZIM|WILAYAH PERSEKUTUAN|MALAYSIA)\b/i;

/** A Malaysian (or US) 5-digit postcode standing as its own token. */
export const POSTCODE = /(?<![\d-])\d{5}(?![\d-])/;

/** Lines that end an address block: contact, tax, registration and document-heading lines. */
export const ADDRESS_STOP = /\b(TEL|TELEPHONE|PHONE|FAX|H\/P|HP|MOBILE|WHATSAPP|EMAIL|E-MAIL|WWW|HTTP|GST|SST|TAX|INVOICE|RECEIPT|CASH|BILL|DATE|TIME|CASHIER|TABLE|TERMINAL|COMPANY\s*(?:REG|NO)|CO\.?\s*(?:REG|NO)|REG\.?\s*NO|ROC|BR\s*NO|SALES|ORDER|COUNTER|SERVED|MEMBER)\b|\S@\S+\.\S/i;

/** Registration numbers printed next to company names: `(001451637-M)`, `JM0325955-V`, `1174703-K`. */
export const REGISTRATION_NUMBER = /\(?\b(?:[A-Z]{1,3})?\d{4,12}\s*-\s*[A-Z]\b\)?/i;

/** A line that is a phone number (possibly with a label). */
export const PHONE_LINE = /^(?:(?:TEL|PHONE|TELEPHONE|FAX|H\/P)\b[^0-9]*)?\+?\(?\d{2,4}\)?[\s-]*\d{3,4}[\s-]?\d{3,5}[,.]?$/i;

/** Receipt boilerplate that is never a vendor name. */
export const BOILERPLATE = /\b(THANK|COME AGAIN|GOODS SOLD|NOT RETURNABLE|REFUNDABLE|WELCOME|POSTED|OFFICIAL RECEIPT|TAX INVOICE|CASH BILL|CASH SALES?|CASH RECEIPT|GUEST CHECK|CREDIT NOTE|RECEIPT|INVOICE|REPRINT|COPY|FEEDBACK|COMPLAINT|PLEASE|VOUCHER)\b/i;
