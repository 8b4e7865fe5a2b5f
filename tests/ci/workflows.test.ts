/**
 * The GitOps workflows in `.github/workflows/` (policy issue, "GitOps CI"):
 * - actionlint (built from the Go module proxy by `scripts/install-actionlint.sh`) finds no
 *   problem in any workflow, and does find one in a deliberately broken workflow;
 * - pull requests: tests, then `pulumi preview` per stack (dev, staging, prod) with
 *   `comment-on-pr`, `diff` and the local policy pack;
 * - merges to main: `pulumi up` on staging, then prod behind the `production` environment;
 * - a scheduled drift check: `preview` with `expect-no-changes`;
 * - credentials only from `secrets.*`, actions pinned, least-privilege permissions, one
 *   concurrency group per stack.
 *
 * Each property is a pure check returning its problems, run on the real workflow and on a copy
 * with one thing broken, so that a check that cannot fail would show.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKFLOWS_DIR = path.join(REPO_ROOT, '.github', 'workflows');
const INSTALL_SCRIPT = 'scripts/install-actionlint.sh';
const ACTIONLINT = path.join(REPO_ROOT, '.tools', 'bin', 'actionlint');
const STACKS = ['dev', 'staging', 'prod'] as const;

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML is untyped */
type Doc = Record<string, any>;
type Step = Record<string, any>;
type Job = Record<string, any>;

