/**
 * Checklist coverage: reads `docs/checklist-coverage.yaml` (one entry per line of the production
 * deployment checklist, in our own words, with what covers it) and writes
 * `docs/checklist-coverage.md`: a table per checklist section and coverage percentages per
 * section and overall.
 *
 *   npm run checklist                 # regenerate docs/checklist-coverage.md
 *   npm run checklist -- --check      # exit 1 when the committed file is out of date
 *   npm run checklist -- --lines      # list the checklist's lines with their anchors and mapped ids
 *                                     #   (needs ../shared/seed/production-deployment-checklist.md)
 *
 * Any other argument prints the usage and exits 2.
 *
 * The mapping never quotes the checklist: a line is identified by an anchor, the first 10 hex
 * characters of the SHA-256 of its normalised text together with its heading and parent line
 * ({@link anchorOf}). The generated page depends on the mapping only, so it is the same whether
 * or not the checklist is present; `tests/policies/checklist-coverage.test.ts` checks the mapping
 * against the checklist when it is there.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The mapping, relative to the repository root. */
export const COVERAGE_YAML = 'docs/checklist-coverage.yaml';
/** The generated page, relative to the repository root. */
export const COVERAGE_MD = 'docs/checklist-coverage.md';
/**
 * Where the checklist sits next to a clone (read-only, never copied into the repository).
 * `CHECKLIST_FILE` overrides it (e.g. to check the skip path with a missing file).
 */
export const CHECKLIST_PATH = process.env['CHECKLIST_FILE'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'seed', 'production-deployment-checklist.md');

// ---------------------------------------------------------------------------------------------
// The checklist

/** One `- [ ]` line of the checklist, with its place in the document. */
export interface ChecklistLine {
  /** 1-based line number in the checklist file. */
  lineNumber: number;
  /** The nearest `##` heading above the line. */
  section: string;
  /** The nearest heading (`##`/`###`) or bold caption line above the line: its group. */
  group: string;
  /** The text of the enclosing checklist item for an indented line, else null. */
  parent: string | null;
  /** The item's own text, after `- [ ] `. */
  text: string;
  /** {@link anchorOf}(group, parent, text). */
  anchor: string;
  /** {@link headingAnchorOf}(group): identifies the group without quoting it. */
  groupAnchor: string;
}

/**
 * Normalises checklist text for hashing: Unicode NFKC, backticks and bold markers removed,
 * whitespace collapsed, lower case. Layout-only edits (indentation, code formatting) then keep a
 * line's anchor; wording edits change it.
 */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').replace(/[`*]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

const sha10 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 10);

/**
 * The anchor of a checklist line: first 10 hex characters of SHA-256 over
 * `normalise(group) > normalise(parent) > normalise(text)` (parent empty for a top-level item).
 * The heading and parent make repeated wording (the same check under two weeks) distinct.
 */
export function anchorOf(group: string, parent: string | null, text: string): string {
  return sha10([group, parent ?? '', text].map(normaliseText).join(' > '));
}

/** The anchor of a group heading: first 10 hex characters of SHA-256 over its normalised text. */
export function headingAnchorOf(heading: string): string {
  return sha10(normaliseText(heading));
}

/**
 * Parses every `- [ ]` line (also `- [x]`, and nested ones) of the checklist Markdown.
 *
 * @throws Error when two lines get the same anchor (the scheme would then be ambiguous).
 */
