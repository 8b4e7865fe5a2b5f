import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENTS, loadPrompt, ollamaModelFor, parsePromptFile } from '../../app/src/agents/registry.js';
import { agentPort, agentUrls } from '../../app/src/agents/urls.js';
import { loadConfig } from '../../app/src/config.js';
import { AGENT_NAMES, FIELD_NAMES, FIELD_OWNERS } from '../../app/src/domain/fields.js';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

describe('agent registry', () => {
  it('lists every agent with exactly the fields FIELD_OWNERS gives it', () => {
    expect(Object.keys(AGENTS).sort()).toEqual([...AGENT_NAMES].sort());
    for (const field of FIELD_NAMES) {
      const owners = AGENT_NAMES.filter((a) => AGENTS[a].fields.includes(field));
      expect(owners, field).toEqual([FIELD_OWNERS[field]]);
    }
  });

  it('uses llama3.2 for four agents and mixtral for structure, overridable from config', () => {
    const defaults = Object.fromEntries(AGENT_NAMES.map((a) => [a, ollamaModelFor(a)]));
    expect(defaults).toEqual({
      classification: 'llama3.2',
      metadata: 'llama3.2',
      entities: 'llama3.2',
      summary: 'llama3.2',
      structure: 'mixtral',
    });
    const config = loadConfig({ OLLAMA_PHASE1_MODEL: 'qwen2.5:7b', OLLAMA_STRUCTURE_MODEL: 'llama3.1:70b' });
    expect(ollamaModelFor('metadata', config)).toBe('qwen2.5:7b');
    expect(ollamaModelFor('structure', config)).toBe('llama3.1:70b');
  });
});

describe('agent prompts', () => {
  it.each(AGENT_NAMES)('%s prompt front matter matches the registry and has a semver version', (agent) => {
    const prompt = loadPrompt(agent);
    expect(prompt.version).toMatch(SEMVER);
    expect(prompt.agent).toBe(agent);
    expect([...prompt.fields].sort()).toEqual([...AGENTS[agent].fields].sort());
    // The body documents each owned field under its own heading and asks for null over guesses.
    for (const field of AGENTS[agent].fields) expect(prompt.body).toContain(`### ${field}`);
    expect(prompt.body).toMatch(/null/);
    expect(prompt.body).not.toMatch(/^---/);
  });

  it('reads each prompt file once and caches it', () => {
    expect(loadPrompt('metadata')).toBe(loadPrompt('metadata'));
  });

  it('rejects front matter without a semver version, with another agent, or without fields', () => {
    const body = '\nExtract things.\n';
    expect(() => parsePromptFile(`---\nversion: 1.0\nagent: metadata\nfields: [vendor_name]\n---${body}`, 'x.md')).toThrow(/version: semver/);
    expect(() => parsePromptFile(`---\nversion: 1.0.0\nagent: billing\nfields: [vendor_name]\n---${body}`, 'x.md')).toThrow(/agent/);
    expect(() => parsePromptFile(`---\nversion: 1.0.0\nagent: metadata\nfields: []\n---${body}`, 'x.md')).toThrow(/fields/);
    expect(() => parsePromptFile(`no front matter${body}`, 'x.md')).toThrow(/front matter/);
    const ok = parsePromptFile(`---\nversion: 2.1.0\nagent: summary\nfields: [title, summary]\n---${body}`, 'x.md');
    expect(ok).toEqual({ version: '2.1.0', agent: 'summary', fields: ['title', 'summary'], body: 'Extract things.' });
  });

  it('ships prompt files whose raw text starts with front matter', () => {
    for (const agent of AGENT_NAMES) {
      const text = readFileSync(new URL(`../../app/src/agents/${agent}/prompt.md`, import.meta.url), 'utf8');
      expect(text.startsWith('---\nversion: ')).toBe(true);
    }
  });
});

describe('agentUrls', () => {
  it('derives one loopback URL per agent from the base port, in AGENT_NAMES order', () => {
    const config = loadConfig({ AGENT_BASE_PORT: '6000' });
    const urls = agentUrls(config);
    expect(AGENT_NAMES.map((a) => urls[a])).toEqual([6000, 6001, 6002, 6003, 6004].map((p) => `http://127.0.0.1:${p}/mcp`));
    expect(agentPort('structure', config)).toBe(6004);
  });

  it('applies AGENT_URLS overrides and rejects unknown agents or bad URLs', () => {
    const config = loadConfig({ AGENT_URLS: 'metadata=http://metadata:5102/mcp, structure=https://s.example/mcp' });
    const urls = agentUrls(config);
    expect(urls.metadata).toBe('http://metadata:5102/mcp');
    expect(urls.structure).toBe('https://s.example/mcp');
    expect(urls.summary).toBe('http://127.0.0.1:5104/mcp');
    expect(() => agentUrls(loadConfig({ AGENT_URLS: 'billing=http://b/mcp' }))).toThrow(/unknown agent 'billing'/);
    expect(() => agentUrls(loadConfig({ AGENT_URLS: 'metadata' }))).toThrow(/not name=url/);
    expect(() => agentUrls(loadConfig({ AGENT_URLS: 'metadata=ftp://x' }))).toThrow(/not an http/);
  });
});
