import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scoreDocument } from '../../app/src/domain/accuracy.js';
import { AGENT_NAMES, FIELD_NAMES, fieldsOwnedBy, validateField, type FieldCandidate, type FieldName } from '../../app/src/domain/fields.js';
import { parseInputDocument, type InputDocument } from '../../app/src/domain/input-document.js';
import { calibrationOf } from '../../app/src/llm/offline/evaluate.js';
import { OfflineProvider } from '../../app/src/llm/offline/index.js';
import { ProviderError, type ExtractionRequest } from '../../app/src/llm/provider.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LIMITS = { maxTextBytes: 256 * 1024 };

function loadDocuments(dir: string): InputDocument[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const parsed = parseInputDocument(readFileSync(path.join(dir, f)), LIMITS);
      return parsed.ok ? [parsed.document] : [];
    });
}

const samples = loadDocuments(path.join(repoRoot, 'samples'));
const fixtures = loadDocuments(path.join(repoRoot, 'tests', 'fixtures', 'documents'));
const byId = (id: string) => [...samples, ...fixtures].find((d) => d.id === id)!;

function request(doc: InputDocument, fields: FieldName[], extra: Partial<ExtractionRequest> = {}): ExtractionRequest {
  return {
    agent: 'metadata',
    promptVersion: 'test',
    systemPrompt: '',
    documentId: doc.id,
    ocrLines: doc.ocr_lines,
    fields,
    outputJsonSchema: {},
    ...extra,
  };
}

/** Every field the five agents ask for, merged as the pipeline does. */
async function extractAll(provider: OfflineProvider, doc: InputDocument): Promise<Partial<Record<FieldName, FieldCandidate>>> {
  const got: Partial<Record<FieldName, FieldCandidate>> = {};
  for (const agent of AGENT_NAMES) {
    const result = await provider.extract({ ...request(doc, fieldsOwnedBy(agent)), agent });
    Object.assign(got, result.fields);
  }
  return got;
}

const values = (got: Partial<Record<FieldName, FieldCandidate>>) =>
  Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.value])) as Partial<Record<FieldName, unknown>>;

