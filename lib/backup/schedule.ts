import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { problem } from '../internal/props.js';

/**
 * Schedules and time zones of CronJobs, checked the way the CronJob
 * controller reads them: five fields (minute, hour, day of month, month, day
 * of week) or one of the `@` macros, in the named IANA time zone.
 *
 * Parsing and the run times come from `cron-parser`; the only hand-written
 * part is the field-shape check in {@link cronSchedule}, because
 * cron-parser also accepts forms the controller rejects (a seconds field,
 * `L`, `W`, `#` and `H`).
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */

/** The `@` macros the CronJob controller accepts, as five-field schedules. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = /^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)$/i;
const DAYS = /^(SUN|MON|TUE|WED|THU|FRI|SAT)$/i;
const FIELD_NAMES = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

/** Why a schedule is not one the controller accepts, or undefined when it is. */
function scheduleProblem(schedule: string): string | undefined {
  const trimmed = schedule.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) return 'sets a time zone inside the schedule, which Kubernetes rejects';
  if (trimmed.startsWith('@')) return MACROS[trimmed] ? undefined : `uses the unknown macro ${trimmed}`;
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) return `has ${fields.length} fields, not 5`;
  for (let i = 0; i < 5; i++) {
    const field = fields[i]!;
    // Letters are allowed only as month names (field 4) and day names (field 5).
    for (const word of field.match(/[A-Za-z]+/g) ?? []) {
      const ok = (i === 3 && MONTHS.test(word)) || (i === 4 && DAYS.test(word));
      if (!ok) return `has "${word}" in the ${FIELD_NAMES[i]} field, which Kubernetes does not accept`;
    }
    if (!/^[A-Za-z0-9*?,/-]+$/.test(field)) return `has "${field}" as the ${FIELD_NAMES[i]} field, which Kubernetes does not accept`;
    if (field.includes('?') && i !== 2 && i !== 4) return `has "?" in the ${FIELD_NAMES[i]} field; it is only allowed for day of month and day of week`;
  }
  try {
    CronExpressionParser.parse(trimmed, { currentDate: new Date(Date.UTC(2025, 0, 1)) });
  } catch (e) {
    const reason = (e as Error).message;
    return `is not a valid schedule (${reason.charAt(0).toLowerCase()}${reason.slice(1)})`;
  }
  return undefined;
}

/** A five-field cron schedule (or `@daily`-style macro) that the CronJob controller accepts. */
export const cronSchedule = z.string().superRefine((s, ctx) => {
  const why = scheduleProblem(s);
  if (why) {
    ctx.addIssue({
      code: 'custom',
      message: problem(why, "write five fields 'minute hour day-of-month month day-of-week' like '0 2 * * *', and set timeZone separately"),
    });
  }
});

/**
 * Whether a name is an IANA time zone the controller can load. `Intl`
 * resolves the name from the ICU data of Node; `Intl.supportedValuesOf` is not
 * used as the list because it holds only ICU's canonical names, which lag
 * IANA (it lists `Asia/Calcutta` but not `Asia/Kolkata`). ICU matches names
 * without regard to case while the controller's lookup is case-sensitive, so
 * the IANA capitalisation (every part starts upper-case) is required too.
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone name for `spec.timeZone` (GA in Kubernetes 1.27), like
 * `Europe/Berlin` or `Etc/UTC`.
 */
export const timeZoneName = z.string().refine(isTimeZone, {
  error: problem('is not an IANA time zone', "use a name from the tz database like 'Etc/UTC', 'Europe/Berlin' or 'America/New_York'"),
});

/** The five-field form of a schedule (macros expanded). */
export function expandSchedule(schedule: string): string {
  const trimmed = schedule.trim();
  return MACROS[trimmed] ?? trimmed;
}

const intervals = new Map<string, number>();

/**
 * The longest time between two consecutive runs of a schedule in a time
 * zone, in seconds: the longest gap between runs on the wall clock plus the
 * zone's daylight-saving shift, so a daily 02:00 run in `Europe/Berlin` gives
 * 25 hours. It is an upper bound, which is what an RPO and a staleness alert
 * need.
 *
 * The wall-clock gaps are found by walking the runs in UTC over the
 * schedule's pattern: three days when only minutes and hours are set, three
 * weeks when the day of the week is, else a year (nine for schedules
 * with fewer than three runs a year, such as 29 February). cron-parser takes
 * about half a millisecond per run, so walking a whole year of a daily
 * schedule cost some 300 ms of every synth. Results are kept per schedule
 * and zone.
 */
export function longestInterval(schedule: string, timeZone: string, from: Date = new Date(Date.UTC(2025, 0, 1))): number {
  const key = `${schedule}\n${timeZone}\n${from.getTime()}`;
  const known = intervals.get(key);
  if (known !== undefined) return known;
  const expanded = expandSchedule(schedule);
  const [, , dayOfMonth, month, dayOfWeek] = expanded.split(/\s+/);
  const periodDays = dayOfMonth === '*' && month === '*' ? (dayOfWeek === '*' ? 1 : 7) : 366;
  const walk = (days: number): number[] => {
    const it = CronExpressionParser.parse(expanded, { tz: 'UTC', currentDate: from });
    const end = from.getTime() + days * 86400_000;
    const runs: number[] = [];
    while (runs.length < 5000) {
      const next = it.next().getTime();
      if (next > end) break;
      runs.push(next);
    }
    return runs;
  };
  // Three periods hold at least three runs of a daily or weekly pattern.
  let runs = walk(periodDays === 366 ? 366 : 3 * periodDays);
  if (runs.length < 3) runs = walk(9 * 366);
  let longest = 0;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
  const seconds = Math.round(longest / 1000) + daylightSavingShift(timeZone, from);
  intervals.set(key, seconds);
  return seconds;
}

/**
 * The largest difference between the zone's UTC offsets over the year from
 * `from`, in seconds (3600 for zones with summer time, 0 for UTC), sampled
 * weekly with Intl, which knows every IANA zone.
 */
function daylightSavingShift(timeZone: string, from: Date): number {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  let min = Infinity;
  let max = -Infinity;
  for (let week = 0; week <= 53; week++) {
    const name = format.formatToParts(new Date(from.getTime() + week * 7 * 86400_000)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    const offset = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
    min = Math.min(min, offset);
    max = Math.max(max, offset);
  }
  return max - min;
}

/** A duration in seconds as Prometheus writes it (`26h`, `90m`, `45s`). */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
