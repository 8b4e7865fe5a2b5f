/**
 * `npm run policy:check -- --stack prod [--set nsq.nsqdReplicas=1 ...] [--secret mongodbRootPassword=changeme]`
 *
 * Plans one stack under Pulumi mocks (`planStack`, as the tests do: no Pulumi CLI or cloud
 * needed), evaluates the whole CrossGuard pack in-process with the stack's policy config
 * (`policies/config/<stack>.json`), and prints the violations the way `pulumi preview
 * --policy-pack policies` does.
 *
 * Options:
 *   --stack <dev|staging|prod>     required.
 *   --set <path>=<value>           override a stack config value (repeatable); the value is read as
 *                                  JSON when it parses (numbers, booleans, arrays), else as a string.
 *   --secret <key>=<value>         set a secret stack config value (repeatable), e.g. a password;
 *                                  the key must be one of SECRET_CONFIG_KEYS (infra/src/config.ts).
 *   --policy-pack-config <file>    policy config JSON (default: policies/config/<stack>.json).
 *
 * Exit status: 0 when no mandatory policy fails, 1 on a mandatory violation, 2 on a usage error
 * (unknown option, unknown stack, malformed --set, unknown --secret key, invalid stack config) or
 * a config a component refuses while planning (a `pulumi.ResourceError`, one line), 3 on any
 * other failure.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PolicyPackConfig } from '@pulumi/policy';
import * as pulumi from '@pulumi/pulumi';
import { InfraConfigError, SECRET_CONFIG_KEYS, STACKS, type StackName } from '../infra/src/config.js';
import { planStack, REPO_ROOT } from '../infra/src/plan.js';
import { evaluatePack } from '../policies/src/evaluate.js';
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, PACK_VERSION, POLICIES } from '../policies/src/pack.js';
import { formatReport, summarize } from '../policies/src/report.js';

const USAGE = 'usage: npm run policy:check -- --stack <dev|staging|prod> [--set path=value ...] [--secret key=value ...] [--policy-pack-config file]';

class UsageError extends Error {}
/** A config the components refuse at plan time: one line, exit 2, no usage (the syntax was fine). */
class PlanRefusedError extends Error {}

/**
 * The one line for a component's refusal: `stack 'prod': <component> (<type>) refuses the config: <message>`.
 * The ResourceError's `resource` names the component; its message is the reason.
 */
function refusal(stack: string, error: pulumi.ResourceError): string {
  const resource = (error as { resource?: { __name?: unknown; __pulumiType?: unknown } }).resource;
  const who = typeof resource?.__name === 'string' ? `${resource.__name}${typeof resource.__pulumiType === 'string' ? ` (${resource.__pulumiType})` : ''}` : 'a component';
  return `stack '${stack}': ${who} refuses the config: ${error.message.split('\n')[0]}`;
}

/** `a.b.c=value` → `{ a: { b: { c: value } } }`, merged into `into`. */
function setPath(into: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects path=value, got '${assignment}'`);
  const keys = assignment.slice(0, eq).split('.');
  if (keys.some((k) => k === '')) throw new UsageError(`--set has an empty key in '${assignment}'`);
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: a plain string such as 20Gi.
  }
  let node = into;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function keyValue(option: string, assignment: string): [string, string] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`${option} expects key=value, got '${assignment}'`);
  return [assignment.slice(0, eq), assignment.slice(eq + 1)];
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        secret: { type: 'string', multiple: true, default: [] },
        'policy-pack-config': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stack = values.stack;
  if (!stack) throw new UsageError('--stack is required');
  if (!(STACKS as readonly string[]).includes(stack)) throw new UsageError(`unknown stack '${stack}' (stacks: ${STACKS.join(', ')})`);

  const overrides: Record<string, unknown> = {};
  for (const s of values.set) setPath(overrides, s);
  const secrets = Object.fromEntries(values.secret.map((s) => keyValue('--secret', s)));
  for (const key of Object.keys(secrets)) {
    if (!(SECRET_CONFIG_KEYS as readonly string[]).includes(key)) throw new UsageError(`--secret: unknown key '${key}' (keys: ${SECRET_CONFIG_KEYS.join(', ')})`);
  }
  const configFile = values['policy-pack-config'] ?? path.join(REPO_ROOT, 'policies/config', `${stack}.json`);
  let config: PolicyPackConfig;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8')) as PolicyPackConfig;
  } catch (e) {
    throw new UsageError(`cannot read policy config ${configFile}: ${(e as Error).message}`);
  }

  let plan;
  try {
    plan = await planStack(stack as StackName, { overrides, secrets });
  } catch (e) {
    if (e instanceof InfraConfigError) throw new UsageError(e.message);
    if (pulumi.ResourceError.isInstance(e)) throw new PlanRefusedError(refusal(stack, e));
    throw e;
  }
  const result = await evaluatePack(POLICIES, plan.resources, { enforcementLevel: PACK_ENFORCEMENT_LEVEL, config });
  console.log(`Planned ${plan.resources.length} resources of stack ${stack} under mocks; policy config ${path.relative(REPO_ROOT, configFile)}.\n`);
  console.log(formatReport(result, { packName: PACK_NAME, packVersion: PACK_VERSION, source: 'local: policies', stack, policies: POLICIES }));
  return summarize(result, POLICIES).mandatory > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof PlanRefusedError) {
      console.error(`error: ${e.message}`);
      process.exit(2);
    }
    console.error(e);
    process.exit(3);
  },
);
