import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { managedMeta, parseConstructProps, setPrimary, validateAgainstModel } from '../kit/index.js';
import { parseOptions } from './options.js';
import { labelValue, metricName, promDuration, promLabelName } from './promql.js';

/** Alert severities, the `severity` label Alertmanager routes on. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;

/** An alert severity: `critical` pages, `warning` opens a ticket, `info` only informs. */
export const severitySchema = z.enum(SEVERITIES, {
  error: problem('is not a known severity', 'use "critical" (pages), "warning" (ticket) or "info"'),
});

/** See {@link severitySchema}. */
export type AlertSeverity = z.output<typeof severitySchema>;

/** Where a metric an alert needs comes from. */
export type MetricSource = 'app' | 'cadvisor' | 'kube-state-metrics' | 'redis_exporter' | 'postgres_exporter' | 'otel-collector' | 'cert-manager';

/** A metric an alert needs, and what must be deployed for it to exist. */
export interface RequiredMetric {
  /** Metric name, e.g. `redis_up`. */
  readonly metric: string;
  /** What exposes it. */
  readonly source: MetricSource;
  /** The scrape job it is expected under, when the alert scopes to one. */
  readonly job?: string;
  /** The namespace it is expected in, when the alert scopes to one. */
  readonly namespace?: string;
}

const promLabels = z.record(promLabelName, z.string());

/**
 * One alerting rule. Every alert carries a `severity` label and `summary`,
 * `description` and `runbook_url` annotations.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
export const alertOptionsSchema = z
  .strictObject({
    /** Alert name, the `alertname` label, CamelCase by convention (e.g. `SkreaverHighErrorRate`). */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: problem('is not an alert name', "use letters, digits and '_', starting with a letter, like 'AgentHighErrorRate'") }),
    /** PromQL expression; the alert fires for each series it returns. Aggregate ratios with `sum by` on both sides. */
    expr: z.string().trim().min(1, { error: problem('is empty', 'give a PromQL expression') }),
    /** How long the expression must keep returning a series before the alert fires (e.g. `5m`). */
    for: promDuration,
    /** Keeps the alert firing this long after the expression clears (Prometheus 2.42+). @default - none */
    keepFiringFor: promDuration.optional(),
    /** Routing severity. */
    severity: severitySchema,
    /** One line: what is wrong. Go templates such as `{{ $labels.pod }}` are allowed. */
    summary: z.string().min(1),
    /** Details, usually with the value: `{{ $value | humanizePercentage }}`. */
    description: z.string().min(1),
    /** Runbook link. @default - `<runbookBaseUrl>/<name>` */
    runbookUrl: z.url({ error: problem('is not a URL', "give an absolute URL like 'https://runbooks.example.com/AgentHighErrorRate'") }).optional(),
    /** Extra labels (`severity` is set from `severity`). @default {} */
    labels: promLabels.default({}),
    /** Extra annotations. @default {} */
    annotations: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
    /** Metrics the expression needs, reported by {@link AlertRules.requiredMetrics}. @default [] */
    requires: z
      .array(
        z.strictObject({
          metric: metricName,
          source: z.enum(['app', 'cadvisor', 'kube-state-metrics', 'redis_exporter', 'postgres_exporter', 'otel-collector', 'cert-manager']),
          job: z.string().optional(),
          namespace: z.string().optional(),
        }),
      )
      .default([]),
  })
  .superRefine((a, ctx) => {
    if ('severity' in a.labels) {
      ctx.addIssue({ code: 'custom', path: ['labels', 'severity'], message: problem('is set from the severity option', 'remove it and set severity instead') });
    }
    for (const key of ['summary', 'description', 'runbook_url']) {
      if (key in a.annotations) ctx.addIssue({ code: 'custom', path: ['annotations', key], message: problem('has its own option', 'set summary, description or runbookUrl instead') });
    }
  });

/** Options of {@link AlertRules.addAlert}. */
export type AlertOptions = z.input<typeof alertOptionsSchema>;

/** A parsed alert. */
export type Alert = z.output<typeof alertOptionsSchema>;