const workflowFiles = readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const load = (file: string): Doc => parse(readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8')) as Doc;
const clone = <T>(v: T): T => structuredClone(v);

/** One actionlint finding (`-format '{{json .}}'`). */
interface ActionlintError {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

/** Runs actionlint on files; returns its findings. Throws when the binary is missing. */
function actionlint(files: string[]): ActionlintError[] {
  if (!existsSync(ACTIONLINT)) {
    throw new Error(`actionlint not found at .tools/bin/actionlint: run \`bash ${INSTALL_SCRIPT}\` (builds it from the Go module proxy; needs Go)`);
  }
  const result = spawnSync(ACTIONLINT, ['-format', '{{json .}}', ...files], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.error) throw result.error;
  // Exit 0: no problem; 1: problems found (JSON on stdout); anything else: a failure to run.
  if (result.status !== 0 && result.status !== 1) throw new Error(`actionlint exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout || '[]') as ActionlintError[];
}

/** Every job's steps that run pulumi/actions, with the job's id. */
function pulumiSteps(doc: Doc): { jobId: string; job: Job; step: Step }[] {
  return Object.entries((doc.jobs ?? {}) as Record<string, Job>).flatMap(([jobId, job]) =>
    ((job.steps ?? []) as Step[])
      .filter((step) => typeof step.uses === 'string' && step.uses.startsWith('pulumi/actions@'))
      .map((step) => ({ jobId, job, step })),
  );
}

/** The stacks a job runs on: its matrix's `stack` values, or the literal `stack-name`. */
function stacksOf(job: Job, step: Step): string[] {
  const name = String(step.with?.['stack-name'] ?? '');
  if (name === '${{ matrix.stack }}') {
    const matrix = job.strategy?.matrix ?? {};
    const listed = (matrix.stack ?? []) as string[];
    const included = ((matrix.include ?? []) as { stack?: string }[]).map((i) => i.stack).filter((s): s is string => !!s);
    return [...listed, ...included];
  }
  return name ? [name] : [];
}

/** `needs` of a job as a list. */
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/** The job that runs the test suite (`.ci/run`). */
function testJobIds(doc: Doc): string[] {
  return Object.entries((doc.jobs ?? {}) as Record<string, Job>)
    .filter(([, job]) => ((job.steps ?? []) as Step[]).some((s) => typeof s.run === 'string' && /(^|\s)(bash\s+)?\.ci\/run\b/.test(s.run)))
    .map(([id]) => id);
}

/**
 * The per-stack policy config a pulumi step must pass (`policies/config/<stack>.json`): without it
 * the pack applies prod's enforcement levels to every stack (policies/README.md).
 */
function policyConfigProblem(jobId: string, step: Step): string[] {
  const stackName = String(step.with?.['stack-name'] ?? '');
  const expected = `policies/config/${stackName}.json`;
  return step.with?.policyPackConfigs === expected ? [] : [`${jobId}: policyPackConfigs is not ${expected}`];
}

/** Problems with the pull-request workflow's preview (empty when it is right). */
function checkPullRequestWorkflow(doc: Doc): string[] {
  const problems: string[] = [];
  if (!doc.on?.pull_request && !(Array.isArray(doc.on) && doc.on.includes('pull_request'))) problems.push('not triggered by pull_request');
  const tests = testJobIds(doc);
  if (tests.length === 0) problems.push('no job runs .ci/run');
  const previews = pulumiSteps(doc).filter(({ step }) => step.with?.command === 'preview');
  const covered = new Set<string>();
  for (const { jobId, job, step } of previews) {
    const w = step.with ?? {};
    if (w['comment-on-pr'] !== true) problems.push(`${jobId}: comment-on-pr is not true`);
    if (w.diff !== true) problems.push(`${jobId}: diff is not true`);
    if (w.policyPacks !== 'policies') problems.push(`${jobId}: policyPacks is not the local pack "policies"`);
    problems.push(...policyConfigProblem(jobId, step));
    if (!needsOf(job).some((n) => tests.includes(n))) problems.push(`${jobId}: does not wait for the tests`);
    if (job.permissions?.['pull-requests'] !== 'write') problems.push(`${jobId}: lacks pull-requests: write (needed for the comment)`);
    // Branch code must not reach deployment credentials without an environment's protection.
    const env = job.environment;
    const envName = typeof env === 'string' ? env : env?.name;
    if (typeof envName !== 'string' || !envName.includes('matrix.stack')) problems.push(`${jobId}: not behind a per-stack environment`);
    if (/KUBECONFIG_(PROD|STAGING)\b/.test(JSON.stringify(job.steps ?? []))) problems.push(`${jobId}: uses a deployment kubeconfig from repository secrets`);
    for (const s of stacksOf(job, step)) covered.add(s);
  }
  for (const s of STACKS) if (!covered.has(s)) problems.push(`no preview of stack ${s}`);
  return problems;
}

/** Problems with the deploy workflow (empty when it is right). */
function checkDeployWorkflow(doc: Doc): string[] {
  const problems: string[] = [];
  const branches = (doc.on?.push?.branches ?? []) as string[];
  if (!branches.includes('main')) problems.push('not triggered by a push to main');
  const ups = pulumiSteps(doc).filter(({ step }) => step.with?.command === 'up');
  const staging = ups.find(({ job, step }) => stacksOf(job, step).includes('staging'));
  const prod = ups.find(({ job, step }) => stacksOf(job, step).includes('prod'));
  if (!staging) problems.push('no pulumi up on staging');
  if (!prod) problems.push('no pulumi up on prod');
  if (staging && !needsOf(staging.job).some((n) => testJobIds(doc).includes(n))) problems.push('staging up does not wait for the tests');
  if (prod) {
    const env = prod.job.environment;
    const envName = typeof env === 'string' ? env : env?.name;
    if (envName !== 'production') problems.push('prod up is not behind the production environment');
    if (staging && !needsOf(prod.job).includes(staging.jobId)) problems.push('prod up does not need the staging job');
    if (staging && prod.jobId === staging.jobId) problems.push('prod and staging share one job');
  }
  for (const { jobId, step } of ups) {
    if (step.with?.policyPacks !== 'policies') problems.push(`${jobId}: up without the policy pack`);
    problems.push(...policyConfigProblem(jobId, step));
  }
  return problems;
}

/** Problems with the drift workflow (empty when it is right). */
function checkDriftWorkflow(doc: Doc): string[] {
  const problems: string[] = [];
  const crons = ((doc.on?.schedule ?? []) as { cron?: string }[]).map((s) => s.cron).filter(Boolean);
  if (crons.length === 0) problems.push('no schedule');
  if (!('workflow_dispatch' in (doc.on ?? {}))) problems.push('cannot be started by hand (workflow_dispatch)');
  const previews = pulumiSteps(doc).filter(({ step }) => step.with?.command === 'preview');
  if (previews.length === 0) problems.push('no preview');
  const covered = new Set<string>();
  for (const { jobId, job, step } of previews) {
    if (step.with?.['expect-no-changes'] !== true) problems.push(`${jobId}: expect-no-changes is not true`);
    problems.push(...policyConfigProblem(jobId, step));
    for (const s of stacksOf(job, step)) covered.add(s);
  }
  // dev lives on each developer's Docker engine; the deployed stacks must be checked.
  for (const s of ['staging', 'prod']) if (!covered.has(s)) problems.push(`no drift check of stack ${s}`);
  return problems;
}

/** Names that hold a credential: their value must come from the secrets context. */
const CREDENTIAL_NAME = /(TOKEN|PASSWORD|PASSPHRASE|SECRET|CREDENTIAL|KUBECONFIG|ACCESS_KEY|PRIVATE_KEY|API_KEY)/i;
/** A value that is exactly one expression reading `secrets.X` or `secrets[...]`. */
const FROM_SECRETS = /^\$\{\{\s*secrets(\.[A-Za-z_][A-Za-z0-9_]*|\[[^\]]+\])\s*\}\}$/;
/** Shapes of real credentials that must never appear in a workflow. */
const LITERAL_CREDENTIAL = [
  /pul-[0-9a-f]{40}/, // Pulumi access token
  /gh[pousr]_[A-Za-z0-9]{36}/, // GitHub token
  /AKIA[0-9A-Z]{16}/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /xox[abpr]-[A-Za-z0-9-]{10,}/, // Slack token
  /hooks\.slack\.com\/services\//,
];

/** Problems with credentials: a credential-named env or input not read from secrets, or a literal. */
function checkSecrets(doc: Doc, text: string): string[] {
  const problems: string[] = [];
  const visit = (where: string, map: Record<string, unknown> | undefined) => {
    for (const [key, value] of Object.entries(map ?? {})) {
      if (!CREDENTIAL_NAME.test(key)) continue;
      // github-token defaults to the job's own token; anything else must be a secret.
      if (key === 'github-token' && value === '${{ github.token }}') continue;
      if (typeof value !== 'string' || !FROM_SECRETS.test(value.trim())) problems.push(`${where}.${key} is not read from secrets.*`);
    }
  };
  visit('env', doc.env);
  for (const [jobId, job] of Object.entries((doc.jobs ?? {}) as Record<string, Job>)) {
    visit(`${jobId}.env`, job.env);
    for (const [i, step] of ((job.steps ?? []) as Step[]).entries()) {
      visit(`${jobId}.steps[${i}].env`, step.env);
      visit(`${jobId}.steps[${i}].with`, step.with);
    }
  }
  for (const pattern of LITERAL_CREDENTIAL) if (pattern.test(text)) problems.push(`literal credential matching ${pattern}`);
  return problems;
}

/** Problems with action pins: every `uses` on a major version tag or a full commit SHA. */
function checkPins(doc: Doc): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries((doc.jobs ?? {}) as Record<string, Job>)) {
    for (const step of (job.steps ?? []) as Step[]) {
      if (typeof step.uses !== 'string' || step.uses.startsWith('./')) continue;
      if (!/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(step.uses)) problems.push(`${jobId}: ${step.uses} is not pinned to a version or SHA`);
    }
  }
  return problems;
}

/** Problems with permissions: read-only by default; write only `pull-requests` on a preview job. */
function checkPermissions(doc: Doc): string[] {
  const problems: string[] = [];
  const top = doc.permissions;
  if (top === undefined) problems.push('no top-level permissions (defaults to the repository setting)');
  else if (typeof top === 'string') problems.push(`top-level permissions "${top}"`);
  else for (const [scope, level] of Object.entries(top)) if (level === 'write') problems.push(`top-level ${scope}: write`);
  for (const [jobId, job] of Object.entries((doc.jobs ?? {}) as Record<string, Job>)) {
    const perms = job.permissions;
    if (perms === undefined) continue;
    if (typeof perms === 'string') {
      problems.push(`${jobId}: permissions "${perms}"`);
      continue;
    }
    for (const [scope, level] of Object.entries(perms)) {
      if (level !== 'write') continue;
      const isPreview = pulumiSteps({ jobs: { [jobId]: job } }).some(({ step }) => step.with?.['comment-on-pr'] === true);
      if (!(scope === 'pull-requests' && isPreview)) problems.push(`${jobId}: ${scope}: write`);
    }
  }
  return problems;
}

/** Problems with concurrency: every Pulumi job in a group that names its stack. */
function checkConcurrency(doc: Doc): string[] {
  const problems: string[] = [];
  for (const { jobId, job, step } of pulumiSteps(doc)) {
    const group = typeof job.concurrency === 'string' ? job.concurrency : job.concurrency?.group;
    if (typeof group !== 'string') {
      problems.push(`${jobId}: no concurrency group`);
      continue;
    }
    const stacks = stacksOf(job, step);
    const perStack = group.includes('${{ matrix.stack }}') || (stacks.length === 1 && group.includes(stacks[0]!));
    if (!perStack) problems.push(`${jobId}: concurrency group "${group}" is not per stack`);
    if (step.with?.command === 'up' && job.concurrency?.['cancel-in-progress'] !== false) {
      problems.push(`${jobId}: an update could be cancelled half-way (cancel-in-progress must be false)`);
    }
  }
  return problems;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('actionlint', () => {
  it(`is built at the version pinned in ${INSTALL_SCRIPT}`, () => {
    const pinned = /^ACTIONLINT_VERSION=(v[\d.]+)$/m.exec(readFileSync(path.join(REPO_ROOT, INSTALL_SCRIPT), 'utf8'))?.[1];
    expect(pinned).toMatch(/^v\d+\.\d+\.\d+$/);
    if (!existsSync(ACTIONLINT)) throw new Error(`actionlint not found at .tools/bin/actionlint: run \`bash ${INSTALL_SCRIPT}\``);
    const version = execFileSync(ACTIONLINT, ['-version'], { encoding: 'utf8' }).split('\n')[0];
    expect(version).toBe(pinned);
  });

  it('finds no problem in any workflow', () => {
    expect(workflowFiles).toEqual(['deploy.yml', 'drift.yml', 'pull-request.yml']);
    const errors = actionlint(workflowFiles.map((f) => path.join('.github', 'workflows', f)));
    expect(errors.map((e) => `${e.filepath}:${e.line}:${e.column}: ${e.message}`)).toEqual([]);
  });

  it('does report a broken workflow (so a clean result means something)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'actionlint-'));
    tempDirs.push(dir);
    const broken = readFileSync(path.join(WORKFLOWS_DIR, 'pull-request.yml'), 'utf8').replace('comment-on-pr: true', 'comment-on-pr: true\n          comment-on-pull-request: true');
    const file = path.join(dir, 'broken.yml');
    writeFileSync(file, broken);
    const errors = actionlint([file]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('input "comment-on-pull-request" is not defined in action "pulumi/actions@v6"')]);
  });
});