export function parseChecklist(markdown: string): ChecklistLine[] {
  const lines: ChecklistLine[] = [];
  let section = '';
  let group = '';
  /** Open items by indentation, to find an indented line's parent. */
  let stack: { indent: number; text: string }[] = [];
  for (const [index, raw] of markdown.split(/\r?\n/).entries()) {
    const heading = /^(#{2,3})\s+(.+?)\s*$/.exec(raw);
    if (heading) {
      if (heading[1] === '##') section = heading[2]!;
      group = heading[2]!;
      stack = [];
      continue;
    }
    // A caption such as "<emoji> **All services ...**" groups the items below it.
    const caption = /^\S*\s*\*\*(.+?)\*\*\s*$/.exec(raw);
    if (caption) {
      group = caption[1]!;
      stack = [];
      continue;
    }
    const item = /^(\s*)[-*]\s+\[[ xX]\]\s+(.*?)\s*$/.exec(raw);
    if (!item) continue;
    const indent = item[1]!.replace(/\t/g, '    ').length;
    const text = item[2]!;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack.length > 0 ? stack[stack.length - 1]!.text : null;
    stack.push({ indent, text });
    lines.push({ lineNumber: index + 1, section, group, parent, text, anchor: anchorOf(group, parent, text), groupAnchor: headingAnchorOf(group) });
  }
  const seen = new Map<string, number>();
  for (const line of lines) {
    const earlier = seen.get(line.anchor);
    if (earlier !== undefined) throw new Error(`checklist lines ${earlier} and ${line.lineNumber} have the same anchor ${line.anchor}`);
    seen.set(line.anchor, line.lineNumber);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The mapping

const anchor = z.string().regex(/^[0-9a-f]{10}$/, 'must be 10 lower-case hex characters (sha256 prefix)');
const repoPath = z.string().regex(/^[\w./-]+$/, 'must be a repository-relative path');

/** One checklist line in our own words, and what covers it. */
export const coverageLineSchema = z.strictObject({
  /** `<group id>-NN`, e.g. `9a-db-03`. */
  id: z.string().regex(/^[0-9a-z]+(-[0-9a-z]+)*-\d{2}$/, 'must look like 9a-db-03'),
  /** {@link anchorOf} of the checklist line. */
  anchor,
  /** A short paraphrase of what the line asks (never the checklist's wording). */
  says: z.string().min(5).max(160),
  /** Policy names in the pack (`policies/`) that enforce it. */
  policies: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, 'must be a <resource-type-slug>-<rule> policy name')).default([]),
  /** Test files (repository-relative) that prove it. */
  tests: z.array(repoPath.regex(/^tests\/.+\.test\.ts$/, 'must be a test file under tests/')).default([]),
  /** Runbook sections (`docs/runbooks/<file>.md#<heading-slug>`) that describe how it is done. */
  runbooks: z.array(z.string().regex(/^docs\/runbooks\/[\w.-]+\.md(#[\w-]+)?$/, 'must be docs/runbooks/<file>.md#<anchor>')).default([]),
  /** Why this is a people process (approvals, schedules, reviews), naming the template in `runbooks`. */
  people: z.string().min(10).optional(),
  /** Why nothing covers it yet (an honest gap), when nothing does. */
  gap: z.string().min(10).optional(),
});
export type CoverageLine = z.infer<typeof coverageLineSchema>;

/** A group of lines under one checklist heading. */
export const coverageGroupSchema = z.strictObject({
  /** e.g. `9a-db`; every line id starts with it. */
  id: z.string().regex(/^[0-9a-z]+(-[0-9a-z]+)*$/),
  /** Our own title for the group. */
  title: z.string().min(3),
  /** {@link headingAnchorOf} of the checklist heading (or caption) the group's lines sit under. */
  heading: anchor,
  lines: z.array(coverageLineSchema).min(1),
});

/** A checklist section (`##`), with its groups. */
export const coverageSectionSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-z]+$/),
  /** Our own title for the section. */
  title: z.string().min(3),
  groups: z.array(coverageGroupSchema).min(1),
});

/** The whole mapping file. */
export const coverageMapSchema = z.strictObject({
  /** Anchor scheme version; see {@link anchorOf}. */
  anchorScheme: z.literal('sha256-10 of normalise(heading) > normalise(parent) > normalise(line)'),
  sections: z.array(coverageSectionSchema).min(1),
});
export type CoverageMap = z.infer<typeof coverageMapSchema>;
export type CoverageSection = z.infer<typeof coverageSectionSchema>;

/**
 * Reads and validates the mapping.
 *
 * @throws Error listing every schema problem with its path, or a duplicate id or anchor, or a
 *   line id that does not start with its group id.
 */
export function loadCoverageMap(file = path.join(REPO_ROOT, COVERAGE_YAML)): CoverageMap {
  const result = coverageMapSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!result.success) {
    throw new Error(`${path.relative(REPO_ROOT, file)}:\n  - ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  - ')}`);
  }
  const map = result.data;
  const problems: string[] = [];
  const ids = new Set<string>();
  const anchors = new Set<string>();
  for (const group of map.sections.flatMap((s) => s.groups)) {
    for (const line of group.lines) {
      if (!line.id.startsWith(`${group.id}-`)) problems.push(`${line.id}: does not start with its group id ${group.id}`);
      if (ids.has(line.id)) problems.push(`${line.id}: duplicate id`);
      if (anchors.has(line.anchor)) problems.push(`${line.id}: duplicate anchor ${line.anchor}`);
      if (line.people === undefined && line.gap === undefined && coveredBy(line).length === 0) {
        problems.push(`${line.id}: covered by nothing; name a policy, test or runbook, or say why in people or gap`);
      }
      if (line.people !== undefined && line.runbooks.length === 0) problems.push(`${line.id}: a people process needs its template in runbooks`);
      ids.add(line.id);
      anchors.add(line.anchor);
    }
  }
  if (problems.length > 0) throw new Error(`${COVERAGE_YAML}:\n  - ${problems.join('\n  - ')}`);
  return map;
}

