/**
 * kubernetes-workload-ollama-gpu: Ollama gets a GPU.
 * Checklist 9a "LLM Infrastructure": GPU acceleration configured (advisory outside prod, see
 * `policies/config/staging.json`).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describe, describeContainer } from '../lib/kubernetes.js';
import { ollamaContainers } from '../lib/ollama.js';
import { checklist, LONG_RUNNING_CLASSES, validateWorkloads } from '../lib/policy.js';
import { parseQuantity } from '../lib/quantities.js';
import { isRecord } from '../lib/values.js';

/** The extended resource of the NVIDIA device plugin. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

export const kubernetesWorkloadOllamaGpu: ResourceValidationPolicy = {
  name: 'kubernetes-workload-ollama-gpu',
  description: `Checklist 9a LLM Infrastructure, GPU acceleration: the Ollama container sets a ${GPU_RESOURCE} limit of at least 1.`,
  severity: 'medium',
  framework: checklist('9a LLM Infrastructure', 'GPU acceleration configured'),
  validateResource: validateWorkloads(LONG_RUNNING_CLASSES, (w, _args, reportViolation) => {
    if (w.workload !== WORKLOAD.ollama) return;
    for (const c of ollamaContainers(w.podSpec)) {
      const limits = isRecord(c.container.resources) && isRecord(c.container.resources.limits) ? c.container.resources.limits : {};
      if (!(parseQuantity(limits[GPU_RESOURCE]) >= 1)) reportViolation(`${describe(w)} ${describeContainer(c)} requests no GPU (resources.limits["${GPU_RESOURCE}"])`);
    }
  }),
};
