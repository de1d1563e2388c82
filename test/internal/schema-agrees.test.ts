import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// SchemaAgrees is a compile-time check, so its test is a compilation: the
// fixture marks every drift with `@ts-expect-error`, and an unused directive
// (a drift the check missed) is a compile error. The same fixture without
// its directives must report exactly one error per marked line.

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(ROOT, 'test/fixtures/schema-agrees/drift.ts');

function compile(text: string): readonly ts.Diagnostic[] {
  const config = ts.readConfigFile(resolve(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const host = ts.createCompilerHost({ ...options, noEmit: true, incremental: false });
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (resolve(file) === FIXTURE ? text : readFile(file));
  const program = ts.createProgram({ rootNames: [FIXTURE], options: { ...options, noEmit: true, incremental: false }, host });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file && resolve(d.file.fileName) === FIXTURE);
}

describe('SchemaAgrees', () => {
  const text = ts.sys.readFile(FIXTURE)!;
  const marked = text.split('\n').flatMap((line, i) => (line.startsWith('// @ts-expect-error') ? [i + 1] : []));

  it('accepts the agreeing pairs and catches every marked drift', () => {
    expect(marked.length).toBeGreaterThanOrEqual(9);
    expect(compile(text).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  it('reports each drift on its own line once the directives are gone', () => {
    const lines = compile(text.replaceAll('// @ts-expect-error', '// drift:'))
      .map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line)
      .sort((a, b) => a - b);
    // The statement after each directive (1-based directive line = 0-based statement line).
    expect(lines).toEqual(marked);
  });
});
