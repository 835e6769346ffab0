#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node
'use strict';
/*
 * arpinject's bin (copied to dist/cli/arpinject.cjs by scripts/bundle-cli.mjs): runs the bundled
 * CLI, dist/cli/cli.cjs, with V8's code cache, so a run does not parse and compile the bundle again.
 * The cache is written after a command's first run (the functions that ran compiled in it; one cache
 * per command, so a probe's holds the probe's code) to the user's cache directory, $XDG_CACHE_HOME/arpinject or ~/.cache/arpinject, and used only when that
 * directory and file belong to this user and nobody else can write them. Node 22+ has the same
 * built in (module.enableCompileCache), pointed at the same directory. ARPINJECT_NO_CODE_CACHE=1
 * runs without it. A probe starts ~15 ms sooner (native-notes/startup.md).
 *
 * The #! line drops NODE_EXTRA_CA_CERTS: Node 20 reads and parses that PEM bundle at start-up,
 * before any JavaScript runs (~55 ms of a 140 ms `node -e 0` with Debian's 140 roots on this
 * machine), and arpinject opens no TLS connection. `env -S` (coreutils 8.30+) splits the line.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const file = path.join(__dirname, 'cli.cjs');
const BUILD = '__ARPINJECT_BUILD__'; // the bundle's hash, written in by scripts/bundle-cli.mjs
const COMMANDS = ['__ARPINJECT_COMMANDS__']; // src/cli/commands/meta.ts's names, likewise
process.argv[1] = file; // the CLI runs as `node dist/cli/cli.cjs` would

/** A directory only this user can write, created if needed; undefined when there is none. */
function cacheDir() {
  if (process.env.ARPINJECT_NO_CODE_CACHE) return undefined;
  try {
    const home = process.env.HOME || require('node:os').homedir();
    const base = process.env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : '');
    if (!path.isAbsolute(base)) return undefined;
    const dir = path.join(base, 'arpinject');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return ours(fs.lstatSync(dir), true) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Owned by this user, not writable by group or others (and a real directory or file, not a link). */
function ours(st, dir) {
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  return (dir ? st.isDirectory() : st.isFile()) && st.uid === uid && (st.mode & 0o022) === 0;
}

function run() {
  const dir = cacheDir();
  if (dir === undefined) return require(file);
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    return require(file);
  }
  const st = fs.statSync(file);
  // V8 checks a cache against its source's length only: the name carries the bundle's identity.
  const build = `cli-${BUILD}-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}`;
  const args = process.argv.slice(2);
  const command = COMMANDS.includes(args[0]) ? args[0] : args.some((a) => a === '--help' || a === '-h' || a === '--version') ? 'help' : 'probe';
  const name = `${build}-${command}.v8cache`;
  const cacheFile = path.join(dir, name);
  let cachedData;
  try {
    const fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      if (ours(fs.fstatSync(fd), false)) cachedData = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    cachedData = undefined; // none yet
  }
  const vm = require('node:vm');
  // As bytes, then decoded: ~1 ms sooner than readFileSync(file, 'utf8') for the 400 KB (measured).
  const source = fs.readFileSync(file).toString('utf8');
  const script = new vm.Script(Module.wrap(source.startsWith('#!') ? `//${source}` : source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (process.env.ARPINJECT_DEBUG_CODE_CACHE) process.stderr.write(`code cache: ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'} ${cacheFile}\n`);
  if (cachedData === undefined || script.cachedDataRejected)
    process.once('exit', () => {
      try {
        const data = script.createCachedData();
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
        try {
          fs.renameSync(tmp, cacheFile);
        } catch (e) {
          fs.rmSync(tmp, { force: true });
          throw e;
        }
        // Caches of other builds (or Node versions) are of no more use.
        for (const f of fs.readdirSync(dir)) if (f.startsWith('cli-') && !f.startsWith(`${build}-`)) fs.rmSync(path.join(dir, f), { force: true });
      } catch {
        // no cache this time
      }
    });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(__dirname);
  Module._cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, __dirname);
  mod.loaded = true;
  return mod.exports;
}

run();
