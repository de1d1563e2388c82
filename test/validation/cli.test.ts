import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../lib/validation/cli.js';
import { checkInvariants } from '../../lib/validation/invariants/index.js';
import { checkPolicies } from '../../lib/validation/policy/index.js';
import type { Finding } from '../../lib/validation/types.js';

// The policy checks and invariants have their own tests; here they are
// replaced by stubs so that these tests pin the CLI (reading, schema
// validation, output, exit codes, kubeconform) and let a test inject the
// findings it needs.
vi.mock('../../lib/validation/policy/index.js', () => ({ checkPolicies: vi.fn(() => []) }));
vi.mock('../../lib/validation/invariants/index.js', () => ({ checkInvariants: vi.fn(() => []) }));

const FIXTURES = fileURLToPath(new URL('../fixtures/validation/', import.meta.url));
const GOOD = join(FIXTURES, 'good');
const BAD = join(FIXTURES, 'bad');
const BROKEN = join(FIXTURES, 'broken', 'broken.yaml');
const NOT_FOUND_NOTE = 'kubeconform not found on PATH; skipped the kubeconform pass\n';

let scratch: string;
let emptyBin: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cdk8s-agent-platform-cli-'));
  emptyBin = join(scratch, 'empty-bin');
  mkdirSync(emptyBin);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  vi.mocked(checkPolicies).mockReset().mockReturnValue([]);
  vi.mocked(checkInvariants).mockReset().mockReturnValue([]);
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], env: Record<string, string> = { PATH: emptyBin }): Run {
  let stdout = '';
  let stderr = '';
  const code = runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}

function writeYaml(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

const BAD_LINES = [
  `${BAD}/deployment.yaml - Deployment talos/gateway WKL-06 High spec.replicas: wrong type: expected integer, got string "3"; fix: write spec.replicas as the number 3, without quotes`,
  `${BAD}/deployment.yaml - Deployment talos/gateway WKL-06 High spec.template.spec.containers[0].resources.limits.cpu: malformed quantity "2 cores"; fix: use a quantity such as 500m, 2, 512Mi or 2Gi (binary suffixes Ki Mi Gi Ti, decimal k M G T, no spaces or units like B) at spec.template.spec.containers[0].resources.limits.cpu`,
  `${BAD}/deployment.yaml - Deployment talos/gateway WKL-06 High spec.terminationGracePeriodSeconds: unknown field "terminationGracePeriodSeconds" (value 60); fix: move it to spec.template.spec.terminationGracePeriodSeconds`,
];

describe('runCli: usage', () => {
  it('prints help and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cdk8s-agent-platform validate \[options\] <file\|dir>\.\.\.\n/);
    expect(run(['validate', '-h']).stdout).toBe(r.stdout);
  });

  it('exits 2 with the usage when no command is given', () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: cdk8s-agent-platform validate/);
  });

  it('exits 2 on an unknown command, an unknown option and bad option values', () => {
    expect(run(['lint', GOOD])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: unknown command "lint"\n/) });
    expect(run(['validate', '--strict', GOOD])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: Unknown option '--strict'/) });
    expect(run(['validate', '--output', 'yaml', GOOD])).toEqual({ code: 2, stdout: '', stderr: 'error: unsupported --output "yaml": use text or json\n' });
    expect(run(['validate', '--kubernetes-version', '1.27', GOOD])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unsupported --kubernetes-version "1.27": use one of 1.28, 1.29, 1.30, 1.31, 1.32, 1.33\n',
    });
    expect(run(['validate', '--external', 'db', GOOD])).toEqual({ code: 2, stdout: '', stderr: 'error: --external takes Kind/name (or Kind/namespace/name), got "db"\n' });
  });

  it('exits 2 when no file is given, a path does not exist or a directory holds no YAML', () => {
    expect(run(['validate'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: no files or directories given\n/) });
    const missing = join(scratch, 'missing.yaml');
    expect(run(['validate', missing])).toEqual({ code: 2, stdout: '', stderr: `${NOT_FOUND_NOTE}${missing} - error: no such file or directory\n` });
    expect(run(['validate', emptyBin])).toEqual({ code: 2, stdout: '', stderr: `error: no .yaml or .yml files found in ${emptyBin}\n` });
  });
});

