/**
 * One message and hint for each environment problem, the same in every command (issue 10): a
 * missing interface, a down interface without IPv4 (down, exit 3: not "no sender IP", exit 2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

describe('environment messages', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ namespaces: ['a', 'b'], veths: [{ a: { ns: 'a', name: 'd0', up: false }, b: { ns: 'b', name: 'eth0' } }] });
  });
  after(async () => lab?.destroy());

  const commands: Array<[string, string[]]> = [
    ['probe', ['probe', '-i', 'nosuch0', '-t', '10.0.0.2', '--sip', '10.0.0.1']],
    ['probe (default sender IP)', ['probe', '-i', 'nosuch0', '-t', '10.0.0.2']],
    ['sweep', ['sweep', '-i', 'nosuch0', '10.0.0.0/30']],
    ['watch', ['watch', '-i', 'nosuch0', '--duration', '1']],
    ['respond', ['respond', '-i', 'nosuch0', '--claim', '10.0.0.2']],
    ['trigger', ['trigger', '-i', 'nosuch0', '--dst', '10.0.0.2']],
  ];
  for (const [name, args] of commands)
    test(`a missing interface: the same message and exit 3 (${name})`, async () => {
      const r = await runCli(lab.nsName('a'), args);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^arpinject: interface nosuch0 does not exist in this network namespace\n  hint: list interfaces with `ip -br link`/m);
      assert.doesNotMatch(r.stderr, /iproute2/);
    });

  test('a down interface without IPv4 is "down" (exit 3), not "no sender IP" (exit 2)', async () => {
    const r = await runCli(lab.nsName('a'), ['probe', '-i', 'd0', '-t', '10.0.0.2']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /interface d0 is down\n  hint: bring it up: ip link set dev d0 up/);
  });
});
