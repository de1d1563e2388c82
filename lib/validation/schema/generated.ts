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
  // The validators are ES modules; validation runs inside cdk8s's synchronous
  // validate, hence require() of an ES module (Node.js 20.19+, 22.12+).
  const { validate } = require(join(crdsDir(schema), schema)) as { validate: Compiled };
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
