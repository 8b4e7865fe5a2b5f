/**
 * `./run-e2e-test.sh` (scripts/e2e.ts) as a newcomer runs it: mistakes in the options and busy
 * ports exit 2 with one line before anything starts; an API port taken after that check is not
 * mistaken for this run's API; a hard kill leaves no process behind (the reaper); an interrupted
 * run reports its open jobs as unfinished, not lost.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../scripts/lib/local-services.js';
import { REAPER_GRACE_MS } from '../../scripts/lib/reaper.js';
import { childrenOf, REPO_ROOT, running, runScript, waitForOutput, waitGone, type ScriptRun } from '../support/processes.js';
import { RECEIPT_A } from '../support/synthetic-documents.js';

const TSX_LOADER = path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');
/** A full start (services, 5 agents, workers, 2 APIs) on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;

let scratch: string;
let corpus: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'e2e-script-test-'));
  corpus = path.join(scratch, 'corpus');
  // Enough documents that one worker taking one at a time is still busy when interrupted.
  mkdirSync(corpus);
  for (let i = 1; i <= 60; i++) {
    const id = `SYN-E2E-${String(i).padStart(4, '0')}`;
    writeFileSync(path.join(corpus, `${id}.json`), JSON.stringify({ ...RECEIPT_A, id }));
  }
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of a run: offline models, and API ports of its own (never 5001/5002). */
async function runEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const [review, cost] = await freePorts(2);
  const env: NodeJS.ProcessEnv = { ...process.env, REVIEW_API_PORT: String(review), COST_API_PORT: String(cost), LOG_LEVEL: 'warn', ...extra };
  delete env.OLLAMA_HOST;
  delete env.ANTHROPIC_API_KEY;
  return env;
}

function e2eSync(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', `file://${TSX_LOADER}`, path.join(REPO_ROOT, 'scripts/e2e.ts'), ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Lines of non-empty output. */
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('run-e2e-test: refused before anything starts (exit 2, one line)', () => {
  it.each([
    [['--corpus', 'README.md'], /^run-e2e-test: --corpus .*README\.md: a file, not a folder/],
    [['--corpus', '/nonexistent-corpus'], /^run-e2e-test: --corpus \/nonexistent-corpus: no such folder$/],
    // Under a file: no user, root included, can create that folder.
    [['--report', 'README.md/out/r.json'], /^run-e2e-test: --report README\.md\/out\/r\.json: its folder .* cannot be created or written \(ENOTDIR\)$/],
    // A folder every clone has (reports/ only exists after a first run).
    [['--report', 'samples'], /^run-e2e-test: --report samples: a folder; give a file name/],
    [['--bogus'], /^run-e2e-test: Unknown option '--bogus' \(see \.\/run-e2e-test\.sh --help\)$/],
    [['--limit', 'abc'], /^run-e2e-test: --limit must be a positive integer, got "abc"/],
  ])('%j', async (args, message) => {
    const run = e2eSync(args, await runEnv());
    expect(run.status).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stdout).not.toContain('services:');
  });

  describe('a fixed port already in use', () => {
    let servers: (Server | HttpServer)[] = [];
    afterEach(async () => {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      servers = [];
    });
    const listen = (server: Server | HttpServer, port: number) => {
      servers.push(server);
      return new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    };

    it('by a process that is not an API (a bare TCP listener on REVIEW_API_PORT)', async () => {
      const env = await runEnv();
      await listen(createServer((socket) => socket.end('not http\n')), Number(env.REVIEW_API_PORT));
      const run = e2eSync(['--corpus', corpus, '--limit', '1'], env);
      expect(run.status).toBe(2);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(`^run-e2e-test: port ${env.REVIEW_API_PORT} on 127\\.0\\.0\\.1 \\(REVIEW_API_PORT, the Review API\\) is already in use; another run \\(e\\.g\\. \\./run-e2e-test\\.sh --serve\\) may hold it\\. Stop it, or choose other ports: REVIEW_API_PORT=\\d+ COST_API_PORT=\\d+ \\./run-e2e-test\\.sh \\.\\.\\.$`),
        ),
      ]);
      expect(run.stdout).not.toContain('services:');
    });

    it('by another run\'s API answering /health on COST_API_PORT', async () => {
      const env = await runEnv();
      await listen(createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","checks":{}}')), Number(env.COST_API_PORT));
      const run = e2eSync(['--corpus', corpus, '--limit', '1'], env);
      expect(run.status).toBe(2);
      expect(lines(run.stderr)).toHaveLength(1);
      expect(run.stderr).toContain(`port ${env.COST_API_PORT} on 127.0.0.1 (COST_API_PORT, the Cost API) is already in use`);
    });
  });
});

