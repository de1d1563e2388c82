import { arr, rec, str, type StringMap } from './values.js';

/**
 * Kubernetes label selectors: `matchLabels` plus `matchExpressions`, ANDed,
 * with the API's semantics (`NotIn` and `DoesNotExist` match objects that
 * lack the key; an empty selector matches everything).
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */

/** One requirement of a selector. */
export interface Requirement {
  readonly key: string;
  readonly op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

/** A parsed selector; `requirements` empty means "everything". */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

/**
 * Parses a `LabelSelector` (`{matchLabels, matchExpressions}`). Returns
 * undefined for a null or missing selector, which selects nothing where the
 * API allows it to be absent (policy/v1 PDB), and for an invalid operator.
 */
export function parseLabelSelector(raw: unknown): Selector | undefined {
  const r = rec(raw);
  if (!r) return undefined;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(rec(r.matchLabels) ?? {})) {
    if (typeof value === 'string') requirements.push({ key, op: 'In', values: [value] });
  }
  for (const e of arr(r.matchExpressions)) {
    const x = rec(e);
    const key = str(x?.key);
    const op = str(x?.operator);
    if (!x || key === undefined) continue;
    if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') return undefined;
    requirements.push({ key, op, values: arr(x.values).filter((v): v is string => typeof v === 'string') });
  }
  return { requirements };
}

/** A selector from a plain map (a Service's `spec.selector`). */
export function mapSelector(map: StringMap): Selector {
  return { requirements: Object.entries(map).map(([key, value]) => ({ key, op: 'In' as const, values: [value] })) };
}

/** Whether the selector matches the labels. */
export function matches(sel: Selector, labels: StringMap): boolean {
  for (const r of sel.requirements) {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'In':
        if (!has || !r.values.includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Whether a selector selects everything. */
export function isEverything(sel: Selector): boolean {
  return sel.requirements.length === 0;
}

/** Renders a selector the way kubectl prints one: `app=web,tier in (a,b),!legacy`; `{}` for everything. */
export function describeSelector(sel: Selector | undefined): string {
  if (!sel) return 'null';
  if (sel.requirements.length === 0) return '{}';
  return sel.requirements
    .map((r) => {
      switch (r.op) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
      return r.key;
    })
    .join(',');
}

interface Bucket<T> {
  readonly items: { readonly labels: StringMap; readonly item: T }[];
  /** `key\u0000value` → positions in `items`. */
  readonly byPair: Map<string, number[]>;
  /** `key` → positions in `items`. */
  readonly byKey: Map<string, number[]>;
}

function push(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}

/**
 * Labelled items per namespace with an inverted index, so a selector is
 * answered from the smallest posting list of its equality or existence
 * requirements instead of a scan of the namespace.
 */
export class LabelIndex<T> {
  private readonly buckets = new Map<string, Bucket<T>>();

  /** Adds an item with its labels in a namespace. */
  public add(ns: string, labels: StringMap, item: T): void {
    let b = this.buckets.get(ns);
    if (!b) {
      b = { items: [], byPair: new Map(), byKey: new Map() };
      this.buckets.set(ns, b);
    }
    const i = b.items.length;
    b.items.push({ labels, item });
    for (const [k, v] of Object.entries(labels)) {
      push(b.byPair, `${k}\u0000${v}`, i);
      push(b.byKey, k, i);
    }
  }

  /** Every item of a namespace. */
  public all(ns: string): T[] {
    return (this.buckets.get(ns)?.items ?? []).map((e) => e.item);
  }

  /** Whether the namespace has any item. */
  public has(ns: string): boolean {
    return (this.buckets.get(ns)?.items.length ?? 0) > 0;
  }

  /** Namespaces that hold items. */
  public namespaces(): IterableIterator<string> {
    return this.buckets.keys();
  }

  /** Items of the namespace that the selector matches (in insertion order). */
  public select(ns: string, sel: Selector): T[] {
    const b = this.buckets.get(ns);
    if (!b) return [];
    let best: number[] | undefined;
    for (const r of sel.requirements) {
      let candidates: number[] | undefined;
      if (r.op === 'In') {
        if (r.values.length === 1) candidates = b.byPair.get(`${r.key}\u0000${r.values[0]}`) ?? [];
        else {
          const set = new Set<number>();
          for (const v of r.values) for (const i of b.byPair.get(`${r.key}\u0000${v}`) ?? []) set.add(i);
          candidates = [...set].sort((x, y) => x - y);
        }
      } else if (r.op === 'Exists') {
        candidates = b.byKey.get(r.key) ?? [];
      }
      if (candidates && (!best || candidates.length < best.length)) best = candidates;
      if (best && best.length === 0) return [];
    }
    const out: T[] = [];
    if (best) {
      for (const i of best) if (matches(sel, b.items[i]!.labels)) out.push(b.items[i]!.item);
    } else {
      for (const e of b.items) if (matches(sel, e.labels)) out.push(e.item);
    }
    return out;
  }
}
