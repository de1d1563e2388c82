import { DRAIN_SECONDS_ANNOTATION } from '../internal/annotations.js';
import type { CheckId } from '../internal/checks.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { LONG_RUNNING_KINDS, type PodTemplate } from '../internal/pod-templates.js';
import { replicaBounds } from '../internal/replicas.js';
import { matches, parseLabelSelector } from '../internal/selectors.js';
import { execDelay } from '../internal/shell.js';
import { arr, fmt, intOrPercent, num, rec, str, type Rec } from '../internal/values.js';
import { atLeast, type PolicyContext } from './context.js';

/**
 * Availability and rollout checks on one object: replicas (AVL-01), host
 * anti-affinity or hostname spread (AVL-02), zone spread and well-known
 * topology keys (AVL-03), RWO volumes and strategy (AVL-10), graceful
 * termination (AVL-11); a PDB's own policy (AVL-04, AVL-05); HPA bounds
 * (AVL-07). Cross-object parts (PDB exists and fits the replica count) are
 * invariants.
 */

/** Node labels every conformant node carries. */
const WELL_KNOWN_TOPOLOGY_KEYS = new Set(['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region']);

type Report = (id: CheckId, path: string, message: string, fix: string) => void;

/** An affinity term or a spread constraint, with its path. */
interface Term {
  readonly path: string;
  readonly term: Rec;
  readonly anti?: boolean;
}

/** Runs AVL-01, -02, -03, -10 and -11 on a workload's pod template. */
export function checkWorkloadAvailability(t: PodTemplate, ctx: PolicyContext): void {
  const o = t.obj;
  const report: Report = (id, path, message, fix) => ctx.sink.add(o, id, path, message, fix);
  const spec = rec(o.manifest.spec) ?? {};
  const scalable = o.kind === 'Deployment' || o.kind === 'StatefulSet';
  const bounds = replicaBounds(o, ctx.hpaByTarget);

  // AVL-01 replicas (with an HPA, AVL-07 judges its minimum).
  if (scalable && !bounds.hpa && bounds.min < 2) {
    report('AVL-01', 'spec.replicas', `${o.kind} runs a single replica, so every restart is an outage, got replicas ${fmt(spec.replicas)}`, 'run at least 2 replicas (3 for production APIs), or add an HPA with minReplicas >= 2');
  }
  const { terms, spreads } = placementTerms(t);
  checkTopologyKeys([...terms, ...spreads], report);
  if (scalable && bounds.max >= 2) checkSpread(t, terms, spreads, bounds.max, report);
  if (o.kind === 'Deployment') checkVolumesAndStrategy(t, ctx, spec, bounds.max, report);
  if (LONG_RUNNING_KINDS.has(o.kind)) checkTermination(t, ctx, report);
}

/** The pod's affinity terms (required and preferred) and topology spread constraints. */
function placementTerms(t: PodTemplate): { terms: Term[]; spreads: Term[] } {
  const affinity = rec(t.spec.affinity);
  const terms: Term[] = [];
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const a = rec(affinity?.[kind]);
    arr(a?.requiredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
      const term = rec(raw);
      if (term) terms.push({ path: join(t.specPath, 'affinity', kind, 'requiredDuringSchedulingIgnoredDuringExecution', i), term, anti: kind === 'podAntiAffinity' });
    });
    arr(a?.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
      const term = rec(rec(raw)?.podAffinityTerm);
      if (term) terms.push({ path: join(t.specPath, 'affinity', kind, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'podAffinityTerm'), term, anti: kind === 'podAntiAffinity' });
    });
  }
  const spreads = arr(t.spec.topologySpreadConstraints).map((raw, i) => ({ path: join(t.specPath, 'topologySpreadConstraints', i), term: rec(raw) ?? {} }));
  return { terms, spreads };
}