describe('runCli: validate', () => {
  it('exits 0 on valid files, recursing into directories for .yaml and .yml only', () => {
    const r = run(['validate', '--summary', GOOD]);
    expect(r).toEqual({
      code: 0,
      stdout: 'Findings: Critical: 0, High: 0, Medium: 0, Low: 0 (blocking: 0, waived: 0)\nSummary: 3 resources found in 2 files - Valid: 3, Invalid: 0, Errors: 0\n',
      stderr: NOT_FOUND_NOTE,
    });
    // Every document reached the checks: the Deployment, the Service and the nested ConfigMap.
    const [manifests] = vi.mocked(checkPolicies).mock.calls[0]!;
    expect(manifests.map((m) => `${m.kind}/${m.metadata?.name}`)).toEqual(['Deployment/web', 'Service/web', 'ConfigMap/web-config']);
  });

  it('prints nothing on stdout for valid files without --summary', () => {
    expect(run(['validate', GOOD])).toEqual({ code: 0, stdout: '', stderr: NOT_FOUND_NOTE });
  });

  it('exits 1 and prints one kubeconform-style line per finding', () => {
    const r = run(['validate', BAD]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${BAD_LINES.join('\n')}\n`);
  });

  it('prints totals per severity and the summary line with --summary', () => {
    const r = run(['validate', '--summary', GOOD, BAD]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').slice(-3)).toEqual([
      'Findings: Critical: 0, High: 3, Medium: 0, Low: 0 (blocking: 3, waived: 0)',
      'Summary: 4 resources found in 3 files - Valid: 3, Invalid: 1, Errors: 0',
      '',
    ]);
  });

  it('writes a JSON report with findings, errors and summary', () => {
    const r = run(['validate', '--output', 'json', BAD]);
    expect(r.code).toBe(1);
    const subject = { checkId: 'WKL-06', severity: 'High', kind: 'Deployment', namespace: 'talos', name: 'gateway', source: `${BAD}/deployment.yaml` };
    expect(JSON.parse(r.stdout)).toEqual({
      kubernetesVersion: '1.28',
      findings: [
        { ...subject, path: 'spec.replicas', message: 'wrong type: expected integer, got string "3"', fix: 'write spec.replicas as the number 3, without quotes' },
        {
          ...subject,
          path: 'spec.template.spec.containers[0].resources.limits.cpu',
          message: 'malformed quantity "2 cores"',
          fix: 'use a quantity such as 500m, 2, 512Mi or 2Gi (binary suffixes Ki Mi Gi Ti, decimal k M G T, no spaces or units like B) at spec.template.spec.containers[0].resources.limits.cpu',
        },
        { ...subject, path: 'spec.terminationGracePeriodSeconds', message: 'unknown field "terminationGracePeriodSeconds" (value 60)', fix: 'move it to spec.template.spec.terminationGracePeriodSeconds' },
      ],
      errors: [],
      summary: { files: 1, resources: 1, valid: 0, invalid: 1, errors: 0, findings: { Critical: 0, High: 3, Medium: 0, Low: 0 }, blocking: 3, waived: 0 },
      kubeconform: { ran: false },
    });
  });

  it('exits 2 on a YAML parse error and still reports the other files', () => {
    const r = run(['validate', '--summary', BROKEN, GOOD]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${NOT_FOUND_NOTE}${BROKEN} - error: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 6, column 1\n`,
    );
    expect(r.stdout).toContain('Summary: 3 resources found in 3 files - Valid: 3, Invalid: 0, Errors: 1\n');
  });

  it('rejects a document that is not a mapping', () => {
    const file = writeYaml('scalar.yaml', 'just a string\n');
    expect(run(['validate', file])).toEqual({ code: 2, stdout: '', stderr: `${NOT_FOUND_NOTE}${file} - error: document is not a mapping (got "just a string")\n` });
  });

  it('reads YAML 1.1 like kubectl, so an unquoted yes is a boolean', () => {
    const file = writeYaml('yes.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: agents\ndata:\n  ENABLED: yes\n');
    expect(run(['validate', file]).stdout).toBe(
      `${file} - ConfigMap agents/flags WKL-06 High data.ENABLED: wrong type: expected string, got boolean true; fix: quote the value of data.ENABLED: "true"\n`,
    );
  });

  it('expands a v1 List into its items', () => {
    const file = writeYaml(
      'list.yaml',
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a, namespace: agents}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: b, namespace: agents}\n    data: {workers: 1}\n',
    );
    const r = run(['validate', '--summary', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${file} - ConfigMap agents/b WKL-06 High data.workers: wrong type: expected string, got integer 1; fix: quote the value of data.workers: "1"\n` +
        'Findings: Critical: 0, High: 1, Medium: 0, Low: 0 (blocking: 1, waived: 0)\n' +
        'Summary: 2 resources found in 1 file - Valid: 1, Invalid: 1, Errors: 0\n',
    );
  });

  it('validates for the --kubernetes-version given (a patch version is accepted)', () => {
    const file = writeYaml(
      'sleep.yaml',
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: web, namespace: agents}',
        'spec:',
        '  containers:',
        '    - name: web',
        '      image: registry.example.com/web:1.4.2',
        '      lifecycle: {preStop: {sleep: {seconds: 5}}}',
        '',
      ].join('\n'),
    );
    expect(run(['validate', file]).code).toBe(1);
    expect(run(['validate', '--kubernetes-version', '1.31.0', file])).toEqual({ code: 0, stdout: '', stderr: NOT_FOUND_NOTE });
    expect(vi.mocked(checkPolicies).mock.calls.at(-1)![1]).toEqual({ kubernetesVersion: '1.31' });
  });

  it('passes every --external to the invariants', () => {
    run(['validate', '--external', 'Secret/db-credentials', '--external', 'ConfigMap/shared-ca', GOOD]);
    expect(vi.mocked(checkInvariants).mock.calls[0]![1]).toEqual({ kubernetesVersion: '1.28', external: ['Secret/db-credentials', 'ConfigMap/shared-ca'], customResources: [] });
  });

  it('marks waived findings and does not fail on them; fails on blocking policy findings', () => {
    const finding: Finding = {
      checkId: 'PSS-05',
      severity: 'Critical',
      kind: 'Deployment',
      namespace: 'agents',
      name: 'web',
      path: 'spec.template.spec.volumes[0].hostPath',
      message: 'pod mounts a hostPath volume',
      fix: 'use an emptyDir or a PVC',
    };
    vi.mocked(checkPolicies).mockReturnValue([{ ...finding, waived: { reason: 'log shipper reads node logs' } }]);
    const waived = run(['validate', '--summary', GOOD]);
    expect(waived.code).toBe(0);
    expect(waived.stdout).toBe(
      `${GOOD}/app.yaml - Deployment agents/web PSS-05 Critical spec.template.spec.volumes[0].hostPath: pod mounts a hostPath volume; fix: use an emptyDir or a PVC (waived: log shipper reads node logs)\n` +
        'Findings: Critical: 1, High: 0, Medium: 0, Low: 0 (blocking: 0, waived: 1)\n' +
        'Summary: 3 resources found in 2 files - Valid: 3, Invalid: 0, Errors: 0\n',
    );
    vi.mocked(checkPolicies).mockReturnValue([finding]);
    expect(run(['validate', GOOD]).code).toBe(1);
  });

  it('validates custom resources strictly against every --crd, and rejects them without one', () => {
    const crd = fileURLToPath(new URL('../fixtures/crds/widgets.example.dev.yaml', import.meta.url));
    const file = writeYaml(
      'widget.yaml',
      'apiVersion: example.dev/v1\nkind: Widget\nmetadata: { name: w, namespace: apps }\nspec: { size: small, colour: red }\n',
    );
    const withCrd = run(['validate', '--crd', crd, file]);
    expect(withCrd.code).toBe(1);
    expect(withCrd.stdout).toBe(
      `${file} - Widget apps/w WKL-06 High spec.colour: unknown field "colour" (value "red"); fix: remove it (kubectl explain widget.spec lists the accepted fields)\n`,
    );
    const valid = writeYaml('widget-ok.yaml', 'apiVersion: example.dev/v1\nkind: Widget\nmetadata: { name: w, namespace: apps }\nspec: { size: small }\n');
    expect(run(['validate', '--crd', crd, valid]).code).toBe(0);
    const without = run(['validate', valid]);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('WKL-06 High apiVersion: unknown apiVersion "example.dev/v1": no schema for group "example.dev" (kind Widget)');
    const notCrd = run(['validate', '--crd', valid, valid]);
    expect(notCrd.code).toBe(2);
    expect(notCrd.stderr).toBe(`error: --crd: ${valid} (document 1) is not a CustomResourceDefinition, got kind "Widget"; pass CRD files only\n`);
  });

  it('prints cluster-scoped objects without a namespace', () => {
    const file = writeYaml('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: agents\n  lables: {}\n');
    expect(run(['validate', file]).stdout).toBe(`${file} - Namespace agents WKL-06 High metadata.lables: unknown field "lables"; fix: rename it to "labels"\n`);
  });
});

describe('runCli: kubeconform on PATH', () => {
  let fakeBin: string;
  let argsFile: string;
  let reportFile: string;

  beforeAll(() => {
    fakeBin = join(scratch, 'fake-bin');
    mkdirSync(fakeBin);
    argsFile = join(scratch, 'kubeconform-args.txt');
    reportFile = join(scratch, 'kubeconform-report.json');
    // A stand-in for kubeconform: records its arguments and prints the
    // report the test prepared, exiting 1 as kubeconform does on failures.
    // Shell builtins only, since PATH holds nothing but this directory.
    const script = join(fakeBin, 'kubeconform');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'printf \'%s\\n\' "$@" > "$FAKE_KUBECONFORM_ARGS"',
        'while IFS= read -r line || [ -n "$line" ]; do printf \'%s\\n\' "$line"; done < "$FAKE_KUBECONFORM_REPORT"',
        'exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
  });

  function runWithFake(args: string[], report: unknown): Run {
    writeFileSync(reportFile, typeof report === 'string' ? report : JSON.stringify(report));
    return run(args, { PATH: `${fakeBin}:${emptyBin}`, FAKE_KUBECONFORM_ARGS: argsFile, FAKE_KUBECONFORM_REPORT: reportFile });
  }

  it('runs kubeconform -strict on the same files for the same version', () => {
    const r = runWithFake(['validate', '--kubernetes-version', '1.30', GOOD], { resources: [], summary: { valid: 3, invalid: 0, errors: 0, skipped: 0 } });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual([
      '-strict',
      '-summary',
      '-output',
      'json',
      '-kubernetes-version',
      '1.30.0',
      '-ignore-missing-schemas',
      `${GOOD}/app.yaml`,
      `${GOOD}/nested/config.yml`,
    ]);
  });

  it('folds the resources kubeconform finds invalid into the result', () => {
    const r = runWithFake(['validate', '--output', 'json', GOOD], {
      resources: [
        {
          filename: `${GOOD}/app.yaml`,
          kind: 'Service',
          name: 'web',
          version: 'v1',
          status: 'statusInvalid',
          msg: 'problem validating schema',
          validationErrors: [{ path: '/spec/ports/0/port', msg: 'expected integer, but got string' }],
        },
      ],
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.kubeconform).toEqual({ ran: true });
    expect(report.findings).toEqual([
      {
        checkId: 'WKL-06',
        severity: 'High',
        kind: 'Service',
        name: 'web',
        namespace: 'agents',
        path: 'spec.ports[0].port',
        message: 'kubeconform: expected integer, but got string',
        fix: 'correct the field so the object matches the Kubernetes schema (kubeconform -strict)',
        source: `${GOOD}/app.yaml`,
      },
    ]);
  });

  it('applies the object\'s WKL-06 waiver to what kubeconform finds', () => {
    const file = writeYaml(
      'waived-service.yaml',
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: legacy',
        '  namespace: agents',
        '  annotations:',
        '    waivers.cdk8s-agent-platform.dev/WKL-06: "field of a newer release, reviewed"',
        'spec: { ports: [{ port: 80 }] }',
        '',
      ].join('\n'),
    );
    const r = runWithFake(['validate', '--output', 'json', file], {
      resources: [{ filename: file, kind: 'Service', name: 'legacy', version: 'v1', status: 'statusInvalid', msg: 'problem', validationErrors: [{ path: '/spec/x', msg: 'additional properties not allowed' }] }],
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: Finding) => [f.path, f.severity, f.waived])).toEqual([['spec.x', 'High', { reason: 'field of a newer release, reviewed' }]]);
  });

  it('does not repeat a problem this validator already reported at the same path', () => {
    const r = runWithFake(['validate', BAD], {
      resources: [
        {
          filename: `${BAD}/deployment.yaml`,
          kind: 'Deployment',
          name: 'gateway',
          version: 'apps/v1',
          status: 'statusInvalid',
          msg: 'problem validating schema',
          validationErrors: [{ path: '/spec/replicas', msg: 'expected integer, but got string' }],
        },
      ],
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${BAD_LINES.join('\n')}\n`);
  });

  it('reports kubeconform errors without failing the run', () => {
    const r = runWithFake(['validate', GOOD], {
      resources: [{ filename: `${GOOD}/app.yaml`, kind: 'Deployment', name: 'web', version: 'apps/v1', status: 'statusError', msg: 'could not download schema' }],
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: `${GOOD}/app.yaml - error: kubeconform: Deployment web: could not download schema\n` });
  });

  it('reports kubeconform output it cannot read', () => {
    const r = runWithFake(['validate', GOOD], 'panic: something broke\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${join(fakeBin, 'kubeconform')} - error: kubeconform exited 1 without a JSON report: panic: something broke\n`);
  });
});
