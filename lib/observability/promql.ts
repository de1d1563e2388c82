import { z } from 'zod';
import { LABEL_VALUE_PATTERN } from '../core/schemas.js';
import { problem } from '../internal/props.js';

/**
 * PromQL and Prometheus-config building blocks shared by the observability
 * constructs: durations, metric and label names, and label matchers.
 *
 * Hand-written because no maintained npm package builds PromQL (the
 * Prometheus team's `@prometheus-io/lezer-promql` only parses it); what is
 * built here is small (selectors, quoting) and every expression the
 * constructs emit is compiled by the real `promtool` in the tests.
 */

/** Units of a Prometheus duration, in seconds. */
const UNIT_SECONDS: Readonly<Record<string, number>> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** The Prometheus (and prometheus-operator `Duration`) grammar: units in descending order, each at most once. */
const DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;

/** Seconds in a Prometheus duration such as `1h30m`, or undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (text === '' || !DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|[ywdhms])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

/**
 * A Prometheus duration such as `30s`, `5m` or `1h30m` (units y, w, d, h, m,
 * s, ms, largest first), as Prometheus rule files and prometheus-operator
 * objects accept it.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration
 */
export const promDuration = z.string().refine((s) => durationSeconds(s) !== undefined, {
  error: problem('is not a Prometheus duration', "write it like '30s', '5m' or '1h30m' (units y, w, d, h, m, s, ms, largest first)"),
});

/** A Prometheus metric name. */
export const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, {
  error: problem('is not a Prometheus metric name', "use letters, digits, '_' and ':', not starting with a digit"),
});

/** A Prometheus label name (not starting with the reserved `__`); not a Kubernetes label key (no `-`, `.`, `/`), hence not core's LABEL_KEY_PATTERN. */
export const promLabelName = z.string().regex(/^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/, {
  error: problem('is not a Prometheus label name', "use letters, digits and '_', not starting with a digit or '__'"),
});

/** A Kubernetes label value (at most 63 characters, alphanumeric at both ends). */
export const labelValue = z
  .string()
  .max(63, { error: problem('is longer than 63 characters', 'label values are at most 63 characters') })
  .regex(LABEL_VALUE_PATTERN, { error: problem('is not a valid label value', "use letters, digits, '-', '_' and '.', starting and ending alphanumeric") });

/** A ratio strictly between 0 and 1, such as an SLO target or an alert threshold. */
export const openRatio = z
  .number({ error: problem('must be a number', 'use a ratio between 0 and 1, like 0.999') })
  .refine((n) => n > 0 && n < 1, { error: problem('is outside (0, 1)', 'use a ratio strictly between 0 and 1, like 0.999 for 99.9 %') });

/** Quotes a label value for a PromQL matcher (`"` and `\` escaped, as in Go strings). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** One label matcher: `[label, operator, value]`. */
export type Matcher = readonly [label: string, op: '=' | '!=' | '=~' | '!~', value: string];

/** A vector selector `metric{matchers}`. */
export function selector(metric: string, matchers: readonly Matcher[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.map(([l, op, v]) => `${l}${op}${quote(v)}`).join(', ')}}`;
}

/** Escapes a literal string for use inside a PromQL (RE2) regular expression. */
export function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The regular expression of a Deployment's pod names: `<name>-<pod-template-hash>-<5 chars>`.
 * Unlike `<name>-.*`, it does not match pods of another workload whose name
 * starts with this one (a `<name>-db-backup` CronJob's pods, for example).
 */
export function deploymentPodRegex(deploymentName: string): string {
  return `${regexEscape(deploymentName)}-[a-z0-9]+-[a-z0-9]{5}`;
}

/**
 * The matcher of a histogram bucket boundary: `le` equal to `seconds`
 * however the exposition wrote it. Prometheus 3 (and Prometheus 2 on
 * protobuf scrapes) normalises `le` to float formatting, so a boundary the
 * client exposes as `1` is stored as `1.0`; other clients write `1.0` or
 * `0.50`, and Go's formatting switches to an exponent below 1e-4 and from
 * 1e6 (`1e-05`, `1e+06`). `le="1"` then selects nothing and every rule built
 * on it stays silent, so the boundary is matched by a regular expression:
 * `1(\.0+)?` for 1, `0\.50*` for 0.5.
 * @see https://prometheus.io/docs/prometheus/latest/migration/ ("le and quantile label values")
 */
export function leMatcher(seconds: number): Matcher {
  if (!Number.isFinite(seconds)) throw new RangeError(`leMatcher: ${seconds} is not a finite bucket boundary`);
  const sign = seconds < 0 ? '-' : '';
  // The shortest digits that round-trip, and the decimal exponent: 0.005 → '5', -3.
  const [mantissa, expText] = Math.abs(seconds).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  const whole = exp >= 0 ? digits.slice(0, exp + 1).padEnd(exp + 1, '0') : '0';
  const fraction = exp >= 0 ? digits.slice(exp + 1) : '0'.repeat(-exp - 1) + digits;
  const forms = [fraction === '' ? `${whole}(\\.0+)?` : `${whole}\\.${fraction}0*`];
  // Go's shortest %g (what Prometheus and client_golang write) uses an exponent of at least two digits.
  if (seconds !== 0 && (exp < -4 || exp >= 6)) {
    const goMantissa = digits.length > 1 ? `${digits[0]}\\.${digits.slice(1)}` : digits;
    forms.push(`${goMantissa}e${exp < 0 ? '-' : '\\+'}${String(Math.abs(exp)).padStart(2, '0')}`);
  }
  return ['le', '=~', forms.length === 1 ? `${sign}${forms[0]}` : `${sign}(${forms.join('|')})`];
}

/** Formats a number for PromQL and label values without exponent noise (`0.001`, not `1e-3`). */
export function num(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const fixed = n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
