// The API reference (`npm run docs`: typedoc over the public API, lib/index.ts,
// into docs/api; built by `prepack`, so the package ships it) builds without
// errors and documents the constructs and their props from their JSDoc.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const out = mkdtempSync(join(root, 'node_modules', '.cache', 'api-reference-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('typedoc builds the reference of the public API', () => {
  const r = spawnSync('npx', ['typedoc', '--out', out], { cwd: root, encoding: 'utf8' });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  for (const page of ['classes/SecureAgentDeployment.html', 'classes/AgentNamespace.html', 'classes/AgentPlatformValidation.html']) {
    expect(existsSync(join(out, page)), page).toBe(true);
  }
  // A prop's JSDoc reaches the reference.
  const props = readFileSync(join(out, 'interfaces', 'SecureAgentDeploymentProps.html'), 'utf8');
  expect(props).toContain('egress');
}, 300_000);
