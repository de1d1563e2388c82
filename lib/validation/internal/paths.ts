/**
 * Field paths of findings: dotted keys with `[i]` indices, keys that are not
 * plain identifiers quoted as `["app.kubernetes.io/name"]`. The grammar is the
 * one the schema layer prints (`schema/paths.ts`), so every layer's paths read
 * the same.
 */

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends path segments (keys or array indices) to a base path (`''` for the root). */
export function join(base: string, ...segments: readonly (string | number)[]): string {
  let out = base;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
