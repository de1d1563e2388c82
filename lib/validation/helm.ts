/**
 * Output for a Helm chart: `cdk8s synth --format helm` writes the manifests
 * into a chart's `templates/`, which Helm renders as Go templates, so every
 * `{{` in a manifest (alert annotations' `{{ $value }}`, Grafana legends'
 * `{{pod}}`, configuration files) must reach Helm escaped, as
 * ``{{ `{{` }}``, which Helm renders back to `{{`.
 *
 * Whether the output is for Helm is decided, first match wins, by:
 * 1. the app's context `cdk8s-agent-platform:output` (`helm` or `plain`);
 * 2. the environment variable `CDK8S_AGENT_PLATFORM_OUTPUT` (`helm` or `plain`);
 * 3. the output directory: cdk8s-cli's helm format synthesizes into
 *    `<output>/templates` after writing `<output>/Chart.yaml`.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ApiObject, App, JsonPatch } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { escapeHelmText } from './helm-text.js';

export { escapeForHelm, escapeHelmText, renderEscapedTemplate, unescapeHelmText } from './helm-text.js';

/** App context key and environment variable that set the output kind. */
export const HELM_OUTPUT_CONTEXT = 'cdk8s-agent-platform:output';
export const HELM_OUTPUT_ENV = 'CDK8S_AGENT_PLATFORM_OUTPUT';

/**
 * Whether the app's manifests are written for Helm (see the module comment).
 * An invalid context or environment value throws, naming the accepted ones.
 */
export function isHelmOutput(scope: IConstruct): boolean {
  const root = scope.node.root;
  const fromContext = root.node.tryGetContext(HELM_OUTPUT_CONTEXT) as unknown;
  const fromEnv = process.env[HELM_OUTPUT_ENV];
  const [value, source] = fromContext !== undefined ? [fromContext, `app context "${HELM_OUTPUT_CONTEXT}"`] : [fromEnv || undefined, `environment variable ${HELM_OUTPUT_ENV}`];
  if (value === 'helm') return true;
  if (value === 'plain') return false;
  if (value !== undefined) {
    throw new Error(`${source} is ${JSON.stringify(value)}; fix: set it to "helm" (manifests for a Helm chart's templates/, every {{ escaped) or "plain"`);
  }
  const outdir = root instanceof App ? root.outdir : undefined;
  return outdir !== undefined && basename(outdir) === 'templates' && existsSync(join(dirname(outdir), 'Chart.yaml'));
}

/**
 * Adds to every ApiObject of the app the JSON patches that escape its
 * strings for Helm (only for values that change, so a second call adds
 * nothing). Map keys are not patched: Kubernetes keys never hold `{{`.
 */
export function escapeAppForHelm(scope: IConstruct): void {
  for (const c of scope.node.root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const patches: JsonPatch[] = [];
    collectPatches(c.toJson(), '', patches);
    if (patches.length > 0) c.addJsonPatch(...patches);
  }
}

function collectPatches(value: unknown, path: string, out: JsonPatch[]): void {
  if (typeof value === 'string') {
    const escaped = escapeHelmText(value);
    if (escaped !== value) out.push(JsonPatch.replace(path, escaped));
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collectPatches(v, `${path}/${i}`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectPatches(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
}

