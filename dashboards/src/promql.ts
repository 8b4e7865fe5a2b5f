/**
 * PromQL checks for the dashboards (and for any other code that writes PromQL, such as the alert
 * rules): Grafana variable substitution, parsing with the official Prometheus grammar
 * (`@prometheus-io/lezer-promql`, the parser behind the Prometheus UI), and extraction of the
 * metric and label names an expression uses, so tests can cross-check them against
 * `app/src/metrics/catalog.ts`.
 *
 * The grammar checks syntax only: it does not know function arities or argument types, nor which
 * metrics exist.
 */
import { parser } from '@prometheus-io/lezer-promql';

// Types come through the parser rather than from `@lezer/common`, which is only a transitive
// dependency of `@lezer/lr`.
type Tree = ReturnType<typeof parser.parse>;
type SyntaxNode = Tree['topNode'];

/**
 * Representative values for Grafana's built-in time variables, chosen so that the substituted
 * text is valid PromQL: durations where Grafana writes a duration, plain numbers for the `_s` and
 * `_ms` forms. Source: Grafana docs, "Global variables" (`$__interval`, `$__rate_interval`,
 * `$__range`).
 */
export const GRAFANA_BUILTIN_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '5m',
  __rate_interval_ms: '300000',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '1d',
  __range_s: '86400',
  __range_ms: '86400000',
};

/**
 * Grafana's variable syntaxes: `$name`, `[[name]]`, `[[name:format]]`, `${name}`,
 * `${name:format}` (the same three forms Grafana's template service recognises).
 */
const GRAFANA_VARIABLE = /\$(\w+)|\[\[(\w+?)(?::\w+)?\]\]|\$\{(\w+)(?::[^}]+)?\}/g;

/**
 * Replaces Grafana template variables in a PromQL expression by plain values, so that a PromQL
 * parser can read it.
 *
 * @param expr PromQL as stored in a dashboard target, e.g. `rate(x[$__rate_interval])`.
 * @param variables Values for dashboard variables (name without `$`), e.g. `{ agent: 'summary' }`;
 *   they take precedence over {@link GRAFANA_BUILTIN_VALUES}.
 * @returns The expression with every variable replaced, e.g. `rate(x[5m])`.
 * @throws Error naming the variable when a variable has no value. `$1`, `$2`… are left alone:
 *   they are regex group references (e.g. in `label_replace`), which Grafana leaves alone too.
 */
export function substituteGrafanaVariables(expr: string, variables: Readonly<Record<string, string>> = {}): string {
  return expr.replace(GRAFANA_VARIABLE, (whole, dollar?: string, brackets?: string, braces?: string) => {
    const name = (dollar ?? brackets ?? braces)!;
    if (/^\d+$/.test(name)) return whole;
    const value = variables[name] ?? GRAFANA_BUILTIN_VALUES[name];
    if (value === undefined) throw new Error(`no value for Grafana variable "${name}" in: ${expr}`);
    return value;
  });
}

/** One syntax error of a parse: character offsets into the substituted expression. */
export interface PromQLSyntaxError {
  from: number;
  to: number;
  /** The substituted expression the offsets refer to. */
  expr: string;
}

/** Thrown by {@link parsePromQL}; `errors` lists every error node of the parse tree. */
export class PromQLParseError extends Error {
  constructor(
    readonly original: string,
    readonly errors: PromQLSyntaxError[],
  ) {
    const first = errors[0]!;
    super(`invalid PromQL at ${first.from}-${first.to} (${errors.length} error node(s)): ${first.expr}`);
    this.name = 'PromQLParseError';
  }
}

/** Result of {@link parsePromQL}: the substituted text and its lezer syntax tree. */
export interface ParsedPromQL {
  /** The expression after {@link substituteGrafanaVariables}; node offsets refer to it. */
  text: string;
  tree: Tree;
}

/**
 * Substitutes Grafana variables, then parses with the Prometheus lezer grammar.
 *
 * @throws Error from {@link substituteGrafanaVariables} for a variable without a value.
 * @throws PromQLParseError when the tree has any error node (lezer recovers from errors instead
 *   of failing, so error nodes are the only signal), including for an empty expression.
 */
export function parsePromQL(expr: string, variables: Readonly<Record<string, string>> = {}): ParsedPromQL {
  const text = substituteGrafanaVariables(expr, variables);
  const tree = parser.parse(text);
  const errors: PromQLSyntaxError[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push({ from: node.from, to: node.to, expr: text });
    },
  });
  if (errors.length > 0) throw new PromQLParseError(expr, errors);
  return { text, tree };
}

/** A metric an expression selects, with every label name the expression uses on it. */
export interface SelectorUse {
  /**
   * The metric name: the selector's identifier, or its `__name__="…"` matcher. `null` for a
   * selector that names no single metric (`{job="x"}`, `{__name__=~"a|b"}`).
   */
  metric: string | null;
  /** Sorted, distinct label names (never `__name__`). */
  labels: string[];
}

/**
 * Lists the metrics an expression selects and, per metric, the label names it relies on:
 * - label matchers of the selector (`x{agent="summary"}`);
 * - `by (…)` / `without (…)` labels of every enclosing aggregation;
 * - `on (…)` / `ignoring (…)` labels of every enclosing binary operation (both operands), and its
 *   `group_left (…)` labels (right operand only) or `group_right (…)` labels (left operand only);
 * - source labels of `label_replace` / `label_join` and the labels of `sort_by_label[_desc]`.
 *
 * Labels that the expression itself creates (`label_replace`/`label_join` destination,
 * `count_values` label) are not attributed to the metrics below the function that creates them.
 * Entries are merged per metric and sorted by metric name (`null` last).
 *
 * @param expr PromQL, with or without Grafana variables (substituted as in {@link parsePromQL}).
 * @throws as {@link parsePromQL}: an expression that does not parse has no reliable selectors.
 * @example extractSelectors('sum by (le) (rate(foo_bucket{job="a"}[5m]))')
 *   // → [{ metric: 'foo_bucket', labels: ['job', 'le'] }]
 */
