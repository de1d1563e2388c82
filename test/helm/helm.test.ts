// Helm output: `cdk8s synth --format helm` writes the manifests into a
// chart's templates/, which Helm renders as Go templates. Every chart is
// rendered with Go's text/template (test/helm/render.go, built with Debian's
// golang-go, Helm's engine options) and must come out byte for byte as the
// plain synth: Helm leaves every `{{` the library writes literal.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgentNamespace, ObservabilityStack, SecureAgentDeployment } from '../../lib/index.js';
import { escapeForHelm, escapeHelmText, HELM_OUTPUT_CONTEXT, HELM_OUTPUT_ENV, isHelmOutput, unescapeHelmText } from '../../lib/validation/helm.js';
import { runCli } from '../../lib/validation/cli.js';

const root = resolve(import.meta.dirname, '..', '..');
let work: string;
let renderer: string;

beforeAll(() => {
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  work = mkdtempSync(join(root, 'node_modules', '.cache', 'helm-'));
  renderer = join(work, 'render');
  execFileSync('go', ['build', '-o', renderer, join(import.meta.dirname, 'render.go')], {
    env: { ...process.env, GO111MODULE: 'off', GOCACHE: join(root, 'node_modules', '.cache', 'go-build'), GOPATH: join(work, 'gopath') },
    stdio: 'pipe',
  });
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Renders the chart in `chart` into a new folder; returns the folder, or throws with Go's error. */
function render(chart: string): string {
  const out = mkdtempSync(join(work, 'rendered-'));
  const r = spawnSync(renderer, [chart, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`render failed (${r.status}): ${r.stderr}`);
  return out;
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

function cdk8sSynth(args: readonly string[]): void {
  execFileSync('npx', ['cdk8s', 'synth', ...args], { cwd: root, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', [HELM_OUTPUT_ENV]: '' }, stdio: 'pipe' });
}

describe('the reference app through `cdk8s synth --format helm`', () => {
  test('renders with Go text/template to exactly the plain manifests', () => {
    const chart = join(work, 'chart');
    const plain = join(work, 'plain');
    cdk8sSynth(['--format', 'helm', '--chart-version', '0.1.0', '--output', chart]);
    cdk8sSynth(['--output', plain]);
    const templates = files(join(chart, 'templates'));
    const expected = files(plain);
    // Every chart of the app, and nothing else: a platform's topology pictures stay out of templates/.
    expect(Object.keys(templates)).toEqual(Object.keys(expected));
    expect(readdirSync(join(chart, 'templates')).filter((f) => !f.endsWith('.yaml'))).toEqual([]);
    expect(Object.keys(templates)).toContain('agents.k8s.yaml');
    // The manifests hold Go templates of their own (alerts, dashboards)...
    expect(expected['agents.k8s.yaml']).toContain('{{ $value | humanizePercentage }}');
    expect(expected['agents.k8s.yaml']).toMatch(/\{\{pod\}\}/);
    // ...which the chart escapes,
    expect(templates['agents.k8s.yaml']).not.toContain('{{ $value');
    // and Helm's engine renders back.
    expect(files(render(chart))).toEqual(expected);
  });

  test('the unescaped manifests fail Go text/template, as in Helm', () => {
    const chart = join(work, 'unescaped');
    cdk8sSynth(['--output', join(chart, 'templates')]);
    expect(() => render(chart)).toThrow(/undefined variable "\$value"|function "pod" not defined/);
  });

  test('validate reads a Helm chart folder: its templates, rendered, without Chart.yaml', () => {
    const chart = join(work, 'chart-validate');
    cdk8sSynth(['--format', 'helm', '--chart-version', '0.1.0', '--output', chart]);
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(['validate', '--output', 'json', chart], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as never);
    expect(err.join('')).not.toMatch(/error/);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('')) as { errors: unknown[]; summary: { files: number } };
    expect(report.errors).toEqual([]);
    // Every chart file of the app, and not Chart.yaml.
    expect(report.summary.files).toBe(readdirSync(join(chart, 'templates')).filter((f) => f.endsWith('.yaml')).length);
  });

  test('validate refuses a chart template with actions it cannot render, naming the file and the action', () => {
    const chart = join(work, 'chart-values');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: x\nversion: 0.1.0\n');
    writeFileSync(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: {{ .Release.Namespace }}\n');
    const err: string[] = [];
    const code = runCli(['validate', chart], { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } } as never);
    expect(code).toBe(2);
    expect(err.join('')).toContain('cm.yaml');
    expect(err.join('')).toContain('{{ .Release.Namespace }}');
  });
});

describe('a plain cdk8s App', () => {
  function app(outdir: string, context?: string): App {
    const a = new App({ outdir });
    if (context) a.node.setContext(HELM_OUTPUT_CONTEXT, context);
    const chart = new Chart(a, 'agents');
    const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents' });
    const agent = new SecureAgentDeployment(chart, 'Agent', {
      name: 'agent',
      namespace: ns.name,
      image: `registry.example.com/agent:1.0.0@sha256:${'c'.repeat(64)}`,
      egress: [],
    });
    new ObservabilityStack(chart, 'Observability', { agent, runbookBaseUrl: 'https://runbooks.example.com/agents' });
    return a;
  }

  test('with the helm context: escaped through JSON patches, rendered back to the plain output', () => {
    const chart = join(work, 'plain-app-chart');
    app(join(chart, 'templates'), 'helm').synth();
    const plain = join(work, 'plain-app');
    app(plain).synth();
    expect(readFileSync(join(plain, 'agents.k8s.yaml'), 'utf8')).toContain('{{');
    expect(files(render(chart))).toEqual(files(plain));
  });

  test('detection: context, then environment, then a templates/ folder beside Chart.yaml', () => {
    const chart = join(work, 'detect');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    expect(isHelmOutput(new App({ outdir: join(chart, 'templates') }))).toBe(false);
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: x\nversion: 0.1.0\n');
    expect(isHelmOutput(new App({ outdir: join(chart, 'templates') }))).toBe(true);
    const plain = new App({ outdir: join(chart, 'templates') });
    plain.node.setContext(HELM_OUTPUT_CONTEXT, 'plain');
    expect(isHelmOutput(plain)).toBe(false);
    const previous = process.env[HELM_OUTPUT_ENV];
    try {
      process.env[HELM_OUTPUT_ENV] = 'helm';
      expect(isHelmOutput(new App({ outdir: join(work, 'dist') }))).toBe(true);
      process.env[HELM_OUTPUT_ENV] = 'yes';
      expect(() => isHelmOutput(new App({ outdir: join(work, 'dist') }))).toThrow(
        'environment variable CDK8S_AGENT_PLATFORM_OUTPUT is "yes"; fix: set it to "helm" (manifests for a Helm chart\'s templates/, every {{ escaped) or "plain"',
      );
    } finally {
      if (previous === undefined) delete process.env[HELM_OUTPUT_ENV];
      else process.env[HELM_OUTPUT_ENV] = previous;
    }
  });
});

describe('escaping', () => {
  test('escapes every {{, keeps escapes already written, and unescapes back', () => {
    const text = 'Pod {{ $labels.pod }} at {{ $value | humanizePercentage }}; legend {{pod}}; }} alone';
    const escaped = escapeHelmText(text);
    expect(escaped).toBe('Pod {{ `{{` }} $labels.pod }} at {{ `{{` }} $value | humanizePercentage }}; legend {{ `{{` }}pod}}; }} alone');
    expect(escapeHelmText(escaped)).toBe(escaped);
    expect(unescapeHelmText(escaped)).toBe(text);
    // The form AlertRules' helmSafeAnnotations writes is kept as it is.
    const quoted = '{{ "{{" }} $labels.pod {{ "}}" }}';
    expect(escapeHelmText(quoted)).toBe(quoted);
    expect(unescapeHelmText(quoted)).toBe('{{ $labels.pod }}');
    expect(escapeForHelm({ a: ['{{x}}', 1, null], '{{k}}': true })).toEqual({ a: ['{{ `{{` }}x}}', 1, null], '{{k}}': true });
  });
});
