/**
 * kubernetes-workload-ollama-health: Ollama's readiness is its model API.
 * Checklist 9a-llm-07 (the model server is health-checked) and 9b-health-04 (Ollama's
 * model API is its health endpoint).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describe, describeContainer } from '../lib/kubernetes.js';
import { OLLAMA_HEALTH_PATH, ollamaContainers } from '../lib/ollama.js';
import { checklist, LONG_RUNNING_CLASSES, validateWorkloads } from '../lib/policy.js';
import { isRecord } from '../lib/values.js';

export const kubernetesWorkloadOllamaHealth: ResourceValidationPolicy = {
  name: 'kubernetes-workload-ollama-health',
  description: `Checklist 9a model serving health checks and 9b Health Checks: the Ollama container's readiness probe is an HTTP GET of ${OLLAMA_HEALTH_PATH}.`,
  severity: 'medium',
  framework: checklist('9a LLM Infrastructure', 'the model server is health-checked (/api/tags)'),
  validateResource: validateWorkloads(LONG_RUNNING_CLASSES, (w, _args, reportViolation) => {
    if (w.workload !== WORKLOAD.ollama) return;
    for (const c of ollamaContainers(w.podSpec)) {
      const probe = c.container.readinessProbe;
      const path = isRecord(probe) && isRecord(probe.httpGet) ? probe.httpGet.path : undefined;
      if (path !== OLLAMA_HEALTH_PATH) reportViolation(`${describe(w)} ${describeContainer(c)} readiness probe does not GET ${OLLAMA_HEALTH_PATH}`);
    }
  }),
};
