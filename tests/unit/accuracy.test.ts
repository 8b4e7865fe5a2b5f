import { describe, expect, it } from 'vitest';
import {
  amountsMatch,
  datesMatch,
  foldText,
  keyValuePairAccuracy,
  parseAmount,
  parsePrintedDate,
  scoreDocument,
  textsMatch,
} from '../../app/src/domain/accuracy.js';

describe('parsePrintedDate', () => {
  // Every shape the corpus README lists for SROIE `date`, plus FUNSD's spaced prints.
  it.each([
    ['DD/MM/YYYY', '25/01/2018', ['2018-01-25']],
    ['DD-MM-YYYY', '31-03-2018', ['2018-03-31']],
    ['DD/MM/YY', '18/03/18', ['2018-03-18']],
    ['DD-MM-YY', '24-11-17', ['2017-11-24']],
    ['DD/MON/YYYY', '15/APR/2017', ['2017-04-15']],
    ['YYYY-MM-DD', '2018-03-23', ['2018-03-23']],
    ['DD MON YY', '24 MAR 18', ['2018-03-24']],
    ['DD MON YYYY', '05 JAN 2017', ['2017-01-05']],
    ['DD-MON-YYYY', '02-JAN-2018', ['2018-01-02']],
    ['D/M/YYYY (ambiguous: both readings)', '1/3/2018', ['2018-03-01', '2018-01-03']],
    ['month first, only reading valid', '03/25/2018', ['2018-03-25']],
    ['spaced FUNSD print', '12 /10 /98', ['1998-10-12', '1998-12-10']],
    ['MON DD, YYYY', 'August 3, 1998', ['1998-08-03']],
    ['Malay month', '7 OGOS 2018', ['2018-08-07']],
  ])('%s: %s', (_shape, printed, expected) => {
    expect(parsePrintedDate(printed)).toEqual(expected);
  });

  it('returns nothing for text that is not a calendar date', () => {
    expect(parsePrintedDate('31/02/2018')).toEqual([]);
    expect(parsePrintedDate('TOTAL 9.00')).toEqual([]);
    expect(parsePrintedDate('')).toEqual([]);
  });

  it('maps two-digit years 00-50 to 20xx and 51-99 to 19xx', () => {
    expect(parsePrintedDate('20/05/50')).toEqual(['2050-05-20']);
    expect(parsePrintedDate('20/05/51')).toEqual(['1951-05-20']);
  });
});

describe('datesMatch', () => {
  it('accepts either reading of an ambiguous printed date and rejects others', () => {
    expect(datesMatch('02/03/18', '2018-03-02')).toBe(true);
    expect(datesMatch('02/03/18', '2018-02-03')).toBe(true);
    expect(datesMatch('25/03/18', '2018-03-26')).toBe(false);
    expect(datesMatch('25/03/18', undefined)).toBe(false);
  });
});

describe('parseAmount', () => {
  it.each([
    ['31.00', 31],
    ['RM3.00', 3],
    ['RM 3.90', 3.9],
    ['RM53.60', 53.6],
    ['$12.50', 12.5],
    ['MYR 10', 10],
    ['USD 1,234.50', 1234.5],
    ['£240.00', 240],
    ['-0.02', -0.02],
  ])('%s → %d', (printed, value) => {
    expect(parseAmount(printed)).toBe(value);
  });

  it('returns null when the text is not one amount', () => {
    expect(parseAmount('TOTAL')).toBeNull();
    expect(parseAmount('')).toBeNull();
    expect(parseAmount('12.00 15.00')).toBeNull();
  });

  it('compares totals as numbers, currency ignored', () => {
    expect(amountsMatch('RM 3.90', 3.9)).toBe(true);
    expect(amountsMatch('RM 3.90', '3.90')).toBe(true);
    expect(amountsMatch('3.90', 3.91)).toBe(false);
    expect(amountsMatch('3.90', null)).toBe(false);
  });
});

describe('foldText', () => {
  it('folds case, spacing and punctuation', () => {
    expect(foldText('ENW HARDWARE CENTRE (M) SDN. BHD.')).toBe(foldText('enw hardware centre (m) sdn bhd'));
    expect(foldText('NO.2&4,JALAN HARMONI 3/2,')).toBe('NO24JALANHARMONI32');
    expect(foldText('Café  Ünïcode')).toBe('CAFEUNICODE');
  });

  it('still tells different names apart', () => {
    expect(textsMatch('TEO HENG STATIONERY', 'TED HENG STATIONERY')).toBe(false);
    expect(textsMatch('ABC HO TRADING', 'A.B.C. HO TRADING')).toBe(true);
    expect(textsMatch('ABC', 42)).toBe(false);
  });
});

describe('scoreDocument', () => {
  const gt = { company: 'ABC HO TRADING', date: '09/01/2019', address: 'NO.2&4, JALAN HARMONI 3/2, 81100 JOHOR', total: 'RM31.00' };

  it('maps SROIE keys to fields and scores each', () => {
    const scores = scoreDocument(gt, undefined, {
      vendor_name: 'ABC HO TRADING.',
      vendor_address: 'NO.2&4,JALAN HARMONI 3/2, 81100 JOHOR',
      document_date: '2019-01-09',
      total_amount: 30,
    });
    expect(scores.map((s) => [s.field, s.correct])).toEqual([
      ['vendor_name', true],
      ['vendor_address', true],
      ['document_date', true],
      ['total_amount', false],
    ]);
  });

  it('counts a missing field as wrong', () => {
    const scores = scoreDocument(gt, undefined, {});
    expect(scores.every((s) => !s.correct && s.predicted === undefined)).toBe(true);
  });

  it('scores FUNSD pairs as a ratio, each predicted pair used once', () => {
    const expected = [
      { question: 'DIVISION:', answer: 'Portland' },
      { question: 'DIVISION:', answer: 'Portland' },
      { question: 'TO:', answer: 'George Baroody' },
    ];
    const predicted = [
      { key: 'Division', value: 'PORTLAND' },
      { key: 'TO :', value: 'George  Baroody' },
    ];
    expect(keyValuePairAccuracy(expected, predicted)).toEqual({ matched: 2, total: 3, ratio: 2 / 3 });
    const [score] = scoreDocument(undefined, expected, { key_values: predicted });
    expect(score).toMatchObject({ field: 'key_values', matched: 2, total: 3, correct: false });
    expect(keyValuePairAccuracy(expected, 'not pairs')).toEqual({ matched: 0, total: 3, ratio: 0 });
  });
});
