/** Option parsing that refuses (built CLI, no network: every case fails before an interface is touched). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const P = ['probe', '-i', 'nope0', '-t', '10.0.0.1'];
const S = ['sweep', '-i', 'nope0', '10.0.0.0/30'];

const refused: Array<[string[], RegExp]> = [
  ...['--count', '--interval', '--timeout', '--wait', '--vlan', '--vlan-priority', '--sip', '--sha', '--tha', '--eth-src', '--eth-dst', '--op', '--pcap', '--expect'].map((f): [string[], RegExp] => [[...P, f], new RegExp(`${f} needs a value`)]),
  [[...P, '--vlan', '--json'], /--vlan needs a value/],
  [[...P, '--op', ''], /--op needs a value, not an empty string/],
  [[...P, '--sip', ' '], /--sip needs a value/],
  ...['--rate', '--bandwidth', '--retries', '--backoff', '--timeout', '--wait', '--deadline', '--seed', '--canary', '--max-ips-per-mac', '--baseline', '--max-targets', '--file', '--vlan'].map((f): [string[], RegExp] => [[...S, f], new RegExp(`${f} needs a value`)]),
  [[...S, '--random', '--seed'], /--seed needs a value/],
  [[...S, '--seed', '7'], /--seed only applies to --random/],
  [['respond', '-i', 'nope0', '--claim', '10.99.0.9='], /has "=" but no MAC/],
  [['respond', '-i', 'nope0', '--claim'], /--claim needs a value/],
  [['respond', '-i', 'nope0', '--claim', '10.99.0.9', '--delay'], /--delay needs a value/],
  [['watch', '--read'], /--read needs a value/],
  [['watch', '--read', ''], /--read needs a value/],
  [['watch', '--read', 'x.pcap', '--host-scoped', 'abc'], /--host-scoped: "abc" is not an IPv4 address/],
  [['watch', '-i', 'nope0', '--filter'], /--filter needs a value/],
  [['explain', '-i', 'nope0', '-t', '10.0.0.1', '--verify-timeout'], /--verify-timeout needs a value/],
  [['trigger', '-i', 'nope0', '--dst', '10.0.0.1', '--timeout'], /--timeout needs a value/],
];

describe('an option that needs a value and has none (or an empty one): exit 2', () => {
  for (const [args, message] of refused) {
    test(args.slice(args.indexOf(args.find((a) => a.startsWith('--') && a !== '--json' && !['-i', '-t'].includes(a))!)).join(' ') + ` (${args[0]})`, async () => {
      const r = await runCli(undefined, args.map((a) => (a === 'x.pcap' ? 'test/fixtures/pair.pcap' : a)));
      assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /bug in arpinject/);
    });
  }
});

describe('values that are accepted', () => {
  test('sweep --file - reads the targets from stdin (then fails on the missing interface: exit 3, not "open \'\'")', async () => {
    const { spawnSync } = await import('node:child_process');
    const { CLI } = await import('../helpers/cli.js');
    const r = spawnSync(process.execPath, [CLI, 'sweep', '-i', 'nope0', '--file', '-', '--sha', '02:00:00:00:00:01', '--sip', '10.0.0.9'], { input: '10.0.0.1\n', encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /nope0/);
    assert.doesNotMatch(r.stderr, /open ''|no targets/);
  });

  test('--tip a --tip b and -t a b still work (arrays)', async () => {
    const r = await runCli(undefined, ['probe', '-i', 'nope0', '-t', '10.0.0.1', '10.0.0.2', '--tip', '10.0.0.3', '--sip', '10.0.0.9', '--sha', '02:00:00:00:00:01']);
    assert.equal(r.code, 3, r.stderr); // parsed; the interface is missing
  });

  test('watch --read FILE --host-scoped IP is fine', async () => {
    const r = await runCli(undefined, ['watch', '--read', 'test/fixtures/pair.pcap', '--host-scoped', '169.254.1.1']);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('a bad --filter is bad input (exit 2), not the environment', { skip: skipUnlessRoot }, () => {
  for (const filter of ['arp and', 'host nosuchhost.invalid', 'vlan 5000']) {
    test(`--filter "${filter}"`, async () => {
      const lab = await Lab.create({ prefix: 'aif', namespaces: ['a'], veths: [{ a: { ns: 'a', name: 'eth0' }, b: { ns: 'a', name: 'eth1' } }] });
      try {
        const r = await runCli(lab.nsName('a'), ['watch', '-i', 'eth0', '--filter', filter, '--duration', '1']);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /--filter/);
      } finally {
        await lab.destroy();
      }
    });
  }
});
