import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, JsonPatch, YamlOutputType } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { addAgentsChart } from '../../apps/agents.js';
import { addSkreaverChart } from '../../apps/skreaver.js';
import { AgentPlatformApp, enableVerification } from '../../lib/index.js';
import { verifiedCharts } from '../../lib/validation/synth.js';

function outdir(): string {
  return join(mkdtempSync(join(tmpdir(), 'cap-app-')), 'dist');
}

/** Every file of a directory parsed the way kubectl does (YAML 1.1). */
function read(dir: string): Record<string, unknown[]> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, parseAllDocuments(readFileSync(join(dir, f), 'utf8'), { version: '1.1' }).map((d) => d.toJS())]),
  );
}

describe('AgentPlatformApp', () => {
  it('writes the same files and objects as a plain cdk8s App', () => {
    const fast = new AgentPlatformApp({ outdir: outdir() });
    const plain = new App({ outdir: outdir() });
    for (const app of [fast, plain]) {
      addAgentsChart(app);
      addSkreaverChart(app);
      app.synth();
    }
    const a = read(fast.outdir);
    expect(Object.keys(a)).toEqual(['agents.k8s.yaml', 'egress.k8s.yaml', 'skreaver.k8s.yaml']);
    expect(a).toEqual(read(plain.outdir));
  });

  it('quotes strings that YAML 1.1 would read as other types', () => {
    const app = new AgentPlatformApp({ outdir: outdir() });
    enableVerification(app, { mode: 'off' });
    const chart = new Chart(app, 'c');
    const data = { a: 'yes', b: 'on', c: 'NO', d: '0755', e: '1e3', f: 'null', g: '~', h: '12:30', i: 'true', j: '' };
    new ApiObject(chart, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    app.synth();
    expect(read(app.outdir)['c.k8s.yaml']).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data }]);
  });

  it('creates nothing, not even the output directory, when validation fails', () => {
    const app = new AgentPlatformApp({ outdir: outdir() });
    const chart = new Chart(app, 'c');
    chart.node.addValidation({ validate: () => ['broken on purpose'] });
    expect(() => app.synth()).toThrow('synth failed: 1 error; no YAML was written\nerror: c: broken on purpose');
    expect(existsSync(app.outdir)).toBe(false);
  });

  it('leaves other output types to cdk8s', () => {
    const app = new AgentPlatformApp({ outdir: outdir(), yamlOutputType: YamlOutputType.FILE_PER_APP });
    addAgentsChart(app);
    app.synth();
    expect(readdirSync(app.outdir)).toEqual(['app.k8s.yaml']);
  });
});

describe('verification after the app changes', () => {
  function agentApp(Cls: typeof AgentPlatformApp | typeof App): { app: App; patch: () => void } {
    const app = new Cls({ outdir: outdir() });
    addAgentsChart(app);
    const deployment = app.node.findAll().find((c) => (c as ApiObject).kind === 'Deployment' && (c as ApiObject).name === 'agent-runtime') as ApiObject;
    return { app, patch: () => deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/securityContext/privileged', true)) };
  }

  it.each([
    ['AgentPlatformApp', AgentPlatformApp],
    ['a plain cdk8s App', App],
  ] as const)('%s: a second synth sees a JSON patch made after the first', (_label, Cls) => {
    const { app, patch } = agentApp(Cls);
    app.synth();
    patch();
    expect(() => app.synth()).toThrow(/PSS-03 Critical Deployment agents\/agent-runtime spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/);
  });

  it('writes the objects as they are at the second synth', () => {
    const { app } = agentApp(AgentPlatformApp);
    app.synth();
    const deployment = app.node.findAll().find((c) => (c as ApiObject).kind === 'Deployment' && (c as ApiObject).name === 'agent-runtime') as ApiObject;
    deployment.metadata.addAnnotation('example.com/changed', 'yes');
    app.synth();
    const docs = read(app.outdir)['agents.k8s.yaml'] as { kind: string; metadata: { name: string; annotations?: Record<string, string> } }[];
    expect(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'agent-runtime')?.metadata.annotations?.['example.com/changed']).toBe('yes');
  });

  it('verifies objects added after the first synth', () => {
    const { app } = agentApp(AgentPlatformApp);
    app.synth();
    const chart = new Chart(app, 'more');
    new ApiObject(chart, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expect(() => app.synth()).toThrow(/NS-01 High ConfigMap x metadata\.namespace/);
  });
});

describe('resolving the charts for the verification', () => {
  it("runs every construct's validation once per synth, however many charts the app has", () => {
    const app = new AgentPlatformApp({ outdir: outdir() });
    addAgentsChart(app);
    for (let i = 0; i < 4; i++) new Chart(app, `empty-${i}`);
    let runs = 0;
    app.charts[0].node.addValidation({ validate: () => (runs++, []) });
    app.synth();
    // Chart.toJson() would validate the whole app again for each of the 6 charts.
    expect(runs).toBe(1);
    // The objects as cdk8s's own Chart.toJson() resolves them, chart by chart.
    const resolved = verifiedCharts(app);
    for (const chart of app.charts) expect(resolved?.get(chart)).toEqual(chart.toJson());
  });

  it('resolves an app with dependencies between charts and objects as Chart.toJson() does', () => {
    const app = new App({ outdir: outdir() });
    const agents = addAgentsChart(app);
    const extra = new Chart(app, 'extra');
    const meta = (name: string) => ({ name, namespace: 'agents', labels: { 'app.kubernetes.io/name': name } });
    const second = new ApiObject(extra, 'Second', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('second') });
    const first = new ApiObject(extra, 'First', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('first') });
    second.addDependency(first);
    extra.addDependency(agents);
    app.synth();
    const resolved = verifiedCharts(app);
    expect(resolved?.get(extra)?.map((o) => o.metadata?.name)).toEqual(['first', 'second']);
    for (const chart of app.charts) expect(resolved?.get(chart)).toEqual(chart.toJson());
  });
});
