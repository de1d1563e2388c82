// Installs (when its lockfile changed) and compiles runtime/, the reference
// agent runtime, with the Node version its image runs (runtime/.node-version):
// npm and tsc run on that Node, so its engines match and the compiled output
// is what the image runs. Part of `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, runtimeNodeVersion } from './node-binary.mjs';

const runtime = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'runtime');
const node = nodeBinary(runtimeNodeVersion());

function npmCli() {
  if (process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)) return process.env.npm_execpath;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  return realpathSync(which.stdout.trim());
}

function run(args) {
  const r = spawnSync(node, args, { cwd: runtime, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`runtime build failed: ${args.join(' ')} exited ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

const installed = join(runtime, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(join(runtime, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs) {
  run([npmCli(), 'ci', '--no-audit', '--no-fund', '--loglevel=error']);
}
run([join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
