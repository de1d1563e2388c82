import { describe, expect, it } from 'vitest';
import { parseCustomResourceDefinitions, readCustomResourceDefinitions } from '../../lib/validation/schema/custom.js';
import type { Finding, Manifest } from '../../lib/validation/types.js';
import { verify } from '../../lib/validation/verify.js';

const CRDS = readCustomResourceDefinitions('test/fixtures/crds/widgets.example.dev.yaml');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function widget(spec: Obj, extra: Obj = {}): Obj {
  return { apiVersion: 'example.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'apps', ...extra }, spec };
}

/** Schema findings (WKL-06) of one object, as `severity path: message; fix`. */
function schemaFindings(o: Obj, customResources: Parameters<typeof verify>[1] extends infer O ? (O extends { customResources?: infer C } ? C : never) : never = CRDS): string[] {
  return verify([o as Manifest], { customResources }).findings.filter((f: Finding) => f.checkId === 'WKL-06').map((f) => `${f.severity} ${f.path}: ${f.message}; ${f.fix}${f.waived ? ` (waived: ${f.waived.reason})` : ''}`);
}

describe('custom resources registered from a CRD', () => {
  it('accepts a valid object, free-form and preserved fields included', () => {
    const ok = widget({
      size: 'small',
      replicas: 2,
      endpoint: 'https://example.dev/x',
      port: 'http',
      note: null,
      config: { anything: { goes: [1, 2] } },
      tuning: { level: 3, experimental: true },
      labels: { a: 'b' },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { whatever: 1 } },
      items: [{ name: 'one' }],
    });
    expect(schemaFindings(ok)).toEqual([]);
  });

  it('reports unknown fields, wrong types, enums, required fields, bounds and formats', () => {
    const bad = widget(
      { size: 'huge', replicas: 0, endpoint: 'not a uri', port: 1.5, tuning: { level: 'high' }, labels: { a: 1 }, items: [{ nam: 'x' }], colour: 'red' },
      { lables: { a: 'b' } },
    );
    expect(schemaFindings(bad)).toEqual([
      'High spec.size: unsupported value "huge": must be one of "small", "medium", "large"; set spec.size to one of "small", "medium", "large"',
      'High spec.replicas: value 0 must be >= 1; set spec.replicas to a value >= 1',
      'High spec.endpoint: value "not a uri" is not a valid uri; set spec.endpoint to a valid uri',
      'High spec.port: wrong type: expected integer or string, got number 1.5; set spec.port to an integer or a string',
      'High spec.tuning.level: wrong type: expected integer, got string "high"; set spec.tuning.level to an integer',
      'High spec.labels.a: wrong type: expected string, got integer 1; quote the value of spec.labels.a: "1"',
      'High spec.items[0].name: missing required field "name"; set spec.items[0].name',
      'High metadata.lables: unknown field "lables"; rename it to "labels"',
      'High spec.colour: unknown field "colour" (value "red"); remove it (kubectl explain widget.spec lists the accepted fields)',
      'High spec.items[0].nam: unknown field "nam" (value "x"); rename it to "name"',
    ]);
  });

  it('reports a missing required field', () => {
    expect(schemaFindings(widget({}))).toEqual(['High spec.size: missing required field "size"; set spec.size']);
  });

  it('reports a deprecated version and rejects one that is not served', () => {
    expect(schemaFindings({ ...widget({ size: 'small' }), apiVersion: 'example.dev/v1beta1' })).toEqual([
      'Medium apiVersion: apiVersion "example.dev/v1beta1" of Widget is deprecated: example.dev/v1beta1 Widget is deprecated; use example.dev/v1; change apiVersion to the version its CRD marks as the replacement',
    ]);
    expect(schemaFindings({ ...widget({ size: 'small' }), apiVersion: 'example.dev/v1alpha1' })).toEqual([
      'High apiVersion: unknown apiVersion "example.dev/v1alpha1": group "example.dev" has versions v1, v1beta1; use one of example.dev/v1, example.dev/v1beta1',
    ]);
  });

  it('takes a JSON schema for one apiVersion/kind', () => {
    const schema = { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } };
    expect(schemaFindings(widget({ size: 3 }), [{ apiVersion: 'example.dev/v1', kind: 'Widget', schema }])).toEqual([
      'High spec.size: wrong type: expected string, got integer 3; quote the value of spec.size: "3"',
    ]);
  });

  it('keeps an unknown kind without a schema High, and says how to register one', () => {
    expect(schemaFindings(widget({ size: 'small' }), [])).toEqual([
      'High apiVersion: unknown apiVersion "example.dev/v1": no schema for group "example.dev" (kind Widget); check the spelling, or register the CRD of this kind (enableVerification(app, { customResources }) at synth, --crd <file> for the validate CLI)',
    ]);
  });

  it('applies a WKL-06 waiver to schema findings, each reported', () => {
    const waived = widget({ size: 'small', colour: 'red' }, { annotations: { 'waivers.cdk8s-agent-platform.dev/WKL-06': 'field served by a newer operator; reviewed' } });
    const report = verify([waived as Manifest], { customResources: CRDS });
    expect(report.blocking).toEqual([]);
    expect(report.waived.map((f) => `${f.checkId} ${f.path} ${f.waived?.reason}`)).toEqual(['WKL-06 spec.colour field served by a newer operator; reviewed']);
    const unknownKind = verify([waived as Manifest]);
    expect(unknownKind.blocking).toEqual([]);
    expect(unknownKind.waived.map((f) => f.path)).toEqual(['apiVersion']);
  });

  it('rejects a file that is not a CRD', () => {
    expect(() => parseCustomResourceDefinitions('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n', 'x.yaml')).toThrow(
      'x.yaml (document 1) is not a CustomResourceDefinition, got kind "ConfigMap"; pass CRD files only',
    );
  });
});