describe('pull-request.yml', () => {
  const doc = load('pull-request.yml');

  it('runs the tests, then previews dev, staging and prod with a PR comment, the diff and the policy pack', () => {
    expect(checkPullRequestWorkflow(doc)).toEqual([]);
    const [preview] = pulumiSteps(doc);
    expect(preview?.step.with).toMatchObject({ command: 'preview', 'work-dir': '.', 'stack-name': '${{ matrix.stack }}' });
  });

  it.each([
    ['comment-on-pr', 'preview: comment-on-pr is not true'],
    ['diff', 'preview: diff is not true'],
    ['policyPacks', 'preview: policyPacks is not the local pack "policies"'],
    ['policyPackConfigs', 'preview: policyPackConfigs is not policies/config/${{ matrix.stack }}.json'],
  ])('fails without %s', (input, message) => {
    const broken = clone(doc);
    delete pulumiSteps(broken)[0]!.step.with[input];
    expect(checkPullRequestWorkflow(broken)).toEqual([message]);
  });

  it('fails when the preview is not behind a per-stack environment, or reads a deployment kubeconfig', () => {
    const noEnv = clone(doc);
    delete noEnv.jobs.preview.environment;
    expect(checkPullRequestWorkflow(noEnv)).toEqual(['preview: not behind a per-stack environment']);
    const deployCreds = clone(doc);
    const step = (deployCreds.jobs.preview.steps as { env?: Record<string, string> }[]).find((x) => x.env?.KUBECONFIG_DATA)!;
    step.env!.KUBECONFIG_DATA = '${{ secrets.KUBECONFIG_PROD }}';
    expect(checkPullRequestWorkflow(deployCreds)).toEqual(['preview: uses a deployment kubeconfig from repository secrets']);
  });

  it('fails when a stack is left out of the matrix, or the preview does not wait for the tests', () => {
    const noProd = clone(doc);
    noProd.jobs.preview.strategy.matrix.include = noProd.jobs.preview.strategy.matrix.include.filter((i: { stack: string }) => i.stack !== 'prod');
    expect(checkPullRequestWorkflow(noProd)).toEqual(['no preview of stack prod']);
    const noNeeds = clone(doc);
    delete noNeeds.jobs.preview.needs;
    expect(checkPullRequestWorkflow(noNeeds)).toEqual(['preview: does not wait for the tests']);
  });
});

