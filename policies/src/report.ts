/**
 * Renders an evaluation the way `pulumi preview --policy-pack` prints its "Policies:" section:
 * the pack name and version, then per violation the enforcement level, severity, policy name and
 * resource, the policy's description and the message; then a summary line.
 */
import type { EvaluationResult, Violation } from './evaluate.js';
import type { PackPolicy } from './lib/policy.js';

export interface ReportOptions {
  packName: string;
  packVersion: string;
  /** Where the pack was loaded from, as the CLI shows it (`local: policies`). */
  source: string;
  stack: string;
  policies: readonly PackPolicy[];
}

/** `(kubernetes:apps/v1:StatefulSet: nsq-nsqd)` from a URN, as the CLI shortens it. */
function resourceOf(urn: string | undefined): string {
  if (!urn) return '(stack)';
  const parts = urn.split('::');
  const type = (parts[2] ?? '').split('$').pop();
  return `(${type}: ${parts[3] ?? ''})`;
}

/** Counts for the summary line. */
export function summarize(result: EvaluationResult, policies: readonly PackPolicy[]): { mandatory: number; advisory: number; failedPolicies: number; passedPolicies: number } {
  const failed = new Set(result.violations.map((v) => v.policy));
  return {
    mandatory: result.violations.filter((v) => v.enforcementLevel === 'mandatory').length,
    advisory: result.violations.filter((v) => v.enforcementLevel === 'advisory').length,
    failedPolicies: failed.size,
    passedPolicies: policies.filter((p) => !failed.has(p.name)).length,
  };
}

/**
 * The report text (no trailing newline).
 *
 * @param result  `evaluatePack`'s result.
 * @param options pack identity, stack, and the evaluated policies (for the summary).
 */
export function formatReport(result: EvaluationResult, options: ReportOptions): string {
  const s = summarize(result, options.policies);
  const mark = s.mandatory > 0 ? '❌' : s.advisory > 0 ? '⚠️' : '✅';
  const lines = ['Policies:', `    ${mark} ${options.packName}@v${options.packVersion} (${options.source})`];
  const order = (v: Violation) => (v.enforcementLevel === 'mandatory' ? 0 : 1);
  for (const v of [...result.violations].sort((a, b) => order(a) - order(b))) {
    lines.push(`        - [${v.enforcementLevel}]  [severity: ${v.severity ?? 'unspecified'}]  ${v.policy}  ${resourceOf(v.urn)}`);
    if (v.urn) lines.push(`          ${v.urn}`);
    lines.push(`          ${v.description}`);
    lines.push(`          ${v.message}`);
  }
  lines.push(
    '',
    `Stack ${options.stack}: ${s.mandatory} mandatory and ${s.advisory} advisory violations from ${s.failedPolicies} policies; ${s.passedPolicies} of ${options.policies.length} policies passed.`,
  );
  return lines.join('\n');
}
