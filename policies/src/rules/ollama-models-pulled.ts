/**
 * ollama-models-pulled: `llama3.2` and `mixtral` are pulled, on either target.
 * Checklist 9a "LLM Infrastructure": models pulled and available (llama3.2 for the phase-1
 * agents, mixtral for the structure agent).
 */
import type { StackValidationPolicy } from '@pulumi/policy';
import { ANNOTATION, OLLAMA_MODELS } from '../../../infra/src/conventions.js';
import { DOCKER_TYPE, dockerContainerOf } from '../lib/docker.js';
import { checklist, configOf, isDockerStack, isKubernetesStack, stackWorkloads } from '../lib/policy.js';

const DEFAULTS = { models: [...OLLAMA_MODELS] as string[] };

/** `mixtral` is satisfied by `mixtral`, `mixtral:latest` or `mixtral:8x7b`. */
function covers(pulled: string, required: string): boolean {
  return pulled === required || pulled.startsWith(`${required}:`);
}

export const ollamaModelsPulled: StackValidationPolicy = {
  name: 'ollama-models-pulled',
  description: `Checklist 9a LLM Infrastructure, models pulled: the model-pull Job or container (annotation or Docker label ${ANNOTATION.ollamaModels}) pulls ${OLLAMA_MODELS.join(' and ')}.`,
  severity: 'high',
  framework: checklist('9a LLM Infrastructure', 'models pulled: llama3.2 for phase 1, mixtral for the structure agent'),
  configSchema: { properties: { models: { type: 'array', items: { type: 'string' }, default: DEFAULTS.models } } },
  validateStack: (args, reportViolation) => {
    if (!isKubernetesStack(args.resources) && !isDockerStack(args.resources)) args.notApplicable('the stack declares no workload');
    const { models } = configOf(args, DEFAULTS);
    const declared = [
      ...stackWorkloads(args.resources).map((w) => w.annotations[ANNOTATION.ollamaModels]),
      ...args.resources.filter((r) => r.type === DOCKER_TYPE.Container).map((r) => dockerContainerOf(r.props).labels[ANNOTATION.ollamaModels]),
    ].filter((v): v is string => v !== undefined);
    if (declared.length === 0) {
      reportViolation(`no workload declares the models it pulls (annotation ${ANNOTATION.ollamaModels})`);
      return;
    }
    const pulled = declared.flatMap((v) => v.split(/[,\s]+/)).filter(Boolean);
    const missing = models.filter((m) => !pulled.some((p) => covers(p, m)));
    if (missing.length > 0) reportViolation(`the model pull list (${pulled.join(', ')}) lacks ${missing.join(', ')}`);
  },
};
