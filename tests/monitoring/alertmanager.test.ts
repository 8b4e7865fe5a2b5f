/**
 * The Alertmanager configuration (`alerts/alertmanager.ts`; checklist "AlertManager configured",
 * "Alert channels configured"): amtool accepts what the builder writes, each severity reaches
 * the receiver alerts/README.md promises, credentials only ever appear as file paths, and bad
 * options are refused with a readable error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  buildAlertmanagerConfig,
  EXAMPLE_ALERTMANAGER_OPTIONS,
  RECEIVERS,
  renderExample,
  toYaml,
  type AlertmanagerOptions,
} from '../../alerts/alertmanager.js';
import { runTool } from './support/tools.js';

const EXAMPLE_FILE = fileURLToPath(new URL('../../alerts/alertmanager.example.yml', import.meta.url));

let dir: string;
let secrets: string;

/** Full options whose Secret files exist (with dummy content) under the temp dir. */
function fullOptions(): AlertmanagerOptions {
  return {
    email: {
      to: ['oncall@example.com', 'lead@example.com'],
      from: 'alertmanager@example.com',
      smarthost: 'smtp.example.com:587',
      authUsername: 'alertmanager@example.com',
      authPasswordFile: path.join(secrets, 'smtp-password'),
    },
    slack: { channel: '#enrichment-alerts', apiUrlFile: path.join(secrets, 'slack-webhook-url') },
    pagerduty: { routingKeyFile: path.join(secrets, 'pagerduty-routing-key') },
    heartbeat: { url: 'https://deadman.example.com/ping/enrichment', bearerTokenFile: path.join(secrets, 'heartbeat-token') },
  };
}

function writeConfig(name: string, options: AlertmanagerOptions): string {
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(file, toYaml(buildAlertmanagerConfig(options)));
  return file;
}

/** The receiver `amtool config routes test` picks for a label set. */
function receiverFor(configFile: string, labels: string[]): string {
  const run = runTool('amtool', ['config', 'routes', 'test', `--config.file=${configFile}`, ...labels]);
  expect(run.status, run.output).toBe(0);
  return run.stdout.trim();
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'alertmanager-test-'));
  secrets = path.join(dir, 'secrets');
  mkdirSync(secrets);
  writeFileSync(path.join(secrets, 'smtp-password'), 'dummy-smtp-password\n');
  writeFileSync(path.join(secrets, 'slack-webhook-url'), 'https://hooks.slack.com/services/T000/B000/dummy\n');
  writeFileSync(path.join(secrets, 'pagerduty-routing-key'), 'dummy-routing-key\n');
  writeFileSync(path.join(secrets, 'heartbeat-token'), 'dummy-token\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildAlertmanagerConfig with email, Slack, PagerDuty and a heartbeat', () => {
  let configFile: string;
  beforeAll(() => {
    configFile = writeConfig('full', fullOptions());
  });

  it('passes amtool check-config', () => {
    const run = runTool('amtool', ['check-config', configFile]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).toContain('3 receivers');
    expect(run.output).toContain('1 inhibit rules');
  });

  it('routes page to PagerDuty, ticket to email, Watchdog to the heartbeat', () => {
    expect(receiverFor(configFile, ['severity=page', 'service=x'])).toBe(RECEIVERS.page);
    expect(receiverFor(configFile, ['severity=ticket', 'service=x'])).toBe(RECEIVERS.ticket);
    expect(receiverFor(configFile, ['alertname=Watchdog', 'severity=none', 'service=platform'])).toBe(RECEIVERS.heartbeat);
    // A rule that forgot its severity still reaches someone.
    expect(receiverFor(configFile, ['alertname=Unlabelled', 'service=x'])).toBe(RECEIVERS.ticket);
  });

  it('sends pages to PagerDuty and Slack, tickets to email and Slack', () => {
    const config = parse(readFileSync(configFile, 'utf8'));
    const receiver = (name: string) => config.receivers.find((r: { name: string }) => r.name === name);
    expect(Object.keys(receiver('page')).sort()).toEqual(['name', 'pagerduty_configs', 'slack_configs']);
    expect(Object.keys(receiver('ticket')).sort()).toEqual(['email_configs', 'name', 'slack_configs']);
    expect(receiver('ticket').email_configs[0].to).toBe('oncall@example.com, lead@example.com');
    expect(receiver('page').slack_configs[0].channel).toBe('#enrichment-alerts');
    expect(receiver('heartbeat').webhook_configs[0].url).toBe('https://deadman.example.com/ping/enrichment');
  });

  it('groups by alertname and service, and holds tickets back while a page fires for the same service', () => {
    const config = parse(readFileSync(configFile, 'utf8'));
    expect(config.route.group_by).toEqual(['alertname', 'service']);
    expect(config.inhibit_rules).toEqual([{ source_matchers: ['severity="page"'], target_matchers: ['severity="ticket"'], equal: ['service'] }]);
  });

  it('names credentials only as the mounted files, never their content', () => {
    const text = readFileSync(configFile, 'utf8');
    for (const secret of ['dummy-smtp-password', 'hooks.slack.com', 'dummy-routing-key', 'dummy-token']) expect(text).not.toContain(secret);
    const config = parse(text);
    expect(config.global.smtp_auth_password_file).toBe(path.join(secrets, 'smtp-password'));
    expect(config.receivers[0].pagerduty_configs[0].routing_key_file).toBe(path.join(secrets, 'pagerduty-routing-key'));
    expect(config.receivers[0].slack_configs[0].api_url_file).toBe(path.join(secrets, 'slack-webhook-url'));
    expect(config.receivers[2].webhook_configs[0].http_config.authorization.credentials_file).toBe(path.join(secrets, 'heartbeat-token'));
  });
});

