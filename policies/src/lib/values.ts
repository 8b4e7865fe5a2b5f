/**
 * Small helpers for reading resource properties as the policy engine passes them: plain JSON-like
 * values (possibly wrapped in the engine's unknown-checking proxy), never Pulumi Outputs.
 */

/** Resource properties (`args.props`): the resource's inputs, secrets unwrapped. */
export type Props = Record<string, any>;

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` when it is an array, else `[]` (absent lists read as empty). */
export function list<T = any>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** A string map (labels, annotations, ConfigMap data): non-string values are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** `1 replica`, `3 replicas`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Quotes each item and joins with ", " (messages). */
export function quoted(items: Iterable<string>): string {
  return [...items].map((i) => `'${i}'`).join(', ');
}
