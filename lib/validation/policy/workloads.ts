import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from '../../core/schemas.js';
import type { CheckId } from '../internal/checks.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { POD_TEMPLATE_PATHS, type PodTemplate } from '../internal/pod-templates.js';
import { describeSelector, matches, parseLabelSelector } from '../internal/selectors.js';
import { fmt, rec, str, type StringMap } from '../internal/values.js';
import type { PolicyContext } from './context.js';

/**
 * Workload object integrity on one object: the selector matches the
 * template (WKL-01), Jobs and CronJobs are bounded (WKL-04), and labels are
 * valid and carry the recommended set (WKL-05).
 */

const SELECTED_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** WKL-01 on a Deployment, StatefulSet, DaemonSet or ReplicaSet (or a Job with a manual selector). */
export function checkSelector(o: ObjectInfo, t: PodTemplate | undefined, ctx: PolicyContext): void {
  const spec = rec(o.manifest.spec) ?? {};
  const manualJob = o.kind === 'Job' && spec.manualSelector === true;
  if (!SELECTED_KINDS.has(o.kind) && !manualJob) return;
  if (spec.selector === undefined) {
    ctx.sink.add(o, 'WKL-01', 'spec.selector', `${o.kind} has no selector, which the API rejects`, 'set spec.selector.matchLabels to the stable pod labels (app.kubernetes.io/name and instance)');
    return;
  }
  const sel = parseLabelSelector(spec.selector);
  const labels = t?.labels ?? {};
  if (!sel || sel.requirements.length === 0) {
    ctx.sink.add(o, 'WKL-01', 'spec.selector', `${o.kind} selector is empty or invalid, got ${describeSelector(sel)}`, 'select the pods by their stable labels');
    return;
  }
  if (!matches(sel, labels)) {
    const base = POD_TEMPLATE_PATHS[o.kind]!;
    ctx.sink.add(
      o,
      'WKL-01',
      join(base, 'metadata', 'labels'),
      `${o.kind} selector ${describeSelector(sel)} does not match its pod template labels, so the API rejects it, got labels ${Object.keys(labels).length > 0 ? describeLabels(labels) : 'unset'}`,
      'give the pod template every label of spec.selector.matchLabels',
    );
  }
}

function describeLabels(labels: StringMap): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** WKL-04 on a Job or CronJob. */
export function checkJobBounds(o: ObjectInfo, t: PodTemplate | undefined, ctx: PolicyContext): void {
  const report = (id: CheckId, path: string, message: string, fix: string) => ctx.sink.add(o, id, path, message, fix);
  const spec = rec(o.manifest.spec) ?? {};
  let jobSpec: Readonly<Record<string, unknown>>;
  let jobPath: string;
  if (o.kind === 'CronJob') {
    if (spec.startingDeadlineSeconds === undefined) {
      report(
        'WKL-04',
        'spec.startingDeadlineSeconds',
        'CronJob has no startingDeadlineSeconds, so after 100 missed schedules it stops scheduling, got startingDeadlineSeconds unset',
        'set startingDeadlineSeconds (e.g. 300)',
      );
    }
    jobSpec = rec(rec(spec.jobTemplate)?.spec) ?? {};
    jobPath = 'spec.jobTemplate.spec';
  } else if (o.kind === 'Job') {
    jobSpec = spec;
    jobPath = 'spec';
    // CronJob-managed Jobs are pruned by the history limits; a standalone Job stays forever.
    if (spec.ttlSecondsAfterFinished === undefined) {
      report('WKL-04', 'spec.ttlSecondsAfterFinished', 'Job is never cleaned up after it finishes, got ttlSecondsAfterFinished unset', 'set ttlSecondsAfterFinished (e.g. 86400)');
    }
  } else return;
  if (jobSpec.backoffLimit === undefined) {
    report('WKL-04', join(jobPath, 'backoffLimit'), `${o.kind} retries a failing pod 6 times by default, got backoffLimit unset`, 'set backoffLimit explicitly');
  }
  if (jobSpec.activeDeadlineSeconds === undefined) {
    report('WKL-04', join(jobPath, 'activeDeadlineSeconds'), `${o.kind} may run forever, got activeDeadlineSeconds unset`, 'set activeDeadlineSeconds to the longest acceptable run');
  }
  if (t) {
    const restart = t.spec.restartPolicy;
    if (restart !== 'OnFailure' && restart !== 'Never') {
      // The API server rejects the Job (unset defaults to Always).
      ctx.sink.addStated('High', o, 'WKL-04', join(t.specPath, 'restartPolicy'), `${o.kind} pods need restartPolicy OnFailure or Never, got restartPolicy ${fmt(restart)}, so the API server rejects the ${o.kind}`, 'set restartPolicy: Never (or OnFailure)');
    }
  }
}

/** Label keys and values the API accepts (the grammar `labelMap` in lib/core/schemas.ts checks on props, from the same patterns). */
function checkLabelMap(o: ObjectInfo, labels: StringMap, path: string, ctx: PolicyContext): void {
  for (const [key, value] of Object.entries(labels)) {
    const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    if (!LABEL_KEY_PATTERN.test(key) || prefix.length > 253) {
      ctx.sink.addStated('High', o, 'WKL-05', join(path, key), `label key ${fmt(key)} is not a valid label key, so the API server rejects the object`, "use an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.'");
    }
    if (value.length > 63 || !LABEL_VALUE_PATTERN.test(value)) {
      ctx.sink.addStated('High', o, 'WKL-05', join(path, key), `label ${key} has an invalid value, got ${fmt(value)}, so the API server rejects the object`, "use at most 63 letters, digits, '-', '_' and '.', starting and ending alphanumeric");
    }
  }
}

/** WKL-05 on any object: valid labels; on workloads, the recommended labels with `instance` = the object name. */
export function checkLabels(o: ObjectInfo, t: PodTemplate | undefined, ctx: PolicyContext): void {
  checkLabelMap(o, o.labels, 'metadata.labels', ctx);
  if (t && t.metaPath !== 'metadata') checkLabelMap(o, t.labels, join(t.metaPath, 'labels'), ctx);
  if (!t) return;
  const missing = ['app.kubernetes.io/name', 'app.kubernetes.io/instance'].filter((k) => o.labels[k] === undefined);
  if (missing.length > 0) {
    ctx.sink.add(
      o,
      'WKL-05',
      'metadata.labels',
      `${o.kind} lacks the recommended labels ${missing.join(', ')}`,
      'label every object with app.kubernetes.io/name, instance, version, component, part-of and managed-by',
    );
  }
  const instance = str(o.labels['app.kubernetes.io/instance']);
  if (instance !== undefined && instance !== o.name) {
    ctx.sink.add(o, 'WKL-05', join('metadata.labels', 'app.kubernetes.io/instance'), `app.kubernetes.io/instance does not match the object name "${o.name}", got ${fmt(instance)}`, `set it to "${o.name}"`);
  }
}
