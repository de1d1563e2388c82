import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RenderedGroup } from '../../lib/index.js';

/** The install command printed when promtool is missing; the tests then fail, never skip. */
export const PROMTOOL_INSTALL = 'apt-get install -y prometheus (the Debian package that ships promtool; `npm test` installs it when run as root)';

/** The promtool version line; throws with the install command when promtool is missing. */
export function requirePromtool(): string {
  try {
    return execFileSync('promtool', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!;
  } catch (e) {
    throw new Error(`promtool is not installed (${(e as Error).message}); install it with: ${PROMTOOL_INSTALL}`);
  }
}

/** The result of one promtool run. */
export interface PromtoolResult {
  readonly status: number | null;
  readonly output: string;
}

function run(args: string[], files: Record<string, string>): PromtoolResult {
  requirePromtool();
  const dir = mkdtempSync(join(tmpdir(), 'cap-promtool-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `promtool check rules --lint-fatal` on a rule file of `groups`. */
export function checkRules(groups: readonly RenderedGroup[]): PromtoolResult {
  return run(['check', 'rules', '--lint=duplicate-rules', '--lint-fatal', 'rules.yaml'], { 'rules.yaml': stringify({ groups }) });
}

/** One promtool unit test (`tests[]` entry of a test file). */
export interface PromtoolTest {
  readonly name: string;
  readonly interval?: string;
  readonly input_series: readonly { readonly series: string; readonly values: string }[];
  readonly alert_rule_test: readonly {
    readonly eval_time: string;
    readonly alertname: string;
    readonly exp_alerts: readonly { readonly exp_labels: Readonly<Record<string, string>>; readonly exp_annotations: Readonly<Record<string, string>> }[];
  }[];
  /** PromQL checked at a time (`ALERTS{...}` shows firing alerts). */
  readonly promql_expr_test?: readonly {
    readonly expr: string;
    readonly eval_time: string;
    readonly exp_samples: readonly { readonly labels: string; readonly value: number }[];
  }[];
}

/** `promtool test rules` with `groups` as the rule file and `tests` as the test cases. */
export function testRules(groups: readonly RenderedGroup[], tests: readonly PromtoolTest[]): PromtoolResult {
  const testFile = { rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: tests.map((t) => ({ interval: '1m', ...t })) };
  return run(['test', 'rules', 'tests.yaml'], { 'rules.yaml': stringify({ groups }), 'tests.yaml': stringify(testFile) });
}
