/**
 * Schema validation of every Kubernetes object the infra program declares (issue 4, Tests: "a wrong
 * field name fails a test").
 *
 * Three validators, merged per object:
 * - `k8s-validate` (`tools/k8s-validate`, built into `.bin/` by `scripts/build-services.sh`): the
 *   API machinery's own strict JSON decoding into the `k8s.io/api` Go types. Refuses unknown and
 *   duplicate fields, values of the wrong type and malformed quantities. For kinds outside its
 *   scheme (custom resources) it still decodes `metadata` strictly into ObjectMeta.
 * - `kubernetes-models`: the OpenAPI schemas of the Kubernetes API (required fields, types,
 *   formats such as `quantity`, with JSON-pointer paths). It does not refuse unknown fields.
 * - zod schemas of cert-manager's `cert-manager.io/v1` Certificate, Issuer and ClusterIssuer (the
 *   fields of its v1 CRDs that a platform like ours uses; strict objects: unknown fields fail).
 *
 * An object none of them covers is reported as `not validated`, never as valid; `strict` tells
 * whether an unknown field would have been refused (only the Go decoder and the zod schemas do).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT, type Plan, type PlannedResource } from './plan.js';

/** A Kubernetes object as sent to the API server: `apiVersion`, `kind`, `metadata`, then its body. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [field: string]: unknown;
}

/** One object of a plan, with the Pulumi resource that declares it. */
export interface PlannedKubernetesObject {
  /** The declaring resource's type token (`kubernetes:apps/v1:StatefulSet`) and logical name. */
  resource: Pick<PlannedResource, 'type' | 'name' | 'urn'>;
  object: KubernetesObject;
}

/** A `kubernetes:` resource of a plan that is not a Kubernetes object (e.g. a Helm release). */
export interface NonObjectKubernetesResource {
  resource: Pick<PlannedResource, 'type' | 'name' | 'urn'>;
  /** Why it is not validated as a Kubernetes object. */
  reason: string;
}

/** `.bin/k8s-validate`, the strict decoder built from `tools/k8s-validate`. */
export const K8S_VALIDATE_BIN = path.join(REPO_ROOT, '.bin', 'k8s-validate');

/**
 * Type tokens of Pulumi Kubernetes resources whose inputs are not one Kubernetes object. A Helm
 * release's inputs are a chart reference and values: the chart renders the objects in the cluster
 * (checked there by the chart's own values schema and the API server), so no schema here applies.
 */
const NON_OBJECT_TYPES: Record<string, string> = {
  'kubernetes:helm.sh/v3:Release': 'Helm release: chart reference and values, rendered into objects by Helm at deploy time',
};

/**
 * Splits the `kubernetes:` resources of a plan into Kubernetes objects (typed resources such as
 * `kubernetes:apps/v1:StatefulSet` and custom resources declared through
 * `k8s.apiextensions.CustomResource`, whose type token is `kubernetes:<apiVersion>:<kind>`) and the
 * rest (Helm releases, components such as `kubernetes:yaml/v2:ConfigGroup`).
 *
 * An object is a custom (provider-managed) resource whose resolved inputs carry string `apiVersion`
 * and `kind`. Providers (`pulumi:providers:kubernetes`) are not `kubernetes:` types and are left out.
 *
 * @returns `objects` in plan order (a shallow copy of the resolved inputs) and
 *   `others`, each with the reason it is not an object.
 */
export function kubernetesObjects(plan: Pick<Plan, 'resources'>): {
  objects: PlannedKubernetesObject[];
  others: NonObjectKubernetesResource[];
} {
  const objects: PlannedKubernetesObject[] = [];
  const others: NonObjectKubernetesResource[] = [];
  for (const r of plan.resources) {
    if (!r.type.startsWith('kubernetes:')) continue;
    const resource = { type: r.type, name: r.name, urn: r.urn };
    const nonObjectReason = NON_OBJECT_TYPES[r.type];
    if (nonObjectReason) {
      others.push({ resource, reason: nonObjectReason });
      continue;
    }
    if (!r.custom) {
      // e.g. kubernetes:yaml/v2:ConfigGroup, kubernetes:helm.sh/v4:Chart: the provider expands them,
      // so their objects are not in the plan and stay unvalidated unless declared one by one.
      others.push({ resource, reason: 'component resource: the objects it expands to are not in the plan' });
      continue;
    }
    if (typeof r.inputs.apiVersion !== 'string' || typeof r.inputs.kind !== 'string') {
      others.push({ resource, reason: 'inputs carry no apiVersion/kind' });
      continue;
    }
    // The SDK's output-only placeholders (`status`) are undefined and so absent from resolved inputs.
    objects.push({ resource, object: { ...r.inputs } as KubernetesObject });
  }
  return { objects, others };
}

