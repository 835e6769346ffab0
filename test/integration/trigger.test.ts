/**
 * trigger against the real kernel: the ARP bubble (seed 002) under arp_announce 0 and 2, the sender
 * the kernel picks without --src, a foreign --src, an address-less namespace (sender 0.0.0.0), an
 * interface without addresses (another device's address leaks), neighbour entries trigger must leave
 * alone, and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

describe('trigger: the ARP bubble (seed 002) and the sender the kernel picks', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  let host: string;
  let vm: string;
  before(async () => {
    // host: uplink eth0 10.5.0.1/24 plus 169.254.1.1/32 scope host on it (as BM1 in seed 002);
    // host:eth1 has no address; bare has no address at all. vm: 10.5.0.2/24, 10.6.0.2/24.
    lab = await Lab.create({
      namespaces: ['host', 'vm', 'bare'],
      veths: [
        { a: { ns: 'host', name: 'eth0', addrs: ['10.5.0.1/24'] }, b: { ns: 'vm', name: 'eth0', addrs: ['10.5.0.2/24'] } },
        { a: { ns: 'host', name: 'eth1' }, b: { ns: 'vm', name: 'eth1', addrs: ['10.6.0.2/24'] } },
        { a: { ns: 'bare', name: 'eth0' }, b: { ns: 'vm', name: 'eth2' } },
      ],
    });
    await lab.ip('host', 'addr', 'add', '169.254.1.1/32', 'dev', 'eth0', 'scope', 'host');
    host = lab.nsName('host');
    vm = lab.nsName('vm');
  });
  after(async () => lab?.destroy());

  test('arp_announce=0: the kernel ARPs with sender 169.254.1.1: flagged; a watcher on the VM side sees it too', async () => {
    await lab.sysctl('host', 'net.ipv4.conf.eth0.arp_announce', 0);
    const w = await startCli(vm, ['watch', '--iface', 'eth0', '--json']);
    const r = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--src', '169.254.1.1', '--flush', '--json']);
    await new Promise((res) => setTimeout(res, 200));
    await stopChild(w.child);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const t = r.records.at(-1)!;
    assert.equal(t.senderIp, '169.254.1.1');
    assert.equal(t.leak.kind, 'host-scoped-sender');
    assert.equal(t.leak.severity, 'critical');
    assert.equal(t.request.sha, await lab.mac('host', 'eth0'));
    assert.equal(t.reply.mac, await lab.mac('vm', 'eth0'));
    const seen = parseNdjson(w.output()).filter((x) => x.type === 'finding' && x.kind === 'bogus-sender');
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.ips, ['169.254.1.1']);
    // The poison, observed in the VM's own neighbour table: 169.254.1.1 is now at the host's MAC.
    const neigh = JSON.parse(await lab.ip('vm', '-j', 'neigh', 'show', '169.254.1.1')) as Array<{ lladdr?: string }>;
    assert.equal(neigh[0]?.lladdr, await lab.mac('host', 'eth0'));
  });

  test('arp_announce=2 on the device (or on all): the kernel uses its eth0 address: not flagged', async () => {
    await lab.sysctl('host', 'net.ipv4.conf.eth0.arp_announce', 2);
    const r = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--src', '169.254.1.1', '--flush', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t = r.records.at(-1)!;
    assert.equal(t.senderIp, '10.5.0.1');
    assert.equal(t.leak, null);
    assert.deepEqual(t.arpAnnounce, { dev: 2, all: 0, effective: 2 });
    // MAXCONF: all=2 with eth0=0 is just as effective.
    await lab.sysctl('host', 'net.ipv4.conf.eth0.arp_announce', 0);
    await lab.sysctl('host', 'net.ipv4.conf.all.arp_announce', 2);
    try {
      const a = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--src', '169.254.1.1', '--flush', '--json']);
      assert.equal(a.code, 0, a.stdout + a.stderr);
      assert.deepEqual([a.records.at(-1)!.senderIp, a.records.at(-1)!.arpAnnounce], ['10.5.0.1', { dev: 0, all: 2, effective: 2 }]);
    } finally {
      await lab.sysctl('host', 'net.ipv4.conf.all.arp_announce', 0);
    }
  });

  test('without --src the kernel picks its eth0 address: not flagged', async () => {
    await lab.sysctl('host', 'net.ipv4.conf.eth0.arp_announce', 0);
    const r = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--flush', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.records.at(-1)!.senderIp, '10.5.0.1');
    assert.equal(r.records.at(-1)!.src, null);
  });

  test('a --src that is not an address of this host: the kernel does not use it; the note says so', async () => {
    const r = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--src', '192.0.2.99', '--flush', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t = r.records.at(-1)!;
    assert.deepEqual([t.senderIp, t.leak], ['10.5.0.1', null]);
    assert.match(t.note, /192\.0\.2\.99 is not an address of this host/);
  });

  test('an interface without addresses: the kernel announces another device\'s address (foreign-sender)', async () => {
    const r = await runCli(host, ['trigger', '--iface', 'eth1', '--dst', '10.6.0.2', '--flush', '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const t = r.records.at(-1)!;
    assert.equal(t.senderIp, '10.5.0.1', 'inet_select_addr walks the devices for a global address');
    assert.deepEqual([t.leak.kind, t.leak.severity], ['foreign-sender', 'warning']);
    assert.equal(t.reply.mac, await lab.mac('vm', 'eth1'), 'the neighbour answers it anyway');
  });

  test('a namespace with no address at all: sender 0.0.0.0 (unspecified-sender)', async () => {
    const r = await runCli(lab.nsName('bare'), ['trigger', '--iface', 'eth0', '--dst', '10.7.0.2', '--timeout', '300', '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const t = r.records.at(-1)!;
    assert.equal(t.senderIp, '0.0.0.0');
    assert.deepEqual([t.leak.kind, t.leak.severity], ['unspecified-sender', 'warning']);
    assert.equal(t.reply, null);
  });

  test('a resolved neighbour: no ARP, the note says why; a permanent entry survives --flush', async () => {
    await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--flush']); // resolve it
    const r = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /already had a neighbour entry for 10\.5\.0\.2 .*--flush/);

    const vmMac = await lab.mac('vm', 'eth0');
    await lab.ip('host', 'neigh', 'replace', '10.5.0.2', 'lladdr', vmMac, 'dev', 'eth0', 'nud', 'permanent');
    try {
      const p = await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--flush', '--timeout', '300', '--json']);
      assert.equal(p.code, 1);
      assert.equal(p.records.at(-1)!.request, null);
      assert.match(p.records.at(-1)!.note, /PERMANENT neighbour entry .*--flush leaves such entries alone/);
      const after = JSON.parse(await lab.ip('host', '-j', 'neigh', 'show', '10.5.0.2', 'dev', 'eth0')) as Array<{ state?: string[] }>;
      assert.deepEqual(after[0]?.state, ['PERMANENT'], 'the operator\'s entry is still there');
    } finally {
      await lab.ip('host', 'neigh', 'del', '10.5.0.2', 'dev', 'eth0');
    }
  });

  test('bad input exits 2, a missing interface 3', async () => {
    assert.equal((await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0'])).code, 2);
    assert.equal((await runCli(host, ['trigger', '--iface', 'eth0', '--dst', '10.5.0.2', '--src', 'x'])).code, 2);
    assert.equal((await runCli(host, ['trigger', '--iface', 'eth0'])).code, 2);
    const missing = await runCli(host, ['trigger', '--iface', 'nope0', '--dst', '10.5.0.2']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /does not exist/);
  });
});