/** Everything named as covering a line. */
export function coveredBy(line: CoverageLine): string[] {
  return [...line.policies, ...line.tests, ...line.runbooks];
}

/**
 * How a line is covered:
 * - `enforced`: a policy or a test checks it;
 * - `runbook`: a runbook section describes how it is done (and no policy or test);
 * - `people`: a people process (approval, schedule, review), covered by its template;
 * - `uncovered`: nothing covers it.
 */
export type CoverageKind = 'enforced' | 'runbook' | 'people' | 'uncovered';

export function coverageKind(line: CoverageLine): CoverageKind {
  if (line.policies.length > 0 || line.tests.length > 0) return 'enforced';
  if (line.people !== undefined) return 'people';
  if (line.runbooks.length > 0) return 'runbook';
  return 'uncovered';
}

/** Counts of each kind for a set of lines, and the covered share (everything but `uncovered`). */
export interface CoverageStats {
  total: number;
  enforced: number;
  runbook: number;
  people: number;
  uncovered: number;
  /** (enforced + runbook + people) / total, 0..1. */
  coveredRatio: number;
  /** enforced / total, 0..1. */
  enforcedRatio: number;
}

export function coverageStats(lines: CoverageLine[]): CoverageStats {
  const count = (kind: CoverageKind) => lines.filter((l) => coverageKind(l) === kind).length;
  const total = lines.length;
  const stats = { total, enforced: count('enforced'), runbook: count('runbook'), people: count('people'), uncovered: count('uncovered') };
  return { ...stats, coveredRatio: total ? (total - stats.uncovered) / total : 0, enforcedRatio: total ? stats.enforced / total : 0 };
}

const sectionLines = (section: CoverageSection) => section.groups.flatMap((g) => g.lines);
const percent = (ratio: number) => `${(Math.round(ratio * 1000) / 10).toFixed(1)}%`;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One "covered by" cell: each policy, test and runbook link on its own line. */
function coveredByCell(line: CoverageLine): string {
  const parts = [
    ...line.policies.map((p) => `policy \`${p}\``),
    ...line.tests.map((t) => `test [${path.basename(t)}](../${t})`),
    ...line.runbooks.map((r) => `runbook [${r.replace(/^docs\/runbooks\//, '')}](${r.replace(/^docs\//, '')})`),
  ];
  if (line.people) parts.push(`people: ${line.people}`);
  if (line.gap) parts.push(`**gap**: ${line.gap}`);
  return cell(parts.join('<br>'));
}

const KIND_LABEL: Record<CoverageKind, string> = { enforced: 'policy/test', runbook: 'runbook', people: 'people', uncovered: '**none**' };

