/**
 * main(argv, io) is importable: CLI behaviour (exit codes, usage errors, --version) tested in-process,
 * without root and without spawning node. Every case names an interface that does not exist: nothing can be sent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runMain } from '../helpers/main.js';

const cli = (args: string[]) => runMain(args);

describe('main(argv, io) in-process', () => {
  test('--version', async () => {
    const r = await cli(['--version']);
    assert.deepEqual([r.code, r.stdout.trim()], [0, JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version]);
  });
  test('a bad target IP is exit 2, the flag named, no stack trace', async () => {
    const r = await cli(['probe', '-i', 'nosuch0', '-t', '10.0.0.256', '--sip', '10.0.0.1', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^arpinject: --tip: "10\.0\.0\.256" is not an IPv4 address/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.match(r.stdout, /"type":"error","code":"ERR_INVALID_IP"/);
  });
  test('an option without its value is exit 2', async () => {
    const r = await cli(['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--count']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--count needs a value/);
  });
  test('a library error names its key; the CLI names the flag (--timeout)', async () => {
    const r = await cli(['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--sip', '10.0.0.1', '--sha', '02:00:00:00:00:01', '--timeout', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^arpinject: --timeout: "0" must be a whole number from 1 to 3600000/m);
  });
  test('the process exit code is left alone', async () => {
    process.exitCode = undefined;
    await cli(['probe', '-i', 'nosuch0', '-t', 'bad']);
    assert.equal(process.exitCode, undefined);
  });
});

describe('unbounded input stays bounded (in-process, RSS measured)', () => {
  test('sweep --file /dev/zero: exit 2 (it stops reading), and the process grew by less than 32 MB', async () => {
    const before = process.memoryUsage().rss;
    const r = await cli(['sweep', '-i', 'nosuch0', '--file', '/dev/zero']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ERR_INPUT_TOO_LARGE|longer than/);
    const grown = (process.memoryUsage().rss - before) / 1048576;
    assert.ok(grown < 32, `RSS grew by ${grown.toFixed(1)} MB reading /dev/zero`);
  });
});
