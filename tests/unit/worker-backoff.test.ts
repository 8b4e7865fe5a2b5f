import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../app/src/llm/provider.js';
import { backoffMs, isTransient } from '../../app/src/services/worker/worker.js';

describe('backoffMs', () => {
  it('doubles from the base on each attempt', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('caps at maxMs', () => {
    expect(backoffMs(6, 1000, 60_000)).toBe(32_000);
    expect(backoffMs(7, 1000, 60_000)).toBe(60_000);
    expect(backoffMs(50, 1000, 60_000)).toBe(60_000);
  });

  it('stays at maxMs when 2^attempt overflows to Infinity', () => {
    expect(backoffMs(5000, 1000, 60_000)).toBe(60_000);
  });

  it('treats attempt 0 (or below) as the first attempt', () => {
    expect(backoffMs(0, 250, 10_000)).toBe(250);
    expect(backoffMs(-3, 250, 10_000)).toBe(250);
  });

  it('returns maxMs when the base already exceeds it', () => {
    expect(backoffMs(1, 5000, 3000)).toBe(3000);
  });
});

describe('isTransient', () => {
  it('is true by default', () => {
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient({})).toBe(true);
    expect(isTransient(null)).toBe(true);
    expect(isTransient(undefined)).toBe(true);
    expect(isTransient('boom')).toBe(true);
  });

  it('respects an explicit boolean flag', () => {
    expect(isTransient(Object.assign(new Error('bad request'), { transient: false }))).toBe(false);
    expect(isTransient(Object.assign(new Error('rate limited'), { transient: true }))).toBe(true);
  });

  it('reads the flag of a ProviderError', () => {
    expect(isTransient(new ProviderError('401 unauthorized', [], false))).toBe(false);
    expect(isTransient(new ProviderError('503 overloaded', [], true))).toBe(true);
  });

  it('ignores a flag that is not a boolean', () => {
    expect(isTransient({ transient: 'false' })).toBe(true);
    expect(isTransient({ transient: 0 })).toBe(true);
  });
});
