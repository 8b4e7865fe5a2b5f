/**
 * The checklist coverage mapping (`docs/checklist-coverage.yaml`, policy issue "Checklist
 * coverage"):
 * - every policy it names exists in the pack (`policies/`), every test file and runbook section
 *   (file and `#anchor`) exists, and the runbooks' own cross-links resolve;
 * - the committed `docs/checklist-coverage.md` is what `npm run checklist` generates now;
 * - when `../shared/seed/production-deployment-checklist.md` is present (always in CI): every
 *   checklist line is mapped, under the right heading and in order, and no entry points to a line
 *   that no longer exists. When it is absent that part prints `skipped: checklist not found`.
 *
 * The checks are pure functions returning their problems; each also runs on a broken copy of the
 * mapping to show it can fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchorOf,
  CHECKLIST_PATH,
  COVERAGE_MD,
  coverageKind,
  coverageStats,
  headingAnchorOf,
  loadCoverageMap,
  parseChecklist,
  renderCoverage,
  REPO_ROOT,
  type ChecklistLine,
  type CoverageLine,
  type CoverageMap,
} from '../../scripts/checklist.js';

const RUNBOOKS_DIR = path.join(REPO_ROOT, 'docs', 'runbooks');

const map = loadCoverageMap();
const allLines = (m: CoverageMap): CoverageLine[] => m.sections.flatMap((s) => s.groups.flatMap((g) => g.lines));

/**
 * The policy names of the pack: `POLICIES` of `policies/src/pack.ts`, the list the pack is built
 * from (`policies/index.ts`) and evaluated with. Imported rather than the entry point: constructing
 * the `PolicyPack` starts the analyzer's gRPC server.
 */
async function packPolicyNames(): Promise<Set<string>> {
  const { POLICIES } = (await import('../../policies/src/pack.js')) as { POLICIES: { name: string }[] };
  return new Set(POLICIES.map((p) => p.name));
}

/**
 * GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces to
 * `-`; a repeated heading gets `-1`, `-2`, ... (the rule of github-slugger).
 */
function githubSlug(heading: string, seen: Map<string, number>): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  const base = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