describe('deploy.yml', () => {
  const doc = load('deploy.yml');

  it('runs pulumi up on staging on every push to main, then prod behind the production environment', () => {
    expect(checkDeployWorkflow(doc)).toEqual([]);
  });

  it('fails when prod is not behind the environment or does not wait for staging', () => {
    const open = clone(doc);
    delete open.jobs.prod.environment;
    expect(checkDeployWorkflow(open)).toEqual(['prod up is not behind the production environment']);
    const early = clone(doc);
    early.jobs.prod.needs = 'test';
    expect(checkDeployWorkflow(early)).toEqual(['prod up does not need the staging job']);
  });
});

describe('drift.yml', () => {
  const doc = load('drift.yml');

  it('previews staging and prod on a schedule with expect-no-changes', () => {
    expect(checkDriftWorkflow(doc)).toEqual([]);
    expect(pulumiSteps(doc)[0]?.step.with?.refresh).toBe(true);
  });

  it('fails without expect-no-changes or without a schedule', () => {
    const lenient = clone(doc);
    pulumiSteps(lenient)[0]!.step.with['expect-no-changes'] = false;
    expect(checkDriftWorkflow(lenient)).toEqual(['drift: expect-no-changes is not true']);
    const unscheduled = clone(doc);
    delete unscheduled.on.schedule;
    expect(checkDriftWorkflow(unscheduled)).toEqual(['no schedule']);
  });
});

