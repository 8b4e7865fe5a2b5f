/**
 * Runs the infra program under Pulumi's mocks (`pulumi.runtime.setMocks`) and returns every
 * resource it declares, with its resolved inputs: what `pulumi preview` would send to the engine.
 *
 * This machine has no Pulumi CLI, so the infra tests, the policy plan check
 * (`npm run policy:check`) and the Kubernetes schema validation all read the program through here.
 * The real CLI runs the same `createPlatform` from `infra/index.ts`.
 *
 * One plan per process at a time: Pulumi's runtime state is global. Vitest runs each test file in
 * its own fork, so a file may plan several stacks one after the other, never concurrently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { parse as parseYaml } from 'yaml';
import { deepMerge, loadInfraConfig, type InfraConfig, type StackName } from './config.js';

/** The Pulumi project name (`Pulumi.yaml` `name:`), also the config key namespace. */
export const PROJECT = 'enrichment-platform';
/** Repository root (where `Pulumi.yaml` and `Pulumi.<stack>.yaml` live). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One declared resource, as the engine would receive it. */
export interface PlannedResource {
  /** Type token, e.g. `kubernetes:apps/v1:StatefulSet`, `docker:index/container:Container`. */
  type: string;
  /** Logical name given in the program. */
  name: string;
  /** `urn:pulumi:<stack>::enrichment-platform::<type>::<name>` (parent types left out). */
  urn: string;
  /** Resolved inputs; secrets are unwrapped to their plain values. */
  inputs: Record<string, any>;
  /** True for custom (provider-managed) resources, false for components. */
  custom: boolean;
  /** Provider reference (`urn::id`) when one was set explicitly. */
  provider?: string;
}

export interface Plan {
  stack: StackName;
  config: InfraConfig;
  resources: PlannedResource[];
  /** The program's stack outputs (`createPlatform`'s return value, resolved). */
  outputs: Record<string, unknown>;
}

/**
 * Reads `Pulumi.<stack>.yaml` and returns its `enrichment-platform:` values (prefix removed).
 *
 * @throws Error when the file is missing or is not a Pulumi stack file.
 */
export function readStackFile(stack: string, root = REPO_ROOT): Record<string, unknown> {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  const doc = parseYaml(readFileSync(file, 'utf8')) as { config?: Record<string, unknown> } | null;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (key.startsWith(`${PROJECT}:`)) values[key.slice(PROJECT.length + 1)] = value;
  }
  return values;
}