describe('buildAlertmanagerConfig with email only', () => {
  const emailOnly = (): AlertmanagerOptions => ({ email: { to: ['oncall@example.com'], from: 'am@example.com', smarthost: 'smtp.example.com:25', requireTls: false } });

  it('passes amtool check-config and pages by email, with Watchdog going nowhere', () => {
    const file = writeConfig('email-only', emailOnly());
    const run = runTool('amtool', ['check-config', file]);
    expect(run.status, run.output).toBe(0);
    expect(receiverFor(file, ['severity=page', 'service=x'])).toBe(RECEIVERS.page);
    const config = buildAlertmanagerConfig(emailOnly());
    expect(config.receivers.find((r) => r.name === 'page')).toEqual({ name: 'page', email_configs: [{ to: 'oncall@example.com', send_resolved: true }] });
    expect(config.receivers.find((r) => r.name === 'heartbeat')).toEqual({ name: 'heartbeat' });
    expect(config.global).not.toHaveProperty('smtp_auth_password_file');
    expect(config.global.smtp_require_tls).toBe(false);
  });
});

describe('alerts/alertmanager.example.yml', () => {
  it('is what alerts/render-example.ts writes today', () => {
    expect(readFileSync(EXAMPLE_FILE, 'utf8'), 'stale example: run npx tsx alerts/render-example.ts').toBe(renderExample());
  });

  it('is a valid config once its Secret paths exist', () => {
    const text = readFileSync(EXAMPLE_FILE, 'utf8').replaceAll('/etc/alertmanager/secrets/', `${secrets}/`);
    const file = path.join(dir, 'example.yml');
    writeFileSync(file, text);
    const run = runTool('amtool', ['check-config', file]);
    expect(run.status, run.output).toBe(0);
    expect(receiverFor(file, ['severity=page', 'service=mongodb'])).toBe(RECEIVERS.page);
  });
});

describe('invalid options', () => {
  const refusal = (options: unknown): string => {
    try {
      buildAlertmanagerConfig(options as AlertmanagerOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(z.ZodError);
      return z.prettifyError(error as z.ZodError);
    }
    throw new Error('options were accepted');
  };
  const base = () => structuredClone(EXAMPLE_ALERTMANAGER_OPTIONS) as unknown as Record<string, Record<string, unknown>>;

  it('refuses an inline Slack webhook URL and names the file option', () => {
    const options = base();
    options['slack'] = { channel: '#alerts', apiUrl: 'https://hooks.slack.com/services/T/B/x' };
    const message = refusal(options);
    expect(message).toContain('unknown option(s) apiUrl');
    expect(message).toContain('credentials are never inline');
    expect(message).toContain('apiUrlFile');
  });

  it('refuses an inline SMTP password', () => {
    const options = base();
    options['email']!['password'] = 'hunter2';
    expect(refusal(options)).toContain('unknown option(s) password');
  });

  it('refuses a relative Secret path', () => {
    const options = base();
    options['pagerduty'] = { routingKeyFile: 'secrets/pagerduty' };
    const message = refusal(options);
    expect(message).toContain('must be an absolute path to a mounted Secret file');
    expect(message).toContain('pagerduty.routingKeyFile');
  });

  it('refuses an SMTP user without a password file', () => {
    const options = base();
    delete options['email']!['authPasswordFile'];
    expect(refusal(options)).toContain('authUsername and authPasswordFile go together');
  });

  it('refuses a bad recipient address and a smarthost without a port', () => {
    const options = base();
    options['email']!['to'] = ['not-an-address'];
    options['email']!['smarthost'] = 'smtp.example.com';
    const message = refusal(options);
    expect(message).toContain('email.to[0]');
    expect(message).toContain('must be host:port');
  });

  it('refuses a heartbeat URL that carries a token', () => {
    const options = base();
    options['heartbeat'] = { url: 'https://deadman.example.com/ping?token=abc' };
    expect(refusal(options)).toContain('must not carry credentials or a query string');
  });

  it('refuses a Slack channel without #', () => {
    const options = base();
    options['slack'] = { channel: 'alerts', apiUrlFile: '/etc/alertmanager/secrets/slack' };
    expect(refusal(options)).toContain('must be a channel name');
  });
});
