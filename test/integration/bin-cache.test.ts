/**
 * The bin's code cache (scripts/bin.cjs): written after a command's first run into the user's cache
 * directory, used after that, rebuilt when V8 refuses it, and never read from or written to a
 * directory or file that someone else could have written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/cli/arpinject.cjs', import.meta.url));
const VERSION = (JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) }).stdout) as { version: string }).version;

describe('the code cache of the bin', () => {
  const root = mkdtempSync(join(tmpdir(), 'arpinject-cache-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  /** `arpinject args` with XDG_CACHE_HOME=home: stdout, and what the bin said about the cache. */
  function run(home: string, args: string[], env: Record<string, string> = {}): { out: string; cache: string | undefined; code: number | null } {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: home, ARPINJECT_DEBUG_CODE_CACHE: '1', ...env } });
    return { out: r.stdout, cache: /^code cache: (\w+)/m.exec(r.stderr)?.[1], code: r.status };
  }
  const caches = (home: string): string[] => {
    try {
      return readdirSync(join(home, 'arpinject')).filter((f) => f.endsWith('.v8cache'));
    } catch {
      return [];
    }
  };

  test('none, then written (0600, in a 0700 directory), then used; the output is the same', () => {
    const home = join(root, 'a');
    const first = run(home, ['--version']);
    assert.deepEqual([first.out, first.cache, first.code], [`${VERSION}\n`, 'none', 0]);
    const files = caches(home);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0]!, /-help\.v8cache$/);
    assert.equal(statSync(join(home, 'arpinject', files[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'arpinject')).mode & 0o777, 0o700);
    const second = run(home, ['--version']);
    assert.deepEqual([second.out, second.cache, second.code], [`${VERSION}\n`, 'used', 0]);
    // One cache per command: a probe's holds the probe's code.
    const probe = run(home, ['probe', '-i', 'nosuch0', '-t', '192.0.2.1']);
    assert.equal(probe.cache, 'none');
    assert.equal(probe.code, 3);
    assert.equal(caches(home).length, 2);
  });

  test('a cache V8 refuses (corrupt) is rejected, the run is right, and the cache is written anew', () => {
    const home = join(root, 'b');
    run(home, ['--version']);
    const [f] = caches(home);
    writeFileSync(join(home, 'arpinject', f!), Buffer.alloc(4096, 7), { mode: 0o600 });
    const bad = run(home, ['--version']);
    assert.deepEqual([bad.out, bad.cache], [`${VERSION}\n`, 'rejected']);
    assert.equal(run(home, ['--version']).cache, 'used');
  });

  test('a directory others can write is neither read nor written', () => {
    const home = join(root, 'c');
    run(home, ['--version']);
    chmodSync(join(home, 'arpinject'), 0o777);
    const r = run(home, ['--version']);
    assert.deepEqual([r.out, r.cache], [`${VERSION}\n`, undefined]);
    chmodSync(join(home, 'arpinject'), 0o700);
    assert.equal(run(home, ['--version']).cache, 'used');
  });

  test('a cache file that is a symbolic link, or writable by others, is not read', () => {
    const home = join(root, 'd');
    run(home, ['--version']);
    const [f] = caches(home);
    const p = join(home, 'arpinject', f!);
    chmodSync(p, 0o666);
    assert.equal(run(home, ['--version']).cache, 'none');
    rmSync(p, { force: true });
    run(home, ['--version']);
    const real = join(root, 'real.v8cache');
    writeFileSync(real, '');
    rmSync(p);
    symlinkSync(real, p);
    assert.equal(run(home, ['--version']).cache, 'none');
  });

  test('ARPINJECT_NO_CODE_CACHE=1: nothing read or written', () => {
    const home = join(root, 'e');
    const r = run(home, ['--version'], { ARPINJECT_NO_CODE_CACHE: '1' });
    assert.deepEqual([r.out, r.cache], [`${VERSION}\n`, undefined]);
    assert.deepEqual(caches(home), []);
  });
});

describe('the bin by its #! line', () => {
  test('runs without NODE_EXTRA_CA_CERTS (Node would parse that PEM file at start-up), arguments and exit code as with node', () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(tmpdir(), `arpinject-no-such-ca-${process.pid}.pem`), ARPINJECT_NO_CODE_CACHE: '1' };
    // Through node the variable is read at start-up (a missing file draws Node's warning) ...
    const viaNode = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env });
    assert.match(viaNode.stderr, /Ignoring extra certs/);
    // ... by the #! line it is dropped before node starts; the rest of the environment stays.
    const direct = spawnSync(BIN, ['--version'], { encoding: 'utf8', env });
    assert.deepEqual([direct.stdout, direct.stderr, direct.status], [`${VERSION}\n`, '', 0]);
    const bad = spawnSync(BIN, ['probe', '-i', 'nosuch0', '-t', '192.0.2.1'], { encoding: 'utf8', env });
    assert.equal(bad.status, 3);
    assert.doesNotMatch(bad.stderr, /Ignoring extra certs/);
  });
});
