/** How the Ollama server container is recognised (image `ollama/ollama`, or a container named `ollama`). */
import { containersOf, type ContainerRef } from './kubernetes.js';
import type { Props } from './values.js';

/** The Ollama server containers of a pod spec. */
export function ollamaContainers(podSpec: Props): ContainerRef[] {
  return containersOf(podSpec).filter(
    (c) => !c.init && ((typeof c.container.image === 'string' && /(^|\/)ollama\/ollama(:|@|$)/.test(c.container.image)) || c.name === 'ollama'),
  );
}

/** Ollama's health endpoint of the checklist (9b Health Checks): lists the local models. */
export const OLLAMA_HEALTH_PATH = '/api/tags';
