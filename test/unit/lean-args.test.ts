/**
 * The lean parser (src/cli/lean.ts) against yargs: for every line it accepts, the argv it gives the
 * handler is yargs' own, key for key; every line yargs refuses, it refuses too (and leaves to yargs,
 * which writes the message). The corpus: every example of every command's help, the README's and
 * the benchmarks' lines, and lines chosen for yargs' corners (aliases, --no-, greedy arrays,
 * repeated options, =, empty values, choices, checks, help).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { setCliIo } from '../../src/cli/io.js';
import { parseArgs } from '../../src/cli/main.js';
import { COMMAND_HELP, TOP_EXAMPLES } from '../../src/cli/help.js';

/** An example's arpinject words: after `$0`, up to a redirection, a pipe or the end of a `<(...)`. */
const split = (line: string): string[] =>
  line
    .slice(line.indexOf('$0') + 2)
    .split(/ [>|] |\)/)[0]!
    .trim()
    .match(/'[^']*'|"[^"]*"|\S+/g)!
    .map((w) => w.replace(/^(['"])(.*)\1$/, '$2'));

const helpLines = [...TOP_EXAMPLES.map(([c]) => c), ...Object.values(COMMAND_HELP).flatMap((h) => h.examples.map(([c]) => c))].map(split);

/** Lines the lean parser must take (the common runs: this is where the start-up time is). */
const accepted: string[][] = [
  ['-i', 'bond0', '-t', '10.0.0.2', '--wait', '0', '--json'],
  ['--iface', 'bond0', '--tip', '8.8.8.8'],
  ['probe', '-i', 'eth0', '-t', '10.0.0.2', '10.0.0.3', '-t', '10.0.0.4', '--count', '3', '--interval', '0.2s', '--no-promisc'],
  ['probe', '-i', 'eth0', '--tip', '10.0.0.2', '--rate=0', '--expect', 'none', '--fail-on', 'critical', '--log-level', 'debug'],
  ['sweep', '--iface', 'bond0', '10.99.0.0/16', '--include-edges', '--max-targets', '65536', '--rate', '0', '--yes-flood', '--retries', '0', '--timeout', '500', '--wait', '0', '--no-canaries', '--fail-on', 'none', '--json'],
  ['sweep', '-i', 'eth0', '10.0.0.0/24', '-x'],
  ['sweep', '10.0.0.0/24', '-i', 'eth0', '10.1.0.0/24', '--canary', '192.0.2.9', '198.51.100.9', '--random', '--seed', '7'],
  ['sweep', '-i', 'eth0', '-l', '--bandwidth', '1M', '-M', '5', '--format', '${ip}\t${mac}'],
  ['watch', '-i', 'eth0', '--duration', '1', '--json'],
  ['announce', '-i', 'eth0', '--ip', '10.0.0.5'],
  ['dad', '-i', 'eth0', '--ip', '10.0.0.5', '--json'],
  ['completion', 'bash'],
  ['-i', 'eth0', '--file', '-'],
  ['watch', '-r', '-', '--json'],
];

/** Lines the lean parser leaves to yargs (help, and what yargs reads in its own ways or refuses). */
const declined: string[][] = [
  ['--help'],
  ['sweep', '--help'],
  ['-h'],
  ['--version', '-i', 'x'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--wait'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--wait', '--json'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--sip', ''],
  ['-i', 'eth0', '-t', '10.0.0.2', '--wait', '1', '--wait', '2'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--nosuch'],
  ['-i', 'eth0', '--json', 'extra'],
  ['-i', 'eth0', '--tip=10.0.0.2'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--json=true'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--json', 'false'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--fail-on', 'loud'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--count', 'abc'],
  ['-i', 'eth0', '-t', '10.0.0.2', '-xq'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--', '--json'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--no-sip'],
  ['-t', '10.0.0.2'],
  ['sweep', '-i', 'eth0', '10.0.0.0/24', '--seed', '3'],
  ['sweep', '-i', 'eth0', '10.0.0.0/24', '--tip=1'],
  ['-i', 'eth0', 'sweep', '10.0.0.0/24'],
  ['completion', 'fish'],
  ['completion', 'bash', 'zsh'],
];

/** Lines for yargs' corners: whatever each parser does, they must agree. */
const corners: string[][] = [
  ...accepted,
  ...declined,
  ['-i', 'eth0', '-t', '10.0.0.2', '--promisc'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--vlan', '0x10', '--count', '1e1'],
  ['-i', 'eth0', '-t', '10.0.0.2', '--deadline', '1.5', '--until-replies', '2'],
  ['-i', 'eth0', '-t', '-1'],
  ['sweep', '-i', 'eth0'],
  ['sweep', '-i', 'eth0', '--canary', '192.0.2.1', '10.0.0.0/24'],
  ['sweep', '-i', 'eth0', '10.0.0.0/24', '--no-localnet', '--no-include-edges'],
  ['sweep', '-i', 'eth0', '10.0.0.0/24', '--backoff', '1.5', '--deadline', '200'],
  ['explain', '-i', 'eth0', '--tip', '10.0.0.9'],
  ['stations', '--state', '/tmp/x.dat', '--json'],
  ['trigger', '-i', 'eth0', '--dst', '10.0.0.2', '--flush'],
  ['respond', '-i', 'eth0', '--claim', '10.0.0.2=02:00:00:00:00:02', '--claim', '10.0.0.3'],
  ['watch', '--read', 'x.pcap', '--json', '--stale', '60'],
  ['watch', '-i', 'eth0', '--gateway', '10.0.0.1', '--local-net', '10.0.0.0/24', '--state', 'a.dat'],
  ['--json', '-i', 'eth0', '-t', '10.0.0.2', '--color', 'never', '--log-format', 'text', '--debug'],
];

/** yargs prints help and errors to the CLI's stdout and stderr: into nothing here. */
const sink = new Writable({ write: (_c, _e, cb) => cb() });

async function yargsArgv(args: string[]): Promise<{ argv?: Record<string, unknown>; error?: string }> {
  setCliIo({ stdout: sink, stderr: sink });
  try {
    const r = await parseArgs(args, 'yargs');
    return r ? { argv: r.argv } : { error: 'no handler ran (help or version)' };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    setCliIo(undefined);
  }
}

/** JSON-comparable (functions and undefined dropped the same way on both sides). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('the lean command-line parser gives the handler what yargs gives it', () => {
  for (const args of [...helpLines, ...corners])
    test(args.join(' ') || '(nothing)', async () => {
      const lean = await parseArgs(args, 'lean');
      const y = await yargsArgv(args);
      if (lean === undefined) return; // yargs parses it, as before
      assert.equal(y.error, undefined, `lean accepted a line yargs refuses: ${y.error}`);
      assert.deepEqual(plain(lean.argv), plain(y.argv));
    });

  test('the common lines (and every help example) take the lean path', async () => {
    for (const args of [...accepted, ...helpLines]) assert.ok(await parseArgs(args, 'lean'), `not lean: ${args.join(' ')}`);
  });

  test('help, mistakes and yargs-only forms are left to yargs', async () => {
    for (const args of declined) assert.equal(await parseArgs(args, 'lean'), undefined, args.join(' '));
  });
});
