import { describe, expect, it } from 'vitest';
import { AGENT_NAMES, FIELD_NAMES, FIELD_OWNERS, fieldsOwnedBy, validateField, type FieldName } from '../../app/src/domain/fields.js';

function reasonOf(field: FieldName, value: unknown): string {
  const r = validateField(field, value);
  if (r.valid) throw new Error(`${field}: expected ${JSON.stringify(value)} to be invalid`);
  return r.reason;
}

describe('validateField: document_date', () => {
  it.each(['2019-02-28', '2020-02-29', '2000-12-31', '1999-01-01'])('accepts the calendar date %s', (d) => {
    expect(validateField('document_date', d)).toEqual({ valid: true, value: d });
  });

  it.each(['2019-02-30', '2019-02-29', '2019-04-31', '2019-13-01', '2019-00-10', '2019-01-00'])('rejects %s as not a calendar date', (d) => {
    expect(reasonOf('document_date', d)).toBe('document_date: not a calendar date');
  });

  it.each(['2019/02/28', '28-02-2019', '2019-2-8', '2019-02-28T00:00:00Z', ''])('rejects %j as not ISO YYYY-MM-DD', (d) => {
    expect(reasonOf('document_date', d)).toBe('document_date: ISO date YYYY-MM-DD');
  });

  it('rejects a non-string', () => {
    expect(validateField('document_date', 20190228).valid).toBe(false);
  });
});

describe('validateField: total_amount', () => {
  it.each([0, 31, 12.5])('accepts %s', (v) => {
    expect(validateField('total_amount', v)).toEqual({ valid: true, value: v });
  });

  it('rejects a negative total', () => {
    expect(reasonOf('total_amount', -0.01)).toMatch(/^total_amount: /);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '31.00', null])('rejects %s', (v) => {
    expect(validateField('total_amount', v).valid).toBe(false);
  });
});

describe('validateField: currency and language codes', () => {
  it.each(['MYR', 'USD', 'EUR'])('accepts currency %s', (c) => {
    expect(validateField('currency', c)).toEqual({ valid: true, value: c });
  });

  it.each(['myr', 'RM', 'USDX', '$', 'US1'])('rejects currency %j', (c) => {
    expect(reasonOf('currency', c)).toBe('currency: ISO 4217 code');
  });

  it.each(['en', 'ms', 'zh'])('accepts language %s', (l) => {
    expect(validateField('language', l)).toEqual({ valid: true, value: l });
  });

  it.each(['EN', 'eng', 'e', 'en-US'])('rejects language %j', (l) => {
    expect(reasonOf('language', l)).toBe('language: ISO 639-1 code');
  });
});

describe('validateField: strings and enums', () => {
  it('returns the trimmed vendor name', () => {
    expect(validateField('vendor_name', '  Kedai Maju  ')).toEqual({ valid: true, value: 'Kedai Maju' });
  });

  it('rejects a one-character vendor name after trimming', () => {
    expect(validateField('vendor_name', '  A ').valid).toBe(false);
  });

  it('accepts only the four document types', () => {
    for (const t of ['receipt', 'invoice', 'form', 'other']) expect(validateField('document_type', t).valid).toBe(true);
    expect(validateField('document_type', 'letter').valid).toBe(false);
  });

  it('rejects a summary under 10 characters', () => {
    expect(validateField('summary', 'too short').valid).toBe(false);
    expect(validateField('summary', 'long enough').valid).toBe(true);
  });
});

describe('validateField: arrays need at least one item', () => {
  it.each(['organizations', 'people', 'keywords', 'sections'] as const)('%s: [] is invalid, one string is valid', (f) => {
    expect(reasonOf(f, [])).toBe(`${f}: Too small: expected array to have >=1 items`);
    expect(validateField(f, ['Acme'])).toEqual({ valid: true, value: ['Acme'] });
  });

  it('rejects an empty string inside an array, naming its index', () => {
    expect(reasonOf('people', ['Ann', ''])).toMatch(/^1: /);
  });

  it('caps keywords at 20', () => {
    const words = Array.from({ length: 21 }, (_, i) => `k${i}`);
    expect(validateField('keywords', words.slice(0, 20)).valid).toBe(true);
    expect(validateField('keywords', words).valid).toBe(false);
  });

  it('line_items: needs one item with a description; numbers may be null', () => {
    expect(validateField('line_items', []).valid).toBe(false);
    const item = { description: 'Tea', quantity: 2, unit_price: null, amount: 3.5 };
    expect(validateField('line_items', [item])).toEqual({ valid: true, value: [item] });
    expect(reasonOf('line_items', [{ ...item, description: '' }])).toMatch(/^0\.description: /);
    expect(validateField('line_items', [{ ...item, amount: '3.50' }]).valid).toBe(false);
  });

  it('key_values: needs one pair with a non-empty key; the value may be empty', () => {
    expect(validateField('key_values', []).valid).toBe(false);
    expect(validateField('key_values', [{ key: 'TO:', value: '' }]).valid).toBe(true);
    expect(validateField('key_values', [{ key: '', value: 'x' }]).valid).toBe(false);
  });
});

describe('fieldsOwnedBy', () => {
  it('partitions FIELD_NAMES across the five agents with no overlap', () => {
    const owned = AGENT_NAMES.flatMap((a) => fieldsOwnedBy(a));
    expect(owned).toHaveLength(FIELD_NAMES.length);
    expect(new Set(owned).size).toBe(owned.length);
    expect([...owned].sort()).toEqual([...FIELD_NAMES].sort());
  });

  it('agrees with FIELD_OWNERS for every field', () => {
    for (const agent of AGENT_NAMES) for (const f of fieldsOwnedBy(agent)) expect(FIELD_OWNERS[f]).toBe(agent);
  });

  it('gives each agent its fields in catalog order', () => {
    expect(fieldsOwnedBy('classification')).toEqual(['document_type', 'language']);
    expect(fieldsOwnedBy('metadata')).toEqual(['vendor_name', 'vendor_address', 'document_date', 'document_number']);
    expect(fieldsOwnedBy('entities')).toEqual(['organizations', 'people', 'total_amount', 'currency']);
    expect(fieldsOwnedBy('summary')).toEqual(['title', 'summary', 'keywords']);
    expect(fieldsOwnedBy('structure')).toEqual(['line_items', 'sections', 'key_values']);
  });
});
