/**
 * Strict field checking (what `kubeconform -strict` and the API server's
 * `fieldValidation=Strict` do): every key of every object must be a field the
 * schema declares.
 *
 * Why this design: the kubernetes-models packages ship their schemas only as
 * compiled ajv validators (no JSON Schema documents to walk), and those
 * validators accept unknown keys. A compiled validator does, however, read
 * every property its schema declares (`data.replicas !== undefined`) and
 * enumerates the keys of every map (`for (const key in data)`). So the
 * manifest is handed to the validator through recording proxies: afterwards,
 * a key the validator never read is a key no schema declares. The catalogue of
 * known fields is thereby exactly the one the type checks use, for core kinds
 * and custom resources alike, with no second copy of the API to keep in step.
 * The alternatives considered were a field catalogue from
 * `@kubernetes/client-node` attribute maps (core kinds only, another release
 * train and a large dependency) and the generated cdk8s-plus-28 module (core
 * kinds only, parsed out of generated code).
 *
 * An object on which the validator read nothing at all has a free-form schema
 * (`x-kubernetes-preserve-unknown-fields`, `RawExtension`): every key is
 * accepted there, as the API server does.
 */
import { type Segment } from './paths.js';

/** A key present in the manifest that the schema at its position does not declare. */
export interface UnknownField {
  /** Path of the unknown key itself. */
  readonly path: readonly Segment[];
  /** The unknown key. */
  readonly key: string;
  /** Keys the schema declares at that position (every key the validator read). */
  readonly known: ReadonlySet<string>;
  /**
   * Where the key is declared deeper down, when it is: the path of the
   * nearest descendant object whose schema has a field of that name
   * (`spec.template.spec.terminationGracePeriodSeconds` for a key written at
   * `spec`).
   */
  readonly declaredAt?: readonly Segment[];
}

interface Node {
  readonly target: object;
  readonly parent: Node | undefined;
  readonly key: Segment | undefined;
  readonly isArray: boolean;
  /** Keys the validator read; undefined until the first read. */
  read: Set<string> | undefined;
}

/**
 * Records which keys a validator reads from a manifest. Use one tracker per
 * validation run: wrap the manifest, validate the proxy, then ask for
 * {@link FieldTracker.unknownFields}.
 */
export class FieldTracker {
  private readonly proxies = new Map<object, object>();
  private readonly nodes: Node[] = [];

  /** Returns a proxy of `root` that records every key read from it and from every object below it. */
  public wrap<T extends object>(root: T): T {
    return this.proxyFor(root, undefined, undefined) as T;
  }

  /** Keys the validator never read, on every object where it read at least one key. */
  public unknownFields(): UnknownField[] {
    const out: UnknownField[] = [];
    // Indexed loops: this runs once per synth over every object of the
    // bundle (thousands), before any of it is optimized, where an iterator
    // per loop costs more than the checks.
    const nodes = this.nodes;
    for (let n = 0; n < nodes.length; n++) {
      const node = nodes[n]!;
      if (node.isArray || node.read === undefined) continue;
      const read = node.read;
      const keys = Object.keys(node.target);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        if (read.has(key)) continue;
        const path = [...pathOf(node), key];
        const declaredAt = this.findDeclaration(node, key);
        out.push(declaredAt ? { path, key, known: read, declaredAt } : { path, key, known: read });
      }
    }
    return out;
  }

  private proxyFor(target: object, parent: Node | undefined, key: Segment | undefined): object {
    const existing = this.proxies.get(target);
    if (existing) return existing;
    const node: Node = { target, parent, key, isArray: Array.isArray(target), read: undefined };
    this.nodes.push(node);
    const tracker = this;
    const proxy = new Proxy(target, {
      get(t, k) {
        if (typeof k !== 'string') return Reflect.get(t, k);
        if (!node.isArray) (node.read ??= new Set()).add(k);
        const value: unknown = (t as Record<string, unknown>)[k];
        if (value !== null && typeof value === 'object' && Object.hasOwn(t, k)) {
          return tracker.proxyFor(value, node, node.isArray ? Number(k) : k);
        }
        return value;
      },
      has(t, k) {
        if (typeof k === 'string' && !node.isArray) (node.read ??= new Set()).add(k);
        return Reflect.has(t, k);
      },
      getOwnPropertyDescriptor(t, k) {
        if (typeof k === 'string' && !node.isArray) (node.read ??= new Set()).add(k);
        return Reflect.getOwnPropertyDescriptor(t, k);
      },
    });
    this.proxies.set(target, proxy);
    return proxy;
  }

  private findDeclaration(node: Node, key: string): Segment[] | undefined {
    // Breadth-first over the nodes below `node`, so the shallowest declaration wins.
    let best: { node: Node; depth: number } | undefined;
    for (const candidate of this.nodes) {
      if (candidate === node || candidate.isArray || !candidate.read?.has(key)) continue;
      const depth = depthBelow(candidate, node);
      if (depth !== undefined && (best === undefined || depth < best.depth)) best = { node: candidate, depth };
    }
    return best ? [...pathOf(best.node), key] : undefined;
  }
}

function pathOf(node: Node): Segment[] {
  const segments: Segment[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) segments.push(n.key);
  return segments.reverse();
}

function depthBelow(node: Node, ancestor: Node): number | undefined {
  let depth = 0;
  for (let n = node.parent; n !== undefined; n = n.parent) {
    depth++;
    if (n === ancestor) return depth;
  }
  return undefined;
}