/** Verdict on one object. */
export interface ObjectValidation {
  /** Position in the input array. */
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** `valid`/`invalid` when at least one validator covered the whole object; `not validated`
   *  otherwise (its metadata may still have been checked, and its `errors` listed). */
  status: 'valid' | 'invalid' | 'not validated';
  /** True when a validator that refuses unknown fields covered the whole object. */
  strict: boolean;
  /** Validators that ran: `k8s-validate` (whole object) or `k8s-validate:metadata` (custom
   *  resources: ObjectMeta only), `kubernetes-models`, `zod:<apiVersion>/<kind>`. */
  validators: string[];
  /** Errors, each prefixed with its validator and naming the field, e.g.
   *  `k8s-validate: unknown field "spec.template.spec.containers[0].imagePullPolicyy"`. */
  errors: string[];
}

/** Options of {@link validateKubernetesObjects}. */
export interface ValidateOptions {
  /** Path of the k8s-validate binary (default {@link K8S_VALIDATE_BIN}). */
  binary?: string;
}

/** Thrown when `.bin/k8s-validate` is missing or fails on its input. */
export class K8sValidateUnavailableError extends Error {
  override name = 'K8sValidateUnavailableError';
}

/** One entry of k8s-validate's output (see `tools/k8s-validate/main.go`). */
const goResultSchema = z.object({
  index: z.number().int(),
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  status: z.enum(['valid', 'invalid', 'unknown kind']),
  errors: z.array(z.string()),
});
type GoResult = z.infer<typeof goResultSchema>;

/**
 * Runs the strict Go decoder on the objects (one process for all of them).
 *
 * @throws K8sValidateUnavailableError when the binary is missing (message: run
 *   `bash scripts/build-services.sh`), exits non-zero, or prints something that is not one result
 *   per object.
 */
export function runK8sValidate(objects: readonly unknown[], binary = K8S_VALIDATE_BIN): GoResult[] {
  if (!existsSync(binary)) {
    throw new K8sValidateUnavailableError(
      `${binary} is missing: run \`bash scripts/build-services.sh\` to build it from tools/k8s-validate (needs Go >= 1.26)`,
    );
  }
  const run = spawnSync(binary, [], { input: JSON.stringify(objects), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new K8sValidateUnavailableError(`${binary} could not run: ${run.error.message}`);
  if (run.status !== 0) {
    throw new K8sValidateUnavailableError(`${binary} exited with ${run.status ?? run.signal}: ${run.stderr.trim()}`);
  }
  const results = z.array(goResultSchema).parse(JSON.parse(run.stdout));
  if (results.length !== objects.length) {
    throw new K8sValidateUnavailableError(`${binary} returned ${results.length} results for ${objects.length} objects`);
  }
  return results;
}

/** The shape of a kubernetes-models class: `new Kind(data).validate()` throws a ValidationError. */
type ModelClass = new (data: unknown) => { validate(): void };
/** ajv's error objects, as kubernetes-models' ValidationError carries them in `errors`. */
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

const modelCache = new Map<string, ModelClass | null>();

/**
 * The kubernetes-models class for `apiVersion`/`kind`, imported from
 * `kubernetes-models/<apiVersion>/<Kind>` (core `v1` is `kubernetes-models/v1/<Kind>`), or null when
 * the package has no such model (custom resources).
 */
export async function kubernetesModel(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key) ?? null;
  let model: ModelClass | null = null;
  // Only well-formed names reach import(): the specifier is built from plan data.
  if (/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      const specifier = `kubernetes-models/${apiVersion}/${kind}`;
      // @vite-ignore: the specifier is only known at run time (vitest would warn otherwise).
      const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
      const candidate = mod[kind];
      if (typeof candidate === 'function' && typeof (candidate as { prototype?: { validate?: unknown } }).prototype?.validate === 'function') {
        model = candidate as ModelClass;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && code !== 'ERR_MODULE_NOT_FOUND' && !/Cannot find|Failed to load|not exported/i.test(String(error))) {
        throw error;
      }
    }
  }
  modelCache.set(key, model);
  return model;
}

