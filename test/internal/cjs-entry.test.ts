import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The CommonJS bundle (scripts/build-package.mjs, made by `npm run build`,
// which the test command runs first) exports getters that load each module
// on first read; they must give what the ES module entry exports. The bundle
// is required directly: its entry, build/cjs/index.cjs, first refuses a Node
// older than `engines`, which the machine running the tests may be.
const require = createRequire(import.meta.url);
const LIBRARY = new URL('../../build/cjs/library.cjs', import.meta.url);
// A URL, not a literal specifier, so tsc does not take the build's declarations as inputs.
const ESM_ENTRY = new URL('../../build/lib/index.js', import.meta.url);

describe('the CommonJS bundle', () => {
  it('exists after the build', () => {
    expect(existsSync(LIBRARY)).toBe(true);
  });

  it('exports every name of lib/index.ts, each a value of the same kind', async () => {
    const esm = (await import(ESM_ENTRY.href)) as Record<string, unknown>;
    const cjs = require(fileURLToPath(LIBRARY)) as Record<string, unknown>;
    expect(cjs.__esModule).toBe(true);
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    for (const name of Object.keys(esm)) expect(typeof cjs[name], name).toBe(typeof esm[name]);
    // A getter reads the same value every time.
    expect(cjs.SecureAgentDeployment).toBe(cjs.SecureAgentDeployment);
  });
});
