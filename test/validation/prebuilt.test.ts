import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_KINDS } from '../../lib/crds/sources.js';

// The bundle is made by `npm run build` (scripts/build-validators.mjs), which
// the test command runs first; it must agree with the packages it bundles.
const require = createRequire(import.meta.url);
const BUNDLE = new URL('../../build/lib/validation/schema/prebuilt.cjs', import.meta.url);

type Model = { apiVersion: string; kind: string; new (data: object): { validate(): void } };

function errorsOf(Cls: Model, data: object): string[] {
  try {
    new Cls(data).validate();
    return [];
  } catch (e) {
    return ((e as { errors: { instancePath: string; keyword: string }[] }).errors ?? []).map((x) => `${x.instancePath} ${x.keyword}`).sort();
  }
}

describe('prebuilt validator bundle', () => {
  it('exists after the build', () => {
    expect(existsSync(BUNDLE)).toBe(true);
  });

  const models = (existsSync(BUNDLE) ? require(fileURLToPath(BUNDLE)).models : {}) as Record<string, Model>;

  it('bundles the common kinds and the supported custom resources', () => {
    expect(Object.keys(models)).toHaveLength(38);
    for (const key of ['apps/v1\nDeployment', 'v1\nService', 'monitoring.coreos.com/v1\nPrometheusRule', 'external-secrets.io/v1\nExternalSecret', 'gateway.networking.k8s.io/v1\nHTTPRoute']) {
      expect(models[key], key).toBeTypeOf('function');
    }
  });

  it('holds for every key the class of that apiVersion and kind', () => {
    for (const [key, cls] of Object.entries(models)) {
      expect(`${cls.apiVersion}\n${cls.kind}`).toBe(key);
    }
  });

  it('reports the same errors as the package validators', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const bad = { metadata: { name: 'x' }, spec: { replicas: '3', selector: {}, template: { spec: { containers: [{ image: 'x', resources: { limits: { cpu: '2 cores' } } }] } } } };
    const fromBundle = errorsOf(models['apps/v1\nDeployment']!, bad);
    expect(fromBundle.length).toBeGreaterThan(0);
    expect(fromBundle).toEqual(errorsOf(Deployment as unknown as Model, bad));
  });

  it('loads with the V8 code cache made at build time', async () => {
    const { loadCommonJs } = await import('../../lib/internal/cached-script.js');
    const file = fileURLToPath(BUNDLE);
    const withCache = loadCommonJs<{ models: Record<string, Model> }>(file, file.replace(/\.cjs$/, '.cache'));
    expect(withCache.cacheAccepted).toBe(true);
    expect(Object.keys(withCache.exports.models)).toEqual(Object.keys(models));
    expect(loadCommonJs(file, undefined).cacheAccepted).toBe(false);
  });

  it('checks RE2 patterns lazily but still checks them', () => {
    const Rule = models['monitoring.coreos.com/v1\nPrometheusRule']!;
    const rule = (strategy: string) => ({ metadata: { name: 'r' }, spec: { groups: [{ name: 'g', partial_response_strategy: strategy, rules: [] }] } });
    expect(errorsOf(Rule, rule('warn'))).toEqual([]);
    expect(errorsOf(Rule, rule('sometimes'))).toEqual(['/spec/groups/0/partial_response_strategy pattern']);
  });
});

type Compiled = ((data: unknown) => boolean) & { errors?: object[] | null };

function generatedErrors(validate: Compiled, data: object): object[] {
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

describe('bundles of the generated validators', () => {
  // One CommonJS file per generated kind, beside its ES module.
  const bundleOf = (schema: string) => new URL(`../../build/lib/crds/${schema.replace(/\.js$/, '.cjs')}`, import.meta.url);

  it('exist after the build, one per generated kind', () => {
    for (const k of GENERATED_KINDS) expect(existsSync(bundleOf(k.schema)), k.schema).toBe(true);
  });

  it('report the same errors as the generated ES modules', () => {
    for (const k of GENERATED_KINDS) {
      const { validate } = require(fileURLToPath(new URL(`../../lib/crds/${k.schema}`, import.meta.url))) as { validate: Compiled };
      const bundled = (require(fileURLToPath(bundleOf(k.schema))) as { validate: Compiled }).validate;
      const samples = [
        { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'x' }, spec: {} },
        { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'x', labels: { a: 1 } }, spec: 5 },
        { apiVersion: 'wrong/v1', kind: k.kind, metadata: { name: 'x' }, spec: { replicas: 'three', instances: -1, selector: 'x', template: 1, podTemplate: { spec: { containers: 'x' } } } },
      ];
      for (const data of samples) {
        const expected = generatedErrors(validate, data);
        if (data.spec === 5) expect(expected.length, `${k.apiVersion} ${k.kind}`).toBeGreaterThan(0);
        expect(generatedErrors(bundled, data), `${k.apiVersion} ${k.kind}`).toEqual(expected);
      }
    }
  });

  it('load with the V8 code caches made at build time', async () => {
    const { loadCommonJs } = await import('../../lib/internal/cached-script.js');
    for (const k of GENERATED_KINDS) {
      const file = fileURLToPath(bundleOf(k.schema));
      const withCache = loadCommonJs<{ validate: Compiled }>(file, file.replace(/\.cjs$/, '.cache'));
      expect(withCache.cacheAccepted, k.schema).toBe(true);
      expect(withCache.exports.validate, k.schema).toBeTypeOf('function');
    }
  });
});
