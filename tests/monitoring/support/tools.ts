/**
 * Locates and runs the Prometheus command-line tools the monitoring tests need: `promtool`
 * (Prometheus 2.42+) and `amtool` (Alertmanager 0.25+). A missing tool fails the calling test
 * with the command that installs it; tests never skip silently.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type PrometheusTool = 'promtool' | 'amtool';

/** Command that installs both tools (Debian packages prometheus and prometheus-alertmanager). */
export const INSTALL_HINT = 'bash scripts/install-prometheus-tools.sh';

/** Environment variables that may point at a tool outside PATH. */
const OVERRIDE_ENV: Record<PrometheusTool, string> = { promtool: 'PROMTOOL', amtool: 'AMTOOL' };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of a tool: `$PROMTOOL` / `$AMTOOL` when set, else the first match on PATH.
 * @throws Error naming the tool and the install command when it cannot be found.
 */
export function requireTool(tool: PrometheusTool): string {
  const override = process.env[OVERRIDE_ENV[tool]];
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(`${OVERRIDE_ENV[tool]}=${override} is not an executable file`);
  }
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(`${tool} is not installed (not on PATH): run \`${INSTALL_HINT}\` and run the tests again`);
}

/** Result of one tool run; `output` is stdout and stderr together, as a person would read them. */
export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

/**
 * Runs a tool synchronously with the given arguments.
 * @param timeoutMs kill the tool after this long (default 60 s); the run then has status null.
 * @throws Error when the tool is missing (see {@link requireTool}).
 */
export function runTool(tool: PrometheusTool, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): ToolRun {
  const result = spawnSync(requireTool(tool), args, { cwd: options.cwd, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  if (result.error) throw result.error;
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  return { status: result.status, stdout, stderr, output: `${stdout}${stderr}` };
}
