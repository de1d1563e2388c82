import { refKey, type ObjectInfo } from '../internal/objects.js';
import { REPLICATED_KINDS } from '../internal/pod-templates.js';
import { replicaBounds } from '../internal/replicas.js';
import { describeSelector, parseLabelSelector } from '../internal/selectors.js';
import { fmt, intOrPercent, rec, scaled, str } from '../internal/values.js';
import type { Bundle, Workload } from './bundle.js';
import { targetGroup } from './routing.js';

/**
 * HPA targets (AVL-08) and static replicas under an HPA (AVL-09);
 * PodDisruptionBudgets that select pods (AVL-04), exist for every
 * multi-replica Deployment and StatefulSet (AVL-04), allow an eviction at
 * the minimum replica count (AVL-05) and stay below the HPA minimum
 * (AVL-06). AVL-05 and AVL-06 both fire for a minAvailable that reaches the
 * HPA minimum: CHECKS.md cites that defect (D-SRK-08) under both.
 */

/** AVL-08 and AVL-09 on every HPA. */
export function checkHpaTargets(b: Bundle): void {
  for (const hpa of b.byKind.get('HorizontalPodAutoscaler') ?? []) {
    const ref = rec(rec(hpa.manifest.spec)?.scaleTargetRef) ?? {};
    const kind = str(ref.kind);
    const name = str(ref.name);
    if (!kind || !name || b.isExternal(kind, hpa.ns, name)) continue;
    const target = b.byRef.get(refKey(kind, hpa.ns, name))?.find((o) => o.group === targetGroup(ref));
    if (!target) {
      b.sink.add(
        hpa,
        'AVL-08',
        'spec.scaleTargetRef',
        `HorizontalPodAutoscaler scales ${kind} "${name}", which is not in namespace ${hpa.ns}`,
        'point scaleTargetRef at the workload (same namespace, kind, apiVersion and name)',
      );
      continue;
    }
    const replicas = rec(target.manifest.spec)?.replicas;
    if (replicas !== undefined) {
      b.sink.add(
        target,
        'AVL-09',
        'spec.replicas',
        `${target.kind} sets replicas although HorizontalPodAutoscaler "${hpa.name}" scales it, so every apply resets the count, got replicas ${fmt(replicas)}`,
        'remove spec.replicas and let the HPA own the count',
      );
    }
  }
}

/** AVL-04, AVL-05 and AVL-06 across PDBs and workloads. */
export function checkDisruptionBudgets(b: Bundle): void {
  const budgets = new Map<Workload, ObjectInfo[]>();
  for (const pdb of b.byKind.get('PodDisruptionBudget') ?? []) {
    const spec = rec(pdb.manifest.spec) ?? {};
    const sel = parseLabelSelector(spec.selector);
    const selected = sel ? b.pods.select(pdb.ns, sel) : [];
    if (selected.length === 0) {
      b.sink.add(pdb, 'AVL-04', 'spec.selector', `PodDisruptionBudget selector ${describeSelector(sel)} matches no pod template in namespace ${pdb.ns}, so it protects nothing`, 'select the workload pods by their stable labels, in their namespace');
      continue;
    }
    const min = intOrPercent(spec.minAvailable);
    for (const w of selected) {
      const list = budgets.get(w);
      if (list) {
        b.sink.add(
          pdb,
          'AVL-05',
          'spec.selector',
          `pods of ${w.obj.kind} "${w.obj.name}" are also selected by PodDisruptionBudget "${list[0]!.name}", and the eviction API refuses pods with more than one budget`,
          'keep one PodDisruptionBudget per workload',
        );
        list.push(pdb);
      } else budgets.set(w, [pdb]);
      if (!REPLICATED_KINDS.has(w.obj.kind)) continue;
      const bounds = replicaBounds(w.obj, b.hpas);
      const n = bounds.min;
      const at = bounds.hpa ? `its HPA minimum of ${n}` : `${n} replica${n === 1 ? '' : 's'}`;
      // A zero value is already the PDB's own AVL-05 finding.
      if (min && !(min.kind === 'percent' && min.value >= 1)) {
        const allowed = n - scaled(min, n);
        if (allowed < 1) {
          b.sink.add(
            pdb,
            'AVL-05',
            'spec.minAvailable',
            `PodDisruptionBudget allows no eviction of ${w.obj.kind} "${w.obj.name}" at ${at}, so node drains hang, got minAvailable ${fmt(spec.minAvailable)}`,
            n > 1 ? `use maxUnavailable: 1, or minAvailable of at most ${n - 1}` : 'run at least 2 replicas, or drop the budget for a single replica',
          );
        }
        if (bounds.hpa && scaled(min, n) >= n) {
          b.sink.add(
            pdb,
            'AVL-06',
            'spec.minAvailable',
            `PodDisruptionBudget minAvailable is not below HorizontalPodAutoscaler "${bounds.hpa.hpa.name}" minReplicas ${n}, got minAvailable ${fmt(spec.minAvailable)}`,
            `use minAvailable of at most ${n - 1}, or maxUnavailable: 1`,
          );
        }
      }
    }
  }
  for (const w of b.workloads) {
    if (w.obj.kind !== 'Deployment' && w.obj.kind !== 'StatefulSet') continue;
    const bounds = replicaBounds(w.obj, b.hpas);
    // A single replica gains nothing from a budget; AVL-01 asks for more replicas first.
    if (bounds.max < 2 || budgets.has(w)) continue;
    b.sink.add(
      w.obj,
      'AVL-04',
      'spec.template.metadata.labels',
      `${w.obj.kind} runs up to ${bounds.max} replicas and no PodDisruptionBudget selects its pods, so a drain may evict them all at once`,
      'add a PodDisruptionBudget with maxUnavailable: 1 selecting the pod labels',
    );
  }
}
