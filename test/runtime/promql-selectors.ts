import { parser } from '@prometheus-io/lezer-promql';

/** A label matcher of a vector selector. */
export interface Matcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

/** A vector selector: the metric it names and its label matchers. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

// Grafana replaces its interval variables before the query reaches Prometheus.
const GRAFANA_VARIABLES: Record<string, string> = { $__rate_interval: '5m', $__interval: '30s', $__range: '1h' };

/**
 * The vector selectors of a PromQL expression, parsed with the Prometheus
 * project's own grammar (`@prometheus-io/lezer-promql`, the parser of the
 * Prometheus UI): each with its metric name (`name{...}` or a `__name__`
 * matcher) and matchers. Throws, quoting the expression, on a syntax error.
 */
export function selectorsOf(expression: string): Selector[] {
  const expr = expression.replace(/\$__\w+/g, (v) => GRAFANA_VARIABLES[v] ?? v);
  const tree = parser.parse(expr);
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  const out: Selector[] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.type.name !== 'VectorSelector') return;
      let metric: string | undefined;
      const matchers: Matcher[] = [];
      const sel = node.node;
      const id = sel.getChild('Identifier');
      if (id) metric = text(id);
      for (const m of sel.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = text(m.getChild('LabelName')!);
        const op = text(m.getChild('MatchOp')!);
        const value = JSON.parse(text(m.getChild('StringLiteral')!).replace(/^'(.*)'$/s, '"$1"').replace(/^`(.*)`$/s, '"$1"')) as string;
        if (label === '__name__' && op === '=') metric = value;
        else matchers.push({ label, op, value });
      }
      if (metric === undefined) throw new Error(`a selector without a metric name in: ${expression}`);
      out.push({ metric, matchers });
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error} in: ${expression}`);
  return out;
}