/** AVL-03: topology keys must be node labels that exist. */
function checkTopologyKeys(terms: readonly Term[], report: Report): void {
  for (const { path, term } of terms) {
    const key = str(term.topologyKey);
    if (key !== undefined && !WELL_KNOWN_TOPOLOGY_KEYS.has(key)) {
      report(
        'AVL-03',
        join(path, 'topologyKey'),
        `topologyKey ${fmt(key)} is not a well-known node label, so the term never applies`,
        'use kubernetes.io/hostname, topology.kubernetes.io/zone or topology.kubernetes.io/region',
      );
    }
  }
}

/** AVL-02 host spread (anti-affinity or a hostname spread, either one) and AVL-03 zone spread. */
function checkSpread(t: PodTemplate, terms: readonly Term[], spreads: readonly Term[], max: number, report: Report): void {
  const o = t.obj;
  const selectsOwnPods = (term: Rec) => {
    const sel = parseLabelSelector(term.labelSelector);
    return sel !== undefined && matches(sel, t.labels);
  };
  const hostSpread =
    terms.some((x) => x.anti === true && x.term.topologyKey === 'kubernetes.io/hostname' && selectsOwnPods(x.term)) ||
    spreads.some((x) => x.term.topologyKey === 'kubernetes.io/hostname' && selectsOwnPods(x.term));
  if (!hostSpread) {
    report(
      'AVL-02',
      join(t.specPath, 'affinity', 'podAntiAffinity'),
      `${o.kind} runs up to ${max} replicas with nothing spreading them across nodes, so one node failure can take all of them`,
      'add a kubernetes.io/hostname topologySpreadConstraint or preferred podAntiAffinity selecting the pods own labels',
    );
  }
  if (!spreads.some((x) => x.term.topologyKey === 'topology.kubernetes.io/zone' && selectsOwnPods(x.term))) {
    report(
      'AVL-03',
      join(t.specPath, 'topologySpreadConstraints'),
      `${o.kind} runs up to ${max} replicas without a topology.kubernetes.io/zone spread, so one zone outage can take all of them`,
      'add a topologySpreadConstraint on topology.kubernetes.io/zone (maxSkew 1, ScheduleAnyway) selecting the pods own labels',
    );
  }
}

/** AVL-10: a ReadWriteOnce volume attaches to one node at a time, so no second replica and no surge pod. */
function checkVolumesAndStrategy(t: PodTemplate, ctx: PolicyContext, spec: Rec, max: number, report: Report): void {
  const o = t.obj;
  const strategy = str(rec(spec.strategy)?.type) ?? 'RollingUpdate';
  let rwo = false;
  arr(t.spec.volumes).forEach((raw, i) => {
    const claim = str(rec(rec(raw)?.persistentVolumeClaim)?.claimName);
    if (claim === undefined) return;
    const pvc = ctx.pvcs.get(`${o.ns}/${claim}`);
    const modes = arr(pvc?.accessModes);
    if (pvc && (modes.includes('ReadWriteMany') || (modes.length > 0 && modes.every((m) => m === 'ReadOnlyMany')))) return;
    rwo = true;
    const what = pvc ? `ReadWriteOnce PVC "${claim}"` : `PVC "${claim}" (not in the bundle, so taken as ReadWriteOnce)`;
    if (max > 1) {
      report(
        'AVL-10',
        join(t.specPath, 'volumes', i, 'persistentVolumeClaim', 'claimName'),
        `${o.kind} mounts ${what} in up to ${max} replicas, so pods on other nodes cannot attach it`,
        'use a StatefulSet with volumeClaimTemplates, a ReadWriteMany volume, or a single replica with strategy Recreate',
      );
    }
    if (strategy !== 'Recreate') {
      report(
        'AVL-10',
        'spec.strategy.type',
        `${o.kind} rolls out with ${strategy} while mounting ${what}, so the new pod cannot attach it while the old one runs, got strategy.type ${fmt(rec(spec.strategy)?.type)}`,
        'set strategy.type: Recreate, or move the state to a StatefulSet',
      );
    }
  });
  if (!rwo && strategy === 'Recreate') {
    report('AVL-10', 'spec.strategy.type', `${o.kind} stops every pod before starting new ones on each rollout, got strategy.type "Recreate"`, 'use RollingUpdate; Recreate is only for ReadWriteOnce volumes');
  }
}

