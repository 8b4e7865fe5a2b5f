/**
 * kubernetes-workload-ollama-storage: at least 30Gi of model storage for Ollama.
 * Checklist 9a "LLM Infrastructure": storage of 30GB or more allocated for models (mixtral alone
 * is about 26GB).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describe } from '../lib/kubernetes.js';
import { checklist, configOf, requireKubernetes, stackWorkloads } from '../lib/policy.js';
import { toGibibytes } from '../lib/quantities.js';
import { claimsOf, mountedVolumes } from '../lib/storage.js';

const DEFAULTS = { minStorageGi: 30 };

export const kubernetesWorkloadOllamaStorage: StackValidationPolicy = {
  name: 'kubernetes-workload-ollama-storage',
  description:
    'Checklist 9a LLM Infrastructure, storage for models: the Ollama workload mounts a PersistentVolumeClaim requesting at least minStorageGi (default 30Gi).',
  severity: 'high',
  framework: checklist('9a LLM Infrastructure', 'at least 30GB of storage allocated for models'),
  configSchema: { properties: { minStorageGi: { type: 'number', minimum: 1, default: DEFAULTS.minStorageGi } } },
  validateStack: (args, reportViolation) => {
    requireKubernetes(args);
    const { minStorageGi } = configOf(args, DEFAULTS);
    for (const w of stackWorkloads(args.resources).filter((x) => x.longRunning && x.workload === WORKLOAD.ollama)) {
      const mounted = mountedVolumes(w.podSpec);
      const claims = claimsOf(w, args.resources).filter((c) => mounted.has(c.volume));
      if (claims.length === 0) {
        reportViolation(`${describe(w)} mounts no PersistentVolumeClaim for its models`, w.urn);
        continue;
      }
      const largest = Math.max(...claims.map((c) => toGibibytes(c.storage)).filter((n) => !Number.isNaN(n)), 0);
      if (largest < minStorageGi) {
        const sizes = claims.map((c) => `${c.volume}=${c.storage === undefined ? 'unknown' : String(c.storage)}`).join(', ');
        reportViolation(`${describe(w)} has ${sizes} of model storage; at least ${minStorageGi}Gi is required`, w.urn);
      }
    }
  },
};