export function extractSelectors(expr: string, variables: Readonly<Record<string, string>> = {}): SelectorUse[] {
  const { text, tree } = parsePromQL(expr, variables);
  const byMetric = new Map<string | null, Set<string>>();
  tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return;
      const selector = ref.node;
      const { metric, labels } = readSelector(selector, text);
      const used = byMetric.get(metric) ?? new Set<string>();
      for (const l of labels) used.add(l);
      for (const l of enclosingLabels(selector, text)) used.add(l);
      used.delete('__name__');
      byMetric.set(metric, used);
    },
  });
  return [...byMetric.entries()]
    .map(([metric, labels]) => ({ metric, labels: [...labels].sort() }))
    .sort((a, b) => (a.metric === null ? 1 : b.metric === null ? -1 : a.metric.localeCompare(b.metric)));
}

/** The metric name and matcher label names of one VectorSelector node. */
function readSelector(selector: SyntaxNode, text: string): { metric: string | null; labels: string[] } {
  let metric: string | null = null;
  const identifier = selector.getChild('Identifier');
  if (identifier) metric = slice(identifier, text);
  const labels: string[] = [];
  const matchers = selector.getChild('LabelMatchers');
  for (const matcher of matchers ? children(matchers) : []) {
    const name = matcher.name === 'UnquotedLabelMatcher' ? matcher.getChild('LabelName') : matcher.getChild('QuotedLabelName');
    if (!name) continue; // a QuotedLabelMatcher without a name is the `{"metric"}` shorthand
    const label = labelText(name, text);
    const op = matcher.getChild('MatchOp');
    const value = matcher.getChildren('StringLiteral').at(-1);
    if (label === '__name__' && op && slice(op, text) === '=' && value) metric = unquote(slice(value, text));
    else labels.push(label);
    if (matcher.name === 'QuotedLabelMatcher' && !op) metric = label; // `{"metric.name"}`
  }
  return { metric, labels };
}

/** Label names that enclosing aggregations, binary operations and label functions apply. */
function enclosingLabels(selector: SyntaxNode, text: string): string[] {
  const out: string[] = [];
  const created = new Set<string>();
  for (let child = selector, node = selector.parent; node; child = node, node = node.parent) {
    if (node.name === 'AggregateExpr') {
      const modifier = node.getChild('AggregateModifier');
      const grouping = modifier?.getChild('GroupingLabels');
      if (grouping) out.push(...groupingLabels(grouping, text).filter((l) => !created.has(l)));
      const op = node.getChild('AggregateOp');
      if (op?.firstChild?.name === 'CountValues') {
        const label = node.getChild('FunctionCallBody')?.getChild('StringLiteral');
        if (label) created.add(unquote(slice(label, text)));
      }
    } else if (node.name === 'BinaryExpr') {
      const matching = node.getChild('MatchingModifierClause');
      if (matching) {
        const [onOrIgnoring, include] = matching.getChildren('GroupingLabels');
        if (onOrIgnoring) out.push(...groupingLabels(onOrIgnoring, text).filter((l) => !created.has(l)));
        // group_left(l) copies l from the right operand (the "one" side); group_right, from the left.
        const isLeftOperand = node.firstChild !== null && child.from === node.firstChild.from && child.to === node.firstChild.to;
        const oneSideIsLeft = matching.getChild('GroupRight') !== null;
        if (include && isLeftOperand === oneSideIsLeft) out.push(...groupingLabels(include, text).filter((l) => !created.has(l)));
      }
    } else if (node.name === 'FunctionCall' && child.name === 'FunctionCallBody') {
      const fn = node.getChild('FunctionIdentifier')?.firstChild?.name;
      const strings = child.getChildren('StringLiteral').map((s) => unquote(slice(s, text)));
      if (fn === 'LabelReplace') {
        // label_replace(v, dst, replacement, src, regex)
        if (strings[2] !== undefined && !created.has(strings[2])) out.push(strings[2]);
        if (strings[0] !== undefined) created.add(strings[0]);
      } else if (fn === 'LabelJoin') {
        // label_join(v, dst, separator, src1, src2, ...)
        out.push(...strings.slice(2).filter((l) => !created.has(l)));
        if (strings[0] !== undefined) created.add(strings[0]);
      } else if (fn === 'SortByLabel' || fn === 'SortByLabelDesc') {
        out.push(...strings.filter((l) => !created.has(l)));
      }
    }
  }
  return out;
}

function groupingLabels(grouping: SyntaxNode, text: string): string[] {
  return children(grouping)
    .filter((n) => n.name === 'LabelName' || n.name === 'QuotedLabelName')
    .map((n) => labelText(n, text));
}

function labelText(node: SyntaxNode, text: string): string {
  return node.name === 'QuotedLabelName' ? unquote(slice(node, text)) : slice(node, text);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function slice(node: SyntaxNode, text: string): string {
  return text.slice(node.from, node.to);
}

/** PromQL string literal → value: backticks are raw; quoted strings use Go escapes (JSON's subset suffices for label names). */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith('`')) return body;
  const asDouble = literal.startsWith("'") ? `"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : literal;
  try {
    return JSON.parse(asDouble) as string;
  } catch {
    return body;
  }
}
