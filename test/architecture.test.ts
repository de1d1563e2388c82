import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The rules of ARCHITECTURE.md that a machine can check: what each layer
// may import, and how long a function in lib/ may be.

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

/** The relative module specifiers a file imports or re-exports, resolved to repository paths. */
function imports(file: string): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    const spec =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
        ? node.moduleSpecifier.text
        : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])
          ? node.arguments[0].text
          : undefined;
    if (spec?.startsWith('.')) out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
    ts.forEachChild(node, visit);
  };
  visit(parse(file));
  return out;
}

/** The layer of a library file: its folder under lib/, or `index` for lib/index.ts. */
function layer(path: string): string {
  const parts = path.split('/');
  if (parts[0] !== 'lib') return parts[0]!;
  return parts.length === 2 ? 'index' : parts[1]!;
}

/** Folders of constructs and the shared props they are built from. */
const CAPABILITIES = ['namespace', 'workload', 'secrets', 'observability', 'backup', 'migration', 'stores', 'network', 'exposure', 'platform', 'egress', 'security', 'gateway', 'sandbox'];

/**
 * What each layer may import (besides itself). Constructs reach the
 * verification only through the kit (`parseConstructProps`,
 * `waiverAnnotations`), so that it stays one place.
 */
const ALLOWED: Record<string, (target: string) => boolean> = {
  internal: () => false,
  // Generated CRD models: they import only their npm packages.
  crds: () => false,
  core: (t) => layer(t) === 'internal',
  validation: (t) => ['internal', 'core', 'crds'].includes(layer(t)) || t === 'lib/exposure/nginx-annotations.ts',
  kit: (t) => ['internal', 'core', 'network'].includes(layer(t)) || t === 'lib/validation/synth.ts' || t === 'lib/validation/internal/annotations.ts',
  app: (t) => ['internal', 'core', 'validation'].includes(layer(t)),
  index: () => true,
  ...Object.fromEntries(CAPABILITIES.map((c) => [c, (t: string) => ['internal', 'core', 'kit', ...CAPABILITIES].includes(layer(t))])),
  apps: (t) => t === 'lib/index.ts' || layer(t) === 'apps',
  bin: (t) => t === 'lib/validation/cli.ts',
};

describe('architecture', () => {
  const files = [...sources('lib'), ...sources('apps'), ...sources('bin')];

  it('knows the layer of every folder', () => {
    expect([...new Set(files.map(layer))].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it('imports only what each layer may (ARCHITECTURE.md)', () => {
    const wrong = files.flatMap((file) =>
      imports(file)
        .filter((target) => layer(target) !== layer(file) && !ALLOWED[layer(file)]!(target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(wrong).toEqual([]);
  });

  it('exports nothing of lib/internal from the public API', () => {
    expect(imports('lib/index.ts').filter((target) => target.startsWith('lib/internal/'))).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
      for (const target of imports(file)) {
        if (layer(target) !== layer(file)) edges.set(layer(file), (edges.get(layer(file)) ?? new Set()).add(layer(target)));
      }
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
    };
    for (const node of edges.keys()) if (node !== 'index') visit(node, []);
    expect([...new Set(cycles)]).toEqual([]);
  });

  // Functions over the limit in files other work is splitting now; each
  // entry must still be over it, so the list only shrinks.
  const PENDING = new Set<string>([]);
  const LIMIT = 80;

  /** Every function in lib/ longer than the limit, as `<file> <name>: <lines>`. */
  function longFunctions(): Map<string, number> {
    const long = new Map<string, number>();
    for (const file of sources('lib')) {
      const sf = parse(file);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = sf.getLineAndCharacterOfPosition(node.end).line - sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
          if (lines > LIMIT) long.set(`${file} ${functionName(node)}`, lines);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    return long;
  }

  it(`has no function in lib/ longer than ${LIMIT} lines`, () => {
    const long = longFunctions();
    expect([...long].filter(([name]) => !PENDING.has(name)).map(([name, lines]) => `${name}: ${lines} lines`)).toEqual([]);
    // An entry that was split must leave the list.
    expect([...PENDING].filter((name) => !long.has(name))).toEqual([]);
  });
});

/** A function's name: its own, its variable's, or `<method> callback` for an argument of a call. */
function functionName(node: ts.SignatureDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return `${(node.parent as ts.ClassDeclaration).name?.text ?? '<class>'} constructor`;
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression;
    return `${ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText()} callback`;
  }
  return '<anonymous>';
}
