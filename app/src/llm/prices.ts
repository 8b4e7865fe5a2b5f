/**
 * The price table and the cost arithmetic of every model call. Pure functions, no I/O.
 *
 * Every cost record carries {@link PRICE_TABLE_VERSION}, so a later price change never rewrites
 * the meaning of old records: bump the version whenever a figure below changes.
 *
 * Units: USD, tokens, seconds.
 */

/** Version of the figures below; written on every CallRecord as `price_table_version`. */
export const PRICE_TABLE_VERSION = '2026-11-01';

/** Anthropic list price of one model, in USD per million tokens (standard tier, no caching). */
export interface AnthropicModelPrice {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
}

/**
 * The Claude models this platform may call, with their list prices.
 *
 * Source: Anthropic's model overview and pricing pages (platform.claude.com/docs, "Models &
 * pricing"), read for this version: Haiku 4.5 $1/$5, Sonnet 4.5 $3/$15, Opus 4.5 $5/$25 per
 * MTok input/output. These figures MUST be checked against the current price page
 * (https://www.anthropic.com/pricing) before each release and the version bumped on any change.
 * Dated snapshot ids are listed next to their aliases so either spelling prices the same.
 */
export const ANTHROPIC_PRICES: Readonly<Record<string, AnthropicModelPrice>> = {
  'claude-haiku-4-5': { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  'claude-haiku-4-5-20251001': { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  'claude-sonnet-4-5': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  'claude-sonnet-4-5-20250929': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  'claude-opus-4-5': { inputUsdPerMTok: 5, outputUsdPerMTok: 25 },
  'claude-opus-4-5-20251101': { inputUsdPerMTok: 5, outputUsdPerMTok: 25 },
};

const TOKENS_PER_MTOK = 1_000_000;
const SECONDS_PER_HOUR = 3600;

/** Thrown for a model that has no entry in {@link ANTHROPIC_PRICES}. */
export class UnknownModelPriceError extends Error {
  constructor(readonly model: string) {
    super(
      `no price for Anthropic model "${model}" in price table ${PRICE_TABLE_VERSION}; ` +
        `allowed models: ${Object.keys(ANTHROPIC_PRICES).join(', ')}`,
    );
    this.name = 'UnknownModelPriceError';
  }
}

/**
 * Price entry of an allowed Claude model.
 * @throws UnknownModelPriceError when the model is not in the table.
 */
export function anthropicPrice(model: string): AnthropicModelPrice {
  const price = ANTHROPIC_PRICES[model];
  if (!price) throw new UnknownModelPriceError(model);
  return price;
}

/**
 * Cost of one Anthropic call in USD.
 *
 * @param model a key of {@link ANTHROPIC_PRICES}.
 * @param inputTokens billed input tokens (`usage.input_tokens`), >= 0.
 * @param outputTokens billed output tokens (`usage.output_tokens`), >= 0.
 * @throws UnknownModelPriceError for a model not in the table; RangeError for negative or
 *   non-finite token counts.
 */
export function anthropicCostUsd(model: string, inputTokens: number, outputTokens: number): number {
  assertCount('inputTokens', inputTokens);
  assertCount('outputTokens', outputTokens);
  const price = anthropicPrice(model);
  return (inputTokens * price.inputUsdPerMTok + outputTokens * price.outputUsdPerMTok) / TOKENS_PER_MTOK;
}

/**
 * Highest possible cost of one Anthropic call: the input estimate plus the whole output
 * allowance (`max_tokens`) billed at the output price. Used to refuse calls over budget.
 *
 * @throws as {@link anthropicCostUsd}.
 */
export function worstCaseAnthropicCostUsd(model: string, estimatedInputTokens: number, maxOutputTokens: number): number {
  return anthropicCostUsd(model, estimatedInputTokens, maxOutputTokens);
}

/**
 * Cost of local-model compute: GPU time billed at a configured hourly rate
 * (config `GPU_HOUR_USD`).
 *
 * @param gpuSeconds GPU time of the call in seconds (Ollama `total_duration` / 1e9), >= 0.
 * @param gpuHourUsd USD per GPU-hour, >= 0.
 * @throws RangeError for negative or non-finite arguments.
 */
export function localCostUsd(gpuSeconds: number, gpuHourUsd: number): number {
  assertCount('gpuSeconds', gpuSeconds);
  assertCount('gpuHourUsd', gpuHourUsd);
  return (gpuSeconds / SECONDS_PER_HOUR) * gpuHourUsd;
}

/**
 * A deliberately high estimate of the tokens in a text, for budget checks before a call.
 * Claude tokenizers average about 3.5–4 characters of English per token; counting one token per
 * 3 UTF-8 bytes overestimates, which is the safe side for a budget.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

function assertCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
}
