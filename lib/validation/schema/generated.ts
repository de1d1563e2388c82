/**
 * The custom resources whose models and validators this library generates
 * from their projects' CRDs (lib/crds, scripts/generate-crds.mjs): registered
 * in every verification run, each validator loaded only when an object of its
 * kind is first validated.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_KINDS } from '../../crds/sources.js';
import { loadBundle } from '../../internal/cached-script.js';
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

function load(schema: string): (data: object) => readonly AjvError[] {
  const file = join(crdsDir(schema), schema);
  // The build bundles each validator into one CommonJS file beside its ES
  // module (scripts/build-validators.mjs), loaded as the prebuilt validator
  // bundle is (registry.ts): with the code cache kept beside Node's module
  // compile cache when that is on, else with the V8 code cache made at build
  // time. Without it (running from the TypeScript sources) the ES module,
  // with require() since validation runs inside cdk8s's synchronous validate
  // (require of an ES module: Node.js 20.19+, 22.12+).
  const bundle = file.replace(/\.js$/, '.cjs');
  type Bundle = { validate: Compiled };
  const { validate } = (
    !existsSync(bundle) ? require(file) : loadBundle<Bundle>(bundle)
  ) as Bundle;
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
