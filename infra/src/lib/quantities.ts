/**
 * Kubernetes quantities (`50Gi`, `512Mi`, `500m`, `2`): the one parser shared by the infra program
 * (Docker limits in `./resources.ts`) and the policy pack (`policies/src/lib/quantities.ts`).
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes quantity in base units (bytes for memory and storage, cores for CPU).
 * Accepts `50Gi`, `512Mi`, `500m`, `2`, `1.5`, `1e3`, and plain numbers.
 * Source: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 *
 * @returns the value, or `NaN` when `quantity` is not a quantity.
 */
export function parseQuantity(quantity: unknown): number {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : Number.NaN;
  if (typeof quantity !== 'string') return Number.NaN;
  const match = /^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(quantity.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  const suffix = match[2] ?? '';
  if (suffix in BINARY) return value * BINARY[suffix]!;
  if (suffix in DECIMAL) return value * DECIMAL[suffix]!;
  return value * 10 ** Number(suffix.slice(1));
}

/** A storage quantity in GiB (`50Gi` → 50, `32G` → 29.8...); `NaN` when unparseable. */
export function toGibibytes(quantity: unknown): number {
  return parseQuantity(quantity) / BINARY.Gi!;
}
