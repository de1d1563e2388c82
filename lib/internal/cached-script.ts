import { isAscii } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A CommonJS file loaded through {@link loadCommonJs}. */
export interface CachedScript<T> {
  /** What the file exported. */
  readonly exports: T;
  /** The compiled script, for making a code cache. */
  readonly script: Script;
  /** True when V8 accepted the code cache. */
  readonly cacheAccepted: boolean;
}

/**
 * Loads a CommonJS file through `vm.Script`, with its V8 code cache when one
 * is given and exists, which skips compiling the file and the functions that
 * ran when the cache was made. Node 20 has no module compile cache; the
 * validator bundle and the bundled reference app load this way. V8 rejects a
 * cache made by another V8 version, and the file is then compiled as usual.
 */
export function loadCommonJs<T>(file: string, cacheFile: string | undefined): CachedScript<T> {
  const cachedData = cacheFile && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const source = (Module as unknown as { wrap(code: string): string }).wrap(readSource(file));
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as T };
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  fn.call(module.exports, module.exports as object, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, cacheAccepted: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * The text of a JavaScript file. The bundles are ASCII (esbuild escapes
 * other characters, and the minified ones have no comments): read as Latin-1,
 * which for ASCII is the same text, V8 gets a one-byte string without a UTF-8
 * decoding pass, which takes a third of the time for the app's bundle.
 */
function readSource(file: string): string {
  const bytes = readFileSync(file);
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}
