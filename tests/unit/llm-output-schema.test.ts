import { describe, expect, it } from 'vitest';
import type { FieldName } from '../../app/src/domain/fields.js';
import {
  buildOutputSchema,
  extractionUserMessage,
  fieldInstructions,
  parseModelOutput,
} from '../../app/src/llm/output-schema.js';

const fields: FieldName[] = ['vendor_name', 'document_date', 'total_amount'];

describe('buildOutputSchema', () => {
  it('exports the envelope as JSON Schema with one optional key per field', () => {
    const { jsonSchema } = buildOutputSchema(fields);
    expect(jsonSchema.type).toBe('object');
    expect(jsonSchema.required).toEqual(['fields']);
    const fieldsSchema = (jsonSchema.properties as Record<string, any>).fields;
    expect(Object.keys(fieldsSchema.properties)).toEqual(fields);
    expect(fieldsSchema.required ?? []).toEqual([]);
    expect(fieldsSchema.additionalProperties).toBe(false);
    const date = fieldsSchema.properties.document_date;
    expect(date.required).toEqual(['value', 'confidence']);
    expect(date.properties.confidence).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
    // value: the field schema or null
    expect(date.properties.value.anyOf).toEqual(
      expect.arrayContaining([{ type: 'null' }, expect.objectContaining({ type: 'string', pattern: expect.any(String) })]),
    );
  });

  it('gives a strict zod schema that applies the field value schemas', () => {
    const { zod } = buildOutputSchema(fields);
    expect(zod.safeParse({ fields: { document_date: { value: '2018-03-12', confidence: 0.9 } } }).success).toBe(true);
    expect(zod.safeParse({ fields: { document_date: { value: null, confidence: 0 } } }).success).toBe(true);
    expect(zod.safeParse({ fields: { document_date: { value: '2018-02-30', confidence: 0.9 } } }).success).toBe(false);
    expect(zod.safeParse({ fields: { total_amount: { value: 3, confidence: 1.5 } } }).success).toBe(false);
  });

  it('refuses an empty field list', () => {
    expect(() => buildOutputSchema([])).toThrow(/no fields requested/);
  });
});

describe('parseModelOutput', () => {
  it('returns found fields and leaves out null values', () => {
    const text = JSON.stringify({
      fields: {
        vendor_name: { value: 'ACME TRADING', confidence: 0.92 },
        document_date: { value: null, confidence: 0 },
        total_amount: { value: 12.5, confidence: 0.8 },
      },
    });
    const parsed = parseModelOutput(text, fields);
    expect(parsed).toEqual({
      ok: true,
      fields: { vendor_name: { value: 'ACME TRADING', confidence: 0.92 }, total_amount: { value: 12.5, confidence: 0.8 } },
      dropped: [],
    });
  });

  it('still returns a value that fails its field schema (the pipeline marks it invalid)', () => {
    const parsed = parseModelOutput(JSON.stringify({ fields: { document_date: { value: '12/03/2018', confidence: 0.7 } } }), fields);
    expect(parsed.ok && parsed.fields.document_date).toEqual({ value: '12/03/2018', confidence: 0.7 });
  });

  it('drops unrequested fields and malformed entries but keeps the rest', () => {
    const parsed = parseModelOutput(
      JSON.stringify({
        fields: {
          vendor_name: { value: 'ACME', confidence: 0.9 },
          summary: { value: 'not asked for', confidence: 0.9 },
          total_amount: { value: 3, confidence: 'high' },
        },
      }),
      fields,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.fields)).toEqual(['vendor_name']);
    expect(parsed.dropped.map((d) => d.field).sort()).toEqual(['summary', 'total_amount']);
  });

  it('accepts an empty fields object (nothing found)', () => {
    expect(parseModelOutput('{"fields": {}}', fields)).toEqual({ ok: true, fields: {}, dropped: [] });
  });

  it('tolerates a surrounding Markdown code fence', () => {
    const parsed = parseModelOutput('```json\n{"fields": {"vendor_name": {"value": "ACME", "confidence": 1}}}\n```', fields);
    expect(parsed.ok && parsed.fields.vendor_name?.value).toBe('ACME');
  });

  it('is invalid for text that is not JSON', () => {
    const parsed = parseModelOutput('{"fields": {"vendor_name": {"value": "AC', fields);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/not valid JSON/);
  });

  it('is invalid for a wrong envelope', () => {
    for (const text of ['[]', '{"vendor_name": "ACME"}', '{"fields": []}', '"fields"', 'null']) {
      const parsed = parseModelOutput(text, fields);
      expect(parsed.ok, text).toBe(false);
    }
  });

  it('is invalid when every entry is malformed', () => {
    const parsed = parseModelOutput('{"fields": {"vendor_name": "ACME", "total_amount": 12.5}}', fields);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/no usable field entry/);
  });
});

describe('prompt parts', () => {
  it('describes the envelope and every wanted field', () => {
    const text = fieldInstructions(fields);
    for (const f of fields) expect(text).toContain(`- ${f}:`);
    expect(text).toContain('"value": null');
  });

  it('numbers the OCR lines and lists the wanted fields', () => {
    const text = extractionUserMessage({ documentId: 'd1', ocrLines: ['FIRST', 'SECOND'], fields, context: { document_type: 'receipt' } });
    expect(text).toContain('1: FIRST\n2: SECOND');
    expect(text).toContain('vendor_name, document_date, total_amount');
    expect(text).toContain('"document_type":"receipt"');
  });
});
