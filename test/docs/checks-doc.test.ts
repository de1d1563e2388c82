// docs/checks.md (the check list `validate --help` names, shipped in the
// package) is generated; it must be what the generator makes from today's
// checks table.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CHECK_SEVERITY } from '../../lib/validation/internal/checks.js';
// @ts-expect-error: a plain ES module script without declarations
import { checksDocument } from '../../scripts/checks-doc.mjs';

test('docs/checks.md is up to date (node scripts/checks-doc.mjs) and lists every check', async () => {
  const committed = readFileSync(new URL('../../docs/checks.md', import.meta.url), 'utf8');
  expect(committed).toBe(await (checksDocument as () => Promise<string>)());
  for (const id of Object.keys(CHECK_SEVERITY)) expect(committed).toMatch(new RegExp(`^\\| ${id} \\| `, 'm'));
});
