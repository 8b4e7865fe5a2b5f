/**
 * Static checks of the app image's `Dockerfile` and `.dockerignore` (no Docker engine here):
 * pinned base, production-only `npm ci`, non-root user, the `enrich` entrypoint, OCI labels, and
 * that everything the image copies exists, is in the build context, and is enough to run the app.
 *
 * No Dockerfile parser package is installed, so the few instruction forms used are read by hand:
 * continuation lines joined, comments dropped, one instruction per logical line.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_CONTEXT, DOCKERFILE } from '../../infra/src/components/image.js';

interface Instruction {
  keyword: string;
  args: string;
}

/** Logical instructions of a Dockerfile (parser directives and comments dropped). */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${current}${line}`.trim());
    current = '';
  }
  if (current.trim()) logical.push(current.trim());
  return logical.map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits instructions into stages, substituting global `ARG` defaults in `FROM`. */
function stages(instructions: Instruction[]): Stage[] {
  const globals: Record<string, string> = {};
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const from = image!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globals[a ?? b] ?? '');
      out.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else if (out.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k, v] = ins.args.split('=', 2);
        globals[k!] = v ?? '';
      }
    } else {
      out.at(-1)!.instructions.push(ins);
    }
  }
  return out;
}

const text = readFileSync(DOCKERFILE, 'utf8');
const all = parseDockerfile(text);
const built = stages(all);
const runtime = built.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const pkg = JSON.parse(readFileSync(path.join(BUILD_CONTEXT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const ignored = readFileSync(path.join(BUILD_CONTEXT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** `COPY` sources from the build context (not `--from=<stage>`), with `--chown` etc. removed. */
function contextSources(stage: Stage): string[] {
  return of(stage, 'COPY')
    .filter((c) => !/--from=/.test(c.args))
    .flatMap((c) => {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1);
    });
}

/** True when a `.dockerignore` line excludes the path or a parent folder of it. */
function isIgnored(relative: string): boolean {
  return ignored.some((pattern) => relative === pattern || relative.startsWith(`${pattern}/`));
}

describe('Dockerfile', () => {
  it('builds in stages from a Node 20 bookworm-slim base pinned to a patch release the engines range allows', () => {
    expect(built.length).toBeGreaterThanOrEqual(2);
    for (const stage of built) {
      const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/.exec(stage.from);
      expect(m, stage.from).not.toBeNull();
      const [major, minor] = [Number(m![1]), Number(m![2])];
      // package.json engines: ">=20.19 <21 || >=22"
      expect(pkg.engines.node).toContain('>=20.19 <21');
      expect(major).toBe(20);
      expect(minor).toBeGreaterThanOrEqual(19);
    }
  });

  it('installs production dependencies only, exactly as locked', () => {
    const runs = built.flatMap((s) => of(s, 'RUN')).map((r) => r.args);
    const ci = runs.filter((r) => /\bnpm ci\b/.test(r));
    expect(ci).toHaveLength(1);
    expect(ci[0]).toMatch(/--omit=dev/);
    expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    const deps = built.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)))!;
    expect(contextSources(deps).sort()).toEqual(['package-lock.json', 'package.json']);
    // The runtime stage takes node_modules from that stage, not from the build context.
    const fromStage = of(runtime, 'COPY').filter((c) => c.args.includes('--from='));
    expect(fromStage.map((c) => /--from=(\S+)/.exec(c.args)![1])).toEqual([deps.name]);
    expect(fromStage[0]!.args).toMatch(/node_modules/);
  });

  it('runs as a numeric non-root user', () => {
    const users = of(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1)!.args;
    expect(last).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last.split(':')[0])).toBeGreaterThan(0);
    // Nothing runs after the switch that could need root.
    const afterUser = runtime.instructions.slice(runtime.instructions.lastIndexOf(users.at(-1)!) + 1);
    expect(afterUser.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('starts bin/enrich (exec form), which exists and is executable', () => {
    const [entrypoint] = of(runtime, 'ENTRYPOINT');
    const argv = JSON.parse(entrypoint!.args) as string[];
    expect(argv).toHaveLength(1);
    const workdir = of(runtime, 'WORKDIR').at(-1)!.args;
    expect(argv[0]).toBe(`${workdir}/bin/enrich`);
    const script = path.join(BUILD_CONTEXT, 'bin/enrich');
    expect(() => accessSync(script, constants.X_OK)).not.toThrow();
  });

  it('labels the image with OCI annotations, its version from a build argument', () => {
    const labels = of(runtime, 'LABEL').map((l) => l.args).join(' ');
    for (const key of ['title', 'description', 'version', 'revision']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toMatch(/org\.opencontainers\.image\.version="\$\{VERSION\}"/);
    expect(of(runtime, 'ARG').map((a) => a.args.split('=')[0])).toContain('VERSION');
    expect(of(runtime, 'HEALTHCHECK')).toEqual([]);
  });

  it('copies only files that exist and are in the build context', () => {
    const sources = built.flatMap(contextSources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(path.join(BUILD_CONTEXT, source)), source).toBe(true);
      expect(isIgnored(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies everything bin/enrich runs: the tsx loader, the CLI and the agent prompts', () => {
    const enrich = readFileSync(path.join(BUILD_CONTEXT, 'bin/enrich'), 'utf8');
    const loader = /node_modules\/(tsx\/[^"\s]+)/.exec(enrich)![1]!;
    expect(existsSync(path.join(BUILD_CONTEXT, 'node_modules', loader))).toBe(true);
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
    const cli = /\$here\/(app\/src\/[^"\s]+\.ts)/.exec(enrich)![1]!;
    const sources = built.flatMap(contextSources);
    expect(sources.some((s) => cli.startsWith(`${s}/`))).toBe(true);
    const prompts = readdirSync(path.join(BUILD_CONTEXT, 'app/src/agents'))
      .map((d) => `app/src/agents/${d}/prompt.md`)
      .filter((f) => existsSync(path.join(BUILD_CONTEXT, f)));
    expect(prompts).toHaveLength(5);
    for (const prompt of prompts) expect(sources.some((s) => prompt.startsWith(`${s}/`)), prompt).toBe(true);
  });

  it('needs no dev dependency at runtime: every package app/src imports is a production dependency', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(BUILD_CONTEXT, 'app/src'));
    const packages = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/gm)) {
        // `import type` vanishes at runtime.
        if (/^\s*import\s+type\s/.test(m[0])) continue;
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(packages.size).toBeGreaterThan(10);
    for (const name of packages) expect(Object.keys(pkg.dependencies), name).toContain(name);
    // And none of the app's own sources is excluded from the context.
    expect(isIgnored('app/src')).toBe(false);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, VCS data, tests, reports, coverage and scratch files out of the context', () => {
    for (const pattern of ['node_modules', '.git', 'tests', 'reports', 'coverage', '.tmp', 'tools']) expect(ignored, pattern).toContain(pattern);
  });
});
