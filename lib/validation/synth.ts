import { ApiObject, Chart, DependencyGraph } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { objectKey, findingLine, SynthError, type ConstructPaths } from './report.js';
import { escapeAppForHelm, isHelmOutput } from './helm.js';
import type { CustomResource } from './schema/custom.js';
import { type KubernetesVersion, type Manifest } from './types.js';
import { verify, type VerifyReport } from './verify.js';

export { formatFinding } from './format.js';
export { validateWithModel } from './schema/registry.js';

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
  /**
   * Where Medium and Low findings (and waivers) of a synth that succeeds are
   * reported, one line each (`<construct path>: <finding>`); a synth that
   * fails puts them in its report instead.
   * @default - standard error, each line prefixed with `warning: `
   */
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
  /** The failure, when the run failed. */
  readonly failure: SynthError | undefined;
  /** The objects of every chart as resolved for the run, reused for writing. */
  readonly charts: ReadonlyMap<Chart, readonly Manifest[]>;
}
const memo = new WeakMap<IConstruct, Memo>();
const running = new WeakSet<IConstruct>();

/**
 * Verifies every object of the app before cdk8s writes any YAML: strict
 * schema validation, the policy checks and the cross-resource invariants run
 * over all charts together. Critical and High findings fail the synth with
 * one {@link SynthError} whose message is the whole report (the construct
 * path and field of every problem, errors before warnings, no stack trace),
 * so nothing is written; Medium and Low findings and waivers of a synth that
 * succeeds are reported as warnings.
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
      // chart it writes), so a run inside a run answers nothing.
      if (running.has(root)) return [];
      if (opts.mode !== 'off') verifyApp(root, opts);
      // After the verification, so it checks what the app wrote.
      if (isHelmOutput(root)) escapeAppForHelm(root);
      return [];
    },
  });
}

/**
 * Resolves and verifies every chart of the app; throws {@link SynthError}
 * when a finding blocks. The same resolved objects under the same options
 * reuse the last result: the key is the objects themselves, since a JSON
 * patch or a metadata edit changes them without adding a construct.
 */
function verifyApp(root: IConstruct, opts: VerificationOptions): void {
  const constructs = root.node.findAll();
  const { manifests, charts } = resolveCharts(root, constructs);
  const verifyOptions = { kubernetesVersion: opts.kubernetesVersion ?? '1.28', external: opts.external ?? [] } as const;
  const key = JSON.stringify([verifyOptions, manifests]);
  const customResources = opts.customResources;
  const cached = memo.get(root);
  let failure: SynthError | undefined;
  if (cached && cached.key === key && cached.customResources === customResources) {
    failure = cached.failure;
  } else {
    const report = verify(manifests, { ...verifyOptions, customResources: customResources ?? NO_CUSTOM_RESOURCES });
    failure = reportOf(report, constructs, opts);
  }
  memo.set(root, { key, customResources, failure, charts });
  if (failure) throw new SynthError(failure.errorLines, failure.warningLines);
}

function resolveCharts(root: IConstruct, constructs: readonly IConstruct[]): { manifests: Manifest[]; charts: Map<Chart, readonly Manifest[]> } {
  const manifests: Manifest[] = [];
  const charts = new Map<Chart, readonly Manifest[]>();
  // Chart.toJson() makes cdk8s's app-wide passes (the dependencies between
  // charts and objects, then every construct's validation) before the chart's
  // own objects, and would make them again for every chart. Made once here:
  // by the first chart's toJson() when the app declares dependencies (the
  // only case in which they change anything), not at all otherwise, since
  // the synth that called this validation runs the validations itself
  // (after this one: cdk8s validates the app before its children, so a
  // validation that changed objects would change them after the check; none
  // of the library's does, and cdk8s's own contract is that validations read).
  let appWidePass = declaresDependencies(constructs);
  running.add(root);
  try {
    for (const c of constructs) {
      if (!Chart.isChart(c)) continue;
      const objs = appWidePass ? (c.toJson() as Manifest[]) : chartObjects(c);
      appWidePass = false;
      charts.set(c, objs);
      for (const o of objs) manifests.push(o);
    }
  } finally {
    running.delete(root);
  }
  return { manifests, charts };
}

/**
 * Whether any of the constructs declares a dependency, or is a chart nested
 * in a chart: what cdk8s turns into dependencies between charts and objects,
 * which change the order of the objects and the names of the files.
 */
export function declaresDependencies(constructs: readonly IConstruct[]): boolean {
  return constructs.some((c) => c.node.dependencies.length > 0 || (Chart.isChart(c) && c.node.scope !== undefined && Chart.isChart(c.node.scope)));
}

/**
 * The objects of one chart as `Chart.toJson()` resolves them, without its
 * app-wide passes: every object whose closest chart is this one, in the order
 * of the dependency graph (cdk8s's own `chartToKube`, which it does not export).
 */
function chartObjects(chart: Chart): Manifest[] {
  return new DependencyGraph(chart.node)
    .topology()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart)
    .map((o) => o.toJson() as Manifest);
}

/**
 * Prints the warnings of a run that passes; for one that fails, the report:
 * the blocking findings, the errors of every other validation in the app
 * (cdk8s would report those, but this failure stops its validation first),
 * and the warnings.
 */
function reportOf(report: VerifyReport, constructs: readonly IConstruct[], opts: VerificationOptions): SynthError | undefined {
  const paths = constructPaths(constructs);
  const warnings = report.findings.filter((f) => !report.blocking.includes(f)).map((f) => findingLine(f, paths));
  if (report.blocking.length === 0) {
    const warn = opts.warn ?? ((line: string) => process.stderr.write(`warning: ${line}\n`));
    for (const w of warnings) warn(w);
    return undefined;
  }
  const errors = report.blocking.map((f) => findingLine(f, paths));
  for (const c of constructs.slice(1)) for (const e of c.node.validate()) errors.push(`${c.node.path}: ${e}`);
  return new SynthError(errors, warnings);
}

function constructPaths(constructs: readonly IConstruct[]): ConstructPaths {
  const paths = new Map<string, string>();
  for (const c of constructs) {
    if (ApiObject.isApiObject(c)) paths.set(objectKey(c.kind, c.metadata.namespace, c.name), c.node.path);
  }
  return paths;
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