/** A recording rule: stores the value of `expr` as the series `record`. */
export const recordingRuleSchema = z.strictObject({
  /** Name of the recorded series, `level:metric:operations` by convention. */
  record: metricName,
  /** PromQL expression. */
  expr: z.string().trim().min(1),
  /** Labels added to the recorded series. @default {} */
  labels: promLabels.default({}),
});

/** Options of {@link AlertRules.addRecordingRule}. */
export type RecordingRuleOptions = z.input<typeof recordingRuleSchema>;

const groupName = z.string().min(1).regex(/^[A-Za-z0-9][-A-Za-z0-9_.:]*$/, { error: problem('is not a rule group name', "use letters, digits, '-', '_', '.' and ':'") });

/** Options of {@link AlertRules.addGroup}. */
export const groupOptionsSchema = z.strictObject({
  /** How often the group is evaluated. @default - the rule set's `interval` */
  interval: promDuration.optional(),
});

/** Props of {@link AlertRules}. */
export const AlertRulesPropsSchema = z.strictObject({
  /** Name of the PrometheusRule. */
  name: dnsSubdomain,
  /** Namespace (the workload's). */
  namespace: dnsLabel,
  /**
   * Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`
   * unless it gives its own `runbookUrl`.
   */
  runbookBaseUrl: z.url({ error: problem('is not a URL', "give an absolute URL like 'https://runbooks.example.com/agents'") }),
  // D-X-04
  /**
   * The `release` label kube-prometheus-stack selects PrometheusRules on
   * (its Helm release name); `false` when your Prometheus selects on
   * something else (then set it in `labels`).
   * @default 'kube-prometheus-stack'
   */
  release: z.union([labelValue, z.literal(false)]).default('kube-prometheus-stack'),
  /** Extra labels of the PrometheusRule. @default {} */
  labels: labelMap.default({}),
  /** Evaluation interval of the groups. @default '30s' */
  interval: promDuration.default('30s'),
  /** Name of the group `addAlert` uses when none is given. @default - `name` */
  defaultGroup: groupName.optional(),
  /**
   * Writes `{{` and `}}` in annotations so that Helm leaves them literal
   * (`{{ "{{" }} $labels.pod {{ "}}" }}`): for output that goes through
   * Helm's template engine before Prometheus sees it.
   * @default false
   */
  helmSafeAnnotations: z.boolean().default(false),
});

/**
 * Props of {@link AlertRules}.
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
 */
export interface AlertRulesProps {
  /** Name of the PrometheusRule. */
  readonly name: string;
  /** Namespace of the PrometheusRule (the workload's). */
  readonly namespace: string;
  /**
   * Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`
   * unless it gives its own `runbookUrl`.
   */
  readonly runbookBaseUrl: string;
  // D-X-04
  /**
   * The `release` label kube-prometheus-stack selects PrometheusRules on
   * (its Helm release name); `false` when your Prometheus selects on
   * something else (then set it in `labels`).
   * @default 'kube-prometheus-stack'
   */
  readonly release?: string | false;
  /** Extra labels of the PrometheusRule. @default {} */
  readonly labels?: { readonly [key: string]: string };
  /** Evaluation interval of the groups, a Prometheus duration like `30s`. @default '30s' */
  readonly interval?: string;
  /** Name of the group `addAlert` uses when none is given. @default - `name` */
  readonly defaultGroup?: string;
  /**
   * Writes `{{` and `}}` in annotations so that Helm leaves them literal
   * (`{{ "{{" }} $labels.pod {{ "}}" }}`): for output that goes through
   * Helm's template engine before Prometheus sees it.
   * @default false
   * @see https://helm.sh/docs/chart_template_guide/
   */
  readonly helmSafeAnnotations?: boolean;
}

true satisfies SchemaAgrees<typeof AlertRulesPropsSchema, AlertRulesProps>;

/** A rendered rule, as it appears in the PrometheusRule and in a Prometheus rule file. */
export interface RenderedRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly keep_firing_for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A rendered rule group. */
export interface RenderedGroup {
  readonly name: string;
  readonly interval: string;
  readonly rules: readonly RenderedRule[];
}

