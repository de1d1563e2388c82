/**
 * The custom resources whose models and validators this library generates
 * from their projects' CRDs (lib/crds, scripts/generate-crds.mjs): registered
 * in every verification run, each validator loaded only when an object of its
 * kind is first validated.
 */
import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_KINDS } from '../../crds/sources.js';
import { loadCommonJs } from '../../internal/cached-script.js';
import type { RegistryEntry } from './custom.js';
import type { AjvError } from './registry.js';

const require = createRequire(import.meta.url);

type Compiled = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

let dir: string | undefined;

/**
 * Where the generated validators are: lib/crds beside this module's folder
 * (sources and the compiled package alike), or, when this code runs bundled
 * into an app, the installed package's build/lib/crds.
 */
function crdsDir(probe: string): string {
  if (dir !== undefined) return dir;
  const beside = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds');
  dir = existsSync(join(beside, probe)) ? beside : join(dirname(require.resolve('cdk8s-agent-platform/package.json')), 'build', 'lib', 'crds');
  return dir;
}

let bundled: Readonly<Record<string, Compiled>> | null | undefined;

/**
 * The generated validators bundled at build time by
 * scripts/build-validators.mjs (build/lib/crds/validators.cjs), keyed by
 * their module path under lib/crds; null when absent, e.g. when running from
 * the TypeScript sources. Loaded as the prebuilt validator bundle is (see
 * registry.ts): through Node's module compile cache when it is on, else with
 * the V8 code cache made at build time.
 */
function bundledValidators(probe: string): Readonly<Record<string, Compiled>> | null {
  if (bundled === undefined) {
    const file = join(crdsDir(probe), 'validators.cjs');
    if (!existsSync(file)) {
      bundled = null;
    } else {
      const { validators } = (compileCacheOn() ? require(file) : loadCommonJs<{ validators?: Record<string, Compiled> }>(file, file.replace(/\.cjs$/, '.cache')).exports) as {
        validators?: Record<string, Compiled>;
      };
      if (!validators) throw new Error(`${file} holds no validators; rebuild with npm run build`);
      bundled = validators;
    }
  }
  return bundled;
}

/** True when Node's module compile cache is on in this process. */
function compileCacheOn(): boolean {
  const { getCompileCacheDir } = Module as { getCompileCacheDir?: () => string | undefined };
  return typeof getCompileCacheDir === 'function' && getCompileCacheDir() !== undefined;
}

function load(schema: string): (data: object) => readonly AjvError[] {
  // From the bundle when the build made one; else the validator's ES module,
  // loaded with require() since validation runs inside cdk8s's synchronous
  // validate (require of an ES module: Node.js 20.19+, 22.12+).
  const validate = bundledValidators(schema)?.[schema] ?? (require(join(crdsDir(schema), schema)) as { validate: Compiled }).validate;
  return (data) => (validate(data) ? [] : (validate.errors ?? []));
}

/** One registry entry per generated apiVersion/kind. */
export const GENERATED_CUSTOM_RESOURCES: readonly RegistryEntry[] = GENERATED_KINDS.map((k) => {
  const slash = k.apiVersion.indexOf('/');
  return {
    apiVersion: k.apiVersion,
    group: k.apiVersion.slice(0, slash),
    version: k.apiVersion.slice(slash + 1),
    kind: k.kind,
    ...(k.deprecated !== undefined ? { deprecated: k.deprecated } : {}),
    compile: () => load(k.schema),
  };
});