/** Renders `docs/checklist-coverage.md` from the mapping. Deterministic: depends on `map` only. */
export function renderCoverage(map: CoverageMap): string {
  const all = map.sections.flatMap(sectionLines);
  const overall = coverageStats(all);
  const out: string[] = [];
  out.push('# Checklist coverage', '');
  out.push(
    `<!-- Generated by \`npm run checklist\` from \`${COVERAGE_YAML}\`. Do not edit: change the YAML and regenerate. -->`,
    '',
    'Every line of the production-deployment checklist (`../shared/seed/production-deployment-checklist.md`),',
    'paraphrased, with what covers it. Kinds of coverage:',
    '',
    '- **policy/test**: a CrossGuard policy in `policies/` (run by `pulumi preview --policy-pack policies` and',
    '  `npm run policy:check`, unit-tested in `tests/policies/`) or a test in `tests/` checks it on every pull request;',
    '- **runbook**: a section of `docs/runbooks/` says how to do it, with the commands;',
    '- **people**: an approval, schedule or review that only people can give, covered by the template named;',
    '- **none**: not covered yet (the reason is given).',
    '',
    'A line counts as covered when it is not **none**. `tests/policies/checklist-coverage.test.ts` checks',
    'that every policy, test file and runbook section named here exists, and that every checklist line',
    'is mapped (lines are identified by a hash, never quoted).',
    '',
    '## Summary',
    '',
    '| section | lines | policy/test | runbook | people | none | covered | enforced |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  const row = (title: string, s: CoverageStats) =>
    `| ${title} | ${s.total} | ${s.enforced} | ${s.runbook} | ${s.people} | ${s.uncovered} | ${percent(s.coveredRatio)} | ${percent(s.enforcedRatio)} |`;
  for (const section of map.sections) out.push(row(`[${section.title}](#${section.id})`, coverageStats(sectionLines(section))));
  out.push(row('**overall**', overall), '');
  out.push(
    `Overall: ${percent(overall.coveredRatio)} of ${overall.total} lines covered (${overall.enforced} by a policy or test, ` +
      `${overall.runbook} by a runbook, ${overall.people} people processes); ${overall.uncovered} not covered.`,
    '',
  );
  for (const section of map.sections) {
    const s = coverageStats(sectionLines(section));
    out.push(`<a id="${section.id}"></a>`, '', `## ${section.title}`, '');
    out.push(`${s.total} lines; covered ${percent(s.coveredRatio)} (policy/test ${s.enforced}, runbook ${s.runbook}, people ${s.people}, none ${s.uncovered}).`, '');
    out.push('| id | group | the line asks | kind | covered by |', '|---|---|---|---|---|');
    for (const group of section.groups) {
      for (const line of group.lines) {
        out.push(`| \`${line.id}\` | ${cell(group.title)} | ${cell(line.says)} | ${KIND_LABEL[coverageKind(line)]} | ${coveredByCell(line)} |`);
      }
    }
    out.push('');
  }
  const gaps = all.filter((l) => coverageKind(l) === 'uncovered');
  out.push('## Not covered', '');
  if (gaps.length === 0) out.push('Every line is covered.', '');
  else {
    out.push('| id | the line asks | why |', '|---|---|---|');
    for (const line of gaps) out.push(`| \`${line.id}\` | ${cell(line.says)} | ${cell(line.gap ?? '')} |`);
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command line

/** The usage text, printed by `--help` and after a usage error. */
export const USAGE = `usage: npm run checklist [-- --check | --lines]

  (no option)  regenerate ${COVERAGE_MD} from ${COVERAGE_YAML}
  --check      exit 1 when the committed ${COVERAGE_MD} is out of date
  --lines      list the checklist's lines with their anchors and mapped ids (needs the checklist)`;

/** What to do, from the command line. */
export type ChecklistCommand = 'write' | 'check' | 'lines' | 'help';

/**
 * Parses the command line.
 * @throws Error (parseArgs's message) for an unknown option or a positional argument; Error when
 *   `--check` and `--lines` are both given.
 */
export function parseChecklistArgs(argv: string[]): ChecklistCommand {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean' }, lines: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  if (values.check && values.lines) throw new Error('--check and --lines do not go together');
  return values.lines ? 'lines' : values.check ? 'check' : 'write';
}

function main(argv: string[]): number {
  let command: ChecklistCommand;
  try {
    command = parseChecklistArgs(argv);
  } catch (err) {
    console.error(`checklist: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const map = loadCoverageMap();
  const target = path.join(REPO_ROOT, COVERAGE_MD);
  if (command === 'lines') {
    if (!existsSync(CHECKLIST_PATH)) {
      console.error(`checklist not found at ${CHECKLIST_PATH}`);
      return 2;
    }
    const byAnchor = new Map(map.sections.flatMap((s) => s.groups.flatMap((g) => g.lines.map((l) => [l.anchor, l.id] as const))));
    // Printed to the terminal for the maintainer, never written into the repository.
    for (const line of parseChecklist(readFileSync(CHECKLIST_PATH, 'utf8'))) {
      console.log(`${String(line.lineNumber).padStart(4)}  ${line.anchor}  ${line.groupAnchor}  ${(byAnchor.get(line.anchor) ?? 'UNMAPPED').padEnd(16)} ${line.text}`);
    }
    return 0;
  }
  const rendered = renderCoverage(map);
  if (command === 'check') {
    const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (current !== rendered) {
      console.error(`${COVERAGE_MD} is out of date: run npm run checklist`);
      return 1;
    }
    console.log(`${COVERAGE_MD} is up to date`);
    return 0;
  }
  writeFileSync(target, rendered);
  const overall = coverageStats(map.sections.flatMap(sectionLines));
  console.log(`wrote ${COVERAGE_MD}: ${overall.total} lines, ${percent(overall.coveredRatio)} covered (${overall.enforced} policy/test, ${overall.runbook} runbook, ${overall.people} people, ${overall.uncovered} none)`);
  for (const section of map.sections) {
    const s = coverageStats(sectionLines(section));
    console.log(`  ${section.title.padEnd(40)} ${String(s.total).padStart(3)} lines  ${percent(s.coveredRatio).padStart(6)} covered  ${percent(s.enforcedRatio).padStart(6)} enforced`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
