import { Chart, Testing } from 'cdk8s';
import type { Construct } from 'constructs';
import { enableVerification } from '../lib/index.js';

/** A synthesized manifest, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/**
 * Builds a chart with `build` and returns its synthesized objects. The chart
 * of a single construct is not a deployable bundle (no namespace, no network
 * baseline), so the whole-app verification is off here; it is tested on its
 * own and on every app.
 */
export function synth(build: (chart: Chart) => void): Obj[] {
  const app = Testing.app();
  enableVerification(app, { mode: 'off' });
  const chart = new Chart(app, 'test');
  build(chart);
  return Testing.synth(chart) as Obj[];
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