/** Every anchor a Markdown file offers: heading slugs (outside code fences) and `<a id|name>`. */
function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark) {
      if (fence === null) fence = fenceMark[0]!;
      else if (fenceMark[0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) anchors.add(githubSlug(heading[1]!, seen));
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

const anchorsCache = new Map<string, Set<string> | null>();
/** Anchors of a repository file, or null when the file does not exist. */
function anchorsOf(repoPath: string): Set<string> | null {
  if (!anchorsCache.has(repoPath)) {
    const file = path.join(REPO_ROOT, repoPath);
    anchorsCache.set(repoPath, existsSync(file) ? markdownAnchors(readFileSync(file, 'utf8')) : null);
  }
  return anchorsCache.get(repoPath)!;
}

/** Problems with a `file.md#anchor` reference (repository-relative). */
function checkReference(ref: string, from: string): string[] {
  const [file, anchor] = ref.split('#') as [string, string | undefined];
  const anchors = anchorsOf(file);
  if (anchors === null) return [`${from}: ${file} does not exist`];
  if (anchor !== undefined && !anchors.has(anchor)) return [`${from}: ${file} has no section #${anchor}`];
  return [];
}

/** Problems with the policies the mapping names: each must be in the pack. */
function checkPolicyNames(m: CoverageMap, policies: Set<string>): string[] {
  return allLines(m).flatMap((line) => line.policies.filter((p) => !policies.has(p)).map((p) => `${line.id}: policy ${p} is not in the pack`));
}

/** Problems with the files the mapping names: missing test files, runbooks or runbook sections. */
function checkFilesAndSections(m: CoverageMap): string[] {
  const problems: string[] = [];
  for (const line of allLines(m)) {
    for (const t of line.tests) if (!existsSync(path.join(REPO_ROOT, t))) problems.push(`${line.id}: test file ${t} does not exist`);
    for (const r of line.runbooks) problems.push(...checkReference(r, line.id));
  }
  return problems;
}

/** Problems between the checklist and the mapping: unmapped lines, stale entries, wrong heading, order. */
function checkAgainstChecklist(m: CoverageMap, checklist: ChecklistLine[]): string[] {
  const problems: string[] = [];
  const mapped = m.sections.flatMap((s) => s.groups.flatMap((g) => g.lines.map((l) => ({ ...l, heading: g.heading, group: g.id }))));
  const byAnchor = new Map(mapped.map((l) => [l.anchor, l]));
  const inChecklist = new Set(checklist.map((l) => l.anchor));
  for (const line of checklist) {
    const entry = byAnchor.get(line.anchor);
    if (!entry) problems.push(`checklist line ${line.lineNumber} (anchor ${line.anchor}) is not mapped`);
    else if (entry.heading !== line.groupAnchor) problems.push(`${entry.id}: sits in group ${entry.group}, but the checklist line ${line.lineNumber} is under heading ${line.groupAnchor}`);
  }
  for (const entry of mapped) if (!inChecklist.has(entry.anchor)) problems.push(`${entry.id}: anchor ${entry.anchor} matches no checklist line`);
  if (problems.length === 0) {
    const order = checklist.map((l) => byAnchor.get(l.anchor)!.id);
    const mappedOrder = mapped.map((l) => l.id);
    if (order.join() !== mappedOrder.join()) problems.push('entries are not in checklist order');
  }
  return problems;
}

/** Relative Markdown links (`[text](target)`) in a runbook, outside code fences. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence;
    if (inFence) continue;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (!/^[a-z]+:/i.test(target)) links.push(target);
    }
  }
  return links;
}

describe('the mapping', () => {
  it('names only policies that exist in the pack', async () => {
    const policies = await packPolicyNames();
    expect(policies.size).toBeGreaterThan(0);
    expect(checkPolicyNames(map, policies)).toEqual([]);
  });

  it('names only test files and runbook sections that exist', () => {
    expect(checkFilesAndSections(map)).toEqual([]);
  });

  it('gives every people process a template and every uncovered line a reason', () => {
    for (const line of allLines(map)) {
      if (line.people) expect(line.runbooks.length, line.id).toBeGreaterThan(0);
      if (coverageKind(line) === 'uncovered') expect(line.gap, line.id).toBeTruthy();
    }
  });

  it('reports unknown policies, missing files and missing sections (the checks can fail)', async () => {
    const line: CoverageLine = {
      ...structuredClone(allLines(map)[0]!),
      policies: ['kubernetes-widget-frobnicated'],
      tests: ['tests/nowhere/missing.test.ts'],
      runbooks: ['docs/runbooks/deployment.md#no-such-section', 'docs/runbooks/missing.md#x'],
    };
    const broken: CoverageMap = { ...map, sections: [{ id: 'x', title: 'broken', groups: [{ id: 'x', title: 'broken', heading: '0123456789', lines: [line] }] }] };
    expect(checkPolicyNames(broken, await packPolicyNames())).toEqual([`${line.id}: policy kubernetes-widget-frobnicated is not in the pack`]);
    expect(checkFilesAndSections(broken)).toEqual([
      `${line.id}: test file tests/nowhere/missing.test.ts does not exist`,
      `${line.id}: docs/runbooks/deployment.md has no section #no-such-section`,
      `${line.id}: docs/runbooks/missing.md does not exist`,
    ]);
  });
});

describe('the runbooks', () => {
  const files = readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith('.md'));

  it('include the ones the issue asks for', () => {
    for (const f of ['README.md', 'deployment.md', 'rollback.md', 'backup-restore.md', 'incident-response.md', 'certificate-rotation.md', 'secret-rotation.md', 'scaling-workers.md', 'troubleshooting.md']) {
      expect(files).toContain(f);
    }
  });

  it('link only to files and sections that exist', () => {
    const problems: string[] = [];
    // alerts.md is written with the alert rules; its links are checked there.
    for (const file of files.filter((f) => f !== 'alerts.md')) {
      for (const link of relativeLinks(readFileSync(path.join(RUNBOOKS_DIR, file), 'utf8'))) {
        const [target, anchor] = link.split('#') as [string, string | undefined];
        const repoPath = path.relative(REPO_ROOT, path.resolve(RUNBOOKS_DIR, target || file));
        problems.push(...checkReference(anchor === undefined ? repoPath : `${repoPath}#${anchor}`, `docs/runbooks/${file}`));
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('docs/checklist-coverage.md', () => {
  it('is what `npm run checklist` generates from the mapping', () => {
    const committed = readFileSync(path.join(REPO_ROOT, COVERAGE_MD), 'utf8');
    expect(committed === renderCoverage(map), `${COVERAGE_MD} is out of date: run npm run checklist`).toBe(true);
  });

  it('states the overall and per-section percentages that the mapping gives', () => {
    const rendered = renderCoverage(map);
    const overall = coverageStats(allLines(map));
    expect(rendered).toContain(`| **overall** | ${overall.total} | ${overall.enforced} | ${overall.runbook} | ${overall.people} | ${overall.uncovered} |`);
    for (const section of map.sections) expect(rendered).toContain(`## ${section.title}`);
  });
});

describe('against the checklist', () => {
  const present = existsSync(CHECKLIST_PATH);

  it('maps every checklist line, under its heading, in order, and nothing else', (ctx) => {
    if (!present) {
      console.log('skipped: checklist not found');
      ctx.skip();
    }
    const checklist = parseChecklist(readFileSync(CHECKLIST_PATH, 'utf8'));
    expect(checklist.length).toBe(allLines(map).length);
    expect(checkAgainstChecklist(map, checklist)).toEqual([]);
  });

  it('reports an unmapped line, a stale entry and a line under the wrong heading (the check can fail)', (ctx) => {
    if (!present) {
      console.log('skipped: checklist not found');
      ctx.skip();
    }
    const checklist = parseChecklist(readFileSync(CHECKLIST_PATH, 'utf8'));
    const broken: CoverageMap = structuredClone(map);
    const group = broken.sections[1]!.groups[0]!;
    const dropped = group.lines.shift()!;
    const stale = group.lines[0]!;
    stale.anchor = '0000000000';
    const moved = broken.sections[2]!.groups[0]!.lines[0]!;
    moved.anchor = dropped.anchor;
    const droppedLine = checklist.find((l) => l.anchor === dropped.anchor)!;
    const staleLine = checklist.find((l) => l.anchor === map.sections[1]!.groups[0]!.lines[1]!.anchor)!;
    const movedLine = checklist.find((l) => l.anchor === map.sections[2]!.groups[0]!.lines[0]!.anchor)!;
    expect(checkAgainstChecklist(broken, checklist)).toEqual([
      `${moved.id}: sits in group ${broken.sections[2]!.groups[0]!.id}, but the checklist line ${droppedLine.lineNumber} is under heading ${droppedLine.groupAnchor}`,
      `checklist line ${staleLine.lineNumber} (anchor ${staleLine.anchor}) is not mapped`,
      `checklist line ${movedLine.lineNumber} (anchor ${movedLine.anchor}) is not mapped`,
      `${stale.id}: anchor 0000000000 matches no checklist line`,
    ]);
  });
});

describe('parseChecklist and the anchors', () => {
  // A made-up checklist in the same shape (not the real one).
  const sample = [
    '# Sample',
    '## Part one',
    '### Boxes',
    '- [ ] Paint the box',
    '  - [ ] Blue first',
    '  - [ ] Check the `lid`',
    '- [ ] Ship it',
    '  - [ ] Check the `lid`',
    '## Part two',
    '✅ **Done when**',
    '- [x] Everyone agrees',
  ].join('\n');

  it('finds nested lines with their parent, group and section', () => {
    const lines = parseChecklist(sample);
    expect(lines.map((l) => [l.lineNumber, l.section, l.group, l.parent, l.text])).toEqual([
      [4, 'Part one', 'Boxes', null, 'Paint the box'],
      [5, 'Part one', 'Boxes', 'Paint the box', 'Blue first'],
      [6, 'Part one', 'Boxes', 'Paint the box', 'Check the `lid`'],
      [7, 'Part one', 'Boxes', null, 'Ship it'],
      [8, 'Part one', 'Boxes', 'Ship it', 'Check the `lid`'],
      [11, 'Part two', 'Done when', null, 'Everyone agrees'],
    ]);
  });

  it('gives repeated wording under different parents different anchors, stable under layout edits', () => {
    const lines = parseChecklist(sample);
    expect(lines[2]!.anchor).not.toBe(lines[4]!.anchor);
    expect(lines[2]!.anchor).toBe(anchorOf('Boxes', 'Paint the box', 'check the lid'));
    expect(lines[2]!.anchor).toMatch(/^[0-9a-f]{10}$/);
    expect(parseChecklist(sample.replace('  - [ ] Blue first', '    - [ ]   Blue   first'))[1]!.anchor).toBe(lines[1]!.anchor);
    expect(parseChecklist(sample.replace('Blue first', 'Red first'))[1]!.anchor).not.toBe(lines[1]!.anchor);
    expect(lines[5]!.groupAnchor).toBe(headingAnchorOf('Done when'));
  });

  it('refuses a checklist where two lines would share an anchor', () => {
    expect(() => parseChecklist('### G\n- [ ] Same\n- [ ] Same')).toThrow('checklist lines 2 and 3 have the same anchor');
  });

  it('slugs headings as GitHub does', () => {
    const seen = new Map<string, number>();
    expect(githubSlug('Blue-green and canary', seen)).toBe('blue-green-and-canary');
    expect(githubSlug('Routine updates (GitOps)', seen)).toBe('routine-updates-gitops');
    expect(githubSlug('`mongodb-backup` status', seen)).toBe('mongodb-backup-status');
    expect(githubSlug('Routine updates (GitOps)', seen)).toBe('routine-updates-gitops-1');
  });
});

describe('coverage arithmetic', () => {
  const line = (over: Partial<CoverageLine>): CoverageLine => ({ id: 'x-01', anchor: '0123456789', says: 'something', policies: [], tests: [], runbooks: [], ...over });

  it('classifies each line once, with policy or test first', () => {
    expect(coverageKind(line({ policies: ['a-b'], people: 'a person signs it', runbooks: ['docs/runbooks/x.md'] }))).toBe('enforced');
    expect(coverageKind(line({ people: 'a person signs it', runbooks: ['docs/runbooks/x.md'] }))).toBe('people');
    expect(coverageKind(line({ runbooks: ['docs/runbooks/x.md'] }))).toBe('runbook');
    expect(coverageKind(line({ gap: 'nothing provisions it' }))).toBe('uncovered');
  });

  it('counts covered lines as everything but uncovered', () => {
    const stats = coverageStats([
      line({ tests: ['tests/a.test.ts'] }),
      line({ runbooks: ['docs/runbooks/x.md'] }),
      line({ people: 'a person signs it', runbooks: ['docs/runbooks/x.md'] }),
      line({ gap: 'nothing provisions it' }),
    ]);
    expect(stats).toEqual({ total: 4, enforced: 1, runbook: 1, people: 1, uncovered: 1, coveredRatio: 0.75, enforcedRatio: 0.25 });
  });
});
