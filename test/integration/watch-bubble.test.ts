/**
 * Seed 002, "the ARP bubble", rebuilt with real kernels and watched from a bystander VM, as the
 * write-up did with tshark on VM-3. Four hosts on one switch (a bridge): BM1 and BM2 both hold
 * 169.254.1.1/32 scope host on their uplink; VM-1 reaches "its" host's 169.254.1.1 (a static entry
 * stands for the ebtables arpreply rule, so BM1 never learns VM-1 from an ARP request); VM-3 has
 * resolved 169.254.1.1 to BM2 (BM1 has arp_ignore=3, so only BM2 answers, as only BM2's ebtables would).
 * VM-1 sends an echo to 169.254.1.1; BM1 answers from 169.254.1.1 and must ARP for VM-1:
 *  - arp_announce=0 on BM1: the request carries sender 169.254.1.1; VM-3's kernel moves its entry for
 *    169.254.1.1 to BM1's MAC (the poison), and watch on VM-3 reports bogus-sender + mac-changed (the poison: an active station taken by another MAC);
 *  - arp_announce=2: the request carries 10.51.162.3; VM-3's entry stays at BM2; watch reports nothing
 *    about BM1.
 * No `ping` here: `trigger` sends the echoes (on VM-1 it is a plain ping, the neighbour being known).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { parseNdjson, runCli, startCli, stopChild } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-bubble-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Rec = Record<string, any>;
const findingKeys = (records: Rec[]) => records.filter((r) => r.type === 'finding' && r.kind !== 'new-station').map((r) => `${r.kind}:${r.severity}:${r.mac}`);

describe('the ARP bubble (seed 002), rebuilt and watched from a bystander', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  const mac: Record<string, string> = {};
  before(async () => {
    const hosts = { bm1: '10.51.162.3/20', bm2: '10.51.162.28/20', vm1: '10.51.162.74/20', vm3: '10.51.163.7/20' };
    lab = await Lab.create({
      namespaces: ['tor', ...Object.keys(hosts)],
      veths: Object.entries(hosts).map(([h, addr]) => ({ a: { ns: h, name: 'eth0', addrs: [addr] }, b: { ns: 'tor', name: `p-${h}` } })),
      bridges: [{ ns: 'tor', name: 'br0', ports: Object.keys(hosts).map((h) => `p-${h}`) }],
    });
    for (const h of Object.keys(hosts)) mac[h] = await lab.mac(h, 'eth0');
    for (const bm of ['bm1', 'bm2']) await lab.ip(bm, 'addr', 'add', '169.254.1.1/32', 'dev', 'eth0', 'scope', 'host');
    await lab.sysctl('bm1', 'net.ipv4.conf.eth0.arp_ignore', 3); // BM1 does not answer VM-3 for 169.254.1.1
    for (const vm of ['vm1', 'vm3']) await lab.ip(vm, 'route', 'add', '169.254.1.1', 'dev', 'eth0');
    await lab.ip('vm1', 'neigh', 'replace', '169.254.1.1', 'lladdr', mac.bm1!, 'dev', 'eth0', 'nud', 'permanent');
  });
  after(async () => lab?.destroy());

  const vm3Entry = async () => (JSON.parse(await lab.ip('vm3', '-j', 'neigh', 'show', '169.254.1.1', 'dev', 'eth0')) as Array<{ lladdr?: string }>)[0]?.lladdr;

  async function bubble(announce: number) {
    await lab.sysctl('bm1', 'net.ipv4.conf.eth0.arp_announce', announce);
    await lab.ip('bm1', 'neigh', 'flush', 'dev', 'eth0'); // BM1 must ARP for VM-1 again
    const pcap = join(tmp, `bubble-${announce}.pcap`);
    const w = await startCli(lab.nsName('vm3'), ['watch', '--iface', 'eth0', '--json', '--pcap', pcap]);
    let resolved: Rec;
    try {
      // VM-3 resolves 169.254.1.1: BM2 answers.
      const r3 = await runCli(lab.nsName('vm3'), ['trigger', '--iface', 'eth0', '--dst', '169.254.1.1', '--flush', '--json']);
      resolved = r3.records.at(-1)!;
      // Past the neighbour locktime (1 s), an ARP request may override VM-3's entry.
      await sleep(1300);
      await runCli(lab.nsName('vm1'), ['trigger', '--iface', 'eth0', '--dst', '169.254.1.1', '--timeout', '300']);
      await sleep(300);
    } finally {
      assert.equal(await stopChild(w.child), 0);
    }
    const live = parseNdjson(w.output());
    const offline = await runCli(undefined, ['watch', '--read', pcap, '--json']);
    assert.deepEqual(findingKeys(offline.records), findingKeys(live), '--read on the live pcap gives the same findings');
    return { resolved, live, offline };
  }

  test('arp_announce=0: BM1 asks from 169.254.1.1, VM-3 is poisoned, watch sees it', async () => {
    const { resolved, live } = await bubble(0);
    assert.equal(resolved.reply.mac, mac.bm2, 'VM-3 had 169.254.1.1 at BM2');
    const bm1Request = live.find((r) => r.type === 'arp' && r.op === 'request' && r.sha === mac.bm1)!;
    assert.deepEqual([bm1Request.spa, bm1Request.tpa], ['169.254.1.1', '10.51.162.74'], 'who-has 10.51.162.74 tell 169.254.1.1');
    assert.deepEqual(findingKeys(live), [`bogus-sender:warning:${mac.bm2}`, `bogus-sender:warning:${mac.bm1}`, `mac-changed:warning:${mac.bm1}`]);
    const moved = live.find((r) => r.type === 'finding' && r.kind === 'mac-changed')!;
    assert.deepEqual([moved.ips, moved.evidence.from, moved.evidence.to], [['169.254.1.1'], mac.bm2, mac.bm1]);
    assert.equal(await vm3Entry(), mac.bm1, "VM-3's kernel now sends 169.254.1.1's traffic to BM1");
  });

  test('arp_announce=2: BM1 asks from 10.51.162.3, VM-3 keeps BM2, nothing about BM1', async () => {
    const { resolved, live } = await bubble(2);
    assert.equal(resolved.reply.mac, mac.bm2);
    const bm1Request = live.find((r) => r.type === 'arp' && r.op === 'request' && r.sha === mac.bm1)!;
    assert.equal(bm1Request.spa, '10.51.162.3');
    assert.deepEqual(findingKeys(live), [`bogus-sender:warning:${mac.bm2}`], "only BM2's (ebtables-style) answer from 169.254.1.1");
    assert.equal(await vm3Entry(), mac.bm2);
  });
});
