/**
 * The interface facts every command starts from, read without spawning `ip`: the addon's netlink
 * dump (RTM_GETADDR) lists the same IPv4 addresses as `ip -j -4 addr show`, in the same order, with
 * the same prefix, scope and secondary flag: primary, secondary, host-scoped (the 169.254.1.1 of the
 * "ARP bubble"), point-to-point (the local side, not the peer), and on a device that is down.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../src/lab/lab.js';
import { ipv4Addresses, ipv4AddressesFromIp } from '../../src/link/interfaces.js';
import { skipUnlessRoot } from '../helpers/root.js';

const IFACES = fileURLToPath(new URL('../../src/link/interfaces.ts', import.meta.url));

describe('IPv4 addresses from netlink', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({
      namespaces: ['a', 'b'],
      veths: [
        { a: { ns: 'a', name: 'bond0', addrs: ['10.0.0.1/24'] }, b: { ns: 'b', name: 'eth0' } },
        { a: { ns: 'a', name: 'tap0', up: false }, b: { ns: 'b', name: 'eth1' } },
      ],
    });
    const ns = 'a';
    await lab.ip(ns, 'addr', 'add', '10.0.0.9/24', 'dev', 'bond0'); // secondary
    await lab.ip(ns, 'addr', 'add', '169.254.1.1/32', 'dev', 'bond0', 'scope', 'host');
    await lab.ip(ns, 'addr', 'add', '10.5.0.1', 'peer', '10.5.0.2/32', 'dev', 'bond0');
    await lab.ip(ns, 'addr', 'add', '198.51.100.7/25', 'dev', 'tap0', 'scope', 'link');
    await lab.ip(ns, 'addr', 'add', '203.0.113.5/24', 'dev', 'tap0', 'label', 'tap0:web');
  });
  after(async () => lab?.destroy());

  /** Both readers, run in namespace `a` (addresses are per namespace). */
  function both(dev?: string): { netlink: unknown; ip: unknown } {
    const code = `import { ipv4Addresses, ipv4AddressesFromIp } from ${JSON.stringify(IFACES)};
      const dev = ${JSON.stringify(dev ?? null)} ?? undefined;
      console.log(JSON.stringify({ netlink: ipv4Addresses(dev), ip: ipv4AddressesFromIp(dev) }));`;
    const out = execFileSync('ip', ['netns', 'exec', lab.nsName('a'), process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    return JSON.parse(out) as { netlink: unknown; ip: unknown };
  }

  test('every address of the namespace: the same list as ip -j, in its order', () => {
    const r = both();
    assert.deepEqual(r.netlink, r.ip);
    const rows = r.netlink as Array<{ dev: string; address: string; prefixLen: number; scope: string; secondary: boolean }>;
    assert.deepEqual(
      rows.map((a) => `${a.dev} ${a.address}/${a.prefixLen} ${a.scope}${a.secondary ? ' secondary' : ''}`).sort(),
      ['bond0 10.0.0.1/24 global', 'bond0 10.0.0.9/24 global secondary', 'bond0 10.5.0.1/32 global', 'bond0 169.254.1.1/32 host', 'lo 127.0.0.1/8 host', 'tap0 198.51.100.7/25 link', 'tap0 203.0.113.5/24 global'],
    );
    assert.equal(rows.length, 7);
  });

  test('one device (a down one too): the same as ip -j addr show dev', () => {
    for (const dev of ['bond0', 'tap0', 'lo']) {
      const r = both(dev);
      assert.deepEqual(r.netlink, r.ip, dev);
      assert.ok((r.netlink as unknown[]).length > 0, dev);
    }
  });

  test('a missing device: the one missing-interface error, from either reader', () => {
    const code = `import { ipv4Addresses, ipv4AddressesFromIp } from ${JSON.stringify(IFACES)};
      const msg = (f) => { try { f(); return 'no error'; } catch (e) { return e.code + ': ' + e.message; } };
      console.log(JSON.stringify([msg(() => ipv4Addresses('nosuch0')), msg(() => ipv4AddressesFromIp('nosuch0'))]));`;
    const out = JSON.parse(execFileSync('ip', ['netns', 'exec', lab.nsName('a'), process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })) as string[];
    assert.deepEqual(out, ['ERR_NO_INTERFACE: interface nosuch0 does not exist in this network namespace', 'ERR_NO_INTERFACE: interface nosuch0 does not exist in this network namespace']);
  });

  test('this (root) namespace too, read in-process', () => {
    assert.deepEqual(ipv4Addresses(), ipv4AddressesFromIp());
  });
});
