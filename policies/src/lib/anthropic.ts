/** Who may hold the Anthropic API key (checklist 9a-sec-03: only the enrichment components). */
import { COMPONENT } from '../../../infra/src/conventions.js';

/** The app's env var of the key (app/src/config.ts). */
export const ANTHROPIC_KEY_ENV = 'ANTHROPIC_API_KEY';
/** Components that call Claude: the worker plans escalation, the agents call the API. */
export const ANTHROPIC_KEY_COMPONENTS: string[] = [COMPONENT.app, COMPONENT.agent];
