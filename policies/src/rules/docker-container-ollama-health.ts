/**
 * docker-container-ollama-health: the dev Ollama container's healthcheck queries the model API.
 * Checklist 9a-llm-07 (the model server is health-checked).
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { WORKLOAD } from '../../../infra/src/conventions.js';
import { describeDocker, dockerContainerOf } from '../lib/docker.js';
import { OLLAMA_HEALTH_PATH } from '../lib/ollama.js';
import { checklist, isOneShotContainer, validateDockerContainers } from '../lib/policy.js';
import { isRecord, list } from '../lib/values.js';

export const dockerContainerOllamaHealth: ResourceValidationPolicy = {
  name: 'docker-container-ollama-health',
  description: `Checklist 9a model serving health checks: the Ollama container's healthcheck queries ${OLLAMA_HEALTH_PATH}, directly or through \`ollama list\` (the image has no curl; the CLI calls ${OLLAMA_HEALTH_PATH}).`,
  severity: 'medium',
  framework: checklist('9a LLM Infrastructure', 'the model server is health-checked (/api/tags)'),
  validateResource: validateDockerContainers((props, _args, reportViolation) => {
    const c = dockerContainerOf(props);
    if (c.workload !== WORKLOAD.ollama || isOneShotContainer(props)) return;
    const test = (isRecord(props.healthcheck) ? list<string>(props.healthcheck.tests) : []).join(' ');
    if (!test.includes(OLLAMA_HEALTH_PATH) && !/\bollama\s+list\b/.test(test)) {
      reportViolation(`${describeDocker(c)} healthcheck does not query ${OLLAMA_HEALTH_PATH} (or run \`ollama list\`)`);
    }
  }),
};
