import { describe, expect, it } from 'vitest';
import { parseInputDocument, type ParseResult } from '../../app/src/domain/input-document.js';

const LIMITS = { maxTextBytes: 1024 };
const utf8 = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => utf8(JSON.stringify(value));

function rejection(result: ParseResult): { reason: string; documentId?: string } {
  if (result.ok) throw new Error(`expected a rejection, got document ${result.document.id}`);
  return result;
}

describe('parseInputDocument: rejections', () => {
  it('rejects bytes that are not UTF-8', () => {
    expect(parseInputDocument(Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d]), LIMITS)).toEqual({ ok: false, reason: 'invalid UTF-8' });
  });

  it('rejects a truncated multi-byte sequence inside otherwise valid JSON', () => {
    const head = utf8('{"id":"A1","ocr_lines":["caf');
    const tail = utf8('"]}');
    const raw = new Uint8Array([...head, 0xc3, ...tail]); // 0xC3 starts a 2-byte sequence that never ends
    expect(rejection(parseInputDocument(raw, LIMITS)).reason).toBe('invalid UTF-8');
  });

  it('rejects malformed JSON with the parser message', () => {
    const r = rejection(parseInputDocument(utf8('{"id": "A1", "ocr_lines": ['), LIMITS));
    expect(r.reason).toMatch(/^malformed JSON: .+/);
    expect(r.documentId).toBeUndefined();
  });

  it('rejects a JSON value that is not an object', () => {
    expect(rejection(parseInputDocument(utf8('[]'), LIMITS)).reason).toMatch(/^invalid document: \(root\): /);
    expect(rejection(parseInputDocument(utf8('null'), LIMITS)).reason).toMatch(/^invalid document: \(root\): /);
  });

  it('rejects a missing id', () => {
    const r = rejection(parseInputDocument(json({ ocr_lines: ['hello'] }), LIMITS));
    expect(r.reason).toMatch(/^invalid document: id: /);
    expect(r.documentId).toBeUndefined();
  });

  it('rejects a non-string id without echoing it as the document id', () => {
    const r = rejection(parseInputDocument(json({ id: 42, ocr_lines: ['hello'] }), LIMITS));
    expect(r.reason).toMatch(/^invalid document: id: /);
    expect(r.documentId).toBeUndefined();
  });

  it.each(['', '   '])('rejects the empty id %j', (id) => {
    expect(rejection(parseInputDocument(json({ id, ocr_lines: ['hello'] }), LIMITS)).reason).toBe(
      'invalid document: id: id must be a non-empty string',
    );
  });

  it.each(['a/b', 'x y', '../etc', 'id$', 'naïve'])('rejects the id %j for its characters', (id) => {
    expect(rejection(parseInputDocument(json({ id, ocr_lines: ['hello'] }), LIMITS))).toEqual({
      ok: false,
      reason: 'invalid document: id: id may contain only letters, digits and . _ : -',
      documentId: id,
    });
  });

  it('rejects an id over 200 characters', () => {
    expect(rejection(parseInputDocument(json({ id: 'a'.repeat(201), ocr_lines: ['x'] }), LIMITS)).reason).toBe(
      'invalid document: id: id is longer than 200 characters',
    );
    expect(parseInputDocument(json({ id: 'a'.repeat(200), ocr_lines: ['x'] }), LIMITS).ok).toBe(true);
  });

  it('rejects empty ocr_lines, naming the id', () => {
    expect(parseInputDocument(json({ id: 'A1', ocr_lines: [] }), LIMITS)).toEqual({
      ok: false,
      reason: 'invalid document: ocr_lines: ocr_lines is empty',
      documentId: 'A1',
    });
  });

  it('rejects missing ocr_lines and non-string lines', () => {
    expect(rejection(parseInputDocument(json({ id: 'A1' }), LIMITS)).reason).toMatch(/^invalid document: ocr_lines: /);
    expect(rejection(parseInputDocument(json({ id: 'A1', ocr_lines: ['ok', 3] }), LIMITS)).reason).toMatch(
      /^invalid document: ocr_lines\.1: /,
    );
  });

  it('rejects ocr_lines that are all blank', () => {
    expect(parseInputDocument(json({ id: 'A1', ocr_lines: ['', '   ', '\t', '\n'] }), LIMITS)).toEqual({
      ok: false,
      reason: 'no text: every ocr_lines entry is blank',
      documentId: 'A1',
    });
  });

  it('rejects a ground_truth value that is neither string, number nor null', () => {
    const r = rejection(parseInputDocument(json({ id: 'A1', ocr_lines: ['x'], ground_truth: { total: [31] } }), LIMITS));
    expect(r.reason).toMatch(/^invalid document: ground_truth\.total: /);
  });

  it('keeps optional accuracy fields from rejecting a document: numbers become strings, nulls are dropped', () => {
    const r = parseInputDocument(
      json({ id: 'A1', source: null, ocr_lines: ['x'], ground_truth: { total: 31.5, date: null, company: 'ACME' }, key_values: [{ question: 'TO:', answer: null }] }),
      LIMITS,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.document.ground_truth).toEqual({ total: '31.5', company: 'ACME' });
    expect(r.document.key_values).toEqual([{ question: 'TO:', answer: '' }]);
    expect(r.document.source).toBeUndefined();
  });
});