/**
 * Escapes Go-template delimiters so one template pass (Helm's) yields the
 * original text: `{{ $labels.pod }}` becomes `{{ "{{" }} $labels.pod {{ "}}" }}`.
 * Hand-written because it is one replacement; a promtool unit test renders the
 * escaped text once and checks that the original comes back.
 */
export function helmEscape(text: string): string {
  return text.replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{ "{{" }}' : '{{ "}}" }}'));
}

interface Group {
  readonly name: string;
  readonly interval?: string;
  readonly rules: ({ readonly kind: 'alert'; readonly alert: Alert } | { readonly kind: 'record'; readonly rule: z.output<typeof recordingRuleSchema> })[];
}

/** Construct ids of the children: part of the API, since they name objects. */
export const AlertRulesIds = {
  PrometheusRule: 'PrometheusRule',
} as const;

// D-X-04
/**
 * A prometheus-operator `PrometheusRule` built from validated alerts and
 * recording rules, in groups. Every alert gets a `severity` label and
 * `summary`, `description` and `runbook_url` annotations; the object carries
 * the `release` label kube-prometheus-stack selects on.
 *
 * Add alerts with {@link AlertRules.addAlert}; the alert library of
 * {@link agentAlerts} and the SLO burn-rate alerts of {@link sloRules}
 * produce options for it.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
 */
export class AlertRules extends Construct {
  /** The PrometheusRule. */
  public readonly prometheusRule: ApiObject;
  /** Object name. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  private readonly props: z.output<typeof AlertRulesPropsSchema>;
  private readonly groups: Group[] = [];
  /** The last object checked against the schema (as JSON) and the check's error message, if any. */
  private checked?: { readonly json: string; readonly error: string | undefined };

