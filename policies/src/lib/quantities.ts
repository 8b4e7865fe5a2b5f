/**
 * Parsers for the units the checklist figures come in: Kubernetes quantities (storage, CPU),
 * Go durations (cert-manager `duration`/`renewBefore`), Prometheus durations
 * (`--storage.tsdb.retention.time`) and cron schedules (backup CronJob).
 */

// Kubernetes quantities are parsed where the infra program converts them too (one parser).
export { parseQuantity, toGibibytes } from '../../../infra/src/lib/quantities.js';

const GO_UNITS_HOURS: Record<string, number> = { h: 1, m: 1 / 60, s: 1 / 3600, ms: 1 / 3.6e6, us: 1 / 3.6e9, µs: 1 / 3.6e9, ns: 1 / 3.6e12 };

/**
 * A Go duration (`17520h0m0s`, `1440h`, `90m`, `1h30m`), as cert-manager stores `duration` and
 * `renewBefore` (https://pkg.go.dev/time#ParseDuration), in hours.
 *
 * @returns hours, or `NaN` when `duration` is not a Go duration.
 */
export function parseGoDurationHours(duration: unknown): number {
  if (typeof duration !== 'string' || duration.trim() === '') return Number.NaN;
  const text = duration.trim();
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/gy;
  let hours = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    hours += Number(m[1]) * GO_UNITS_HOURS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? hours : Number.NaN;
}

const PROM_UNITS_DAYS: Record<string, number> = { y: 365, w: 7, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86_400, ms: 1 / 86_400_000 };

/**
 * A Prometheus duration (`30d`, `1y`, `720h`, `4w2d`; https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration)
 * in days.
 *
 * @returns days, or `NaN` when `duration` is not a Prometheus duration.
 */
export function parsePrometheusDurationDays(duration: unknown): number {
  if (typeof duration !== 'string' || duration.trim() === '') return Number.NaN;
  const text = duration.trim();
  const re = /(\d+)(ms|y|w|d|h|m|s)/gy;
  let days = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    days += Number(m[1]) * PROM_UNITS_DAYS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? days : Number.NaN;
}

/**
 * True when a Kubernetes CronJob schedule fires at least once every day (checklist "Daily
 * backups enabled"): `@daily`, `@midnight`, `@hourly`, or five fields whose day-of-month, month
 * and day-of-week are all `*` (or `?`). Hours and minutes may be anything (`0 2 * * *`,
 * `0 *\/6 * * *`).
 */
export function runsEveryDay(schedule: unknown): boolean {
  if (typeof schedule !== 'string') return false;
  const text = schedule.trim().replace(/^CRON_TZ=\S+\s+|^TZ=\S+\s+/, '');
  if (['@daily', '@midnight', '@hourly'].includes(text)) return true;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return false;
  const every = (f: string | undefined) => f === '*' || f === '?' || f === '*/1';
  return every(fields[2]) && every(fields[3]) && every(fields[4]);
}
