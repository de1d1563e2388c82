/**
 * The escaping of `{{` for Helm chart templates (see helm.ts), without cdk8s,
 * for the CLI.
 */

// An escape already in the text (this one, or the double-quoted form
// written by AlertRules' helmSafeAnnotations) is kept, so escaping twice
// changes nothing; any other `{{` is escaped. A lone `}}` is literal text
// for Go templates.
const ESCAPED_OR_OPEN = /\{\{ (?:`\{\{`|`\}\}`|"\{\{"|"\}\}") \}\}|\{\{/g;
const ESCAPED = /\{\{ (?:`(\{\{|\}\})`|"(\{\{|\}\})") \}\}/g;

/** `text` with every `{{` escaped for Helm (idempotent). */
export function escapeHelmText(text: string): string {
  return text.replace(ESCAPED_OR_OPEN, (m) => (m === '{{' ? '{{ `{{` }}' : m));
}

/** What Helm renders from text escaped by {@link escapeHelmText}. */
export function unescapeHelmText(text: string): string {
  return text.replace(ESCAPED, (_m, raw?: string, quoted?: string) => (raw ?? quoted)!);
}

/** Every string value of a JSON value escaped with {@link escapeHelmText} (keys are kept). */
export function escapeForHelm<T>(value: T): T {
  if (typeof value === 'string') return escapeHelmText(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeForHelm(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeForHelm(v)])) as T;
  }
  return value;
}

/**
 * What Helm renders from a chart template this library wrote: the text with
 * its escapes rendered, or the first other template action, which only Helm
 * (with the chart's values) can render.
 */
export function renderEscapedTemplate(text: string): { readonly text: string } | { readonly action: string } {
  const other = /\{\{[\s\S]*?\}\}/.exec(text.replace(ESCAPED, ''));
  return other ? { action: other[0] } : { text: unescapeHelmText(text) };
}
