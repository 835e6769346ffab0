/**
 * Verdicts right by default, on a bridge of real kernel hosts (issue 9):
 * - two hosts own one IP: the default probe shows both MACs, an ip-conflict warning, exit 1;
 * - a proxy_arp host (kernel default proxy_delay, up to 0.8 s) answering a real host's IP:
 *   `--expect OWNER` fails by default (the probe listens 1 s), passes only on the explicit fast path;
 * - a proxy-ARP gateway with only a default route: a proxy-arp-router warning, no critical finding;
 * - a host owning 40 addresses, all in the baseline: no finding.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';
import { skipUnlessRoot } from '../helpers/root.js';

const tmp = mkdtempSync(join(tmpdir(), 'arpinject-core-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
type Rec = Record<string, any>;
const of = (records: Rec[], type: string) => records.filter((r) => r.type === type);
const MULTI = Array.from({ length: 40 }, (_, i) => `10.77.0.${65 + i}`);

describe('verdicts on a bridge of kernel hosts', { skip: skipUnlessRoot }, () => {
  let lab: Lab;
  const mac: Record<string, string> = {};
  let net = '';
  before(async () => {
    const hosts = ['net', 'owner', 'proxy', 'gw', 'dupa', 'dupb', 'multi'];
    const addrs: Record<string, string[]> = {
      net: ['10.77.0.200/24'],
      owner: ['10.77.0.7/24'],
      proxy: ['10.77.0.3/24'],
      gw: ['10.77.0.1/24'],
      dupa: ['10.77.0.9/24'],
      dupb: ['10.77.0.9/24'],
      multi: MULTI.map((a) => `${a}/24`),
    };
    lab = await Lab.create({
      namespaces: ['sw', 'far', ...hosts],
      veths: [
        ...hosts.map((h) => ({ a: { ns: h, name: 'eth0', addrs: addrs[h]! }, b: { ns: 'sw', name: `p-${h}` } })),
        { a: { ns: 'proxy', name: 'up0', addrs: ['10.88.0.2/24'] }, b: { ns: 'far', name: 'p0', addrs: ['10.88.0.1/24'] } },
        { a: { ns: 'gw', name: 'up0', addrs: ['203.0.113.2/24'] }, b: { ns: 'far', name: 'g0', addrs: ['203.0.113.1/24'] } },
      ],
      bridges: [{ ns: 'sw', name: 'br0', ports: hosts.map((h) => `p-${h}`) }],
      sysctls: [
        // the rogue: proxy_arp, and a route that sends the owner's address elsewhere (seed 001's mistake)
        { ns: 'proxy', key: 'net.ipv4.conf.eth0.proxy_arp', value: 1 },
        { ns: 'proxy', key: 'net.ipv4.ip_forward', value: 1 },
        // a Cisco-style gateway: proxy_arp on, only a default route
        { ns: 'gw', key: 'net.ipv4.conf.eth0.proxy_arp', value: 1 },
        { ns: 'gw', key: 'net.ipv4.ip_forward', value: 1 },
      ],
      routes: [
        { ns: 'proxy', route: '10.77.0.7/32 via 10.88.0.1 dev up0' },
        { ns: 'gw', route: 'default via 203.0.113.1 dev up0' },
      ],
    });
    net = lab.nsName('net');
    for (const h of hosts) mac[h] = await lab.mac(h, 'eth0');
    assert.equal(await lab.readSysctl('proxy', 'net.ipv4.neigh.eth0.proxy_delay'), '80', 'the kernel default proxy_delay (0.8 s)');
  });
  after(async () => lab?.destroy());

  test('two hosts own one IP: the default probe shows both MACs, an ip-conflict warning, exit 1', async () => {
    const r = await runCli(net, ['-i', 'eth0', '-t', '10.77.0.9', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(of(r.records, 'reply').map((x) => x.mac).sort(), [mac.dupa, mac.dupb].sort());
    const f = of(r.records, 'finding');
    assert.deepEqual(f.map((x) => [x.kind, x.severity]), [['ip-conflict', 'warning']]);
    assert.deepEqual([...f[0]!.evidence.macs].sort(), [mac.dupa, mac.dupb].sort());
    const s = r.records.at(-1)!;
    assert.deepEqual([s.expect, s.listenedMs, s.worst, s.ok], ['reply', 1000, 'warning', false]);
    const human = await runCli(net, ['-i', 'eth0', '-t', '10.77.0.9']);
    assert.match(human.stdout, /^WARNING  ip-conflict +10\.77\.0\.9 is answered by 2 MACs/m);
    assert.match(human.stdout, /CONFLICT: 10\.77\.0\.9 is claimed by 2 MACs/);
  });

  test('a proxy_arp host answering a real host\'s IP after proxy_delay: --expect OWNER fails by default', async () => {
    for (let round = 0; round < 3; round++) {
      const r = await runCli(net, ['-i', 'eth0', '-t', '10.77.0.7', '--expect', mac.owner!, '--json']);
      const replies = of(r.records, 'reply');
      assert.equal(r.code, 1, `round ${round}: ${JSON.stringify(replies)}`);
      assert.deepEqual(replies.map((x) => x.mac).sort(), [mac.owner, mac.proxy].sort(), 'the owner at once, the proxy up to 0.8 s later');
      const late = replies.find((x) => x.mac === mac.proxy)!;
      assert.ok(late.rttMs < 1000, `the proxy answered after ${late.rttMs} ms: inside the default window`);
      const s = r.records.at(-1)!;
      assert.equal(s.ok, false);
    }
    // The explicit fast path returns on the first answer, and its verdict says what it did not wait for.
    const fast = await runCli(net, ['-i', 'eth0', '-t', '10.77.0.7', '--expect', mac.owner!, '--wait', '0']);
    assert.equal(fast.code, 0, fast.stdout);
    assert.match(fast.stdout, /first replies only: did not listen for other responders \(--wait 0\)/);
    assert.doesNotMatch(fast.stdout, /only\)$/m, 'no verdict claims "only" without listening');
  });

  test('a proxy-ARP gateway with only a default route is a proxy-arp-router warning, never critical', async () => {
    const r = await runCli(net, ['sweep', '-i', 'eth0', '10.77.0.0/28', '--json'], { timeoutMs: 60_000 });
    const f = of(r.records, 'finding');
    assert.equal(f.filter((x) => x.severity === 'critical').length, 0, JSON.stringify(f));
    const router = f.find((x) => x.kind === 'proxy-arp-router');
    assert.ok(router, JSON.stringify(f));
    assert.equal(router.mac, mac.gw);
    assert.deepEqual([...router.evidence.canaries].sort(), ['192.0.2.234', '198.51.100.234', '203.0.113.234']);
    // the rogue proxy takes 10.77.0.7 from its owner: a conflict, named, with both MACs
    const conflict = f.find((x) => x.kind === 'ip-conflict' && x.ips[0] === '10.77.0.7');
    assert.ok(conflict, JSON.stringify(f));
    assert.deepEqual([...conflict.evidence.macs].sort(), [mac.owner, mac.proxy].sort());
    assert.equal(r.code, 1, 'warnings fail --fail-on warning (the default)');
  });

  test('a host that owns 40 addresses, all in the baseline: no finding', async () => {
    const baseline = join(tmp, 'baseline.txt');
    writeFileSync(baseline, MULTI.map((ip) => `${ip}\t${mac.multi}`).join('\n') + '\n');
    const r = await runCli(net, ['sweep', '-i', 'eth0', '10.77.0.64/26', '--no-canaries', '--baseline', baseline, '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, JSON.stringify(of(r.records, 'finding')));
    assert.deepEqual(of(r.records, 'finding'), []);
    assert.equal(r.records.at(-1)!.answered, 40);
    const without = await runCli(net, ['sweep', '-i', 'eth0', '10.77.0.64/26', '--no-canaries', '--json'], { timeoutMs: 60_000 });
    assert.deepEqual(of(without.records, 'finding').map((x) => [x.kind, x.severity]), [['many-ips', 'warning']], 'without the baseline: 40 > 32');
  });
});
