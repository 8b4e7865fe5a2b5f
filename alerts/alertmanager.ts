/**
 * The Alertmanager configuration of the platform, built from typed options (checklist
 * "AlertManager configured" and "Alert channels configured": email, Slack and PagerDuty).
 *
 * Routing follows the `severity` label of the rules in `alerts/*.rules.yml` (see alerts/README.md):
 * - `page` → PagerDuty (email when no PagerDuty is configured), and Slack when configured;
 * - `ticket` → email, and Slack when configured;
 * - the always-firing `Watchdog` → the `heartbeat` receiver (a dead man's switch webhook, or
 *   nothing when none is configured).
 * Alerts are grouped by `alertname` and `service`; a ticket is inhibited while a page fires for
 * the same `service`.
 *
 * Credentials are never part of the options or the output: the config names files (Alertmanager's
 * `*_file` fields, Alertmanager 0.25+) where a Kubernetes Secret is mounted.
 */
import { Document } from 'yaml';
import { z } from 'zod';

/** An absolute path of a file in the Alertmanager container (a mounted Secret key). */
const secretFile = z
  .string()
  .startsWith('/', 'must be an absolute path to a mounted Secret file')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".."');

/**
 * Strict objects refuse unknown keys, with a message aimed at the usual mistake: an inline
 * credential (`password`, `apiUrl`, `routingKey`) where a `*File` path is expected.
 */
const strict = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option(s) ${issue.keys.join(', ')}; credentials are never inline: give the path of a mounted Secret file in the matching *File option (${Object.keys(shape).join(', ')})`
        : undefined,
  });

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. smtp.example.com:587');
const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, 'must be a Prometheus duration such as 30s, 5m or 4h');

/** Options of {@link buildAlertmanagerConfig}. Parsed (and defaulted) by {@link alertmanagerOptionsSchema}. */
export const alertmanagerOptionsSchema = strict({
  /** Email: where tickets go, and pages when there is no PagerDuty. Required (checklist "Email notifications"). */
  email: strict({
    /** Recipients (the team members of the checklist's "Alert recipients"). */
    to: z.array(z.email()).min(1, 'at least one recipient'),
    from: z.email(),
    /** SMTP relay `host:port`. */
    smarthost: hostPort,
    authUsername: z.string().min(1).optional(),
    /** File holding the SMTP password (`smtp_auth_password_file`). Required when `authUsername` is set. */
    authPasswordFile: secretFile.optional(),
    /** Require STARTTLS to the relay. Default true. */
    requireTls: z.boolean().default(true),
  }).refine((e) => (e.authUsername === undefined) === (e.authPasswordFile === undefined), {
    message: 'authUsername and authPasswordFile go together',
    path: ['authPasswordFile'],
  }),
  /** Slack: a copy of every page and ticket in one channel (checklist "Slack integration (if applicable)"). */
  slack: strict({
    channel: z.string().regex(/^#[a-z0-9._-]{1,80}$/, 'must be a channel name such as #enrichment-alerts'),
    /** File holding the incoming-webhook URL (`api_url_file`); the URL itself is a credential. */
    apiUrlFile: secretFile,
  }).optional(),
  /** PagerDuty: where pages go (checklist "PagerDuty integration (if applicable)"). */
  pagerduty: strict({
    /** File holding the Events API v2 integration (routing) key (`routing_key_file`). */
    routingKeyFile: secretFile,
  }).optional(),
  /** Dead man's switch that expects the Watchdog every minute; none: Watchdog goes nowhere. */
  heartbeat: strict({
    /** Webhook URL. It must not carry a secret (no user:password, no query string): use `bearerTokenFile`. */
    url: z.url({ protocol: /^https?$/ }).refine((u) => {
      const url = new URL(u);
      return url.username === '' && url.password === '' && url.search === '';
    }, 'must not carry credentials or a query string; put the token in bearerTokenFile'),
    /** File holding a bearer token sent with each heartbeat. */
    bearerTokenFile: secretFile.optional(),
  }).optional(),
  /** How long a new group waits for more alerts before the first notification. Default 30s. */
  groupWait: duration.default('30s'),
  /** How long before a group's new alerts are notified. Default 5m. */
  groupInterval: duration.default('5m'),
  /** Re-notification of a still-firing page. Default 1h. */
  pageRepeatInterval: duration.default('1h'),
  /** Re-notification of a still-firing ticket. Default 12h. */
  ticketRepeatInterval: duration.default('12h'),
});

/** What callers pass (defaults may be omitted). */
export type AlertmanagerOptions = z.input<typeof alertmanagerOptionsSchema>;

/** Receiver names, as they appear in the config and in `amtool config routes test` output. */
export const RECEIVERS = { page: 'page', ticket: 'ticket', heartbeat: 'heartbeat' } as const;

/** The subset of the Alertmanager 0.25 configuration this module writes (field names as in the YAML). */
export interface AlertmanagerConfig {
  global: {
    resolve_timeout: string;
    smtp_from: string;
    smtp_smarthost: string;
    smtp_auth_username?: string;
    smtp_auth_password_file?: string;
    smtp_require_tls: boolean;
  };
  route: Route;
  inhibit_rules: InhibitRule[];
  receivers: Receiver[];
}

export interface Route {
  receiver: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export interface Receiver {
  name: string;
  email_configs?: { to: string; send_resolved: boolean }[];
  slack_configs?: { api_url_file: string; channel: string; send_resolved: boolean; title: string; text: string }[];
  pagerduty_configs?: { routing_key_file: string; send_resolved: boolean; description: string }[];
  webhook_configs?: { url: string; send_resolved: boolean; http_config?: { authorization: { type: 'Bearer'; credentials_file: string } } }[];
}

/** Labels alerts are grouped by: one notification per alert name and service. */
export const GROUP_BY = ['alertname', 'service'] as const;

// A dead man's switch expects a beat at a steady pace; one a minute lets it notice an outage
// within a few minutes.
const HEARTBEAT_INTERVAL = '1m';

const SLACK_TITLE = '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.service }})';
const SLACK_TEXT =
  '{{ range .Alerts }}*{{ .Labels.severity }}* {{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}';
const PAGERDUTY_DESCRIPTION = '{{ .CommonLabels.alertname }} ({{ .CommonLabels.service }}): {{ .CommonAnnotations.summary }}';

/**
 * Builds the Alertmanager configuration.
 *
 * @param options see {@link alertmanagerOptionsSchema}; file paths are where the Secret keys are
 *   mounted in the Alertmanager container.
 * @returns a plain object, ready for {@link toYaml} (for a ConfigMap or Secret).
 * @throws z.ZodError when the options are invalid, e.g. an inline credential, a relative secret
 *   path or a malformed email address; `z.prettifyError(error)` gives a readable message.
 */
export function buildAlertmanagerConfig(options: AlertmanagerOptions): AlertmanagerConfig {
  const o = alertmanagerOptionsSchema.parse(options);
  // Fresh objects per receiver: the result is plain data that callers may change.
  const email = () => [{ to: o.email.to.join(', '), send_resolved: true }];
  const slackOptions = o.slack;
  const slack = slackOptions
    ? () => [{ api_url_file: slackOptions.apiUrlFile, channel: slackOptions.channel, send_resolved: true, title: SLACK_TITLE, text: SLACK_TEXT }]
    : undefined;

  const page: Receiver = { name: RECEIVERS.page };
  if (o.pagerduty) page.pagerduty_configs = [{ routing_key_file: o.pagerduty.routingKeyFile, send_resolved: true, description: PAGERDUTY_DESCRIPTION }];
  else page.email_configs = email();
  if (slack) page.slack_configs = slack();

  const ticket: Receiver = { name: RECEIVERS.ticket, email_configs: email() };
  if (slack) ticket.slack_configs = slack();

  const heartbeat: Receiver = { name: RECEIVERS.heartbeat };
  if (o.heartbeat) {
    heartbeat.webhook_configs = [
      {
        url: o.heartbeat.url,
        send_resolved: false,
        ...(o.heartbeat.bearerTokenFile ? { http_config: { authorization: { type: 'Bearer' as const, credentials_file: o.heartbeat.bearerTokenFile } } } : {}),
      },
    ];
  }

  return {
    global: {
      resolve_timeout: '5m',
      smtp_from: o.email.from,
      smtp_smarthost: o.email.smarthost,
      ...(o.email.authUsername ? { smtp_auth_username: o.email.authUsername, smtp_auth_password_file: o.email.authPasswordFile } : {}),
      smtp_require_tls: o.email.requireTls,
    },
    route: {
      // Anything without a known severity is at least a ticket.
      receiver: RECEIVERS.ticket,
      group_by: [...GROUP_BY],
      group_wait: o.groupWait,
      group_interval: o.groupInterval,
      repeat_interval: o.ticketRepeatInterval,
      routes: [
        {
          receiver: RECEIVERS.heartbeat,
          matchers: ['alertname="Watchdog"'],
          group_wait: '0s',
          group_interval: HEARTBEAT_INTERVAL,
          repeat_interval: HEARTBEAT_INTERVAL,
        },
        { receiver: RECEIVERS.page, matchers: ['severity="page"'], repeat_interval: o.pageRepeatInterval },
        { receiver: RECEIVERS.ticket, matchers: ['severity="ticket"'], repeat_interval: o.ticketRepeatInterval },
      ],
    },
    inhibit_rules: [{ source_matchers: ['severity="page"'], target_matchers: ['severity="ticket"'], equal: ['service'] }],
    receivers: [page, ticket, heartbeat],
  };
}

/**
 * Renders a configuration as YAML (the `yaml` package), with an optional comment on top.
 * @param header comment lines without the leading `#`.
 */
