import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user's editor shows: the library's declarations are emitted as they
// are published (.d.ts), then read back through the compiler API the way a
// hover does (getPropertiesOfType, getDocumentationComment, getJsDocTags).

const ROOT = resolve(import.meta.dirname, '..');
let outDir: string;
let checker: ts.TypeChecker;
let exports: ts.Symbol[];

/** Emits the declarations of lib/ and returns a checker over the emitted index.d.ts. */
function emitDeclarations(dir: string): { checker: ts.TypeChecker; exports: ts.Symbol[] } {
  const config = ts.readConfigFile(resolve(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const emitOptions: ts.CompilerOptions = { ...options, declaration: true, emitDeclarationOnly: true, incremental: false, outDir: dir, rootDir: ROOT };
  const emitted = ts.createProgram([resolve(ROOT, 'lib/index.ts')], emitOptions).emit();
  expect(emitted.emitSkipped).toBe(false);
  const index = join(dir, 'lib/index.d.ts');
  const program = ts.createProgram([index], { ...options, noEmit: true, incremental: false });
  // The declarations import zod, cdk8s...: they must resolve, or every type would silently be `any`.
  expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  const c = program.getTypeChecker();
  const sf = program.getSourceFile(index)!;
  return { checker: c, exports: c.getExportsOfModule(c.getSymbolAtLocation(sf)!) };
}

beforeAll(() => {
  // Inside the repository, so the emitted imports of zod and cdk8s resolve as a user's would.
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  outDir = mkdtempSync(join(ROOT, 'node_modules/.cache/public-docs-'));
  ({ checker, exports } = emitDeclarations(outDir));
}, 300_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const resolveAlias = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const fromLibrary = (d: ts.Declaration) => resolve(d.getSourceFile().fileName).startsWith(outDir);

/**
 * Object types a prop's type is made of, through unions, intersections,
 * arrays and map values: the option types a user writes literals of. Classes
 * (constructs, cdk8s objects) and functions are passed, not written.
 */
function objectParts(type: ts.Type, seen: Set<ts.Type>): ts.Type[] {
  if (seen.has(type)) return [];
  seen.add(type);
  if (type.isUnionOrIntersection()) return type.types.flatMap((t) => objectParts(t, seen));
  if (checker.isArrayType(type) || checker.isTupleType(type)) return checker.getTypeArguments(type as ts.TypeReference).flatMap((t) => objectParts(t, seen));
  if (!(type.flags & ts.TypeFlags.Object) || type.getCallSignatures().length > 0) return [];
  const symbol = type.getSymbol();
  if (symbol && symbol.flags & ts.SymbolFlags.Class) return [];
  const values = checker.getIndexInfosOfType(type).flatMap((info) => objectParts(info.type, seen));
  return [type, ...values];
}

interface Hover {
  /** The exported props type the walk started from. */
  root: string;
  owner: string;
  name: string;
  optional: boolean;
  doc: string;
  tags: readonly ts.JSDocTagInfo[];
}

/** Every property a hover can show on a public props type: its own and those of the option types it nests, at any depth. */
function propsHovers(): Hover[] {
  const out: Hover[] = [];
  const seen = new Set<ts.Type>();
  let root = '';
  const walk = (type: ts.Type, owner: string) => {
    for (const part of objectParts(type, seen)) {
      for (const prop of checker.getPropertiesOfType(part)) {
        const decl = prop.getDeclarations()?.[0];
        if (!decl || !fromLibrary(decl)) continue;
        const typeName = part.getSymbol()?.getName();
        const where = typeName && typeName !== '__type' ? typeName : owner;
        out.push({
          root,
          owner: where,
          name: prop.getName(),
          optional: (prop.flags & ts.SymbolFlags.Optional) !== 0,
          doc: ts.displayPartsToString(prop.getDocumentationComment(checker)).trim(),
          tags: prop.getJsDocTags(checker),
        });
        walk(checker.getTypeOfSymbol(prop), `${where}.${prop.getName()}`);
      }
    }
  };
  for (const s of exports) {
    const target = resolveAlias(s);
    if (!s.getName().endsWith('Props') || !(target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
    root = s.getName();
    walk(checker.getDeclaredTypeOfSymbol(target), s.getName());
  }
  return out;
}

/**
 * Internal IDs: review defects (`D-SKR-08`), check IDs (`SEC-05`, `PSS-01`)
 * and Checkov rules (`CKV_K8S_35`).
 */
const INTERNAL_ID = /\bD-[A-Z]+-\d+\b|\b[A-Z]{2,4}-\d{2}\b|\bCKV_K8S_\d+\b/g;

/** The documentation text of every export of the public API and of its members, with where it is. */
function publicDocs(): { where: string; text: string }[] {
  const docOf = (s: ts.Symbol) =>
    [ts.displayPartsToString(s.getDocumentationComment(checker)), ...s.getJsDocTags(checker).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)].join('\n');
  const out: { where: string; text: string }[] = [];
  for (const s of exports) {
    const target = resolveAlias(s);
    out.push({ where: s.getName(), text: docOf(target) });
    if (target.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
      for (const m of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target)).filter((p) => p.getDeclarations()?.some(fromLibrary))) out.push({ where: `${s.getName()}.${m.getName()}`, text: docOf(m) });
    }
  }
  for (const h of propsHovers()) out.push({ where: `${h.owner}.${h.name}`, text: [h.doc, ...h.tags.map((t) => `@${t.name} ${tagText(t)}`)].join('\n') });
  return out;
}

const tagText = (t: ts.JSDocTagInfo) => ts.displayPartsToString(t.text).trim();

/** What a hover lacks: no summary; an optional prop without `@default`; a required one with it (it has no default). */
function hoverProblems(h: Hover): string[] {
  const where = `${h.owner}.${h.name}`;
  const out: string[] = [];
  if (h.doc === '') out.push(`${where}: no documentation`);
  const defaults = h.tags.filter((t) => t.name === 'default');
  if (h.optional && (defaults.length !== 1 || tagText(defaults[0]!) === '')) out.push(`${where}: optional without @default`);
  if (!h.optional && defaults.length > 0) out.push(`${where}: required with @default`);
  return out;
}

// Props types still inferred from their zod schema, to be written as
// documented interfaces (issue 9, item 2). An entry that passes must leave.
const PENDING = new Set<string>([
]);

describe('public docs, as an editor shows them', () => {
  let hovers: Hover[];
  beforeAll(() => {
    hovers = propsHovers();
  });

  it('reaches every exported *Props type and the option types they nest', () => {
    expect(hovers.filter((h) => h.owner === 'SecureAgentDeploymentProps').length).toBeGreaterThanOrEqual(46);
    expect(hovers.some((h) => h.owner === 'AutoscalingOptions' && h.name === 'cpuUtilization')).toBe(true);
    expect(hovers.some((h) => h.owner === 'GatewayReference' && h.name === 'sectionName')).toBe(true);
    expect([...PENDING].filter((root) => !hovers.some((h) => h.root === root))).toEqual([]);
  });

  it('documents every prop, with @default on each optional one and on no required one', () => {
    expect(hovers.filter((h) => !PENDING.has(h.root)).flatMap(hoverProblems)).toEqual([]);
  });

  it('has no pending entry that already passes', () => {
    expect([...PENDING].filter((root) => hovers.filter((h) => h.root === root).flatMap(hoverProblems).length === 0)).toEqual([]);
  });

  it('cites no internal defect or check ID in public docs (they belong in // comments and tests)', () => {
    // A finding's check ID is the value itself, as the report prints it.
    const cited = publicDocs()
      .filter(({ where }) => where !== 'Finding.checkId')
      .flatMap(({ where, text }) => [...text.matchAll(INTERNAL_ID)].map((m) => `${where}: ${m[0]}`));
    expect([...new Set(cited)]).toEqual([]);
  });

  it('catches an undocumented prop and a missing @default', () => {
    const hover = (doc: string, tags: ts.JSDocTagInfo[], optional: boolean): Hover => ({ root: 'X', owner: 'XProps', name: 'x', optional, doc, tags });
    const dflt = { name: 'default', text: [{ kind: 'text', text: '3' }] };
    expect(hoverProblems(hover('', [dflt], true))).toEqual(['XProps.x: no documentation']);
    expect(hoverProblems(hover('Size.', [], true))).toEqual(['XProps.x: optional without @default']);
    expect(hoverProblems(hover('Size.', [dflt], false))).toEqual(['XProps.x: required with @default']);
    expect(hoverProblems(hover('Size.', [dflt], true))).toEqual([]);
  });
});
