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
  const source = (Module as unknown as { wrap(code: string): string }).wrap(readFileSync(file, 'utf8'));
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as T };
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  fn.call(module.exports, module.exports as object, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, cacheAccepted: cachedData !== undefined && !script.cachedDataRejected };
}
