import { Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type { CustomResource } from './schema/custom.js';
import { type Finding, type KubernetesVersion, type Manifest } from './types.js';
import { verify } from './verify.js';

/** Options of the verification run at synth. */
export interface VerificationOptions {
  /** Kubernetes minor version to validate against. @default '1.28' */
  readonly kubernetesVersion?: KubernetesVersion;
  /** References that exist outside the app, as `Kind/name` or `Kind/namespace/name`. @default [] */
  readonly external?: readonly string[];
  /**
   * Custom resources to validate strictly, beyond the ones the library
   * knows: CustomResourceDefinitions (for instance read with
   * `readCustomResourceDefinitions('crds/widgets.yaml')`), `{ apiVersion,
   * kind, schema }` OpenAPI v3 schemas, or model classes generated from a
   * CRD. An object of a kind with no known schema fails synth.
   * @default []
   */
  readonly customResources?: readonly CustomResource[];
  /** Where Medium and Low findings (and waivers) are reported. @default - standard error */
  readonly warn?: (line: string) => void;
  /**
   * `enforce` fails synth on Critical and High findings; `off` skips
   * verification, for unit tests of a single construct whose chart is not a
   * whole deployable bundle (no namespace, no network baseline).
   * @default 'enforce'
   */
  readonly mode?: 'enforce' | 'off';
}

const NO_CUSTOM_RESOURCES: readonly CustomResource[] = [];
const registered = new WeakMap<IConstruct, VerificationOptions>();
interface Memo {
  /** The resolved objects and options the result is for. */
  readonly key: string;
  /** The custom resources the result was verified with. */
  readonly customResources: readonly CustomResource[] | undefined;
  readonly errors: string[];
  /** The objects of every chart as resolved for the run, reused for writing. */
  readonly charts: ReadonlyMap<Chart, readonly Manifest[]>;
}
const memo = new WeakMap<IConstruct, Memo>();
const running = new WeakSet<IConstruct>();

/** Formats a finding as one line: `<CHECK> <severity> <Kind> <ns>/<name> <path>: <message>; fix: <fix>`. */
export function formatFinding(f: Finding): string {
  const where = f.namespace ? `${f.namespace}/${f.name}` : f.name;
  const waived = f.waived ? ` (waived: ${f.waived.reason})` : '';
  return `${f.checkId} ${f.severity} ${f.kind} ${where} ${f.path}: ${f.message}; fix: ${f.fix}${waived}`;
}

/**
 * Verifies every object of the app before cdk8s writes any YAML: strict
 * schema validation, the policy checks and the cross-resource invariants run
 * over all charts together. Critical and High findings fail the synth with
 * one report listing all of them, so nothing is written; Medium and Low
 * findings and waivers are reported as warnings.
 *
 * The constructs of this library enable it on their App automatically;
 * call it yourself to set options or to verify an app of plain objects.
 * Calling it again replaces the options.
 */
export function enableVerification(scope: IConstruct, options: VerificationOptions = {}): void {
  const root = scope.node.root;
  const first = !registered.has(root);
  registered.set(root, options);
  if (!first) return;
  root.node.addValidation({
    validate: () => {
      const opts = registered.get(root) ?? {};
      // Chart.toJson() validates the whole app again (cdk8s does so for every
      // chart it writes), so a run inside a run answers nothing, and the
      // same resolved objects under the same options reuse the last result.
      // The key is the objects themselves: a JSON patch or a metadata edit
      // changes them without adding a construct.
      if (opts.mode === 'off' || running.has(root)) return [];
      const constructs = root.node.findAll();
      const manifests: Manifest[] = [];
      const charts = new Map<Chart, readonly Manifest[]>();
      running.add(root);
      try {
        for (const c of constructs) {
          if (!Chart.isChart(c)) continue;
          const objs = c.toJson() as Manifest[];
          charts.set(c, objs);
          for (const o of objs) manifests.push(o);
        }
      } finally {
        running.delete(root);
      }
      const verifyOptions = { kubernetesVersion: opts.kubernetesVersion ?? '1.28', external: opts.external ?? [] } as const;
      const key = JSON.stringify([verifyOptions, manifests]);
      const cached = memo.get(root);
      const customResources = opts.customResources;
      if (cached && cached.key === key && cached.customResources === customResources) {
        memo.set(root, { ...cached, charts });
        return cached.errors;
      }
      const report = verify(manifests, { ...verifyOptions, customResources: customResources ?? NO_CUSTOM_RESOURCES });
      const warn = opts.warn ?? ((line: string) => process.stderr.write(`warning: ${line}\n`));
      for (const f of report.findings) {
        if (!report.blocking.includes(f)) warn(formatFinding(f));
      }
      const errors = report.blocking.map(formatFinding);
      memo.set(root, { key, customResources, errors, charts });
      return errors;
    },
  });
}

/**
 * Forgets the last verification of the app, so that the next validation
 * resolves and verifies afresh and {@link verifiedCharts} answers only for it.
 */
export function forgetVerification(scope: IConstruct): void {
  memo.delete(scope.node.root);
}

/**
 * The objects each chart resolved to in the app's last verification (since
 * {@link forgetVerification}); lets a writer that has just validated skip
 * resolving every object a second time. Undefined when none ran.
 */
export function verifiedCharts(scope: IConstruct): ReadonlyMap<Chart, readonly Manifest[]> | undefined {
  return memo.get(scope.node.root)?.charts;
}

/** Enables verification with default options unless already enabled; called by every construct. */
export function ensureVerification(scope: IConstruct): void {
  if (!registered.has(scope.node.root)) enableVerification(scope);
}