/** Outputs some resources must have for the program to go on under mocks (ids, generated values). */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const state: Record<string, unknown> = { ...args.inputs };
  switch (args.type) {
    case 'random:index/randomPassword:RandomPassword':
    case 'random:index/randomString:RandomString':
      state.result = `mock-${args.name}-${'x'.repeat(Math.max(0, (args.inputs.length ?? 32) - args.name.length - 6))}`;
      break;
    case 'tls:index/privateKey:PrivateKey':
      state.privateKeyPem = `-----BEGIN PRIVATE KEY-----\nmock-${args.name}\n-----END PRIVATE KEY-----\n`;
      state.publicKeyPem = `-----BEGIN PUBLIC KEY-----\nmock-${args.name}\n-----END PUBLIC KEY-----\n`;
      break;
    case 'tls:index/selfSignedCert:SelfSignedCert':
    case 'tls:index/locallySignedCert:LocallySignedCert':
      state.certPem = `-----BEGIN CERTIFICATE-----\nmock-${args.name}\n-----END CERTIFICATE-----\n`;
      break;
    case 'tls:index/certRequest:CertRequest':
      state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\nmock-${args.name}\n-----END CERTIFICATE REQUEST-----\n`;
      break;
    case 'time:index/rotating:Rotating': {
      // A fixed creation time, and the expiry the time provider derives from it (rfc3339 plus
      // rotationYears/Months/Days/...; here only years, the one unit the program uses).
      state.rfc3339 = '2026-01-01T00:00:00Z';
      state.unix = 1767225600;
      const years = Number(args.inputs.rotationYears ?? 0);
      state.rotationRfc3339 = `${2026 + years}-01-01T00:00:00Z`;
      break;
    }
    case 'docker:index/image:Image':
      state.imageName = args.inputs.imageName;
      state.repoDigest = `${String(args.inputs.imageName).split(':')[0]}@sha256:${'0'.repeat(64)}`;
      break;
    case 'docker:index/remoteImage:RemoteImage':
      state.imageId = `sha256:${'1'.repeat(64)}`;
      state.repoDigest = `${args.inputs.name}@sha256:${'1'.repeat(64)}`;
      break;
    default:
      break;
  }
  if (args.type.startsWith('kubernetes:') && !args.type.startsWith('kubernetes:helm')) {
    // The Kubernetes provider fills metadata.name (auto-naming) and namespace.
    const meta = (args.inputs.metadata ?? {}) as Record<string, unknown>;
    state.metadata = { ...meta, name: meta.name ?? `${args.name}-mock`, namespace: meta.namespace ?? 'default' };
  }
  return state;
}

/** The program, as `infra/index.ts` and the tests call it. */
export type Program = (config: InfraConfig) => unknown;

/**
 * Plans one stack under mocks.
 *
 * @param stack     `dev`, `staging` or `prod`; its `Pulumi.<stack>.yaml` is read as real config.
 * @param program   the program to run (default: `createPlatform` from `./platform.ts`).
 * @param overrides values deep-merged over the stack file's, e.g. `{ nsq: { nsqdReplicas: 1 } }`
 *                  to build a deliberately broken config.
 * @param secrets   secret config values (`anthropicApiKey`, ...), set as Pulumi config secrets.
 * @throws InfraConfigError when the merged config is invalid.
 */
export async function planStack(
  stack: StackName,
  options: { program?: Program; overrides?: Record<string, unknown>; secrets?: Record<string, string> } = {},
): Promise<Plan> {
  const values = deepMerge(readStackFile(stack), options.overrides ?? {});
  const config = loadInfraConfig(stack, values);
  const resources: PlannedResource[] = [];

  const allConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) allConfig[`${PROJECT}:${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(options.secrets ?? {})) allConfig[`${PROJECT}:${k}`] = v;
  pulumi.runtime.setAllConfig(allConfig, Object.keys(options.secrets ?? {}).map((k) => `${PROJECT}:${k}`));

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          urn: `urn:pulumi:${stack}::${PROJECT}::${args.type}::${args.name}`,
          inputs: unwrapSecrets(args.inputs) as Record<string, any>,
          custom: args.custom ?? true,
          ...(args.provider ? { provider: args.provider } : {}),
        });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: mockState(args) };
      },
      call(args) {
        return args.inputs;
      },
    },
    PROJECT,
    stack,
    false,
  );

  const program = options.program ?? (await import('./platform.js')).createPlatform;
  const result = program(config);
  const outputs = (await resolveAll(result)) as Record<string, unknown>;
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { stack, config, resources, outputs: outputs ?? {} };
}

/** The wire form of a secret value (`{ <sig>: <secret sig>, value }`), as mocks receive inputs. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** Replaces every serialized secret by its plain value (the policy engine sees plain values too). */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Resolves every Output and Promise inside a value (stack outputs). */
async function resolveAll(value: unknown): Promise<unknown> {
  if (value === null || value === undefined) return value;
  if (pulumi.Output.isInstance(value)) {
    return resolveAll(await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve)));
  }
  if (value instanceof Promise) return resolveAll(await value);
  if (Array.isArray(value)) return Promise.all(value.map(resolveAll));
  if (typeof value === 'object' && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveAll(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** Resources of one type token. */
export function ofType(plan: Plan, type: string): PlannedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The one resource with this type and logical name. @throws Error when absent. */
export function byName(plan: Plan, type: string, name: string): PlannedResource {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = ofType(plan, type).map((r) => r.name);
    throw new Error(`no ${type} named '${name}' (declared: ${names.join(', ') || 'none'})`);
  }
  return found;
}
