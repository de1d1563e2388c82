import { z } from 'zod';
import { problem } from '../internal/props.js';
import type { AlertOptions, RecordingRuleOptions } from './alert-rules.js';
import type { HttpMetricNames } from './agent-alerts.js';
import type { MetricsTarget } from './metrics-target.js';
import { leMatcher, num, openRatio, selector, type Matcher } from './promql.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';

/**
 * Service level objectives and their multi-window, multi-burn-rate alerts,
 * the method of the Google SRE workbook ("Alerting on SLOs", section 6):
 * over a 30-day budget period, page when 2 % of the budget burns in an hour
 * or 5 % in six hours, and open a ticket when 10 % burns in a day or in three
 * days. Each condition needs a long window (the budget really burns) and a
 * short one (it is still burning), so alerts fire fast and reset fast.
 *
 * @see https://sre.google/workbook/alerting-on-slos/
 */

/** The burn-rate conditions of the workbook, for a 30-day period. */
export const BURN_RATE_WINDOWS = [
  { severity: 'critical', long: '1h', short: '5m', burnRate: 14.4 },
  { severity: 'critical', long: '6h', short: '30m', burnRate: 6 },
  { severity: 'warning', long: '1d', short: '2h', burnRate: 3 },
  { severity: 'warning', long: '3d', short: '6h', burnRate: 1 },
] as const;

const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** SLOs of one HTTP workload. */
export const sloSchema = z.strictObject({
  /**
   * Availability: the ratio of requests answered without a server error,
   * e.g. 0.999. @default - no availability SLO
   */
  availability: z.strictObject({ /** Target ratio, strictly between 0 and 1. */ target: openRatio }).optional(),
  /**
   * Latency: the ratio of requests answered within `thresholdSeconds`, e.g.
   * 99 % within 0.5 s. The threshold must be a bucket boundary (`le`) of the
   * duration histogram. @default - no latency SLO
   */
  latency: z
    .strictObject({
      /** Target ratio, strictly between 0 and 1. */
      target: openRatio,
      /** A bucket boundary of the duration histogram, in seconds. */
      thresholdSeconds: z.number().positive({ error: problem('must be positive', 'use a bucket boundary of the duration histogram, like 0.5') }),
    })
    .optional(),
});

/** An availability SLO: the ratio of requests answered without a server error. */
export interface AvailabilitySlo {
  /** Target ratio, strictly between 0 and 1, e.g. 0.999. */
  readonly target: number;
}

/** A latency SLO: the ratio of requests answered within `thresholdSeconds`. */
export interface LatencySlo {
  /** Target ratio, strictly between 0 and 1, e.g. 0.99. */
  readonly target: number;
  /** A bucket boundary (`le`) of the duration histogram, in seconds, e.g. 0.5. */
  readonly thresholdSeconds: number;
}

/**
 * SLOs of one HTTP workload, alerted on with multi-window, multi-burn-rate alerts.
 * @see https://sre.google/workbook/alerting-on-slos/
 */
export interface SloOptions {
  /** Availability: the ratio of requests answered without a server error. @default - no availability SLO */
  readonly availability?: AvailabilitySlo;
  /** Latency: the ratio of requests answered within a threshold. @default - no latency SLO */
  readonly latency?: LatencySlo;
}

true satisfies SchemaAgrees<typeof sloSchema, SloOptions>;

/** Name of the recorded SLI error ratio over `window`. */
export function sliErrorRecord(window: string): string {
  return `slo:sli_error:ratio_rate${window}`;
}

/** Recording rules and alerts of the SLOs of one workload. */
export interface SloRules {
  readonly recordings: RecordingRuleOptions[];
  readonly alerts: AlertOptions[];
}

/**
 * Recording rules (the SLI error ratio over every window the alerts use,
 * labelled `slo`) and two alerts per SLO: `<prefix><Slo>BudgetBurnFast`
 * (critical, pages) and `<prefix><Slo>BudgetBurnSlow` (warning, a ticket).
 */
export function sloRules(target: MetricsTarget, metrics: HttpMetricNames, slo: z.output<typeof sloSchema>, prefix: string): SloRules {
  const app: Matcher[] = [
    ['job', '=', target.name],
    ['namespace', '=', target.namespace],
  ];
  const recordings: RecordingRuleOptions[] = [];
  const alerts: AlertOptions[] = [];
  const add = (kind: 'availability' | 'latency', target99: number, errorRatio: (w: string) => string, what: string, requires: string) => {
    for (const w of WINDOWS) recordings.push({ record: sliErrorRecord(w), expr: errorRatio(w), labels: { slo: kind } });
    const budget = 1 - target99;
    const sel = (w: string) => selector(sliErrorRecord(w), [...app, ['slo', '=', kind]]);
    const cond = (long: string, short: string, burnRate: number) => {
      const threshold = num(burnRate * budget);
      return `(${sel(long)} > ${threshold}\nand\n${sel(short)} > ${threshold})`;
    };
    const name = kind === 'availability' ? 'Availability' : 'Latency';
    const targetText = `${num(target99 * 100)}%`;
    for (const [suffix, severity, conditions, horizon] of [
      ['Fast', 'critical', BURN_RATE_WINDOWS.filter((x) => x.severity === 'critical'), 'within 5 days'],
      ['Slow', 'warning', BURN_RATE_WINDOWS.filter((x) => x.severity === 'warning'), 'before the 30-day period ends'],
    ] as const) {
      alerts.push({
        name: `${prefix}${name}BudgetBurn${suffix}`,
        expr: conditions.map((x) => cond(x.long, x.short, x.burnRate)).join('\nor\n'),
        for: severity === 'critical' ? '2m' : '15m',
        severity,
        labels: { slo: kind },
        summary: `{{ $labels.job }} in {{ $labels.namespace }} burns its ${kind} error budget ${suffix === 'Fast' ? 'fast' : 'steadily'}`,
        description: `${what} is {{ $value | humanizePercentage }} over the long window against a ${targetText} ${kind} SLO; at this rate the 30-day error budget is spent ${horizon}.`,
        requires: [{ metric: requires, source: 'app', job: target.name, namespace: target.namespace }],
      });
    }
  };
  if (slo.availability) {
    const status: Matcher = [metrics.statusLabel, '=~', '5..'];
    add(
      'availability',
      slo.availability.target,
      (w) =>
        `sum by (namespace, job) (rate(${selector(metrics.requests, [...app, status])}[${w}]))\n/\nsum by (namespace, job) (rate(${selector(metrics.requests, app)}[${w}]))`,
      'The ratio of server errors',
      metrics.requests,
    );
  }
  if (slo.latency) {
    // `le="1"` misses the `le="1.0"` Prometheus 3 stores: match the boundary in every spelling.
    const le = leMatcher(slo.latency.thresholdSeconds);
    add(
      'latency',
      slo.latency.target,
      (w) =>
        `1 - (\n  sum by (namespace, job) (rate(${selector(`${metrics.duration}_bucket`, [...app, le])}[${w}]))\n  /\n  sum by (namespace, job) (rate(${selector(`${metrics.duration}_count`, app)}[${w}]))\n)`,
      `The ratio of requests slower than ${num(slo.latency.thresholdSeconds)}s`,
      `${metrics.duration}_bucket`,
    );
  }
  return { recordings, alerts };
}
