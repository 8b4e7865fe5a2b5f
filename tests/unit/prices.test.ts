import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_PRICES,
  PRICE_TABLE_VERSION,
  UnknownModelPriceError,
  anthropicCostUsd,
  estimateTokens,
  localCostUsd,
  worstCaseAnthropicCostUsd,
} from '../../app/src/llm/prices.js';

describe('price table', () => {
  it('is versioned with an ISO date', () => {
    expect(PRICE_TABLE_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('prices dated snapshot ids like their aliases', () => {
    expect(ANTHROPIC_PRICES['claude-haiku-4-5-20251001']).toEqual(ANTHROPIC_PRICES['claude-haiku-4-5']);
    expect(ANTHROPIC_PRICES['claude-sonnet-4-5-20250929']).toEqual(ANTHROPIC_PRICES['claude-sonnet-4-5']);
    expect(ANTHROPIC_PRICES['claude-opus-4-5-20251101']).toEqual(ANTHROPIC_PRICES['claude-opus-4-5']);
  });
});

describe('anthropicCostUsd', () => {
  it('bills a million input tokens of Haiku 4.5 at $1 and a million output tokens at $5', () => {
    expect(anthropicCostUsd('claude-haiku-4-5', 1_000_000, 0)).toBe(1);
    expect(anthropicCostUsd('claude-haiku-4-5', 0, 1_000_000)).toBe(5);
  });

  it('adds input and output at their own rates', () => {
    // Haiku 4.5: 1000 × $1/M + 500 × $5/M
    expect(anthropicCostUsd('claude-haiku-4-5', 1000, 500)).toBe(0.0035);
    // Sonnet 4.5: 2000 × $3/M + 1000 × $15/M
    expect(anthropicCostUsd('claude-sonnet-4-5', 2000, 1000)).toBe(0.021);
    // Opus 4.5: 10 000 × $5/M + 2000 × $25/M
    expect(anthropicCostUsd('claude-opus-4-5', 10_000, 2000)).toBe(0.1);
  });

  it('costs nothing for no tokens', () => {
    expect(anthropicCostUsd('claude-sonnet-4-5', 0, 0)).toBe(0);
  });

  it('throws a clear error for a model without a price', () => {
    expect(() => anthropicCostUsd('claude-unknown-9', 1, 1)).toThrow(UnknownModelPriceError);
    expect(() => anthropicCostUsd('claude-unknown-9', 1, 1)).toThrow(
      /no price for Anthropic model "claude-unknown-9" in price table \d{4}-\d{2}-\d{2}; allowed models: claude-haiku-4-5/,
    );
  });

  it('rejects negative or non-finite token counts', () => {
    expect(() => anthropicCostUsd('claude-haiku-4-5', -1, 0)).toThrow(RangeError);
    expect(() => anthropicCostUsd('claude-haiku-4-5', 0, Number.NaN)).toThrow(RangeError);
  });
});

describe('worstCaseAnthropicCostUsd', () => {
  it('bills the whole output allowance at the output price', () => {
    // Haiku 4.5: 2000 × $1/M + 1024 × $5/M = 0.002 + 0.00512
    expect(worstCaseAnthropicCostUsd('claude-haiku-4-5', 2000, 1024)).toBe(0.00712);
    // Sonnet 4.5: 0 input + 4096 × $15/M
    expect(worstCaseAnthropicCostUsd('claude-sonnet-4-5', 0, 4096)).toBe(0.06144);
  });

  it('throws for an unknown model', () => {
    expect(() => worstCaseAnthropicCostUsd('gpt-4o', 1, 1)).toThrow(UnknownModelPriceError);
  });
});

describe('localCostUsd', () => {
  it('bills GPU seconds at the hourly rate', () => {
    expect(localCostUsd(3600, 1.2)).toBe(1.2);
    expect(localCostUsd(1800, 2)).toBe(1);
    expect(localCostUsd(2.5, 1.2)).toBeCloseTo(0.000833333333, 12);
    expect(localCostUsd(0, 1.2)).toBe(0);
  });

  it('rejects negative inputs', () => {
    expect(() => localCostUsd(-1, 1.2)).toThrow(RangeError);
    expect(() => localCostUsd(1, -0.5)).toThrow(RangeError);
  });
});

describe('estimateTokens', () => {
  it('counts one token per 3 UTF-8 bytes, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abc')).toBe(1);
    expect(estimateTokens('abcd')).toBe(2);
    // "é" is 2 bytes in UTF-8: 3 of them are 6 bytes
    expect(estimateTokens('ééé')).toBe(2);
  });

  it('overestimates English text compared with ~4 characters per token', () => {
    const text = 'TOTAL AMOUNT INCLUDING GST 6% RM 12.50 THANK YOU PLEASE COME AGAIN';
    expect(estimateTokens(text)).toBeGreaterThan(text.length / 4);
  });
});
