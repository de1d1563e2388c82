/**
 * Just enough shell parsing for two checks: a `sh -c` script that runs a
 * pipeline without `pipefail` (WKL-07), and the delay of a preStop hook
 * (AVL-11). No npm shell parser is small, maintained and synchronous, and
 * both checks only need quoting, comments and `set` options; the known
 * limit is that `|` between `case` patterns counts as a pipe.
 */

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/** A script passed to a shell with `-c`. */
export interface ShellScript {
  /** The shell's name (`sh`, `bash`). */
  readonly shell: string;
  /** Index of the script in the joined argv (`command` then `args`). */
  readonly argIndex: number;
  readonly script: string;
  /** Options set on the shell's own command line (`bash -o pipefail -c`). */
  readonly options: readonly string[];
}

/**
 * Finds `<shell> [options] -c <script>` in a container's argv
 * (`command` followed by `args`, as the kubelet joins them).
 */
export function findShellScript(argv: readonly string[]): ShellScript | undefined {
  let i = 0;
  // `env bash -c` and `exec sh -c` run the same shell.
  while (i < argv.length - 1 && (basename(argv[i]!) === 'env' || argv[i] === 'exec')) i++;
  const shell = argv[i] !== undefined ? basename(argv[i]!) : '';
  if (!SHELLS.has(shell)) return undefined;
  const options: string[] = [];
  let hasC = false;
  let j = i + 1;
  while (j < argv.length) {
    const a = argv[j]!;
    if (a === '--') {
      j++;
      break;
    }
    if (a.startsWith('--')) {
      j++;
      continue;
    }
    if (!/^[-+][A-Za-z]+$/.test(a)) break;
    if (a.includes('c')) hasC = true;
    if (a.endsWith('o') && j + 1 < argv.length) {
      options.push(argv[j + 1]!);
      j += 2;
      continue;
    }
    j++;
  }
  if (!hasC || j >= argv.length) return undefined;
  return { shell, argIndex: j, script: argv[j]!, options };
}

/** A pipeline found in a script. */
export interface Pipeline {
  /** Offset of the first unquoted `|` in the script. */
  readonly offset: number;
  /** The logical line holding it, continuations joined, whitespace collapsed. */
  readonly line: string;
}

/**
 * Scans a script for its first pipe (`|` or `|&`, not `||`) outside quotes
 * and comments, and blanks comments so later regexes ignore them.
 */
function scan(script: string): { pipe?: number; code: string } {
  // The script with its comments blanked, built from slices: most scripts
  // have no comment, and this runs for every shell script of the bundle.
  let code = '';
  let copied = 0;
  let pipe: number | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      continue;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      continue;
    }
    if (ch === '#' && (i === 0 || /[\s;&|()]/.test(script[i - 1]!))) {
      const start = i;
      while (i < script.length && script[i] !== '\n') i++;
      code += script.slice(copied, start) + ' '.repeat(i - start);
      copied = i;
      continue;
    }
    if (ch === '|') {
      if (script[i + 1] === '|') {
        i++;
        continue;
      }
      pipe ??= i;
    }
  }
  code += script.slice(copied);
  return { ...(pipe !== undefined ? { pipe } : {}), code };
}

const SET_PIPEFAIL = /(?:^|[\s;&|(])set\s+([^;&|\n]*)/g;

/** Whether `set ... -o pipefail` (in any spelling: `-euo pipefail`, `-o errexit -o pipefail`) runs before `offset`. */
function setsPipefailBefore(code: string, offset: number): boolean {
  for (const m of code.matchAll(SET_PIPEFAIL)) {
    if (m.index >= offset) break;
    if (/(?:^|\s)-[A-Za-z]*o\s+pipefail\b/.test(m[1]!)) return true;
  }
  return false;
}

/**
 * The first pipeline that runs without `pipefail` in a `-c` script, or
 * undefined when there is none or `pipefail` is set first.
 */
export function unsafePipeline(s: ShellScript): Pipeline | undefined {
  if (s.options.includes('pipefail')) return undefined;
  const { pipe, code } = scan(s.script);
  if (pipe === undefined || setsPipefailBefore(code, pipe)) return undefined;
  // The logical line: from after the last newline before the pipe that is
  // not escaped by a backslash, to the first such newline after it.
  let start = pipe;
  for (;;) {
    const nl = start > 0 ? code.lastIndexOf('\n', start - 1) : -1;
    if (nl < 0) {
      start = 0;
      break;
    }
    if (code[nl - 1] !== '\\') {
      start = nl + 1;
      break;
    }
    start = nl;
  }
  let end = pipe;
  for (;;) {
    const nl = code.indexOf('\n', end);
    if (nl < 0) {
      end = code.length;
      break;
    }
    if (code[nl - 1] !== '\\') {
      end = nl;
      break;
    }
    end = nl + 1;
  }
  const line = code
    .slice(start, end)
    .replace(/\\\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { offset: pipe, line };
}

/** The delay a preStop exec command gives, and whether it needs a shell. */
export interface ExecDelay {
  /** Seconds slept, when the command is (or its script starts with) `sleep N`. */
  readonly seconds?: number;
  /** The shell it runs through, when it does. */
  readonly shell?: string;
}

const SLEEP_ARG = /^(\d+(?:\.\d+)?)s?$/;

/** Reads `["/bin/sleep", "5"]` or `["/bin/sh", "-c", "sleep 5"]`. */
export function execDelay(argv: readonly string[]): ExecDelay {
  if (argv.length > 0 && basename(argv[0]!) === 'sleep') {
    const m = SLEEP_ARG.exec(argv[1] ?? '');
    return m ? { seconds: Number(m[1]) } : {};
  }
  const s = findShellScript(argv);
  if (!s) return {};
  const m = /(?:^|[;&\n]\s*)sleep\s+(\d+(?:\.\d+)?)s?\b/.exec(s.script.trim());
  return m ? { seconds: Number(m[1]), shell: s.shell } : { shell: s.shell };
}
