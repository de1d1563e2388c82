import { isAscii } from 'node:buffer';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { runInThisContext, Script } from 'node:vm';

/** A CommonJS file loaded through {@link loadCommonJs}. */
export interface CachedScript<T> {
  /** What the file exported. */
  readonly exports: T;
  /** The compiled script, for making a code cache. */
  readonly script: Script;
  /** True when V8 accepted the code cache. */
  readonly cacheAccepted: boolean;
}

/**
 * Loads a CommonJS file through `vm.Script`, with its V8 code cache when one
 * is given and exists, which skips compiling the file and the functions that
 * ran when the cache was made. Node 20 has no module compile cache; the
 * validator bundle and the bundled reference app load this way. V8 rejects a
 * cache made by another V8 version, or under other V8 flags (any flag, heap
 * sizes too), and the file is then compiled as usual.
 */
export function loadCommonJs<T>(file: string, cacheFile: string | undefined): CachedScript<T> {
  const cachedData = cacheFile && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = compile(file, readSource(readFileSync(file)), cachedData);
  const module = { exports: {} as T };
  runModule(script, module, file);
  return { exports: module.exports, script, cacheAccepted: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * The text of a JavaScript file. The bundles are ASCII (esbuild escapes
 * other characters, and the minified ones have no comments): read as Latin-1,
 * which for ASCII is the same text, V8 gets a one-byte string without a UTF-8
 * decoding pass, which takes a third of the time for the app's bundle.
 */
function readSource(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

function compile(file: string, code: string, cachedData: Buffer | undefined): Script {
  const source = (Module as unknown as { wrap(code: string): string }).wrap(code);
  return new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
}

function runModule(script: Script, module: { exports: unknown }, file: string): void {
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

/**
 * A bundle of the package: with the code cache of {@link requireWithCodeCache}
 * when Node's compile cache is on, else with the V8 code cache made at build
 * time beside it (`<file>.cache`), when it exists and this V8 made it.
 */
export function loadBundle<T>(file: string): T {
  return (requireWithCodeCache(file) as T | undefined) ?? loadCommonJs<T>(file, file.replace(/\.cjs$/, '.cache')).exports;
}

/** Where this package keeps its code caches: in Node's module compile cache directory, when that cache is on. */
const CACHE_FOLDER = 'cdk8s-agent-platform';

/**
 * Whether this code runs in the process's own global scope. Under jest each
 * test file has a global scope of its own, where Node's modules (and
 * `require.cache`) would be another realm's: the callers then load files
 * their usual way.
 */
function inOwnRealm(): boolean {
  return runInThisContext('globalThis') === globalThis;
}

/**
 * `require(file)` for one of the package's large CommonJS files (the library
 * bundle, the validator bundles), with a V8 code cache made after the
 * process that first loaded it ran, so that it holds the functions that ran
 * compiled, not only the top-level code Node's module compile cache holds:
 * each function of a bundle runs inside a module function compiled on first
 * call, which that cache does not hold. The cache is kept beside Node's, in
 * the directory `module.getCompileCacheDir()` gives (per user and Node
 * version; under NODE_COMPILE_CACHE when set), one per file path, and
 * written once, at exit, when there was none, it was made from other
 * content, or V8 rejected it (another V8, other flags); nothing is written
 * when the directory is not writable. The file becomes a module of Node's
 * own cache (`require.cache`), so it runs once per process and a later
 * `require` of it, by anyone, gets the same exports. Returns undefined when
 * Node's compile cache is off (Node 20, NODE_DISABLE_COMPILE_CACHE), or when
 * this code runs in a global scope of its own (jest's): the caller then
 * loads the file its usual way.
 */
export function requireWithCodeCache(file: string): unknown {
  if (!inOwnRealm()) return undefined;
  const cache = createRequire(file).cache;
  const known = cache[file];
  if (known) return known.exports;
  const script = compileWithCodeCache(file);
  if (script === undefined) return undefined;
  const module = new Module(file);
  module.filename = file;
  const { _nodeModulePaths } = Module as unknown as { _nodeModulePaths?: (dir: string) => string[] };
  if (typeof _nodeModulePaths === 'function') module.paths = _nodeModulePaths(dirname(file));
  cache[file] = module;
  try {
    runModule(script, module, file);
  } catch (e) {
    delete cache[file];
    throw e;
  }
  module.loaded = true;
  return module.exports;
}

/**
 * The file compiled with its code cache, which is written at exit if it was
 * not accepted; undefined when the compile cache is off. The cache file is
 * named by the file's path, so a new version of the package replaces its
 * predecessor's cache instead of adding one, and begins with the CRC-32 and
 * length of the content it was made from: a cache of other content is not
 * used.
 */
function compileWithCodeCache(file: string): Script | undefined {
  const { getCompileCacheDir } = Module as { getCompileCacheDir?: () => string | undefined };
  const dir = typeof getCompileCacheDir === 'function' ? getCompileCacheDir() : undefined;
  if (dir === undefined) return undefined;
  // Loaded here, not imported: node:zlib takes about 5 ms to load, which the
  // loads without Node's compile cache (every synth on Node 20) need not pay.
  const { crc32 } = process.getBuiltinModule('node:zlib') as { crc32?: (data: Buffer | string) => number };
  if (typeof crc32 !== 'function') return undefined;
  const bytes = readFileSync(file);
  const cacheFile = join(dir, CACHE_FOLDER, `${basename(file)}-${crc32(file).toString(16)}.cache`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(crc32(bytes), 0);
  header.writeUInt32LE(bytes.length, 4);
  let cachedData: Buffer | undefined;
  try {
    const stored = readFileSync(cacheFile);
    if (stored.subarray(0, HEADER_BYTES).equals(header)) cachedData = stored.subarray(HEADER_BYTES);
  } catch {
    cachedData = undefined;
  }
  const script = compile(file, readSource(bytes), cachedData);
  if (cachedData === undefined || script.cachedDataRejected) writeAtExit(cacheFile, header, script);
  return script;
}

/** Bytes before the code cache in a cache file: the CRC-32 and the length of the source. */
const HEADER_BYTES = 8;

/** The caches to write at exit, by cache file; one exit listener writes them all. */
const pending = new Map<string, { header: Buffer; script: Script }>();

function writeAtExit(cacheFile: string, header: Buffer, script: Script): void {
  if (pending.size === 0) {
    process.once('exit', () => {
      for (const [f, p] of pending) writeCodeCache(f, p.header, p.script);
      pending.clear();
    });
  }
  pending.set(cacheFile, { header, script });
}

/** Writes the script's code cache through a temporary file, so no reader sees half of it; ignores every failure. */
function writeCodeCache(cacheFile: string, header: Buffer, script: Script): void {
  const { threadId } = process.getBuiltinModule('node:worker_threads');
  const tmp = `${cacheFile}.${process.pid}.${threadId}.tmp`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
    renameSync(tmp, cacheFile);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The next run compiles as this one did.
    }
  }
}