describe.each(workflowFiles)('%s', (file) => {
  const text = readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');
  const doc = load(file);

  it('reads every credential from secrets.* and contains no literal credential', () => {
    expect(checkSecrets(doc, text)).toEqual([]);
    // Every Pulumi step authenticates with the access token from secrets.
    for (const { step } of pulumiSteps(doc)) expect(step.env?.PULUMI_ACCESS_TOKEN).toBe('${{ secrets.PULUMI_ACCESS_TOKEN }}');
  });

  it('pins every action, grants least privilege and serialises each stack', () => {
    expect(checkPins(doc)).toEqual([]);
    expect(checkPermissions(doc)).toEqual([]);
    expect(checkConcurrency(doc)).toEqual([]);
  });
});

describe('the cross-cutting checks can fail', () => {
  it('flag a literal token, a credential from vars, an unpinned action, write-all and a shared group', () => {
    const doc = clone(load('deploy.yml'));
    const step = pulumiSteps(doc).find(({ jobId }) => jobId === 'prod')!.step;
    step.env.PULUMI_ACCESS_TOKEN = '${{ vars.PULUMI_ACCESS_TOKEN }}';
    expect(checkSecrets(doc, `token: pul-${'a'.repeat(40)}`)).toEqual([
      'prod.steps[6].env.PULUMI_ACCESS_TOKEN is not read from secrets.*',
      'literal credential matching /pul-[0-9a-f]{40}/',
    ]);
    doc.jobs.prod.steps[0].uses = 'actions/checkout@main';
    expect(checkPins(doc)).toEqual(['prod: actions/checkout@main is not pinned to a version or SHA']);
    doc.permissions = 'write-all';
    expect(checkPermissions(doc)).toEqual(['top-level permissions "write-all"']);
    doc.jobs.prod.concurrency = { group: 'deploy', 'cancel-in-progress': true };
    expect(checkConcurrency(doc)).toEqual([
      'prod: concurrency group "deploy" is not per stack',
      'prod: an update could be cancelled half-way (cancel-in-progress must be false)',
    ]);
  });
});
