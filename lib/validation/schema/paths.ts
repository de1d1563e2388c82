/**
 * Field paths inside a manifest, as segments and as the dotted text findings
 * carry (`spec.template.spec.containers[0].resources.limits.cpu`).
 */

/** One step into a manifest: an object key or an array index. */
export type Segment = string | number;

// Keys such as label names (`app.kubernetes.io/name`) contain dots and
// slashes, so a plain dotted join would be ambiguous; those are quoted.
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Formats segments as a dotted path with `[i]` indices; keys that are not
 * plain identifiers are written `["key"]`.
 */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * Turns an ajv `instancePath` (a JSON pointer, `/spec/containers/0`) into
 * segments, reading the data to tell array indices from numeric map keys.
 */
export function pointerToSegments(pointer: string, root: unknown): Segment[] {
  if (pointer === '') return [];
  const segments: Segment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(key);
      segments.push(index);
      current = current[index];
    } else {
      segments.push(key);
      current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** Reads the value at `segments` inside `root`; undefined when absent. */
export function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let current: unknown = root;
  for (const s of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[s];
  }
  return current;
}

/**
 * Renders a value for a message: strings quoted, scalars as written, objects
 * and arrays by their JSON type only (they can be large).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The JSON type name of a value, as JSON Schema names types. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}
