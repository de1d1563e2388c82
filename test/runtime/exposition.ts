/** One sample of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The samples of a text exposition (format 0.0.4, what prom-client writes):
 * comment lines skipped, label values unescaped. Hand-written because the
 * line grammar is three tokens; `promtool check metrics` lints the whole text
 * separately.
 */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]) });
  }
  return out;
}

const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;

/**
 * promtool input series from two scrapes `elapsedSeconds` apart: each HTTP
 * counter and histogram series grows at its scraped rate, every 30 s (the
 * ServiceMonitor's interval) for 20 minutes, with the target's labels added.
 */
export function promtoolSeries(before: Sample[], after: Sample[], elapsedSeconds: number, target: Record<string, string>): { series: string; values: string }[] {
  const step = 30;
  const old = new Map(before.map((s) => [key(s), s.value]));
  return after
    .filter((s) => /^http_(requests_total|request_duration_seconds_(bucket|count|sum))$/.test(s.name))
    .map((s) => {
      const perStep = ((s.value - (old.get(key(s)) ?? 0)) * step) / elapsedSeconds;
      const labels = Object.entries({ ...s.labels, ...target })
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      return { series: `${s.name}{${labels}}`, values: `0+${Number(perStep.toFixed(6))}x40` };
    });
}
