import { ApiObject, Chart, Testing, type App } from 'cdk8s';
import type { Construct } from 'constructs';
import { AgentNamespace, enableVerification, type KubernetesVersion, type Profile } from '../lib/index.js';

/** A synthesized manifest, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** Options of {@link synth}. */
export interface SynthOptions {
  /**
   * `enforce` runs the whole verification (schema, policy, invariants) as an
   * app's synth does: a blocking finding fails. `off` only for a test whose
   * chart cannot be a deployable bundle, and the test says why.
   * @default 'enforce'
   */
  readonly verify?: 'enforce' | 'off';
  /** Profile of the AgentNamespaces added for the namespaces the chart uses but does not create. @default 'production' */
  readonly profile?: Profile;
  /** References that exist outside the bundle (`Kind/name` or `Kind/namespace/name`). @default [] */
  readonly external?: readonly string[];
  /** Receives the verification's warnings (Medium and Low findings, waivers). @default - dropped */
  readonly warn?: (line: string) => void;
  /** Kubernetes version verified against. @default '1.28' */
  readonly kubernetesVersion?: KubernetesVersion;
}

/**
 * Builds a chart with `build` and returns its synthesized objects, verified
 * like an app: every namespace the chart's objects use and no
 * AgentNamespace of the app creates is added as an AgentNamespace (default
 * deny, DNS, quota) in a chart of its own, so the objects are checked as
 * a deployable bundle while the returned objects are the chart's alone.
 */
export function synth(build: (chart: Chart) => void, options: SynthOptions = {}): Obj[] {
  const app = Testing.app();
  enableVerification(app, {
    mode: options.verify ?? 'enforce',
    external: options.external ?? [],
    warn: options.warn ?? (() => undefined),
    kubernetesVersion: options.kubernetesVersion ?? '1.28',
  });
  const chart = new Chart(app, 'test');
  build(chart);
  addMissingNamespaces(app, options.profile ?? 'production');
  return Testing.synth(chart) as Obj[];
}

/** Adds an AgentNamespace, in a chart named `namespaces`, for each namespace used and not created in the app. */
export function addMissingNamespaces(app: App, profile: Profile): void {
  const used = new Set<string>();
  const created = new Set<string>();
  for (const c of app.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    if (c.kind === 'Namespace') created.add(c.name);
    else if (c.metadata.namespace) used.add(c.metadata.namespace);
  }
  const missing = [...used].filter((n) => !created.has(n)).sort();
  if (missing.length === 0) return;
  const chart = new Chart(app, 'namespaces');
  for (const name of missing) new AgentNamespace(chart, name, { name, profile });
}

/** The one object of a kind (and name, when given); fails when absent or ambiguous. */
export function one(objs: Obj[], kind: string, name?: string): Obj {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Every object of a kind. */
export function all(objs: Obj[], kind: string): Obj[] {
  return objs.filter((o) => o.kind === kind);
}

/** The error message thrown by `fn` (fails when it does not throw). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

/** Pod specs of every workload in a bundle, with where they came from. */
export function podSpecs(objs: Obj[]): { owner: string; spec: Obj }[] {
  const out: { owner: string; spec: Obj }[] = [];
  for (const o of objs) {
    const owner = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'Pod') out.push({ owner, spec: o.spec });
    else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)) out.push({ owner, spec: o.spec.template.spec });
    else if (o.kind === 'CronJob') out.push({ owner, spec: o.spec.jobTemplate.spec.template.spec });
  }
  return out;
}

/** Unused-parameter helper for constructs that take a scope. */
export type Scope = Construct;
