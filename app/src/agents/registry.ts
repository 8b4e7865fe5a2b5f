/**
 * The five agents: which fields each owns, which Ollama model serves it in phase 1, and its
 * versioned prompt (`<agent>/prompt.md`, next to this module).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AppConfig } from '../config.js';
import { AGENT_NAMES, fieldsOwnedBy, type AgentName, type FieldName } from '../domain/fields.js';

export interface AgentDefinition {
  name: AgentName;
  /** Fields this agent owns, from `FIELD_OWNERS`, in catalog order. */
  fields: readonly FieldName[];
  /** Config key naming this agent's phase-1 Ollama model. */
  ollamaModelKey: 'OLLAMA_PHASE1_MODEL' | 'OLLAMA_STRUCTURE_MODEL';
  /** Phase-1 model when the config does not override it. */
  defaultOllamaModel: string;
  /** Position in `AGENT_NAMES`; the agent listens on `AGENT_BASE_PORT + index`. */
  index: number;
}

// Structure extraction (tables, key/value pairs) needs the larger model; the rest do well on
// the small one. Mirrors the defaults of OLLAMA_PHASE1_MODEL / OLLAMA_STRUCTURE_MODEL in config.
const STRUCTURE_AGENTS: ReadonlySet<AgentName> = new Set(['structure']);

export const AGENTS: Record<AgentName, AgentDefinition> = Object.fromEntries(
  AGENT_NAMES.map((name, index) => {
    const big = STRUCTURE_AGENTS.has(name);
    const definition: AgentDefinition = {
      name,
      fields: fieldsOwnedBy(name),
      ollamaModelKey: big ? 'OLLAMA_STRUCTURE_MODEL' : 'OLLAMA_PHASE1_MODEL',
      defaultOllamaModel: big ? 'mixtral' : 'llama3.2',
      index,
    };
    return [name, definition];
  }),
) as Record<AgentName, AgentDefinition>;

/** The phase-1 Ollama model for an agent: the config override, else the registry default. */
export function ollamaModelFor(
  agent: AgentName,
  config?: Partial<Pick<AppConfig, 'OLLAMA_PHASE1_MODEL' | 'OLLAMA_STRUCTURE_MODEL'>>,
): string {
  const definition = AGENTS[agent];
  return config?.[definition.ollamaModelKey] ?? definition.defaultOllamaModel;
}

/** A loaded prompt: its semver `version` and the body (everything after the front matter). */
export interface AgentPrompt {
  version: string;
  agent: AgentName;
  fields: FieldName[];
  body: string;
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

const frontMatterSchema = z.object({
  version: z.string().regex(SEMVER, 'semver x.y.z'),
  agent: z.enum(AGENT_NAMES),
  fields: z.array(z.string().min(1)).min(1),
});

/**
 * Parses a prompt file: a `---` fenced front matter of `key: value` lines (`fields` as a flow
 * list `[a, b]`), then the body. Throws an Error naming the file on any problem.
 */
export function parsePromptFile(text: string, source: string): AgentPrompt {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`${source}: missing '---' front matter`);
  const raw: Record<string, unknown> = {};
  for (const line of match[1]!.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const kv = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`${source}: bad front matter line '${line}'`);
    const value = kv[2]!.trim();
    const list = /^\[(.*)\]$/.exec(value);
    raw[kv[1]!] = list ? list[1]!.split(',').map((s) => s.trim()).filter(Boolean) : value;
  }
  const parsed = frontMatterSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const body = match[2]!.trim();
  if (!body) throw new Error(`${source}: empty prompt body`);
  return { ...parsed.data, fields: parsed.data.fields as FieldName[], body };
}

const promptCache = new Map<AgentName, AgentPrompt>();

/**
 * The agent's prompt, read from `app/src/agents/<agent>/prompt.md` on first use and cached.
 * Throws when the file is missing, malformed, or its front matter disagrees with the registry
 * (other agent, other fields).
 *
 * Note: `tsc` does not copy `.md` files; a compiled build must ship them next to this module.
 */
export function loadPrompt(agent: AgentName): AgentPrompt {
  const cached = promptCache.get(agent);
  if (cached) return cached;
  const url = new URL(`./${agent}/prompt.md`, import.meta.url);
  const prompt = parsePromptFile(readFileSync(url, 'utf8'), url.pathname);
  const expected = AGENTS[agent].fields;
  if (prompt.agent !== agent) throw new Error(`${url.pathname}: front matter agent '${prompt.agent}' is not '${agent}'`);
  if (prompt.fields.length !== expected.length || !expected.every((f) => prompt.fields.includes(f))) {
    throw new Error(`${url.pathname}: front matter fields [${prompt.fields.join(', ')}] are not the owned fields [${expected.join(', ')}]`);
  }
  promptCache.set(agent, prompt);
  return prompt;
}