describe('parseInputDocument: text size in UTF-8 bytes', () => {
  // 'é' is 2 bytes, '€' is 3, '😀' is 4 (and 2 UTF-16 code units); lines are joined with '\n'.
  const lines = ['é€', '😀a']; // 2 + 3 + 1 + 4 + 1 = 11 bytes, 6 UTF-16 code units
  const doc = { id: 'MB-1', ocr_lines: lines };

  it('accepts text exactly at the limit', () => {
    expect(parseInputDocument(json(doc), { maxTextBytes: 11 }).ok).toBe(true);
  });

  it('rejects text one byte over, counting bytes rather than characters', () => {
    expect(parseInputDocument(json(doc), { maxTextBytes: 10 })).toEqual({
      ok: false,
      reason: 'text is 11 bytes, over the limit of 10',
      documentId: 'MB-1',
    });
    // Six UTF-16 units would pass a limit of 10 if characters were counted.
    expect(lines.join('\n').length).toBeLessThanOrEqual(10);
  });
});

describe('parseInputDocument: accepted documents', () => {
  it('accepts a corpus-shaped document with ground_truth and key_values, unchanged', () => {
    const doc = {
      id: 'T-000123',
      source: 'synthetic/test',
      ocr_lines: ['SEDAP MART SDN BHD', 'NO 7, JALAN CONTOH 3, 40000 SHAH ALAM', 'TOTAL 12.40'],
      ground_truth: { company: 'SEDAP MART SDN BHD', date: '05/03/2019', address: 'NO 7, JALAN CONTOH 3, 40000 SHAH ALAM', total: '12.40' },
      key_values: [
        { question: 'TO:', answer: 'A. Tester' },
        { question: 'DATE:', answer: '' },
      ],
    };
    expect(parseInputDocument(json(doc), LIMITS)).toEqual({ ok: true, document: doc });
  });

  it('accepts the minimal shape and trims the id', () => {
    const r = parseInputDocument(json({ id: ' A1 ', ocr_lines: ['', 'text'] }), LIMITS);
    expect(r).toEqual({ ok: true, document: { id: 'A1', ocr_lines: ['', 'text'] } });
  });

  it('accepts a UTF-8 byte-order mark', () => {
    const raw = new Uint8Array([0xef, 0xbb, 0xbf, ...json({ id: 'BOM-1', ocr_lines: ['x'] })]);
    expect(parseInputDocument(raw, LIMITS).ok).toBe(true);
  });

  it('drops unknown top-level keys', () => {
    const r = parseInputDocument(json({ id: 'A1', ocr_lines: ['x'], extra: true }), LIMITS);
    expect(r).toEqual({ ok: true, document: { id: 'A1', ocr_lines: ['x'] } });
  });
});