function checkTermination(t: PodTemplate, ctx: PolicyContext, report: Report): void {
  // AVL-11: grace >= preStop delay + drain, and a preStop delay that needs no shell.
  const drainText = t.annotations[DRAIN_SECONDS_ANNOTATION];
  let drain: number | undefined;
  if (drainText !== undefined) {
    if (/^\d+$/.test(drainText)) drain = Number(drainText);
    else {
      report(
        'AVL-11',
        join(t.metaPath, 'annotations', DRAIN_SECONDS_ANNOTATION),
        `the drain-seconds annotation is not a whole number of seconds, got ${fmt(drainText)}`,
        'write the drain time in seconds, like "30"',
      );
    }
  }
  let preStopSeconds = 0;
  let anyPreStop = false;
  let serving = false;
  for (const ci of t.containers) {
    if (ci.list !== 'containers') continue;
    if (arr(ci.c.ports).length > 0) serving = true;
    const preStop = rec(rec(ci.c.lifecycle)?.preStop);
    if (!preStop) continue;
    anyPreStop = true;
    const path = join(ci.path, 'lifecycle', 'preStop');
    const sleep = rec(preStop.sleep);
    const exec = rec(preStop.exec);
    if (sleep) {
      if (!atLeast(ctx.version, '1.30')) {
        report(
          'AVL-11',
          join(path, 'sleep'),
          `${ci.label} uses the preStop sleep action, which kubernetes ${ctx.version} does not have (1.30+), got sleep.seconds ${fmt(sleep.seconds)}`,
          'exec a sleep binary the image has (["/bin/sleep", "5"]) or let the app delay its shutdown after SIGTERM',
        );
      } else preStopSeconds = Math.max(preStopSeconds, num(sleep.seconds) ?? 0);
    } else if (exec) {
      const argv = arr(exec.command).filter((a): a is string => typeof a === 'string');
      const delay = execDelay(argv);
      if (delay.shell) {
        report(
          'AVL-11',
          join(path, 'exec', 'command'),
          `${ci.label} runs its preStop hook through ${delay.shell}, which fails on shell-less images and leaves no delay, got ${fmt(argv.join(' '))}`,
          atLeast(ctx.version, '1.30') ? 'use the preStop sleep action (lifecycle.preStop.sleep.seconds)' : 'exec the sleep binary directly, like ["/bin/sleep", "5"]',
        );
      }
      preStopSeconds = Math.max(preStopSeconds, delay.seconds ?? 0);
    }
  }
  if (serving && !anyPreStop && drainText === undefined) {
    report(
      'AVL-11',
      join(t.metaPath, 'annotations', DRAIN_SECONDS_ANNOTATION),
      'pods have no preStop delay and declare no drain time, so endpoint removal races SIGTERM and in-flight requests fail',
      `add a preStop delay (exec a sleep binary${atLeast(ctx.version, '1.30') ? ', or the sleep action' : ''}) or declare the app's in-app drain with the ${DRAIN_SECONDS_ANNOTATION} annotation`,
    );
  }
  const written = num(t.spec.terminationGracePeriodSeconds);
  const grace = written ?? 30;
  const need = preStopSeconds + (drain ?? 0);
  if (grace < need) {
    report(
      'AVL-11',
      join(t.specPath, 'terminationGracePeriodSeconds'),
      `pods are killed mid-drain: grace ${grace} s is shorter than preStop ${preStopSeconds} s + drain ${drain ?? 0} s, got terminationGracePeriodSeconds ${written !== undefined ? written : 'unset (30)'}`,
      `set terminationGracePeriodSeconds to at least ${need}`,
    );
  }
}