describe('run-e2e-test: full runs', () => {
  let run: ScriptRun | undefined;
  let watched: number[] = [];
  let squatter: HttpServer | undefined;
  afterEach(async () => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    for (const pid of watched) if (running(pid)) process.kill(pid, 'SIGKILL');
    if (squatter) await new Promise((resolve) => squatter!.close(resolve));
    run = undefined;
    watched = [];
    squatter = undefined;
  });

  it('does not take a /health answer from another process for its own API (port taken after the up-front check)', async () => {
    const env = await runEnv();
    run = runScript('scripts/e2e.ts', ['--corpus', corpus, '--limit', '1'], env);
    // The services are up, the API not yet spawned: someone else takes its port and answers 200.
    await waitForOutput(run.stdout, /^services: /m, START_TIMEOUT_MS);
    squatter = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","checks":{}}'));
    await new Promise<void>((resolve) => squatter!.listen(Number(env.REVIEW_API_PORT), '127.0.0.1', resolve));
    expect(await run.exited).toBe(2);
    expect(run.stdout()).not.toMatch(/^started /m);
    expect(run.stderr()).toContain(`port ${env.REVIEW_API_PORT} on 127.0.0.1 (REVIEW_API_PORT, the Review API) is already in use`);
  }, START_TIMEOUT_MS + 30_000);

  it('leaves no process behind when its process group is SIGKILLed', async () => {
    run = runScript('scripts/e2e.ts', ['--corpus', corpus, '--limit', '2', '--serve'], await runEnv());
    await waitForOutput(run.stdout, /^Serving this run's results/m, START_TIMEOUT_MS);
    // FerretDB, nsqd, nsqlookupd, 5 agents, 2 workers, 2 APIs and the watchdog.
    watched = childrenOf(run.child.pid!);
    expect(watched.length).toBeGreaterThanOrEqual(13);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
    expect(await waitGone(watched, REAPER_GRACE_MS + 5_000)).toEqual([]);
  }, START_TIMEOUT_MS + REAPER_GRACE_MS + 30_000);

  it('reports the open jobs of an interrupted run as unfinished, not lost (exit 130)', async () => {
    const report = path.join(scratch, 'interrupted.json');
    run = runScript('scripts/e2e.ts', ['--corpus', corpus, '--workers', '1', '--report', report], await runEnv({ WORKER_MAX_IN_FLIGHT: '1' }));
    await waitForOutput(run.stdout, /^submitted 60 jobs/m, START_TIMEOUT_MS);
    process.kill(run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(130);
    const body = JSON.parse(readFileSync(report, 'utf8')) as { interrupted: string; documents: Record<string, number>; lost_jobs: unknown[]; unfinished_jobs: { status: string }[] };
    expect(body.interrupted).toBe('SIGINT');
    const d = body.documents;
    expect(d.lost).toBe(0);
    expect(body.lost_jobs).toEqual([]);
    expect(d.unfinished).toBeGreaterThan(0);
    expect(body.unfinished_jobs).toHaveLength(d.unfinished!);
    expect(body.unfinished_jobs.every((j) => ['pending', 'queued', 'processing'].includes(j.status))).toBe(true);
    expect(d.completed! + d.failed! + d.unfinished!).toBe(d.accepted);
    expect(run.stdout()).not.toContain('LOST');
    expect(run.stdout()).toContain(`, 0 lost, ${d.unfinished} unfinished (run interrupted)`);
  }, START_TIMEOUT_MS + 60_000);
});
