/**
 * Safe readers for manifests as plain JSON. Manifests come from YAML files
 * written by hand as often as from constructs, so every read tolerates a
 * missing or wrongly typed field (the schema layer reports those).
 */

import { show } from '../../internal/props.js';

/** A JSON object, read-only. */
export type Rec = Readonly<Record<string, unknown>>;

/** Labels or annotations. */
export type StringMap = Readonly<Record<string, string>>;

const EMPTY: Rec = Object.freeze({});

/** The value as an object, or undefined when it is not a (non-array) object. */
export function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;
}

/** The value as an array, or an empty array. */
export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a string. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is a finite number. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The string entries of a map (labels, annotations, selectors). */
export function strMap(value: unknown): StringMap {
  const r = rec(value);
  if (!r) return EMPTY as StringMap;
  let clean = true;
  for (const v of Object.values(r)) {
    if (typeof v !== 'string') {
      clean = false;
      break;
    }
  }
  if (clean) return r as StringMap;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Renders a value for a finding message: `unset`, numbers and booleans as written, strings quoted. */
export function fmt(value: unknown): string {
  return value === undefined ? 'unset' : show(value);
}

/** An integer or percentage (`intstr`): the number, or the percent as a fraction. */
export type IntOrPercent = { readonly kind: 'int'; readonly value: number } | { readonly kind: 'percent'; readonly value: number };

/** Parses an IntOrString field (`1`, `"25%"`, `"2"`). */
export function intOrPercent(value: unknown): IntOrPercent | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return { kind: 'int', value };
  if (typeof value !== 'string') return undefined;
  const pct = /^(\d+)%$/.exec(value);
  if (pct) return { kind: 'percent', value: Number(pct[1]) / 100 };
  return /^\d+$/.test(value) ? { kind: 'int', value: Number(value) } : undefined;
}

/**
 * Scales an IntOrString against a total the way the controllers do:
 * percentages are rounded up (maxSurge, PDB minAvailable and maxUnavailable
 * all use `GetScaledValueFromIntOrPercent(..., roundUp=true)`).
 */
export function scaled(v: IntOrPercent, total: number): number {
  return v.kind === 'int' ? v.value : Math.ceil(v.value * total - 1e-9);
}