  constructor(scope: Construct, id: string, props: AlertRulesProps) {
    super(scope, id);
    const p = parseConstructProps(this, AlertRulesPropsSchema, props);
    this.props = p;
    this.name = p.name;
    this.namespace = p.namespace;
    const body = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: managedMeta(this, 'PrometheusRule', p.namespace, p.name, { ...p.labels, ...(p.release !== false ? { release: p.release } : {}) }),
      spec: Lazy.any({ produce: () => ({ groups: this.renderGroups() }) }),
    };
    this.prometheusRule = setPrimary(this, new ApiObject(this, AlertRulesIds.PrometheusRule, body));
    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (this.groups.every((g) => g.rules.length === 0)) errors.push(`${this.node.path}: PrometheusRule "${p.name}" has no rules; add alerts with addAlert() or remove it`);
        const schemaError = this.schemaError(this.prometheusRule.toJson() as IPrometheusRule);
        if (schemaError !== undefined) errors.push(`${this.node.path}: PrometheusRule "${p.name}" fails the prometheus-operator schema: ${schemaError}`);
        return errors;
      },
    });
  }

  /**
   * The prometheus-operator schema's error for the synthesized object, or
   * undefined when it passes. cdk8s validates every construct of the app
   * once per chart it synthesizes, so the result is kept for an unchanged
   * object.
   */
  private schemaError(rule: IPrometheusRule): string | undefined {
    const json = JSON.stringify(rule);
    if (this.checked?.json === json) return this.checked.error;
    let error: string | undefined;
    try {
      validateAgainstModel({ ...rule });
    } catch (e) {
      error = (e as Error).message;
    }
    this.checked = { json, error };
    return error;
  }

  /**
   * Adds a rule group (alerts are added to the default group unless they
   * name one). Throws when the group exists.
   */
  public addGroup(name: string, options: z.input<typeof groupOptionsSchema> = {}): void {
    const parsedName = this.parse(`addGroup(${JSON.stringify(name)}).name`, groupName, name);
    const o = this.parse(`addGroup(${JSON.stringify(name)})`, groupOptionsSchema, options);
    if (this.groups.some((g) => g.name === parsedName)) throw new Error(`${this.node.path}: rule group "${parsedName}" already exists; give the new group another name`);
    this.groups.push({ name: parsedName, ...(o.interval ? { interval: o.interval } : {}), rules: [] });
  }

  /**
   * Adds an alert to `group` (created when missing) or the default group.
   * Throws, naming the option, when it is invalid or its name and severity
   * repeat an alert of this rule set.
   */
  public addAlert(options: AlertOptions, group?: string): Alert {
    const label = `addAlert(${JSON.stringify((options as { name?: unknown }).name ?? '?')})`;
    const alert = this.parse(label, alertOptionsSchema, options);
    for (const g of this.groups) {
      for (const r of g.rules) {
        if (r.kind === 'alert' && r.alert.name === alert.name && r.alert.severity === alert.severity) {
          throw new Error(`${this.node.path}: alert "${alert.name}" with severity ${alert.severity} is already defined in group "${g.name}"; give it another name or severity`);
        }
      }
    }
    this.groupFor(group).rules.push({ kind: 'alert', alert });
    return alert;
  }

  /** Adds a recording rule to `group` (created when missing) or the default group. */
  public addRecordingRule(options: RecordingRuleOptions, group?: string): void {
    const rule = this.parse(`addRecordingRule(${JSON.stringify((options as { record?: unknown }).record ?? '?')})`, recordingRuleSchema, options);
    this.groupFor(group).rules.push({ kind: 'record', rule });
  }

  /** Every alert added so far, parsed. */
  public get alerts(): readonly Alert[] {
    return this.groups.flatMap((g) => g.rules.flatMap((r) => (r.kind === 'alert' ? [r.alert] : [])));
  }

  /**
   * The metrics the alerts need and what exposes them: the app's own
   * metrics, cAdvisor and kube-state-metrics (kube-prometheus-stack scrapes
   * both), and exporters that must be deployed beside data stores
   * (`redis_exporter`, `postgres_exporter`). An alert on a metric nobody
   * exposes never fires, so deploy what this lists.
   */
  public get requiredMetrics(): readonly RequiredMetric[] {
    const seen = new Map<string, RequiredMetric>();
    for (const a of this.alerts) {
      for (const r of a.requires) {
        const m: RequiredMetric = { metric: r.metric, source: r.source, ...(r.job !== undefined ? { job: r.job } : {}), ...(r.namespace !== undefined ? { namespace: r.namespace } : {}) };
        seen.set(`${m.source}/${m.metric}/${m.job ?? ''}/${m.namespace ?? ''}`, m);
      }
    }
    return [...seen.values()];
  }

  /** The rule groups as Prometheus sees them (also what `promtool check rules` reads). */
  public renderGroups(): RenderedGroup[] {
    const escape = this.props.helmSafeAnnotations ? helmEscape : (s: string) => s;
    const base = this.props.runbookBaseUrl.replace(/\/+$/, '');
    return this.groups
      .filter((g) => g.rules.length > 0)
      .map((g) => ({
        name: g.name,
        interval: g.interval ?? this.props.interval,
        rules: g.rules.map((r): RenderedRule => {
          if (r.kind === 'record') {
            return { record: r.rule.record, expr: r.rule.expr, ...(Object.keys(r.rule.labels).length > 0 ? { labels: { ...r.rule.labels } } : {}) };
          }
          const a = r.alert;
          const annotations: Record<string, string> = {
            summary: a.summary,
            description: a.description,
            runbook_url: a.runbookUrl ?? `${base}/${a.name}`,
            ...a.annotations,
          };
          return {
            alert: a.name,
            expr: a.expr,
            for: a.for,
            ...(a.keepFiringFor ? { keep_firing_for: a.keepFiringFor } : {}),
            labels: { ...a.labels, severity: a.severity },
            annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, escape(v)])),
          };
        }),
      }));
  }

  private groupFor(name: string | undefined): Group {
    const wanted = name ?? this.props.defaultGroup ?? this.props.name;
    let g = this.groups.find((x) => x.name === wanted);
    if (!g) {
      this.addGroup(wanted);
      g = this.groups[this.groups.length - 1]!;
    }
    return g;
  }

  private parse<S extends z.ZodType>(call: string, schema: S, input: unknown): z.output<S> {
    return parseOptions(this, call, schema, input);
  }
}