/** AVL-04 (minAvailable XOR maxUnavailable) and AVL-05 (the budget allows evictions) on one PDB. */
export function checkPdb(o: ObjectInfo, ctx: PolicyContext): void {
  const spec = rec(o.manifest.spec) ?? {};
  const report = (id: CheckId, path: string, message: string, fix: string) => ctx.sink.add(o, id, path, message, fix);
  const hasMin = spec.minAvailable !== undefined;
  const hasMax = spec.maxUnavailable !== undefined;
  if (hasMin === hasMax) {
    report(
      'AVL-04',
      'spec',
      hasMin ? 'PodDisruptionBudget sets both minAvailable and maxUnavailable, which the API rejects' : 'PodDisruptionBudget sets neither minAvailable nor maxUnavailable',
      'set exactly one; maxUnavailable: 1 never blocks a drain',
    );
  }
  const max = intOrPercent(spec.maxUnavailable);
  if (max && max.value === 0) {
    report('AVL-05', 'spec.maxUnavailable', `PodDisruptionBudget allows no eviction, so node drains hang, got maxUnavailable ${fmt(spec.maxUnavailable)}`, 'use maxUnavailable: 1 or more');
  }
  const min = intOrPercent(spec.minAvailable);
  if (min && min.kind === 'percent' && min.value >= 1) {
    report('AVL-05', 'spec.minAvailable', `PodDisruptionBudget allows no eviction, so node drains hang, got minAvailable ${fmt(spec.minAvailable)}`, 'use maxUnavailable: 1, or a minAvailable below the replica count');
  }
  if (spec.unhealthyPodEvictionPolicy !== 'AlwaysAllow') {
    report(
      'AVL-05',
      'spec.unhealthyPodEvictionPolicy',
      `PodDisruptionBudget lets unhealthy pods block evictions, got unhealthyPodEvictionPolicy ${fmt(spec.unhealthyPodEvictionPolicy)}`,
      'set unhealthyPodEvictionPolicy: AlwaysAllow so a crash-looping pod never blocks a drain',
    );
  }
}

/** AVL-07 on one HPA. */
export function checkHpa(o: ObjectInfo, ctx: PolicyContext): void {
  const spec = rec(o.manifest.spec) ?? {};
  const min = num(spec.minReplicas) ?? 1;
  const max = num(spec.maxReplicas);
  // The API server rejects minReplicas below 1 (scale to zero is an alpha
  // gate) and maxReplicas below minReplicas; the other bounds are legal but unsafe.
  if (min < 1) {
    ctx.sink.addStated('High', o, 'AVL-07', 'spec.minReplicas', `HorizontalPodAutoscaler minReplicas must be at least 1, got minReplicas ${fmt(spec.minReplicas)}, so the API server rejects it`, 'set minReplicas to 2 or more (3 preferred)');
  } else if (min < 2) {
    ctx.sink.add(o, 'AVL-07', 'spec.minReplicas', `HorizontalPodAutoscaler may scale to a single pod, got minReplicas ${fmt(spec.minReplicas)}`, 'set minReplicas to 2 or more (3 preferred)');
  }
  if (max !== undefined && max < min) {
    ctx.sink.addStated('High', o, 'AVL-07', 'spec.maxReplicas', `HorizontalPodAutoscaler maxReplicas is below minReplicas, got maxReplicas ${max} with minReplicas ${min}, so the API server rejects it`, 'set maxReplicas above minReplicas');
  } else if (max !== undefined && max === min) {
    ctx.sink.add(o, 'AVL-07', 'spec.maxReplicas', `HorizontalPodAutoscaler cannot scale, got maxReplicas ${max} with minReplicas ${min}`, 'set maxReplicas above minReplicas');
  }
}