/** Formats ajv errors as `<path>: <message>`; the branches of a failed `oneOf` are joined with "or". */
function formatAjvErrors(errors: readonly AjvError[]): string[] {
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const lines: string[] = [];
  for (const [instancePath, list] of byPath) {
    const where = instancePath || '/';
    const describe = (e: AjvError): string =>
      e.keyword === 'required' ? `missing required field "${String(e.params?.missingProperty)}"` : (e.message ?? e.keyword);
    if (list.some((e) => e.keyword === 'oneOf')) {
      lines.push(`${where}: ${list.filter((e) => e.keyword !== 'oneOf').map(describe).join(' or ')}`);
    } else {
      for (const e of list) lines.push(`${where}: ${describe(e)}`);
    }
  }
  return lines;
}

/** Runs the kubernetes-models validator; returns its error lines (empty when valid). */
function validateWithModel(model: ModelClass, object: KubernetesObject): string[] {
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    const ajvErrors = (error as { errors?: AjvError[] }).errors;
    if (Array.isArray(ajvErrors) && ajvErrors.length > 0) return formatAjvErrors(ajvErrors);
    return [String((error as Error).message ?? error)];
  }
}

// ---------------------------------------------------------------------------------------------
// cert-manager.io/v1, from cert-manager's v1 CRDs (deploy/crds/cert-manager.io_certificates.yaml,
// cert-manager.io_issuers.yaml, cert-manager.io_clusterissuers.yaml). Only the fields a platform
// like ours uses are modelled; a field outside them fails as unknown, so extend the schema (from
// the CRD) rather than loosen it. `metadata` is checked strictly by k8s-validate (ObjectMeta).

/** Go `time.ParseDuration` syntax, as cert-manager's `duration`/`renewBefore` require (`17520h0m0s`). */
const goDuration = z.string().regex(/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/, 'must be a Go duration such as 17520h0m0s');

const secretKeySelector = z.strictObject({ name: z.string(), key: z.string().optional() });

const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
] as const;

const certificateSpec = z.strictObject({
  secretName: z.string().min(1),
  secretTemplate: z
    .strictObject({ annotations: z.record(z.string(), z.string()).optional(), labels: z.record(z.string(), z.string()).optional() })
    .optional(),
  issuerRef: z.strictObject({ name: z.string().min(1), kind: z.string().optional(), group: z.string().optional() }),
  commonName: z.string().max(64).optional(),
  literalSubject: z.string().optional(),
  subject: z
    .strictObject({
      organizations: z.array(z.string()).optional(),
      countries: z.array(z.string()).optional(),
      organizationalUnits: z.array(z.string()).optional(),
      localities: z.array(z.string()).optional(),
      provinces: z.array(z.string()).optional(),
      streetAddresses: z.array(z.string()).optional(),
      postalCodes: z.array(z.string()).optional(),
      serialNumber: z.string().optional(),
    })
    .optional(),
  dnsNames: z.array(z.string().min(1)).optional(),
  ipAddresses: z.array(z.string()).optional(),
  uris: z.array(z.string()).optional(),
  emailAddresses: z.array(z.string()).optional(),
  duration: goDuration.optional(),
  renewBefore: goDuration.optional(),
  renewBeforePercentage: z.number().int().gt(0).lt(100).optional(),
  isCA: z.boolean().optional(),
  usages: z.array(z.enum(KEY_USAGES)).optional(),
  privateKey: z
    .strictObject({
      algorithm: z.enum(['RSA', 'ECDSA', 'Ed25519']).optional(),
      size: z.number().int().optional(),
      encoding: z.enum(['PKCS1', 'PKCS8']).optional(),
      rotationPolicy: z.enum(['Never', 'Always']).optional(),
    })
    .optional(),
  signatureAlgorithm: z
    .enum(['SHA256WithRSA', 'SHA384WithRSA', 'SHA512WithRSA', 'ECDSAWithSHA256', 'ECDSAWithSHA384', 'ECDSAWithSHA512', 'PureEd25519'])
    .optional(),
  encodeUsagesInRequest: z.boolean().optional(),
  revisionHistoryLimit: z.number().int().min(1).optional(),
  additionalOutputFormats: z.array(z.strictObject({ type: z.enum(['DER', 'CombinedPEM']) })).optional(),
});

/**
 * Issuer/ClusterIssuer spec: exactly one issuer type. `selfSigned`, `ca` and `acme` are modelled
 * (vault and venafi are not, so they fail as unknown fields). In ACME solvers only the solver's
 * own keys (`selector`, `http01`, `dns01`) are checked, not the provider blocks inside them.
 */
