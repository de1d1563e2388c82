import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A loaded validator bundle. */
export interface PrebuiltBundle {
  /** Model classes keyed `apiVersion\nkind`. */
  readonly models: Readonly<Record<string, { readonly prototype: { validate(this: unknown): void } }>>;
  /** The compiled script, for making a code cache. */
  readonly script: Script;
  /** True when V8 accepted the code cache. */
  readonly cacheAccepted: boolean;
}

/**
 * Loads the prebuilt validator bundle as CommonJS through `vm.Script`, with
 * its V8 code cache when one is given and exists, which skips compiling the
 * bundle and its validators again (Node 20 has no module compile cache).
 */
export function loadPrebuilt(file: string, cacheFile: string | undefined): PrebuiltBundle {
  const cachedData = cacheFile && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script((Module as unknown as { wrap(code: string): string }).wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { models?: PrebuiltBundle['models'] } };
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  if (!module.exports.models) throw new Error(`${file} holds no validator models; rebuild with npm run build`);
  return { models: module.exports.models, script, cacheAccepted: cachedData !== undefined && !script.cachedDataRejected };
}
