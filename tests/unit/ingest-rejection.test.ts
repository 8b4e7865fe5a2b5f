import { describe, expect, it } from 'vitest';
import { parseInputDocument } from '../../app/src/domain/input-document.js';
import { METRIC_CATALOG } from '../../app/src/metrics/catalog.js';
import { rejectionClass } from '../../app/src/pipeline/ingest.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The reason `parseInputDocument` gives for `raw`; fails the test when it accepts it. */
function reasonFor(raw: Uint8Array, maxTextBytes = 1024): string {
  const r = parseInputDocument(raw, { maxTextBytes });
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
}

describe('rejectionClass', () => {
  it.each([
    ['invalid UTF-8', 'invalid_utf8'],
    ['malformed JSON: Unexpected end of JSON input', 'malformed_json'],
    ['no text: every ocr_lines entry is blank', 'no_text'],
    ['text is 300000 bytes, over the limit of 262144', 'too_large'],
    ['duplicate document id "A1": an accepted job for it already exists', 'duplicate_id'],
    ['invalid document: id: id must be a non-empty string', 'invalid_document'],
    ['invalid document: ocr_lines: ocr_lines is empty', 'invalid_document'],
    ['unreadable file: ENOENT: no such file or directory', 'invalid_document'],
  ])('classifies %j as %s', (reason, label) => {
    expect(rejectionClass(reason)).toBe(label);
  });

  it('classifies the reasons parseInputDocument actually gives', () => {
    expect(rejectionClass(reasonFor(Uint8Array.from([0xff])))).toBe('invalid_utf8');
    expect(rejectionClass(reasonFor(utf8('{')))).toBe('malformed_json');
    expect(rejectionClass(reasonFor(utf8('{"id":"A1","ocr_lines":[" "]}')))).toBe('no_text');
    expect(rejectionClass(reasonFor(utf8('{"id":"A1","ocr_lines":["12345"]}'), 4))).toBe('too_large');
    expect(rejectionClass(reasonFor(utf8('{"id":"a/b","ocr_lines":["x"]}')))).toBe('invalid_document');
    expect(rejectionClass(reasonFor(utf8('{"id":"A1","ocr_lines":[]}')))).toBe('invalid_document');
  });

  it('only produces labels the metric catalog zeroes', () => {
    const known: readonly string[] = METRIC_CATALOG.documentsRejected.knownLabelValues.reason;
    const reasons = ['invalid UTF-8', 'malformed JSON: x', 'no text: x', 'text is 1 bytes', 'duplicate document id', 'invalid document: x', 'anything else'];
    for (const r of reasons) expect(known).toContain(rejectionClass(r));
  });
});
