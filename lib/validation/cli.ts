/**
 * The `cdk8s-agent-platform validate` command: checks synthesized (or any)
 * Kubernetes YAML with the same three layers that run at synth (strict
 * schema validation, policy checks, cross-resource invariants), with options
 * and output modelled on kubeconform so it drops into the same CI steps.
 *
 * When a real `kubeconform` is on PATH it is run as a second, independent
 * opinion on the same files and its failures are folded into the result.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { renderEscapedTemplate } from './helm-text.js';
import { readCustomResourceDefinitions } from './schema/custom.js';
import { waiverOf } from './schema/index.js';
import { pointerToSegments, formatPath } from './schema/paths.js';
import type { STATED_SEVERITIES } from './internal/checks.js';
import { isBlocking, type Finding, type KubernetesVersion, type Manifest, type Severity } from './types.js';
import { verify } from './verify.js';

/** Where the CLI writes, and the environment it reads `PATH` from. */
export interface CliIo {
  /** Receives findings and summaries (the report). */
  readonly stdout: { write(chunk: string): unknown };
  /** Receives errors and notes. */
  readonly stderr: { write(chunk: string): unknown };
  /** Environment used to find `kubeconform`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes, as kubeconform uses them. */
export const EXIT = { ok: 0, blocking: 1, usage: 2 } as const;

const SUPPORTED_VERSIONS: readonly KubernetesVersion[] = ['1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
const SEVERITIES: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low'];

const USAGE = `Usage: cdk8s-agent-platform validate [options] <file|dir>...

Validates Kubernetes YAML (multi-document; directories are searched
recursively for *.yaml and *.yml; a Helm chart folder: its crds/ and
templates/) with strict schema validation, the policy checks listed in
docs/checks.md of the package and cross-resource invariants. When kubeconform is on
PATH it also runs "kubeconform -strict" on the same files.

Options:
  --kubernetes-version <v>  target Kubernetes release, 1.28 to 1.33 (1.28.0 accepted) [default: 1.28]
  --output <text|json>      report format [default: text]
  --summary                 print totals per severity and a summary line
  --external <Kind/name>    declare a referenced object as provided outside the bundle (repeatable)
  --crd <file>              validate custom resources of the CustomResourceDefinitions in this YAML
                            file strictly (repeatable; a file may hold several CRDs)
  -h, --help                show this help

Exit status: 0 no blocking findings, 1 blocking (Critical/High, not waived) findings, 2 usage or read/parse errors.
`;

/** A document that could not be read or parsed. */
export interface ReadError {
  readonly file: string;
  readonly message: string;
}

/** Manifests read from files, with the file of each and what could not be read. */
export interface Loaded {
  readonly manifests: Manifest[];
  /** File of each manifest, by index. */
  readonly sources: string[];
  readonly files: string[];
  readonly errors: ReadError[];
}

interface KubeconformResult {
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly errors: ReadError[];
}

/** The options of one `validate` run, parsed and checked. */
interface Options {
  readonly version: KubernetesVersion;
  readonly output: 'text' | 'json';
  readonly summary: boolean;
  readonly external: readonly string[];
  readonly customResources: readonly Manifest[];
  readonly paths: readonly string[];
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and
 * returns the exit code: 0 when there are no blocking findings, 1 when there
 * are, 2 on usage errors and on files that cannot be read or parsed.
 */
export function runCli(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command !== 'validate') {
    io.stderr.write(command === undefined ? USAGE : `error: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  const options = parseOptions(rest, io);
  if (typeof options === 'number') return options;
  const loaded = load(options.paths);
  if (loaded.files.length === 0 && loaded.errors.length === 0) {
    io.stderr.write(`error: no .yaml or .yml files found in ${options.paths.join(', ')}\n`);
    return EXIT.usage;
  }
  let report;
  try {
    report = verify(loaded.manifests, { kubernetesVersion: options.version, external: options.external, customResources: options.customResources });
  } catch (e) {
    // A crash in a checker is not a verdict on the manifests: exit 2, not 1.
    io.stderr.write(`error: validation failed unexpectedly: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.usage;
  }
  const kubeconform = runKubeconform(loaded, options.version, report.findings, io);
  const findings = [...withSources(report.findings, loaded), ...kubeconform.findings].sort((a, b) => (a.source ?? '').localeCompare(b.source ?? ''));
  const errors = [...loaded.errors, ...kubeconform.errors];
  const summary = summarize(loaded, findings, errors);
  if (options.output === 'json') {
    io.stdout.write(`${JSON.stringify({ kubernetesVersion: options.version, findings, errors, summary, kubeconform: { ran: kubeconform.ran } }, null, 2)}\n`);
  } else {
    printText(io, findings, errors, options.summary ? summary : undefined);
  }
  if (loaded.errors.length > 0) return EXIT.usage;
  return findings.some(isBlocking) ? EXIT.blocking : EXIT.ok;
}

/** Parses the options of `validate`; an exit code after writing the usage error, or help. */
function parseOptions(args: readonly string[], io: CliIo): Options | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        'kubernetes-version': { type: 'string', default: '1.28' },
        output: { type: 'string', default: 'text' },
        summary: { type: 'boolean', default: false },
        external: { type: 'string', multiple: true, default: [] },
        crd: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const usage = (message: string): number => {
    io.stderr.write(message);
    return EXIT.usage;
  };
  const version = values['kubernetes-version'].replace(/^v/, '').replace(/^(\d+\.\d+)\.0$/, '$1') as KubernetesVersion;
  if (!SUPPORTED_VERSIONS.includes(version)) return usage(`error: unsupported --kubernetes-version "${values['kubernetes-version']}": use one of ${SUPPORTED_VERSIONS.join(', ')}\n`);
  const output = values.output;
  if (output !== 'text' && output !== 'json') return usage(`error: unsupported --output "${output}": use text or json\n`);
  const malformedExternal = values.external.filter((e) => !/^[A-Za-z][A-Za-z0-9]*\/[^/\s]+(\/[^/\s]+)?$/.test(e));
  if (malformedExternal.length > 0) return usage(`error: --external takes Kind/name (or Kind/namespace/name), got ${malformedExternal.map((e) => JSON.stringify(e)).join(', ')}\n`);
  if (positionals.length === 0) return usage(`error: no files or directories given\n\n${USAGE}`);
  let customResources: Manifest[];
  try {
    customResources = values.crd.flatMap((file) => readCustomResourceDefinitions(file));
  } catch (e) {
    return usage(`error: --crd: ${(e as Error).message}\n`);
  }
  return { version, output, summary: values.summary, external: values.external, customResources, paths: positionals };
}

function printText(io: CliIo, findings: readonly Finding[], errors: readonly ReadError[], summary: Summary | undefined): void {
  for (const e of errors) io.stderr.write(`${e.file} - error: ${e.message}\n`);
  for (const f of findings) io.stdout.write(`${formatFinding(f)}\n`);
  if (!summary) return;
  const counts = SEVERITIES.map((s) => `${s}: ${summary.findings[s]}`).join(', ');
  io.stdout.write(`Findings: ${counts} (blocking: ${summary.blocking}, waived: ${summary.waived})\n`);
  io.stdout.write(
    `Summary: ${summary.resources} resource${summary.resources === 1 ? '' : 's'} found in ${summary.files} file${summary.files === 1 ? '' : 's'} - Valid: ${summary.valid}, Invalid: ${summary.invalid}, Errors: ${summary.errors}\n`,
  );
}

/** One finding as a kubeconform-style line. */
function formatFinding(f: Finding): string {
  const object = f.namespace ? `${f.namespace}/${f.name}` : f.name;
  const waived = f.waived ? ` (waived: ${f.waived.reason})` : '';
  return `${f.source ?? '<bundle>'} - ${f.kind} ${object} ${f.checkId} ${f.severity} ${f.path || '<object>'}: ${f.message}; fix: ${f.fix}${waived}`;
}

/** Reads the manifests of files and directories (a Helm chart folder: its crds/ and templates/, rendered). */
export function load(paths: readonly string[]): Loaded {
  const loaded: Loaded = { manifests: [], sources: [], files: [], errors: [] };
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      loaded.errors.push({ file: path, message: 'no such file or directory' });
      continue;
    }
    // A Helm chart (cdk8s synth --format helm): its crds/ and templates/,
    // rendered; Chart.yaml and values are not manifests.
    const chart = stat.isDirectory() && existsSync(join(path, 'Chart.yaml'));
    const dirs = chart ? ['crds', 'templates'].map((d) => join(path, d)).filter((d) => existsSync(d)) : [path];
    const files = stat.isDirectory() ? dirs.flatMap((d) => yamlFiles(d)) : [path];
    for (const file of files) readFile(file, loaded, chart && file.startsWith(join(path, 'templates')));
  }
  return loaded;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

function readFile(file: string, loaded: Loaded, helmTemplate: boolean): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    loaded.errors.push({ file, message: `cannot read: ${(e as Error).message}` });
    return;
  }
  if (helmTemplate) {
    const rendered = renderEscapedTemplate(text);
    if ('action' in rendered) {
      loaded.errors.push({ file, message: `Helm template action ${rendered.action} needs the chart's values; fix: render the chart with \`helm template\` and validate its output` });
      return;
    }
    text = rendered.text;
  }
  loaded.files.push(file);
  // YAML 1.1, as sigs.k8s.io/yaml (kubectl, kubeconform) reads manifests:
  // `yes`/`on` are booleans and 0755 is octal there, so the types validated
  // here are the types the API server receives.
  const list = parseAllDocuments(text, { version: '1.1' });
  list.forEach((doc, index) => {
    const where = list.length > 1 ? ` (document ${index + 1})` : '';
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      loaded.errors.push({ file, message: `invalid YAML${where}: ${first.message.split('\n')[0]!.replace(/:$/, '')}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      loaded.errors.push({ file, message: `document${where} is not a mapping (got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)})` });
      return;
    }
    const manifest = value as Manifest;
    // kubectl accepts a v1 List and applies its items.
    const items = manifest.kind === 'List' && Array.isArray(manifest['items']) ? (manifest['items'] as Manifest[]) : [manifest];
    for (const item of items) {
      loaded.manifests.push(item);
      loaded.sources.push(file);
    }
  });
}

function identity(kind: string | undefined, namespace: string | undefined, name: string | undefined): string {
  return `${kind ?? '<unknown>'}\n${namespace ?? ''}\n${name ?? '<unnamed>'}`;
}

function manifestIdentity(m: Manifest): string {
  const kind = typeof m.kind === 'string' ? m.kind : undefined;
  const name = typeof m.metadata?.name === 'string' ? m.metadata.name : undefined;
  const namespace = typeof m.metadata?.namespace === 'string' ? m.metadata.namespace : undefined;
  return identity(kind, namespace, name);
}

function filesByIdentity(loaded: Loaded): Map<string, string[]> {
  const map = new Map<string, string[]>();
  loaded.manifests.forEach((m, i) => {
    const key = manifestIdentity(m);
    const files = map.get(key) ?? [];
    if (!files.includes(loaded.sources[i]!)) files.push(loaded.sources[i]!);
    map.set(key, files);
  });
  return map;
}

// Findings name their object, not their file; the file is looked up by the
// object's identity (all files, when one identity is defined in several).
/** The findings, each with the file(s) its object was read from. */
export function withSources(findings: readonly Finding[], loaded: Loaded): Finding[] {
  const files = filesByIdentity(loaded);
  return findings.map((f) => {
    if (f.source) return f;
    const found = files.get(identity(f.kind, f.namespace, f.name));
    return found ? { ...f, source: found.join(', ') } : f;
  });
}

interface Summary {
  readonly files: number;
  readonly resources: number;
  readonly valid: number;
  readonly invalid: number;
  readonly errors: number;
  readonly findings: Record<Severity, number>;
  readonly blocking: number;
  readonly waived: number;
}

function summarize(loaded: Loaded, findings: readonly Finding[], errors: readonly ReadError[]): Summary {
  const invalidObjects = new Set(findings.filter(isBlocking).map((f) => identity(f.kind, f.namespace, f.name)));
  const invalid = loaded.manifests.filter((m) => invalidObjects.has(manifestIdentity(m))).length;
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  return {
    files: loaded.files.length,
    resources: loaded.manifests.length,
    valid: loaded.manifests.length - invalid,
    invalid,
    errors: errors.length,
    findings: counts,
    blocking: findings.filter(isBlocking).length,
    waived: findings.filter((f) => f.waived !== undefined).length,
  };
}

function findOnPath(command: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const names = process.platform === 'win32' ? [`${command}.exe`, command] : [command];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

/** kubeconform's `-output json` report (the fields read here). */
interface KubeconformReport {
  readonly resources?: readonly {
    readonly filename?: string;
    readonly kind?: string;
    readonly name?: string;
    readonly version?: string;
    readonly status?: string;
    readonly msg?: string;
    readonly validationErrors?: readonly { readonly path?: string; readonly msg?: string }[];
  }[];
}

/**
 * Runs `kubeconform -strict` over the same files when it is on PATH. Its
 * invalid resources become High WKL-06 findings (an object the API server
 * rejects; see STATED_SEVERITIES in internal/checks.ts) unless this validator already
 * reported the same object and path; its errors (a schema it could not fetch,
 * a file it could not parse) are reported as errors without failing the run,
 * since the validation here is the one that decides.
 */
function runKubeconform(loaded: Loaded, version: KubernetesVersion, ours: readonly Finding[], io: CliIo): KubeconformResult {
  const env = io.env ?? process.env;
  const bin = findOnPath('kubeconform', env);
  if (!bin) {
    io.stderr.write('kubeconform not found on PATH; skipped the kubeconform pass\n');
    return { ran: false, findings: [], errors: [] };
  }
  if (loaded.files.length === 0) return { ran: false, findings: [], errors: [] };
  const args = ['-strict', '-summary', '-output', 'json', '-kubernetes-version', `${version}.0`, '-ignore-missing-schemas', ...loaded.files];
  const run = spawnSync(bin, args, { encoding: 'utf8', env: { ...env } as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) {
    return { ran: false, findings: [], errors: [{ file: bin, message: `kubeconform failed to start: ${run.error.message}` }] };
  }
  let parsed: KubeconformReport;
  try {
    parsed = JSON.parse(run.stdout) as KubeconformReport;
  } catch {
    const detail = (run.stderr || run.stdout).trim().split('\n')[0] ?? '';
    return { ran: true, findings: [], errors: [{ file: bin, message: `kubeconform exited ${String(run.status)} without a JSON report: ${detail}` }] };
  }
  const manifestsByIdentity = new Map(loaded.manifests.map((m) => [manifestIdentity(m), m]));
  const seen = new Set(ours.filter((f) => f.checkId === 'WKL-06').map((f) => `${identity(f.kind, f.namespace, f.name)}\n${f.path}`));
  const findings: Finding[] = [];
  const errors: ReadError[] = [];
  for (const r of parsed.resources ?? []) {
    const file = r.filename ?? '<unknown>';
    if (r.status === 'statusError') {
      errors.push({ file, message: `kubeconform: ${r.kind ?? ''} ${r.name ?? ''}: ${r.msg ?? 'error'}`.replace(/\s+/g, ' ') });
      continue;
    }
    if (r.status !== 'statusInvalid') continue;
    // kubeconform names objects by kind and name only; the namespace comes
    // from the manifest of that file with that kind and name.
    const manifest = loaded.manifests.find(
      (m, i) => loaded.sources[i] === file && m.kind === r.kind && m.metadata?.name === r.name,
    );
    const namespace = typeof manifest?.metadata?.namespace === 'string' ? manifest.metadata.namespace : undefined;
    const subject = { kind: r.kind ?? '<unknown>', name: r.name ?? '<unnamed>', ...(namespace ? { namespace } : {}) };
    const problems = r.validationErrors && r.validationErrors.length > 0 ? r.validationErrors : [{ path: '', msg: r.msg ?? 'invalid' }];
    for (const p of problems) {
      const root = manifest ?? manifestsByIdentity.get(identity(subject.kind, namespace, subject.name));
      const path = formatPath(pointerToSegments(p.path ?? '', root));
      if (seen.has(`${identity(subject.kind, namespace, subject.name)}\n${path}`)) continue;
      const waiver = root ? waiverOf(root) : undefined;
      findings.push({
        checkId: 'WKL-06',
        severity: 'High' satisfies (typeof STATED_SEVERITIES)['WKL-06'][number],
        ...subject,
        path,
        message: `kubeconform: ${(p.msg ?? 'invalid').replace(/\.$/, '')}`,
        fix: 'correct the field so the object matches the Kubernetes schema (kubeconform -strict)',
        source: file,
        ...(waiver ? { waived: { reason: waiver } } : {}),
      });
    }
  }
  return { ran: true, findings, errors };
}