describe('OfflineProvider', () => {
  const provider = new OfflineProvider();

  it('has the fixtures it is tested on', () => {
    expect(samples.length).toBeGreaterThanOrEqual(6);
    expect(fixtures.map((d) => d.id).sort()).toEqual(['fixture-other-note', 'fixture-receipt-usd']);
  });

  it.each([...samples, ...fixtures].map((d) => [d.id, d] as const))('%s: every value is valid and every confidence in [0, 1]', async (_id, doc) => {
    const got = await extractAll(provider, doc);
    expect(Object.keys(got).length).toBeGreaterThan(0);
    for (const [field, candidate] of Object.entries(got) as [FieldName, FieldCandidate][]) {
      expect(validateField(field, candidate.value), field).toMatchObject({ valid: true });
      expect(candidate.confidence).toBeGreaterThanOrEqual(0);
      expect(candidate.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('returns only the requested fields and one zero-cost call record', async () => {
    const doc = byId('sample-receipt-kedai-runcit');
    const result = await provider.extract(request(doc, ['total_amount', 'document_date']));
    expect(Object.keys(result.fields).sort()).toEqual(['document_date', 'total_amount']);
    expect(result.provider).toBe('offline');
    expect(result.model).toBe('offline-rules-v2');
    expect(result.calls).toHaveLength(1);
    const [call] = result.calls;
    expect(call).toMatchObject({
      provider: 'offline',
      model: 'offline-rules-v2',
      attempt: 1,
      outcome: 'ok',
      input_tokens: 0,
      output_tokens: 0,
      gpu_seconds: 0,
      cost_usd: 0,
      price_table_version: 'n/a',
    });
    expect(call!.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(call!.duration_seconds).toBeLessThan(5);
  });

  it('leaves out a requested field it cannot find', async () => {
    const doc = byId('sample-form-fax-cover');
    const result = await provider.extract(request(doc, ['total_amount', 'key_values']));
    expect(Object.keys(result.fields)).toEqual(['key_values']);
  });

  it('is deterministic', async () => {
    for (const doc of [...samples, ...fixtures]) {
      const a = await extractAll(provider, doc);
      const b = await extractAll(new OfflineProvider(), doc);
      expect(b).toEqual(a);
    }
  });

  it('matches the ground truth of every synthetic receipt and invoice', async () => {
    for (const doc of [...samples, ...fixtures].filter((d) => d.ground_truth)) {
      const scores = scoreDocument(doc.ground_truth, undefined, values(await extractAll(provider, doc)));
      const wrong = scores.filter((s) => !s.correct).map((s) => `${doc.id} ${s.field}: expected ${s.expected}, got ${JSON.stringify(s.predicted)}`);
      expect(wrong).toEqual([]);
    }
  });

  it('classifies receipts headed TAX INVOICE as receipts, and real invoices as invoices', async () => {
    const types = Object.fromEntries(
      await Promise.all(samples.map(async (d) => [d.id, (await provider.extract(request(d, ['document_type']))).fields.document_type?.value])),
    );
    expect(types).toEqual({
      'sample-form-fax-cover': 'form',
      'sample-form-lab-request': 'form',
      'sample-invoice-consulting': 'invoice',
      'sample-receipt-hardware': 'receipt',
      'sample-receipt-kedai-runcit': 'receipt',
      'sample-receipt-restoran': 'receipt',
      'sample-receipt-stationery': 'receipt',
    });
  });

  it('reads the invoice number, currency marks and US month-first dates', async () => {
    const invoice = (await extractAll(provider, byId('sample-invoice-consulting')));
    expect(invoice.document_number?.value).toBe('INV-2019-0042');
    expect(invoice.currency).toMatchObject({ value: 'GBP' });
    expect(invoice.currency!.confidence).toBeGreaterThanOrEqual(0.7);
    const us = await extractAll(provider, byId('fixture-receipt-usd'));
    expect(us.currency?.value).toBe('USD');
    expect(us.document_date?.value).toBe('2021-03-14');
    const hardware = await extractAll(provider, byId('sample-receipt-hardware'));
    expect(hardware.document_number?.value).toBe('CB-45120');
    expect(hardware.currency).toMatchObject({ value: 'MYR' });
  });

  it('scores a currency without a printed mark by the weight of its country evidence', async () => {
    // Postcode with state, street words, a Malaysian phone shape and Malay wording: very likely MYR.
    const doc = byId('sample-receipt-restoran');
    const { fields } = await provider.extract(request(doc, ['currency']));
    expect(fields.currency?.value).toBe('MYR');
    expect(fields.currency!.confidence).toBeGreaterThanOrEqual(0.7);
    const receipt = { context: { document_type: 'receipt' } };
    // One weak cue (a street word) is no evidence worth approving on.
    const weak = await provider.extract(request({ id: 'weak', ocr_lines: ['KEDAI ABC', 'NO 3 JALAN MAWAR', 'TOTAL', '5.00'] }, ['currency'], receipt));
    expect(weak.fields.currency?.value).toBe('MYR');
    expect(weak.fields.currency!.confidence).toBeLessThan(0.7);
    // A printed mark is near-certain; a bare dollar sign without US cues is only likely USD.
    const marked = await provider.extract(request({ id: 'marked', ocr_lines: ['SHOP', 'TOTAL', 'RM 5.00'] }, ['currency'], receipt));
    expect(marked.fields.currency).toEqual({ value: 'MYR', confidence: 0.95 });
    const dollar = await provider.extract(request({ id: 'dollar', ocr_lines: ['SHOP', 'TOTAL', '$5.00'] }, ['currency'], receipt));
    expect(dollar.fields.currency?.value).toBe('USD');
    expect(dollar.fields.currency!.confidence).toBeLessThan(0.9);
    // `FORM 02` is not a ringgit amount.
    const form = await provider.extract(request({ id: 'form', ocr_lines: ['Sample Request (Form 02: 20: 06)', 'TO:', 'J. Smith'] }, ['currency'], { context: { document_type: 'form' } }));
    expect(form.fields.currency).toBeUndefined();
  });

  it('reads a table whose header row precedes its data rows as caption/value pairs', async () => {
    const lines = ['Date:', '3/4/98', 'Brand', 'Length', 'Code', 'Sample 1', '85 mm', 'AL-1', 'Sample 2', '100 mm', 'BM-2', 'Notes:', 'none'];
    const { fields } = await provider.extract(request({ id: 'table', ocr_lines: lines }, ['key_values'], { context: { document_type: 'form' } }));
    expect(fields.key_values?.value).toEqual([
      { key: 'Date:', value: '3/4/98' },
      { key: 'Brand', value: 'Sample 1' },
      { key: 'Length', value: '85 mm' },
      { key: 'Code', value: 'AL-1' },
      { key: 'Brand', value: 'Sample 2' },
      { key: 'Length', value: '100 mm' },
      { key: 'Code', value: 'BM-2' },
      { key: 'Notes:', value: 'none' },
    ]);
  });

  it('confirms a total by payment minus change and doubts one contradicted by a total of equal rank', async () => {
    const confirmed = await provider.extract(request({ id: 'c', ocr_lines: ['SHOP SDN BHD', 'SUBTOTAL', '12.00', 'CASH', '20.00', 'CHANGE', '8.00'] }, ['total_amount'], { context: { document_type: 'receipt' } }));
    expect(confirmed.fields.total_amount?.value).toBe(12);
    expect(confirmed.fields.total_amount!.confidence).toBeGreaterThanOrEqual(0.85);
    const contradicted = await provider.extract(request({ id: 'x', ocr_lines: ['SHOP SDN BHD', 'TOTAL', '12.00', 'ITEM', '3.00', 'TOTAL', '15.00'] }, ['total_amount'], { context: { document_type: 'receipt' } }));
    expect(contradicted.fields.total_amount!.confidence).toBeLessThan(0.7);
  });

  it('pairs form questions with their answers', async () => {
    for (const id of ['sample-form-fax-cover', 'sample-form-lab-request']) {
      const doc = byId(id);
      const got = await extractAll(provider, doc);
      const [score] = scoreDocument(undefined, doc.key_values, values(got));
      expect(score!.ratio, id).toBeGreaterThanOrEqual(0.8);
      expect(got.title?.value, id).toBe(doc.ocr_lines[0]);
    }
    const fax = await extractAll(provider, byId('sample-form-fax-cover'));
    expect(fax.people?.value).toEqual(expect.arrayContaining(['Margaret Olsen', 'Daniel K. Reyes']));
    expect(fax.total_amount).toBeUndefined();
  });

  it('builds a summary from the extracted fields', async () => {
    const got = await extractAll(provider, byId('sample-receipt-kedai-runcit'));
    expect(got.summary?.value).toBe(
      'Receipt KR-000871 from KEDAI RUNCIT SERI MURNI SDN BHD at NO. 12, JALAN MAWAR 3, TAMAN BUNGA RAYA, 43000 KAJANG, SELANGOR dated 2018-03-14, total MYR 45.15. 3 line items.',
    );
    expect(got.line_items?.value).toEqual([
      { description: 'BERAS WANGI 5KG', quantity: 1, unit_price: 21.9, amount: 21.9 },
      { description: 'MINYAK MASAK 2KG', quantity: 2, unit_price: 8.9, amount: 17.8 },
      { description: 'GULA PASIR 1KG', quantity: 1, unit_price: 2.9, amount: 2.9 },
    ]);
  });

  it('finds nothing worth a vendor or total on a plain note and does not throw on blank lines', async () => {
    const note = await extractAll(provider, byId('fixture-other-note'));
    expect(note.document_type?.value).toBe('other');
    expect(note.total_amount).toBeUndefined();
    const blank = await provider.extract(request({ id: 'blank', ocr_lines: ['  ', ''] }, [...FIELD_NAMES]));
    expect(blank.calls[0]!.outcome).toBe('ok');
    for (const [field, c] of Object.entries(blank.fields) as [FieldName, FieldCandidate][]) expect(validateField(field, c.value)).toMatchObject({ valid: true });
  });

  it('refuses an already aborted request with a transient ProviderError', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    const doc = byId('sample-receipt-restoran');
    await expect(provider.extract(request(doc, ['total_amount'], { signal: controller.signal }))).rejects.toSatisfy(
      (e: unknown) => e instanceof ProviderError && e.transient && e.calls.length === 0,
    );
  });

  it('buckets scored predictions by confidence and splits them at the approval threshold', () => {
    const predictions = [0.2, 0.5, 0.69, 0.7, 0.84, 0.85, 0.95, 1].map((confidence, i) => ({ confidence, correct: i % 2 }));
    const c = calibrationOf({ predictions });
    expect(c.buckets.map((b) => [b.from, b.count, b.correct])).toEqual([
      [0, 1, 0],
      [0.5, 2, 1],
      [0.7, 2, 1],
      [0.85, 1, 1],
      [0.95, 2, 1],
    ]);
    expect(c.atOrAbove).toEqual({ count: 5, correct: 3 });
    expect(c.below).toEqual({ count: 3, correct: 1 });
  });

  it('keeps the bad-input fixtures bad', () => {
    const dir = path.join(repoRoot, 'tests', 'fixtures', 'documents');
    const reasons = ['malformed.json', 'empty-ocr-lines.json', 'invalid-utf8.json'].map((f) => {
      const parsed = parseInputDocument(readFileSync(path.join(dir, f)), LIMITS);
      return parsed.ok ? 'accepted' : parsed.reason.split(':')[0];
    });
    expect(reasons).toEqual(['malformed JSON', 'invalid document', 'invalid UTF-8']);
  });
});