const issuerSpec = z
  .strictObject({
    selfSigned: z.strictObject({ crlDistributionPoints: z.array(z.string()).optional() }).optional(),
    ca: z
      .strictObject({
        secretName: z.string().min(1),
        crlDistributionPoints: z.array(z.string()).optional(),
        ocspServers: z.array(z.string()).optional(),
        issuingCertificateURLs: z.array(z.string()).optional(),
      })
      .optional(),
    acme: z
      .strictObject({
        server: z.url(),
        email: z.string().optional(),
        privateKeySecretRef: secretKeySelector,
        preferredChain: z.string().max(64).optional(),
        caBundle: z.string().optional(),
        skipTLSVerify: z.boolean().optional(),
        disableAccountKeyGeneration: z.boolean().optional(),
        enableDurationFeature: z.boolean().optional(),
        profile: z.string().optional(),
        externalAccountBinding: z
          .strictObject({ keyID: z.string(), keySecretRef: secretKeySelector, keyAlgorithm: z.enum(['HS256', 'HS384', 'HS512']).optional() })
          .optional(),
        solvers: z
          .array(
            z.strictObject({
              selector: z.record(z.string(), z.unknown()).optional(),
              http01: z.record(z.string(), z.unknown()).optional(),
              dns01: z.record(z.string(), z.unknown()).optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  })
  .refine((spec) => [spec.selfSigned, spec.ca, spec.acme].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of selfSigned, ca, acme must be set',
  });

/** `{ apiVersion, kind, metadata, spec }` with a strict top level. */
function customResource(kind: string, spec: z.ZodType): z.ZodType {
  return z.strictObject({
    apiVersion: z.literal('cert-manager.io/v1'),
    kind: z.literal(kind),
    metadata: z.record(z.string(), z.unknown()),
    spec,
  });
}

/** zod schemas of the custom resources this module knows, by `<apiVersion>/<kind>`. */
export const CUSTOM_RESOURCE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'cert-manager.io/v1/Certificate': customResource('Certificate', certificateSpec),
  'cert-manager.io/v1/Issuer': customResource('Issuer', issuerSpec),
  'cert-manager.io/v1/ClusterIssuer': customResource('ClusterIssuer', issuerSpec),
};

/** Formats zod issues as `<dotted path>: <message>`, naming unknown keys. */
function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(object)';
    return `${where}: ${issue.message}`;
  });
}

/**
 * Validates Kubernetes objects with every validator that covers them and merges the verdicts.
 *
 * @param objects plain objects (`{ apiVersion, kind, metadata, ... }`), e.g. from
 *   {@link kubernetesObjects}`(plan).objects.map((o) => o.object)`.
 * @returns one {@link ObjectValidation} per object, in order.
 * @throws K8sValidateUnavailableError when `.bin/k8s-validate` is missing or fails (the message
 *   says to run `bash scripts/build-services.sh`): schema validation is never silently skipped.
 */
export async function validateKubernetesObjects(
  objects: readonly KubernetesObject[],
  options: ValidateOptions = {},
): Promise<ObjectValidation[]> {
  const goResults = runK8sValidate(objects, options.binary);
  const results: ObjectValidation[] = [];
  for (const [index, object] of objects.entries()) {
    const go = goResults[index]!;
    const validators: string[] = [];
    const errors: string[] = [];
    let strict = false;
    const apiVersion = String(object.apiVersion);
    const kind = String(object.kind);

    // Validators of the whole object; `k8s-validate:metadata` alone leaves it `not validated`.
    let bodyValidators = 0;
    if (go.status === 'unknown kind') {
      validators.push('k8s-validate:metadata');
    } else {
      validators.push('k8s-validate');
      bodyValidators += 1;
      strict = true;
    }
    errors.push(...go.errors.map((e) => `k8s-validate: ${e}`));

    const model = await kubernetesModel(apiVersion, kind);
    if (model) {
      validators.push('kubernetes-models');
      bodyValidators += 1;
      errors.push(...validateWithModel(model, object).map((e) => `kubernetes-models: ${e}`));
    }

    const crSchema = CUSTOM_RESOURCE_SCHEMAS[`${apiVersion}/${kind}`];
    if (crSchema) {
      validators.push(`zod:${apiVersion}/${kind}`);
      bodyValidators += 1;
      strict = true;
      const parsed = crSchema.safeParse(object);
      if (!parsed.success) errors.push(...formatZodIssues(parsed.error).map((e) => `zod:${apiVersion}/${kind}: ${e}`));
    }

    const status: ObjectValidation['status'] = bodyValidators === 0 ? 'not validated' : errors.length > 0 ? 'invalid' : 'valid';
    results.push({
      index,
      apiVersion,
      kind,
      name: object.metadata?.name ?? go.name,
      ...(typeof object.metadata?.namespace === 'string' ? { namespace: object.metadata.namespace } : {}),
      status,
      strict,
      validators,
      errors,
    });
  }
  return results;
}