export function toYaml(config: AlertmanagerConfig, header?: string): string {
  const doc = new Document(config, { aliasDuplicateObjects: false });
  if (header) doc.commentBefore = header.split('\n').map((line) => (line ? ` ${line}` : '')).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** Options of the committed example, `alerts/alertmanager.example.yml`. */
export const EXAMPLE_ALERTMANAGER_OPTIONS: AlertmanagerOptions = {
  email: {
    to: ['oncall@enrichment.example.com', 'team-lead@enrichment.example.com'],
    from: 'alertmanager@enrichment.example.com',
    smarthost: 'smtp.example.com:587',
    authUsername: 'alertmanager@enrichment.example.com',
    authPasswordFile: '/etc/alertmanager/secrets/smtp-password',
  },
  slack: { channel: '#enrichment-alerts', apiUrlFile: '/etc/alertmanager/secrets/slack-webhook-url' },
  pagerduty: { routingKeyFile: '/etc/alertmanager/secrets/pagerduty-routing-key' },
  heartbeat: { url: 'https://deadman.example.com/ping/enrichment-platform', bearerTokenFile: '/etc/alertmanager/secrets/heartbeat-token' },
};

/** Header of the committed example. */
export const EXAMPLE_HEADER = [
  'Generated from EXAMPLE_ALERTMANAGER_OPTIONS in alerts/alertmanager.ts: do not edit.',
  'Regenerate with: npx tsx alerts/render-example.ts',
].join('\n');

/** The committed example's expected content. */
export function renderExample(): string {
  return toYaml(buildAlertmanagerConfig(EXAMPLE_ALERTMANAGER_OPTIONS), EXAMPLE_HEADER);
}
